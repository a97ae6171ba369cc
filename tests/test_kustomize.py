"""The real ``kubectl kustomize`` on a rendered folder yields exactly the stdout stream.

SPEC: with ``-o DIR``, ``kubectl kustomize DIR`` yields exactly the Kubernetes documents of the
stream, which is what Argo CD and Flux run. Documents are compared parsed (kustomize sorts the
keys of every mapping), in order.

Two sets of blueprints are rendered: a self-contained one written here (every workload kind,
two namespaces, an environment), and the repository's ``blueprints/`` when it has any.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kgen as kgen_library
from tests.conftest import REPO, RunKgen, write_blueprint

SHOP = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: api
  namespace: shop
  labels:
    team: checkout
spec:
  image: nginx:1.27.3
  replicas: 3
  ports:
    - {name: http, port: 8080, servicePort: 80}
    - {name: metrics, port: 9090, protocol: TCP}
  service: {type: LoadBalancer, internal: true}
  env:
    LOG_LEVEL: info
    WORKERS: 4
    DEBUG: false
  resources: {cpu: 250m, memory: 256Mi, limits: {cpu: "1", memory: 512Mi}}
  probes:
    liveness: {http: {path: /healthz, port: http}, periodSeconds: 10}
    readiness: {http: {path: /ready, port: 8080}}
environments:
  prod:
    replicas: 6
    env: {LOG_LEVEL: warn}
---
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata:
  name: store
  namespace: shop
spec:
  image: ghcr.io/example/store:2.4.1
  env: {RAILS_ENV: production}
  resources: {cpu: 200m, memory: 512Mi}
  processes:
    web:
      command: [bundle, exec, puma]
      replicas: 2
      ports:
        - {name: http, port: 3000, nodePort: 30080}
      service: {type: NodePort}
    worker:
      command: [bundle, exec, sidekiq]
      replicas: 1
      probes:
        liveness: {exec: [pgrep, sidekiq]}
        readiness: {exec: [pgrep, sidekiq]}
"""

DATA = """\
apiVersion: kgen.dev/v1alpha1
kind: StatefulApp
metadata:
  name: db
  namespace: data
spec:
  image: postgres:16.4
  replicas: 3
  ports:
    - {name: pg, port: 5432}
  env: {PGDATA: /var/lib/postgresql/data/pgdata}
  storage:
    - {name: data, size: 10Gi, class: gp3, mountPath: /var/lib/postgresql/data}
  podManagementPolicy: Parallel
  probes:
    liveness: {tcp: {port: pg}}
    readiness: {tcp: {port: 5432}}
"""

#: The self-contained blueprints: file name (relative to the folder) -> text.
OWN_BLUEPRINTS = {"shop.yaml": SHOP, "data/db.yml": DATA}
OWN_NAMESPACES = ["data", "shop"]


def write_own_blueprints(folder: Path) -> Path:
    """Write the self-contained blueprints into ``folder``; return it."""
    for name, text in OWN_BLUEPRINTS.items():
        write_blueprint(folder, name, text)
    return folder


def repo_blueprints() -> Path | None:
    """The repository's ``blueprints/`` folder, or None when it holds no blueprint yet."""
    folder = REPO / "blueprints"
    if not folder.is_dir():
        return None
    found = [p for p in folder.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file()]
    return folder if found else None


@dataclass(frozen=True)
class BlueprintSet:
    name: str
    folder: Path


@pytest.fixture(params=["own", "repo"])
def blueprint_set(request: pytest.FixtureRequest, tmp_path: Path) -> BlueprintSet:
    if request.param == "own":
        return BlueprintSet("own", write_own_blueprints(tmp_path / "blueprints"))
    folder = repo_blueprints()
    if folder is None:
        pytest.skip("the repository has no blueprints/*.yaml yet")
    # A copy, so that the render never depends on files others change meanwhile.
    return BlueprintSet("repo", Path(shutil.copytree(folder, tmp_path / "blueprints")))


def parse_stream(text: str) -> list[Any]:
    return list(yaml.safe_load_all(text))


def kustomize(kubectl: str, folder: Path) -> list[Any]:
    """The documents ``kubectl kustomize folder`` builds."""
    done = subprocess.run(
        [kubectl, "kustomize", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"kubectl kustomize {folder} failed:\n{done.stderr}"
    return parse_stream(done.stdout)


def render_stream(kgen: RunKgen, *args: str) -> list[Any]:
    """``kgen render ARGS`` to stdout, parsed."""
    result = kgen("render", *args)
    assert result.exit_code == 0, result.stderr
    documents = parse_stream(result.stdout)
    assert documents, "render printed no document"
    assert all(isinstance(d, dict) for d in documents), documents
    return documents


def render_folder(kgen: RunKgen, out: Path, *args: str) -> None:
    """``kgen render ARGS -o out``."""
    result = kgen("render", *args, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert (out / "kustomization.yaml").is_file()


def namespace_of(document: dict[str, Any]) -> str | None:
    namespace = document.get("metadata", {}).get("namespace")
    return namespace if isinstance(namespace, str) else None


def namespace_folders(out: Path) -> list[str]:
    """The sub-folders of ``out`` that have their own kustomization, sorted."""
    return sorted(p.parent.name for p in out.glob("*/kustomization.yaml"))


def describe(documents: list[Any]) -> list[str]:
    """A short form of each document, for readable assertion messages."""
    return [
        f"{d.get('kind')} {namespace_of(d)}/{d.get('metadata', {}).get('name')}" for d in documents
    ]


def assert_same_documents(built: list[Any], stream: list[Any]) -> None:
    assert describe(built) == describe(stream), "different documents or order"
    for index, (left, right) in enumerate(zip(built, stream, strict=True)):
        assert left == right, f"document {index} ({describe([right])[0]}) differs"


def test_kustomize_of_folder_equals_stream(
    kgen: RunKgen, kubectl: str, blueprint_set: BlueprintSet, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    render_folder(kgen, out, str(blueprint_set.folder))
    stream = render_stream(kgen, str(blueprint_set.folder))

    assert_same_documents(kustomize(kubectl, out), stream)


def test_own_set_covers_every_workload_kind(kgen: RunKgen, tmp_path: Path) -> None:
    """Guards the other tests here against passing on a trivial render."""
    stream = render_stream(kgen, str(write_own_blueprints(tmp_path / "blueprints")))
    kinds = {d["kind"] for d in stream}
    assert {"Deployment", "StatefulSet", "Service", "ServiceAccount"} <= kinds
    namespaces = {ns for d in stream if (ns := namespace_of(d)) is not None}
    assert sorted(namespaces) == OWN_NAMESPACES
    deployments = sorted(d["metadata"]["name"] for d in stream if d["kind"] == "Deployment")
    assert deployments == ["api", "store-web", "store-worker"]


def test_each_namespace_folder_builds_on_its_own(
    kgen: RunKgen, kubectl: str, blueprint_set: BlueprintSet, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    render_folder(kgen, out, str(blueprint_set.folder))
    stream = render_stream(kgen, str(blueprint_set.folder))

    folders = namespace_folders(out)
    expected_namespaces = sorted({namespace_of(d) or "_cluster" for d in stream})
    assert folders == expected_namespaces
    if blueprint_set.name == "own":
        assert folders == OWN_NAMESPACES
    for folder in folders:
        wanted = folder if folder != "_cluster" else None
        expected = [d for d in stream if namespace_of(d) == wanted]
        assert_same_documents(kustomize(kubectl, out / folder), expected)


def test_kustomize_equals_stream_under_an_environment(
    kgen: RunKgen, kubectl: str, tmp_path: Path
) -> None:
    blueprints = write_own_blueprints(tmp_path / "blueprints")
    out = tmp_path / "out"
    render_folder(kgen, out, str(blueprints), "--env", "prod")
    stream = render_stream(kgen, str(blueprints), "--env", "prod")

    assert_same_documents(kustomize(kubectl, out), stream)
    api = next(d for d in stream if d["kind"] == "Deployment" and d["metadata"]["name"] == "api")
    assert api["spec"]["replicas"] == 6


def test_rerender_without_a_namespace_keeps_folder_buildable(
    kgen: RunKgen, kubectl: str, tmp_path: Path
) -> None:
    """Files kgen wrote earlier and no longer produces go, kustomizations included."""
    blueprints = write_own_blueprints(tmp_path / "blueprints")
    out = tmp_path / "out"
    render_folder(kgen, out, str(blueprints))
    assert namespace_folders(out) == OWN_NAMESPACES

    shutil.rmtree(blueprints / "data")
    render_folder(kgen, out, str(blueprints))
    stream = render_stream(kgen, str(blueprints))

    assert namespace_folders(out) == ["shop"]
    assert not (out / "data").exists()
    assert_same_documents(kustomize(kubectl, out), stream)


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML without YAML 1.1's '=' (value) and '<<' (merge) plain scalars, which
    kustomize writes unquoted as the strings they are."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith((":value", ":merge"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

#: What kgen refuses in a string because kustomize cannot carry it.
_UNCARRIED = re.compile("[\\x00\\x7f-\\x9f\\ufffe\\uffff]")
_CARRIED = st.characters(
    exclude_categories=["Cs"],
    exclude_characters="\x00\x7f\ufffe\uffff" + bytes(range(0x80, 0xA0)).decode("latin-1"),
)
_STRINGS = st.one_of(
    st.text(alphabet=_CARRIED, max_size=24),
    st.text(alphabet=_CARRIED, max_size=24),
    st.text(alphabet=_CARRIED, max_size=24),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=24),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(values=st.lists(_STRINGS, min_size=1, max_size=8))
def test_kustomize_keeps_every_string_the_stream_has(kubectl: str, values: list[str]) -> None:
    """Any string in env values, annotations and args comes out of ``kubectl kustomize`` of
    the folder exactly as in the stream; what kustomize could not carry is refused at its
    line instead."""
    env = {f"V{index}": value for index, value in enumerate(values)}
    text = yaml.safe_dump(
        {
            "apiVersion": "kgen.dev/v1alpha1",
            "kind": "Microservice",
            "metadata": {
                "name": "api",
                "namespace": "shop",
                "annotations": {f"example.com/a{i}": v for i, v in enumerate(values)},
            },
            "spec": {"image": "nginx:1.27.3", "ports": [{"name": "http", "port": 80}]}
            | {"args": values, "env": env},
        },
        allow_unicode=False,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "api.yaml")
        path.write_text(text, encoding="utf-8")
        try:
            result = kgen_library.build([path])
        except kgen_library.InvalidInput as refused:
            assert any(_UNCARRIED.search(v) for v in values), refused.problems
            return
        assert not any(_UNCARRIED.search(v) for v in values)
        stream = list(yaml.load_all(kgen_library.to_stream(result), Loader=Yaml12Loader))
        kgen_library.to_folder(result, Path(folder, "out"))
        built = subprocess.run(
            [kubectl, "kustomize", str(Path(folder, "out"))],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert built.returncode == 0, built.stderr
        assert_same_documents(list(yaml.load_all(built.stdout, Loader=Yaml12Loader)), stream)
