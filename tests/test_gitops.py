"""``kgen gitops``: Argo CD Applications and Flux GitRepository + Kustomizations that
apply kgen's output folders, valid against their upstream CRDs and pointing at folders
render writes."""

from __future__ import annotations

import json
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
    "GitRepository": "source.toolkit.fluxcd.io/gitrepository_v1.json",
    "Kustomization": "kustomize.toolkit.fluxcd.io/kustomization_v1.json",
}


def _valid(document: dict[str, Any]) -> None:
    schema = json.loads((REPO / "schemas/upstream/crds" / CRDS[document["kind"]]).read_text())
    errors = [e.message for e in Draft7Validator(schema).iter_errors(document)]
    assert not errors, errors


@pytest.mark.parametrize("tool", ["argocd", "flux"])
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
    else:
        [source, *kustomizations] = documents
        assert source["kind"] == "GitRepository" and source["spec"]["url"] == URL
        paths = {d["metadata"]["name"]: d["spec"]["path"] for d in kustomizations}
        assert paths == {"shop-prod": "./deploy/prod", "shop-staging": "./deploy/staging"}
        assert all(d["spec"]["sourceRef"]["name"] == "shop" for d in kustomizations)
    for path in paths.values():  # each points at a kustomize root render wrote
        assert (tmp_path / path / "kustomization.yaml").is_file()


@pytest.mark.parametrize("tool", ["argocd", "flux"])
def test_the_committed_objects_are_current(kgen: RunKgen, tool: str) -> None:
    result = kgen("gitops", "blueprints", "--repo", URL, "--path", "out", "--tool", tool, cwd=REPO)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (REPO / "gitops" / f"{tool}.yaml").read_text(encoding="utf-8")


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
