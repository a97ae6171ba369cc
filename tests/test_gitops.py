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
from syrupy.assertion import SnapshotAssertion

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
    clusters = ["--cluster", "prod=https://prod.example.com:6443", "--cluster", "staging=staging"]
    per_environment = ["--all-envs", *clusters] if tool == "argocd-applicationset" else []
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
    assert used == {".name", ".path", ".env", ".server"}  # Go template fields
    assert all(set(element) == {"env", "name", "path", "server"} for element in elements)

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


CLUSTERS = ("--cluster", "prod=https://prod.example.com:6443", "--cluster", "staging=staging")


@pytest.mark.parametrize("tool", ["argocd", "argocd-applicationset", "flux"])
def test_each_environment_deploys_to_its_own_cluster(
    kgen: RunKgen, tmp_path: Path, tool: str
) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    assert kgen("render", "blueprints", "-o", "out", "--all-envs", cwd=tmp_path).exit_code == 0
    flux = tool == "flux"
    clusters = ("--cluster", "prod=prod-kubeconfig") if flux else CLUSTERS
    common = ("gitops", "blueprints", "--repo", URL, "--all-envs", "--tool", tool)
    result = kgen(*common, *clusters, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # no environments share a cluster, every folder is there
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    for document in documents:
        _valid(document)
    if tool == "argocd":
        destinations = {d["metadata"]["name"]: d["spec"]["destination"] for d in documents}
        assert destinations == {
            "kgen-prod": {"server": "https://prod.example.com:6443"},
            "kgen-staging": {"name": "staging"},
        }
    elif tool == "argocd-applicationset":
        [appset] = documents
        elements = appset["spec"]["generators"][0]["list"]["elements"]
        assert [(e["server"], e["cluster"]) for e in elements] == [
            ("https://prod.example.com:6443", ""),
            ("", "staging"),
        ]
        destination = appset["spec"]["template"]["spec"]["destination"]
        assert destination == {"server": "{{.server}}", "name": "{{.cluster}}"}
    else:
        config = {d["metadata"]["name"]: d["spec"].get("kubeConfig") for d in documents[1:]}
        assert config == {
            "kgen-prod": {"secretRef": {"name": "prod-kubeconfig"}},
            "kgen-staging": None,
        }
    # the same from kgen.toml; a flag wins over the setting for its environment
    written = 'prod = "prod-kubeconfig"' if flux else 'prod = "x"\nstaging = "staging"'
    (tmp_path / "kgen.toml").write_text(f"[gitops.clusters]\n{written}\n")
    settings = kgen(*common, *(() if flux else ("--cluster", clusters[1])), cwd=tmp_path)
    assert settings.exit_code == 0, settings.stderr
    assert settings.stdout == result.stdout  # the flag's prod, the setting's staging


def test_environments_sharing_a_cluster_are_warned_of(kgen: RunKgen, tmp_path: Path) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    assert kgen("render", "blueprints", "-o", "out", "--all-envs", cwd=tmp_path).exit_code == 0
    common = ("gitops", "blueprints", "--repo", URL, "--all-envs")
    same = kgen(*common, cwd=tmp_path)
    assert same.exit_code == 0 and same.stdout
    assert same.stderr == (
        "kgen: warning: prod and staging deploy to the same cluster "
        "(https://kubernetes.default.svc), where their objects of the same names overwrite "
        "each other: give each its own with --cluster ENV=TARGET or [gitops.clusters] in "
        "kgen.toml\n"
    )
    named = kgen(*common, "--cluster", "prod=c", "--cluster", "staging=c", cwd=tmp_path)
    assert (
        named.exit_code == 0 and "prod and staging deploy to the same cluster (c)" in named.stderr
    )
    flux = kgen(*common, "--tool", "flux", cwd=tmp_path)
    assert flux.exit_code == 0 and "(the cluster Flux runs in)" in flux.stderr


@pytest.mark.parametrize(
    ("tool", "value", "says"),
    [
        ("argocd", "prd=x", "did you mean 'prod'"),
        ("argocd", "prod", "ENV=TARGET"),
        ("argocd", "prod=", "ENV=TARGET"),
        ("argocd", "prod=http://prod.example.com", "neither an API server URL"),
        ("argocd", "prod=https://user:pw@prod.example.com", "not an API server URL"),
        ("argocd", "prod=https://-bad-.example.com", "not an API server URL"),
        ("argocd", "prod=https://prod.example.com:99999", "not an API server URL"),
        ("argocd", "prod=Prod_Cluster", "neither an API server URL"),
        ("flux", "prod=https://prod.example.com", "not a Secret's name"),
        ("flux", "prod=Prod", "not a Secret's name"),
    ],
)
def test_a_bad_cluster_flag_is_a_usage_error(
    kgen: RunKgen, tool: str, value: str, says: str
) -> None:
    args = ("--repo", URL, "--all-envs", "--tool", tool, "--cluster", value)
    result = kgen("gitops", "blueprints", *args, cwd=REPO)
    assert result.exit_code == 2 and result.stdout == ""
    assert says in result.stderr and "--cluster" in result.stderr


def test_a_cluster_twice_or_without_environments_is_a_usage_error(kgen: RunKgen) -> None:
    twice = ("--cluster", "prod=a", "--cluster", "prod=b", "--all-envs")
    result = kgen("gitops", "blueprints", "--repo", URL, *twice, cwd=REPO)
    assert result.exit_code == 2 and "prod is given twice" in result.stderr
    single = kgen("gitops", "blueprints", "--repo", URL, "--cluster", "prod=a", cwd=REPO)
    assert single.exit_code == 2 and "add --all-envs" in single.stderr


@pytest.mark.parametrize(
    "clusters",
    ['prd = "a"', 'prod = "http://x"', "prod = 5", 'Prod = "a"', 'clusters = "a"'],
)
def test_a_bad_clusters_setting_is_an_error_at_its_line(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion, clusters: str
) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    table = "[gitops]" if clusters.startswith("clusters") else "[gitops.clusters]"
    (tmp_path / "kgen.toml").write_text(f'paths = ["blueprints"]\n\n{table}\n{clusters}\n')
    result = kgen("gitops", "--repo", URL, "--all-envs", cwd=tmp_path)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("kgen.toml:4:1: error: ")
    assert result.stderr == snapshot


def test_paths_are_from_the_git_repositorys_root(kgen: RunKgen, tmp_path: Path) -> None:
    """Run in a subfolder of the repository, the objects name the folder from its root."""
    (tmp_path / ".git").mkdir()
    project = tmp_path / "platform"
    shutil.copytree(REPO / "blueprints", project / "blueprints")
    assert kgen("render", "blueprints", "-o", "envs", "--all-envs", cwd=project).exit_code == 0
    common = ("gitops", "blueprints", "--repo", URL, "--path", "envs", "--all-envs")
    result = kgen(*common, *CLUSTERS, cwd=project)
    assert result.exit_code == 0, result.stderr
    paths = [d["spec"]["source"]["path"] for d in yaml.safe_load_all(result.stdout) if d]
    assert paths == ["platform/envs/prod", "platform/envs/staging"]
    assert result.stderr == ""
    flux = kgen(*common, "--tool", "flux", cwd=project)
    kustomizations = [d for d in yaml.safe_load_all(flux.stdout) if d][1:]
    assert [d["spec"]["path"] for d in kustomizations] == [
        "./platform/envs/prod",
        "./platform/envs/staging",
    ]
    # a worktree's .git is a file
    (tmp_path / ".git").rmdir()
    (tmp_path / ".git").write_text("gitdir: /elsewhere\n")
    again = kgen(*common, *CLUSTERS, cwd=project)
    assert again.stdout == result.stdout
    # outside a repository: the path as given
    (tmp_path / ".git").unlink()
    outside = kgen(*common, *CLUSTERS, cwd=project)
    assert "path: envs/prod\n" in outside.stdout


def test_a_folder_render_has_not_written_is_warned_of(kgen: RunKgen, tmp_path: Path) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    (tmp_path / "deploy" / "staging").mkdir(parents=True)
    args = ("--repo", URL, "--path", "deploy", "--all-envs", *CLUSTERS)
    result = kgen("gitops", "blueprints", *args, cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout
    assert result.stderr == (
        "kgen: warning: deploy/prod does not exist: the objects point at it; write it with "
        "kgen render -o DIR --all-envs and commit it\n"
        "kgen: warning: deploy/staging has no kustomization.yaml: the objects point at it; "
        "write it with kgen render -o DIR --all-envs and commit it\n"
    )
    single = kgen("gitops", "blueprints", "--repo", URL, "--path", "nowhere", cwd=tmp_path)
    assert single.exit_code == 0
    assert "kgen: warning: nowhere does not exist" in single.stderr
