"""kgen as a hook of the real pre-commit framework, installed from this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _commit_all(root: Path) -> str:
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x")
    return _git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree as a repository pre-commit can install hooks from, and its rev."""
    root = tmp_path_factory.mktemp("kgen-hooks")
    listed = _git(REPO, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    _git(root, "init", "-q")
    return root, _commit_all(root)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, hook_repo: tuple[Path, str]) -> Path:
    """A user's repository with the example blueprints, their render and a hook config."""
    root = tmp_path_factory.mktemp("user-repo")
    shutil.copytree(REPO / "blueprints", root / "blueprints")
    shutil.copytree(REPO / "out", root / "out")
    repo, rev = hook_repo
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
        "      - id: kgen-validate\n"
        "      - id: kgen-render-check\n"
    )
    _git(root, "init", "-q")
    _git(root, "add", ".")
    return root


def _run(project: Path, home: Path, hook: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, "--all-files"],
        check=False,
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache: the hook environment is built once for the module."""
    return tmp_path_factory.mktemp("pre-commit-home")


def test_hooks_pass_on_a_current_repository(project: Path, home: Path) -> None:
    for hook in ("kgen-validate", "kgen-render-check"):
        result = _run(project, home, hook)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Passed" in result.stdout


def test_hooks_fail_on_drift_and_on_broken_blueprints(project: Path, home: Path) -> None:
    blueprint = project / "blueprints" / "billing.yaml"
    blueprint.write_text(blueprint.read_text().replace("replicas: 3", "replicas: 4", 1))
    _git(project, "add", ".")
    result = _run(project, home, "kgen-render-check")
    assert result.returncode == 1
    assert "-  replicas: 3\n+  replicas: 4" in result.stdout
    broken = project / "blueprints" / "broken.yaml"
    broken.write_text(blueprint.read_text().replace("billing:2024.11.3", "billing:latest"))
    _git(project, "add", ".")
    result = _run(project, home, "kgen-validate")
    assert result.returncode == 1
    assert "blueprints/broken.yaml:" in result.stdout
    assert "uses ':latest'" in result.stdout
