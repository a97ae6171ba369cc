"""``kgen gitops``: Argo CD Applications and Flux GitRepository + Kustomizations that
apply kgen's output folders, valid against their upstream CRDs and pointing at folders
render writes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from tests.conftest import REPO, RunKgen

URL = "https://git.example.com/platform/kgen-example.git"
CRDS = {
    "Application": "argoproj.io/application_v1alpha1.json",
    "ApplicationSet": "argoproj.io/applicationset_v1alpha1.json",
    "GitRepository": "source.toolkit.fluxcd.io/gitrepository_v1.json",
    "Kustomization": "kustomize.toolkit.fluxcd.io/kustomization_v1.json",
}


def _valid(document: dict[str, Any]) -> None:
    schema = json.loads((REPO / "schemas/upstream/crds" / CRDS[document["kind"]]).read_text())
    errors = [e.message for e in Draft7Validator(schema).iter_errors(document)]
    assert not errors, errors


@pytest.mark.parametrize("tool", ["argocd", "argocd-applicationset", "flux"])
def test_every_environment_folder_gets_its_object(kgen: RunKgen, tmp_path: Path, tool: str) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    assert kgen("render", "blueprints", "-o", "deploy", "--all-envs", cwd=tmp_path).exit_code == 0
    args = ("--repo", URL, "--path", "deploy", "--tool", tool, "--all-envs", "--name", "shop")
    result = kgen("gitops", "blueprints", *args, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    for document in documents:
        _valid(document)
    if tool == "argocd":
        paths = {d["metadata"]["name"]: d["spec"]["source"]["path"] for d in documents}
        assert paths == {"shop-prod": "deploy/prod", "shop-staging": "deploy/staging"}
        assert all(d["spec"]["source"]["repoURL"] == URL for d in documents)
    elif tool == "argocd-applicationset":
        [appset] = documents
        [generator] = appset["spec"]["generators"]
        elements = generator["list"]["elements"]
        paths = {e["name"]: e["path"] for e in elements}
        assert paths == {"shop-prod": "deploy/prod", "shop-staging": "deploy/staging"}
        assert [e["env"] for e in elements] == ["prod", "staging"]
        assert appset["metadata"]["name"] == "shop"
        assert appset["spec"]["template"]["spec"]["source"]["repoURL"] == URL
    else:
        [source, *kustomizations] = documents
        assert source["kind"] == "GitRepository" and source["spec"]["url"] == URL
        paths = {d["metadata"]["name"]: d["spec"]["path"] for d in kustomizations}
        assert paths == {"shop-prod": "./deploy/prod", "shop-staging": "./deploy/staging"}
        assert all(d["spec"]["sourceRef"]["name"] == "shop" for d in kustomizations)
    for path in paths.values():  # each points at a kustomize root render wrote
        assert (tmp_path / path / "kustomization.yaml").is_file()


@pytest.mark.parametrize("tool", ["argocd", "argocd-applicationset", "flux"])
def test_the_committed_objects_are_current(kgen: RunKgen, tool: str) -> None:
    """The ApplicationSet is the one for the committed environment folders (envs/, from
    render -o envs --all-envs); every path they name is a kustomize root in the repo."""
    per_environment = ["--all-envs"] if tool == "argocd-applicationset" else []
    path = "envs" if per_environment else "out"  # the committed folders they point at
    args = ("--repo", URL, "--path", path, "--tool", tool, *per_environment)
    result = kgen("gitops", "blueprints", *args, cwd=REPO)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (REPO / "gitops" / f"{tool}.yaml").read_text(encoding="utf-8")
    paths = set(re.findall(r"^\s+path: (?:\./)?([\w/]+)$", result.stdout, re.M))
    assert paths == ({"envs/prod", "envs/staging"} if per_environment else {"out"})
    for found in paths:
        assert (REPO / found / "kustomization.yaml").is_file(), found


def test_the_applicationset_template_is_each_application(kgen: RunKgen) -> None:
    """What Argo CD generates from the ApplicationSet, by the Go template rules it runs
    (goTemplate with missingkey=error), is exactly the Applications --tool argocd writes;
    the parameters reach the YAML as written, and every one is in every element."""
    common = ("gitops", "blueprints", "--repo", URL, "--all-envs", "--name", "shop")
    appset = kgen(*common, "--tool", "argocd-applicationset", cwd=REPO)
    applications = kgen(*common, "--tool", "argocd", cwd=REPO)
    assert appset.exit_code == applications.exit_code == 0, appset.stderr
    [document] = [d for d in yaml.safe_load_all(appset.stdout) if d]
    spec = document["spec"]
    assert spec["goTemplate"] is True and spec["goTemplateOptions"] == ["missingkey=error"]
    # quoted, as YAML needs a scalar that starts with '{' to be
    assert "name: '{{.name}}'\n" in appset.stdout and "path: '{{.path}}'\n" in appset.stdout
    elements = spec["generators"][0]["list"]["elements"]
    template = json.dumps(spec["template"])
    used = set(re.findall(r"\{\{(.*?)\}\}", template))
    assert used == {".name", ".path", ".env"}  # Go template fields, not fasttemplate's
    assert all(set(element) == {"env", "name", "path"} for element in elements)

    def generate(element: dict[str, str]) -> dict[str, Any]:
        text = re.sub(r"\{\{\.(\w+)\}\}", lambda m: element[m[1]], template)
        made: dict[str, Any] = json.loads(text)
        made["metadata"]["namespace"] = document["metadata"]["namespace"]
        del made["metadata"]["labels"]["kgen.dev/environment"]
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", **made}

    expected = [d for d in yaml.safe_load_all(applications.stdout) if d]
    assert [generate(e) for e in elements] == expected


def test_an_applicationset_needs_environment_folders(kgen: RunKgen, tmp_path: Path) -> None:
    args = ("--repo", URL, "--tool", "argocd-applicationset")
    result = kgen("gitops", "blueprints", *args, cwd=REPO)
    assert result.exit_code == 2 and "--all-envs" in result.stderr
    assert result.stdout == ""
    (tmp_path / "kgen.toml").write_text('[gitops]\ntool = "argocd-applicationset"\n')
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    settings = kgen("gitops", "blueprints", "--repo", URL, "--all-envs", cwd=tmp_path)
    assert settings.exit_code == 0 and "kind: ApplicationSet\n" in settings.stdout


def test_flux_takes_ssh_urls_with_their_scheme(kgen: RunKgen) -> None:
    result = kgen(
        "gitops", "blueprints", "--repo", "git@git.example.com:platform/gitops", "--tool",
        "flux", cwd=REPO,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    [source, _] = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert source["spec"]["url"] == "ssh://git@git.example.com/platform/gitops"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--repo", "http://git.example.com/x.git"),
        ("--repo", "https://user:token@git.example.com/x.git"),
        ("--path", "../elsewhere"),
        ("--path", "/abs"),
        ("--branch", "a..b"),
        ("--name", "Shop"),
    ],
)
def test_settings_neither_tool_takes_are_usage_errors(
    kgen: RunKgen, option: str, value: str
) -> None:
    args = {"--repo": URL, "--path": "out", "--branch": "main", "--name": "kgen", option: value}
    flat = [item for pair in args.items() for item in pair]
    result = kgen("gitops", "blueprints", *flat, cwd=REPO)
    assert result.exit_code == 2
    assert option in result.stderr


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--repo", "https://git.example.com/../x"),
        ("--repo", "git@git.example.com:org/../repo"),
        ("--repo", "https://-.-/x"),
        ("--repo", "https://git.example.com:99999/x"),
        ("--repo", "git@git.example.com:/org/repo.git"),
        ("--branch", "-x"),
        ("--branch", "x.lock"),
        ("--branch", "HEAD"),
        ("--branch", ""),
        ("--name", "a" * 41),
    ],
)
def test_urls_branches_and_names_git_or_the_tools_refuse(
    kgen: RunKgen, option: str, value: str
) -> None:
    args = {"--repo": URL, option: value}
    flat = [item for pair in args.items() for item in pair]
    assert kgen("gitops", "blueprints", *flat, cwd=REPO).exit_code == 2
