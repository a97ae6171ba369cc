"""Shared fixtures: the CLI as users run it, the repository, and real tools."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kgen.cli import app
from tests.tools import YAMLLS, ToolError, ensure_tool, ensure_yamlls

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """The suite keeps kgen's cache (``kgen.cache``) to itself, never the user's."""
    if "KGEN_CACHE_DIR" not in os.environ:
        folder = Path(tempfile.mkdtemp(prefix="kgen-test-cache-"))
        os.environ["KGEN_CACHE_DIR"] = str(folder)
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str


RunKgen = Callable[..., Run]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def kgen(monkeypatch: pytest.MonkeyPatch) -> RunKgen:
    """Run ``kgen ARGS...`` in-process, in ``cwd`` (default: the current directory)."""

    def run(*args: str, cwd: Path | None = None) -> Run:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


def require_tool(name: str) -> str:
    """A real tool: $KGEN_<NAME>, else the pinned build in .tools/bin (installed on first use).

    In CI a tool that cannot be had fails the test instead of skipping it.
    """
    variable = f"KGEN_{name.upper().replace('-', '_')}"
    override = os.environ.get(variable)
    if override:
        return override
    try:
        return str(ensure_yamlls() if name == YAMLLS else ensure_tool(name))
    except ToolError as exc:
        message = f"{name} not available ({exc}); set {variable}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def kubectl() -> str:
    return require_tool("kubectl")


def write_blueprint(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def blueprint_paths(paths: Sequence[Path]) -> list[str]:
    return [str(p) for p in paths]
