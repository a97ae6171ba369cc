"""``kgen.toml`` (or ``[tool.kgen]`` in pyproject.toml): the project's paths, output folder,
Kubernetes version, per-environment folders and GitOps settings; flags override them;
a misspelt key is an error at its line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion

from tests.conftest import REPO, RunKgen
from tests.helpers import microservice
from tests.test_kustomize import assert_same_documents, kustomize, parse_stream

CONFIG = """\
paths = ["blueprints"]
output = "deploy"
all-envs = true

[gitops]
repo = "https://git.example.com/platform/gitops.git"
tool = "flux"
name = "shop"
"""


def _project(tmp_path: Path, config: str, file: str = "kgen.toml") -> Path:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    (tmp_path / file).write_text(config)
    return tmp_path


def test_commands_read_the_project_settings(kgen: RunKgen, tmp_path: Path) -> None:
    project = _project(tmp_path, CONFIG)
    assert kgen("render", cwd=project).exit_code == 0
    assert sorted(p.name for p in (project / "deploy").iterdir()) == ["prod", "staging"]
    assert kgen("render", "--check", cwd=project).exit_code == 0
    same = kgen("diff", cwd=project)
    assert same.exit_code == 0 and "deploy/prod is what render would write" in same.stderr
    assert kgen("validate", cwd=project).exit_code == 0
    gitops = kgen("gitops", cwd=project)
    assert gitops.exit_code == 0, gitops.stderr
    documents = [d for d in yaml.safe_load_all(gitops.stdout) if d]
    assert [d["kind"] for d in documents] == ["GitRepository", "Kustomization", "Kustomization"]
    assert {d["spec"].get("path") for d in documents[1:]} == {"./deploy/prod", "./deploy/staging"}
    # flags win: a stream on stdout, another tool
    stream = kgen("render", "-o", "-", "--env", "prod", cwd=project)
    assert stream.exit_code == 0 and stream.stdout.startswith("---\n# Source: ")
    argocd = kgen("gitops", "--tool", "argocd", cwd=project)
    assert "kind: Application\n" in argocd.stdout


def test_pyproject_tool_kgen_works_too(kgen: RunKgen, tmp_path: Path) -> None:
    config = CONFIG.replace("[gitops]", "[tool.kgen.gitops]")
    project = _project(
        tmp_path, "[project]\nname = 'x'\n\n[tool.kgen]\n" + config, "pyproject.toml"
    )
    assert kgen("validate", cwd=project).exit_code == 0
    gitops = kgen("gitops", cwd=project)
    assert gitops.exit_code == 0 and "name: shop\n" in gitops.stdout


def test_a_misspelt_setting_is_an_error_at_its_line(kgen: RunKgen, tmp_path: Path) -> None:
    bad = CONFIG.replace("output =", "outptu =").replace('tool = "flux"', 'tool = "argo"')
    project = _project(tmp_path, bad.replace("all-envs = true", 'all-envs = "yes"'))
    result = kgen("validate", cwd=project)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (
        lines[0] == "kgen.toml:2:1: error: outptu: unknown setting (hint: did you mean 'output'?)"
    )
    assert lines[1] == "kgen.toml:3:1: error: all-envs: all-envs is true or false"
    assert lines[2] == (
        "kgen.toml:7:1: error: gitops.tool: tool is argocd, argocd-applicationset or flux, "
        "not 'argo' (hint: did you mean 'argocd'?)"
    )
    (project / "kgen.toml").write_text("paths = [\n")
    broken = kgen("validate", cwd=project)
    assert broken.exit_code == 1 and broken.stderr.startswith("kgen.toml:")


def test_without_paths_anywhere_kgen_asks_for_them(kgen: RunKgen, tmp_path: Path) -> None:
    result = kgen("validate", cwd=tmp_path)
    assert result.exit_code == 2
    assert "set paths in kgen.toml" in result.stderr


def test_the_kubernetes_version_comes_from_the_settings(kgen: RunKgen, tmp_path: Path) -> None:
    project = _project(tmp_path, 'paths = ["blueprints"]\nkube-version = "1.9"\n')
    result = kgen("validate", cwd=project)
    assert result.exit_code == 2 and "1.9" in result.stderr
    assert kgen("validate", "--kube-version", "1.33", cwd=project).exit_code == 0


def test_an_unreadable_settings_file_is_an_error_not_a_crash(kgen: RunKgen, tmp_path: Path) -> None:
    for content in (b"paths = \xff\n", b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n"):
        (tmp_path / "kgen.toml").write_bytes(content)
        result = kgen("validate", cwd=tmp_path)
        assert result.exit_code == 1, result.stderr
        assert result.stderr.startswith("kgen.toml:1:1: error: <toml>: ")


def test_settings_that_conflict_or_are_no_table(kgen: RunKgen, tmp_path: Path) -> None:
    project = _project(tmp_path, CONFIG)
    clash = kgen("render", "--env", "prod", cwd=project)
    assert clash.exit_code == 2 and "all-envs" in clash.stderr
    assert not (project / "deploy").exists()
    (project / "kgen.toml").unlink()
    (project / "pyproject.toml").write_text("[tool]\nkgen = 5\n")
    result = kgen("validate", "blueprints", cwd=project)
    assert result.exit_code == 1
    assert result.stderr.startswith("pyproject.toml:2:1: error: tool.kgen: ")


def test_thousands_of_typos_are_reported_quickly_and_briefly(kgen: RunKgen, tmp_path: Path) -> None:
    text = 'paths = ["blueprints"]\n' + "".join(f"k{i} = 1\n" for i in range(20000))
    project = _project(tmp_path, text)
    result = kgen("validate", cwd=project)
    assert result.exit_code == 1
    assert result.stderr.count(": unknown setting") == 20
    assert "kgen.toml:2:1: error: k0: unknown setting" in result.stderr


ENVIRONMENTS = 'paths = ["blueprints"]\nenvironments = ["dev", "staging", "prod"]\n'


def test_an_environment_the_settings_do_not_list_is_an_error_at_its_line(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    """Even in a set of one blueprint, where no other name shows the slip."""
    (tmp_path / "kgen.toml").write_text(ENVIRONMENTS)
    (tmp_path / "api.yaml").write_text(microservice() + "environments:\n  prd: {replicas: 3}\n")
    for command in (("render", "api.yaml", "-o", "out"), ("validate", "api.yaml")):
        result = kgen(*command, cwd=tmp_path)
        assert result.exit_code == 1, result.stderr
        assert result.stderr == snapshot
    assert not (tmp_path / "out").exists()
    unknown = kgen("render", "api.yaml", "--env", "qa", cwd=tmp_path)
    assert unknown.exit_code == 2
    assert unknown.stderr == snapshot


def test_all_envs_covers_exactly_the_listed_environments(
    kgen: RunKgen, tmp_path: Path, kubectl: str
) -> None:
    """The examples declare staging and prod; dev, listed and declared by none, is the
    blueprints as written."""
    project = _project(tmp_path, ENVIRONMENTS)
    result = kgen("render", "-o", "out", "--all-envs", cwd=project)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (project / "out").iterdir()) == ["dev", "prod", "staging"]
    written = kgen("render", cwd=project)
    dev = kgen("render", "--env", "dev", cwd=project)
    assert dev.exit_code == 0 and dev.stdout == written.stdout
    assert_same_documents(kustomize(kubectl, project / "out" / "dev"), parse_stream(dev.stdout))
    validate = kgen("validate", cwd=project)
    assert validate.exit_code == 0
    assert "in every environment (dev, staging, prod)" in validate.stderr
    gitops = kgen("gitops", "--repo", "https://git.example.com/x.git", "--all-envs", cwd=project)
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(gitops.stdout) if d]
    assert names == ["kgen-dev", "kgen-staging", "kgen-prod"]


@pytest.mark.parametrize(
    "value",
    ['"prod"', "[]", '["dev", "Prod"]', '["dev", "prod", "dev"]', '["dev", 5]', '["a-"]'],
)
def test_a_bad_environments_setting_is_an_error_at_its_line(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion, value: str
) -> None:
    project = _project(tmp_path, f'paths = ["blueprints"]\n\nenvironments = {value}\n')
    for command in (("render", "-o", "out"), ("validate",)):
        result = kgen(*command, cwd=project)
        assert result.exit_code == 1
        assert result.stderr.startswith("kgen.toml:3:1: error: environments")
        assert result.stderr == snapshot
    assert not (project / "out").exists()


def test_more_environments_than_a_run_validates_are_refused(kgen: RunKgen, tmp_path: Path) -> None:
    names = ", ".join(f'"e{i}"' for i in range(51))
    project = _project(tmp_path, f'paths = ["blueprints"]\nenvironments = [{names}]\n')
    result = kgen("validate", cwd=project)
    assert result.exit_code == 1
    assert "kgen.toml:2:1: error: environments: more than 50 environments" in result.stderr


def test_an_unlisted_environment_of_shared_defaults_is_reported_once_at_its_line(
    kgen: RunKgen, tmp_path: Path
) -> None:
    (tmp_path / "kgen.toml").write_text('environments = ["dev", "prod"]\n')
    (tmp_path / "kgen.defaults.yaml").write_text(
        "apiVersion: kgen.dev/v1alpha1\nkind: Defaults\n"
        "environments:\n  prd: {spec: {replicas: 3}}\n"
    )
    (tmp_path / "api.yaml").write_text(microservice())
    (tmp_path / "web.yaml").write_text(microservice().replace("name: api", "name: web"))
    result = kgen("validate", "api.yaml", "web.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "kgen.defaults.yaml:4:3: error: environments.prd: environment 'prd' is not one of the "
        "environments kgen.toml lists (dev, prod): its overrides would never be rendered "
        "(hint: did you mean 'prod'?)",
        "kgen: 1 error in 1 file; nothing written",
    ]


@pytest.mark.parametrize("command", ["render", "diff"])
def test_one_environment_against_all_envs_settings_is_a_usage_error(
    kgen: RunKgen, tmp_path: Path, command: str
) -> None:
    """With all-envs, the settings' output folder holds one folder per environment: one
    environment's render would write over them, and its diff compare with the wrong tree;
    render and diff refuse alike (an explicit -o is another folder, and fine)."""
    project = _project(tmp_path, CONFIG)
    assert kgen("render", cwd=project).exit_code == 0
    result = kgen(command, "--env", "prod", cwd=project)
    assert result.exit_code == 2
    assert "--env prod: kgen.toml writes every environment into deploy/<env>/" in result.stderr
    elsewhere = kgen(command, "--env", "prod", "-o", "flat", cwd=project)
    assert elsewhere.exit_code in (0, 1), elsewhere.stderr  # diff: 1, the folder is new
