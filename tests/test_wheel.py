"""The built wheel works on its own: installed in a fresh venv, run outside the source tree.

It must carry the blueprint schemas, the upstream schemas and the templates, and render exactly
what the in-tree kgen renders for the same input.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import kgen as kgen_package
from tests.conftest import REPO, RunKgen
from tests.test_kustomize import repo_blueprints, write_own_blueprints

pytestmark = pytest.mark.slow

INSTALL_TIMEOUT = 900  # seconds; a cold pip cache downloads every dependency


def run(command: Sequence[str | Path], cwd: Path, timeout: float = 120) -> str:
    """Run ``command``; fail the test with its output when it exits non-zero."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    )
    return done.stdout


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def kgen(self) -> Path:
        return self.venv / "bin" / "kgen"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The repository's wheel, built and installed with its dependencies in a new venv."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    python = sys.executable
    run([python, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, REPO], root, 600)
    wheels = sorted(dist.glob("kgen-*.whl"))
    assert len(wheels) == 1, wheels
    venv = root / "venv"
    run([python, "-m", "venv", venv], root)
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheels[0]], root, INSTALL_TIMEOUT)
    return Installed(wheels[0], venv)


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``: relative POSIX path -> bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_wheel_carries_schemas_and_templates(installed: Installed) -> None:
    names = wheel_names(installed.wheel)
    for required in (
        "kgen/schemas/microservice.schema.json",
        "kgen/schemas/upstream/index.json",
        "kgen/kinds/microservice/deployment.yaml.j2",
    ):
        assert required in names
    schemas = REPO / "schemas"
    shipped_schemas = {
        f"kgen/schemas/{p.relative_to(schemas).as_posix()}" for p in schemas.rglob("*.json")
    }
    assert shipped_schemas <= names, sorted(shipped_schemas - names)
    templates = {p.relative_to(REPO).as_posix() for p in (REPO / "kgen").rglob("*.j2")}
    assert templates, "no templates in the source tree"
    assert templates <= names, sorted(templates - names)
    starters = {p.relative_to(REPO).as_posix() for p in (REPO / "kgen").rglob("starter.yaml")}
    assert len(starters) == 4 and starters <= names, sorted(starters - names)


def test_installed_kgen_writes_a_starter_that_validates(
    installed: Installed, tmp_path: Path
) -> None:
    run([installed.kgen, "init", "StatefulApp", "db", "--namespace", "data"], tmp_path)
    assert (
        (tmp_path / "db.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=kgen.schema.json\n")
    )
    assert '"$schema": "http://json-schema.org/draft-07/schema#"' in run(
        [installed.kgen, "schema"], tmp_path
    )
    run([installed.kgen, "validate", "db.yaml"], tmp_path)


def test_installed_kgen_is_the_wheel(installed: Installed, tmp_path: Path) -> None:
    """Run from outside the source tree, the venv imports its own copy of kgen."""
    where = run([installed.python, "-c", "import kgen; print(kgen.__file__)"], tmp_path)
    module = Path(where.strip()).resolve()
    assert module.is_relative_to(installed.venv.resolve()), module
    assert not module.is_relative_to(REPO), module


def test_installed_kgen_version(installed: Installed, tmp_path: Path) -> None:
    out = run([installed.kgen, "--version"], tmp_path)
    assert out.strip() == f"kgen {kgen_package.__version__}"


@pytest.mark.parametrize("source", ["own", "repo"])
def test_installed_kgen_renders_like_in_tree_kgen(
    installed: Installed, kgen: RunKgen, tmp_path: Path, source: str
) -> None:
    work = tmp_path / "work"
    if source == "own":
        write_own_blueprints(work / "blueprints")
    else:
        folder = repo_blueprints()
        if folder is None:
            pytest.skip("the repository has no blueprints/*.yaml yet")
        shutil.copytree(folder, work / "blueprints")

    stream = run([installed.kgen, "render", "blueprints"], work)
    run([installed.kgen, "render", "blueprints", "-o", "out"], work)

    in_tree = kgen("render", "blueprints", cwd=work)
    assert in_tree.exit_code == 0, in_tree.stderr
    assert stream == in_tree.stdout
    assert stream.startswith("---\n# Source: blueprints/")
    in_tree_folder = kgen("render", "blueprints", "-o", "out-in-tree", cwd=work)
    assert in_tree_folder.exit_code == 0, in_tree_folder.stderr
    written = tree(work / "out")
    assert "kustomization.yaml" in written
    assert written == tree(work / "out-in-tree")
