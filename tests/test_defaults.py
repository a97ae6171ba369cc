"""Shared defaults (``kgen.defaults.yaml``): values set once for every blueprint in a folder
and below, merged under each blueprint's own, traceable to the line that set them.

The scenarios under ``tests/bad-defaults/<name>/`` are the defaults' part of the bad-input
corpus: each folder must make ``kgen render`` fail with exit 1, write nothing, and print
the errors pinned in the snapshot.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion

from tests.conftest import REPO, RunKgen, write_blueprint

BAD = REPO / "tests" / "bad-defaults"
SCENARIOS = sorted(p.name for p in BAD.iterdir() if p.is_dir())
#: Scenarios that fail only under an environment.
ENV = {"environment-block-refused": "prod"}

OUTER = """\
apiVersion: kgen.dev/v1alpha1
kind: Defaults
metadata:
  labels: {team: shop}
image:
  registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop
  tag: "1.4.2"
spec:
  replicas: 2
  resources: {cpu: 100m, memory: 128Mi}
environments:
  prod:
    image: {tag: "1.4.1"}
    spec: {replicas: 3}
"""
INNER = """\
apiVersion: kgen.dev/v1alpha1
kind: Defaults
metadata:
  namespace: shop
spec:
  resources: {memory: 256Mi}
"""
SERVICES = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: api
spec:
  image: api
  ports: [{name: http, port: 8080}]
---
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: web
  labels: {team: web}
spec:
  image: docker.io/library/nginx:1.27.3
  replicas: 1
  ports: [{name: http, port: 8080}]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project (a Git work tree) with defaults at the top and in the shop folder."""
    (tmp_path / ".git").mkdir()
    write_blueprint(tmp_path, "blueprints/kgen.defaults.yaml", OUTER)
    write_blueprint(tmp_path, "blueprints/shop/kgen.defaults.yaml", INNER)
    write_blueprint(tmp_path, "blueprints/shop/services.yaml", SERVICES)
    return tmp_path


def _documents(stream: str, kind: str) -> dict[str, dict[str, object]]:
    return {d["metadata"]["name"]: d for d in yaml.safe_load_all(stream) if d and d["kind"] == kind}


def test_defaults_merge_under_each_blueprint(kgen: RunKgen, project: Path) -> None:
    result = kgen("render", "blueprints", cwd=project)
    assert result.exit_code == 0, result.stderr
    deployments = _documents(result.stdout, "Deployment")
    api, web = deployments["api"], deployments["web"]
    api_pod = api["spec"]["template"]["spec"]  # type: ignore[index]
    web_pod = web["spec"]["template"]["spec"]  # type: ignore[index]
    # The registry and tag complete an image that names neither; one that does is kept.
    assert api_pod["containers"][0]["image"] == (
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4.2"
    )
    assert web_pod["containers"][0]["image"] == "docker.io/library/nginx:1.27.3"
    # The nearer file wins (memory), the outer one fills in the rest (cpu).
    assert api_pod["containers"][0]["resources"]["requests"] == {"cpu": "100m", "memory": "256Mi"}
    # The blueprint's own value always wins.
    assert (api["spec"]["replicas"], web["spec"]["replicas"]) == (2, 1)  # type: ignore[index]
    assert api["metadata"]["labels"]["team"] == "shop"  # type: ignore[index]
    assert web["metadata"]["labels"]["team"] == "web"  # type: ignore[index]
    assert {d["metadata"]["namespace"] for d in deployments.values()} == {"shop"}  # type: ignore[index]


def test_an_environment_block_of_the_defaults_applies_under_it(
    kgen: RunKgen, project: Path
) -> None:
    result = kgen("render", "blueprints", "--env", "prod", cwd=project)
    assert result.exit_code == 0, result.stderr
    deployments = _documents(result.stdout, "Deployment")
    api, web = deployments["api"], deployments["web"]
    assert api["spec"]["replicas"] == 3  # type: ignore[index]
    assert web["spec"]["replicas"] == 1  # type: ignore[index]  # its own value still wins
    image = api["spec"]["template"]["spec"]["containers"][0]["image"]  # type: ignore[index]
    assert image.endswith("/shop/api:1.4.1")


def test_a_shared_default_changes_every_blueprint_that_inherits_it(
    kgen: RunKgen, project: Path
) -> None:
    before = kgen("render", "blueprints", cwd=project).stdout
    defaults = project / "blueprints" / "kgen.defaults.yaml"
    defaults.write_text(OUTER.replace('tag: "1.4.2"', 'tag: "1.5.0"'), encoding="utf-8")
    after = kgen("render", "blueprints", cwd=project).stdout
    assert after != before
    assert after == before.replace("1.4.2", "1.5.0")  # the image and its version label


def test_one_file_renders_as_it_does_in_its_folder(kgen: RunKgen, project: Path) -> None:
    """A pre-commit hook or an editor names one file: the defaults above it still apply."""
    folder = kgen("render", "blueprints", cwd=project)
    alone = kgen("render", "blueprints/shop/services.yaml", cwd=project)
    assert alone.exit_code == 0, alone.stderr
    assert alone.stdout == folder.stdout
    inside = kgen("render", "services.yaml", cwd=project / "blueprints" / "shop")
    assert inside.stdout.replace("services.yaml", "") == folder.stdout.replace(
        "blueprints/shop/services.yaml", ""
    )


def test_standard_input_inherits_the_working_folders_defaults(
    kgen: RunKgen, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from kgen.cli import app

    monkeypatch.chdir(project / "blueprints" / "shop")
    piped = CliRunner().invoke(app, ["render", "-"], input=SERVICES)
    assert piped.exit_code == 0, piped.stderr
    assert "/shop/api:1.4.2" in piped.stdout


def test_defaults_stop_at_the_project_root(kgen: RunKgen, tmp_path: Path) -> None:
    """Above the nearest .git, kgen.toml or pyproject.toml nothing is read: a defaults file
    in a shared parent folder never reaches into a project."""
    write_blueprint(tmp_path, "kgen.defaults.yaml", OUTER)
    project = tmp_path / "project"
    write_blueprint(project, "kgen.toml", "")
    write_blueprint(project, "shop/kgen.defaults.yaml", INNER)
    write_blueprint(
        project, "shop/services.yaml", SERVICES.replace("image: api", "image: ghcr.io/a/api:1.0.0")
    )
    result = kgen("render", "shop", cwd=project)
    assert result.exit_code == 0, result.stderr
    assert "team: shop" not in result.stdout
    assert "123456789012" not in result.stdout


def test_outside_a_project_only_the_working_folder_and_below_count(
    kgen: RunKgen, tmp_path: Path
) -> None:
    write_blueprint(tmp_path, "kgen.defaults.yaml", OUTER)
    write_blueprint(tmp_path, "work/kgen.defaults.yaml", INNER)
    write_blueprint(
        tmp_path, "work/services.yaml", SERVICES.replace("image: api", "image: ghcr.io/a/api:1.0.0")
    )
    result = kgen("render", "services.yaml", cwd=tmp_path / "work")
    assert result.exit_code == 0, result.stderr
    assert "namespace: shop" in result.stdout  # the working folder's
    assert "team: shop" not in result.stdout  # not its parent's


def test_a_cluster_takes_only_labels_and_annotations(kgen: RunKgen, project: Path) -> None:
    write_blueprint(
        project,
        "blueprints/cluster.yaml",
        """\
apiVersion: kgen.dev/v1alpha1
kind: Cluster
metadata: {name: main}
spec:
  region: eu-west-1
  version: "1.33"
  accountId: "123456789012"
  availabilityZones: [eu-west-1a, eu-west-1b]
  nodeGroups:
    - {name: general, instanceTypes: [m6i.large], minSize: 2, maxSize: 4}
  namespaces: [{name: shop}]
""",
    )
    result = kgen("render", "blueprints", cwd=project)
    assert result.exit_code == 0, result.stderr
    namespace = _documents(result.stdout, "Namespace")["shop"]
    assert namespace["metadata"]["labels"]["team"] == "shop"  # type: ignore[index]


def test_naming_a_defaults_file_is_a_usage_error(kgen: RunKgen, project: Path) -> None:
    result = kgen("render", "blueprints/kgen.defaults.yaml", cwd=project)
    assert result.exit_code == 2
    assert "holds the defaults of its folder, not blueprints" in result.stderr


def test_explain_value_traces_every_part(
    kgen: RunKgen, project: Path, snapshot: SnapshotAssertion
) -> None:
    runs = [
        ("api:spec.image",),
        ("shop/web:spec.replicas", "--env", "prod"),
        ("spec.resources",),
        ('web:metadata.labels["team"]',),
        ("api:spec.ports[http].port",),
        ("api:spec.probes",),
    ]
    shown = []
    for selector, *options in runs:
        result = kgen("render", "blueprints", "--explain-value", selector, *options, cwd=project)
        assert result.exit_code == 0, result.stderr
        shown.append(result.stdout)
    assert not (project / "out").exists()
    assert "\n".join(shown) == snapshot


@pytest.mark.parametrize(
    "args",
    [
        ("--explain-value", "nosuch:spec.image"),
        ("--explain-value", "api:spec..image"),
        ("--explain-value", "api:"),
        ("--explain-value", "api:spec.image", "-o", "out"),
    ],
    ids=["unknown-blueprint", "bad-field", "no-field", "with-output"],
)
def test_explain_value_misuse_is_a_usage_error(
    kgen: RunKgen, project: Path, args: tuple[str, ...], snapshot: SnapshotAssertion
) -> None:
    result = kgen("render", "blueprints", *args, cwd=project)
    assert result.exit_code == 2
    assert not (project / "out").exists()
    assert result.stderr == snapshot


def test_the_example_shares_its_registry_tag_and_namespace(kgen: RunKgen) -> None:
    result = kgen("render", "blueprints", "--explain-value", "shop/frontend:spec.image", cwd=REPO)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith(
        '= "us-central1-docker.pkg.dev/online-boutique-ci/microservices-demo/frontend:v0.10.6"'
    )
    assert "blueprints/shop/kgen.defaults.yaml:" in result.stdout


# --- the defaults' corpus ------------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_bad_defaults_are_refused(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion, name: str
) -> None:
    out = tmp_path / "out"
    env = ("--env", ENV[name]) if name in ENV else ()
    result = kgen("render", f"tests/bad-defaults/{name}", *env, "-o", str(out), cwd=REPO)
    assert result.exit_code == 1, result.stderr
    assert not out.exists(), "nothing is written when anything fails"
    assert result.stdout == ""
    *errors, summary = result.stderr.splitlines()
    assert summary.endswith("; nothing written")
    for line in errors:
        assert line.startswith(f"tests/bad-defaults/{name}/"), line
        assert ": error: " in line
    validated = kgen("validate", f"tests/bad-defaults/{name}", cwd=REPO)
    assert validated.exit_code == 1
    assert validated.stderr.replace(f" (with --env {ENV.get(name)})", "") == result.stderr
    assert result.stderr == snapshot


def test_inherited_problems_name_the_blueprint_in_json(kgen: RunKgen) -> None:
    result = kgen(
        "validate", "tests/bad-defaults/inherited-value-refused", "--format", "json", cwd=REPO
    )
    problems = json.loads(result.stdout)["problems"]
    assert {p["inheritedBy"] for p in problems} == {
        "Microservice api at tests/bad-defaults/inherited-value-refused/services.yaml:1",
        "Microservice web at tests/bad-defaults/inherited-value-refused/services.yaml:8",
    }
    assert {p["file"] for p in problems} == {
        "tests/bad-defaults/inherited-value-refused/kgen.defaults.yaml"
    }


def test_a_link_out_of_the_project_is_not_read(
    kgen: RunKgen, project: Path, tmp_path: Path
) -> None:
    """A defaults file is read for every blueprint below it, and problems echo its text: a
    link may not lead outside the project (to a secret a CI job can read)."""
    secret = tmp_path.parent / f"{tmp_path.name}-secret.yaml"
    secret.write_text("aws_secret_access_key: hunter2\n", encoding="utf-8")
    defaults = project / "blueprints" / "shop" / "kgen.defaults.yaml"
    defaults.unlink()
    os.symlink(secret, defaults)
    result = kgen("render", "blueprints", cwd=project)
    assert result.exit_code == 1
    assert "a link that leads out of" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_defaults_repeated_in_many_blueprints_are_bounded(kgen: RunKgen, tmp_path: Path) -> None:
    """A large defaults file inherited by many blueprints would be copied into each: the
    merged whole is bounded like the files, before any merging is done."""
    env = "\n".join(f"    V{i}: x" for i in range(4_900))
    write_blueprint(
        tmp_path,
        "kgen.defaults.yaml",
        f"apiVersion: kgen.dev/v1alpha1\nkind: Defaults\nspec:\n  env:\n{env}\n",
    )
    services = "---\n".join(
        SERVICES.split("---\n", maxsplit=1)[0]
        .replace("name: api", f"name: api{i}")
        .replace("image: api", "image: ghcr.io/a/api:1.0.0")
        .replace("metadata:\n", "metadata:\n  namespace: shop\n")
        for i in range(60)
    )
    write_blueprint(tmp_path, "services.yaml", services)
    result = kgen("validate", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert "would hold more than 500,000 YAML nodes" in result.stderr


def test_the_readme_shows_what_explain_value_prints(kgen: RunKgen, tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    result = kgen("render", "blueprints", "--explain-value", "shop/frontend:spec.image", cwd=REPO)
    assert f"```\n{result.stdout}```\n" in readme
    # The README's defaults file works as it says.
    example = readme.split("### Shared defaults", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / ".git").mkdir()
    write_blueprint(tmp_path, "kgen.defaults.yaml", example)
    write_blueprint(tmp_path, "services.yaml", SERVICES)
    rendered = kgen("render", ".", "--env", "prod", cwd=tmp_path)
    assert rendered.exit_code == 0, rendered.stderr
    api = _documents(rendered.stdout, "Deployment")["api"]
    assert api["metadata"]["namespace"] == "shop"  # type: ignore[index]
    assert api["spec"]["replicas"] == 3  # type: ignore[index]
    container = api["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/api:1.4.1"


# --- what a hostile review found -----------------------------------------------------------


def test_a_name_twice_in_a_merged_list_is_an_error_not_a_crash(
    kgen: RunKgen, project: Path
) -> None:
    write_blueprint(
        project,
        "blueprints/shop/kgen.defaults.yaml",
        INNER + "  ports: [{name: a, port: 1000}]\n",
    )
    services = SERVICES.replace(
        "  ports: [{name: http, port: 8080}]\n---",
        "  ports: [{name: b, port: 2}, {name: b, port: 3}]\n"
        "environments:\n  prod:\n    ports: [{name: c, port: 4}, {name: c, port: 5}]\n---",
        1,
    )
    write_blueprint(project, "blueprints/shop/services.yaml", services)
    result = kgen("validate", "blueprints", cwd=project)
    assert result.exit_code == 1, result.stderr
    assert "'b' is item 0 of this list already" in result.stderr
    assert "'c' is item 0 of this list already" in result.stderr
    assert "internal error" not in result.stderr


def test_links_that_loop_are_problems(kgen: RunKgen, project: Path) -> None:
    defaults = project / "blueprints" / "shop" / "kgen.defaults.yaml"
    defaults.unlink()
    os.symlink("kgen.defaults.yaml", defaults)
    os.symlink("loop.yaml", project / "blueprints" / "loop.yaml")
    result = kgen("validate", "blueprints", cwd=project)
    assert result.exit_code == 1
    assert (
        "blueprints/shop/kgen.defaults.yaml:1:1: error: <file>: a link that loops" in result.stderr
    )
    assert "blueprints/loop.yaml:1:1: error: <file>: a link that loops" in result.stderr


def test_deep_trees_and_long_chains_are_bounded(kgen: RunKgen, tmp_path: Path) -> None:
    """A crafted tree must not exhaust the stack: kgen reads 64 folders deep, and a
    blueprint inherits at most 16 defaults files."""
    (tmp_path / ".git").mkdir()
    deep = tmp_path / "bp" / Path(*["d"] * 70)
    write_blueprint(deep, "s.yaml", SERVICES.replace("image: api", "image: ghcr.io/a/api:1.0.0"))
    result = kgen("validate", "bp", cwd=tmp_path)
    assert result.exit_code == 1
    assert "folders nested more than 64 deep: kgen reads no deeper" in result.stderr
    folder = tmp_path / "bp"
    for _ in range(20):
        folder = folder / "d"
        write_blueprint(folder, "kgen.defaults.yaml", INNER)
    result = kgen("validate", str(deep / "s.yaml"), cwd=tmp_path)
    assert result.exit_code == 1
    assert "more than 16 defaults files above one blueprint" in result.stderr
    assert "internal error" not in result.stderr


def test_a_python_package_among_the_blueprints_cuts_nothing_off(
    kgen: RunKgen, project: Path
) -> None:
    """Only a pyproject.toml with kgen's settings marks a project root."""
    (project / "blueprints" / "shop" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    result = kgen("render", "blueprints", cwd=project)
    assert "team: shop" in result.stdout  # the outer defaults still apply
    (project / "blueprints" / "shop" / "pyproject.toml").write_text("[tool.kgen]\n")
    result = kgen("render", "blueprints/shop", cwd=project)
    assert result.exit_code == 1  # a project of its own: the outer registry and tag are gone
    assert "image 'api' has no tag or digest" in result.stderr


def test_registries_labels_and_removal(kgen: RunKgen, project: Path) -> None:
    """A registry may be a host and port alone; an inner file may remove an outer label."""
    write_blueprint(
        project,
        "blueprints/shop/kgen.defaults.yaml",
        INNER.replace("metadata:\n", "metadata:\n  labels: {team: null, tier: web}\n")
        + "image: {registry: 'registry.local:5000'}\n",
    )
    result = kgen("render", "blueprints", cwd=project)
    assert result.exit_code == 0, result.stderr
    api = _documents(result.stdout, "Deployment")["api"]
    assert "team" not in api["metadata"]["labels"]  # type: ignore[index]
    assert api["metadata"]["labels"]["tier"] == "web"  # type: ignore[index]
    container = api["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    assert container["image"] == "registry.local:5000/api:1.4.2"


def test_defaults_in_a_blueprint_file_get_a_hint(kgen: RunKgen, project: Path) -> None:
    write_blueprint(project, "blueprints/defaults.yaml", OUTER)
    result = kgen("validate", "blueprints", cwd=project)
    assert result.exit_code == 1
    assert "shared defaults are read from a file named kgen.defaults.yaml only" in result.stderr


def test_explain_value_is_precise(
    kgen: RunKgen, project: Path, snapshot: SnapshotAssertion
) -> None:
    write_blueprint(
        project,
        "blueprints/shop/kgen.defaults.yaml",
        INNER + "  ports: [{name: metrics, port: 9090}]\n",
    )
    services = SERVICES.replace(
        "  ports: [{name: http, port: 8080}]\n---",
        "  ports: [{name: metrics, $patch: delete}, {name: http, port: 8080}]\n---",
        1,
    ).replace("image: docker.io/library/nginx:1.27.3", "image: nginx:1.27.3")
    write_blueprint(project, "blueprints/shop/services.yaml", services)
    shown = []
    for selector in (
        "api:spec.ports",
        "api:spec.ports[metrics]",
        "web:spec.image",
        "web:spec.ports",
    ):
        result = kgen("render", "blueprints", "--explain-value", selector, cwd=project)
        assert result.exit_code == 0, result.stderr
        shown.append(result.stdout)
    for selector in ("api:spec.replicaz", "api:spec.resources.cpus"):
        result = kgen("render", "blueprints", "--explain-value", selector, cwd=project)
        assert result.exit_code == 2
        shown.append(result.stderr)
    result = kgen(
        "render", "blueprints", "--explain-value", "spec.image", "--format", "json", cwd=project
    )
    assert result.exit_code == 2
    shown.append(result.stderr)
    assert "\n".join(shown) == snapshot


def test_kgen_schema_prints_the_defaults_schema(kgen: RunKgen) -> None:
    result = kgen("schema", "defaults")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["properties"]["kind"]["const"] == "Defaults"


def test_a_reference_to_a_failing_blueprint_is_not_reported_again(
    kgen: RunKgen, project: Path
) -> None:
    """A blueprint with problems of its own is left out of the set: a dependsOn naming it
    is no second problem (its own errors say what to fix)."""
    services = SERVICES.replace("  replicas: 1\n", "  replicas: 1\n  dependsOn: [api]\n")
    services = services.replace("  image: api\n", "  image: api\n  resources: {cpu: 2 cores}\n")
    write_blueprint(project, "blueprints/shop/services.yaml", services)
    result = kgen("validate", "blueprints", cwd=project)
    assert result.exit_code == 1
    assert "2 cores" in result.stderr
    assert "no app 'api'" not in result.stderr


def test_explain_value_shows_an_environment_block_without_defaults(
    kgen: RunKgen, tmp_path: Path
) -> None:
    """Under --env, the blueprint's base value and its environment block are two parts,
    each at its own line, whether or not the blueprint inherits defaults."""
    (tmp_path / ".git").mkdir()
    text = SERVICES.split("---\n", maxsplit=1)[0].replace(
        "image: api", "image: ghcr.io/a/api:1.0.0"
    )
    text = text.replace("metadata:\n", "metadata:\n  namespace: shop\n")
    write_blueprint(
        tmp_path, "api.yaml", text + "  replicas: 2\nenvironments:\n  prod:\n    replicas: 5\n"
    )
    result = kgen(
        "render", ".", "--explain-value", "api:spec.replicas", "--env", "prod", cwd=tmp_path
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "  api.yaml:9:13   blueprint: 2",
        "  api.yaml:12:15  blueprint for prod: 5",
        "  the last one wins",
    ]
