"""No input crashes kgen: whatever the text, the pipeline answers with problems or output."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgen.assemble import assemble
from kgen.check import check_documents
from kgen.load import load_text
from kgen.model import Blueprint
from kgen.render import render_view
from kgen.validate import validate_blueprints
from tests.conftest import RunKgen

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["nginx:1.0", "http", "8080", "shop", "api", "ClusterIP", "/", "100m"]),
)
_KEYS = st.sampled_from(
    [
        "apiVersion", "kind", "metadata", "name", "namespace", "spec", "image", "ports",
        "port", "servicePort", "nodePort", "service", "type", "probes", "liveness", "http",
        "grpc", "exec", "tcp", "env", "resources", "limits", "cpu", "memory", "storage",
        "processes", "web", "command", "environments", "prod", "replicas", "labels",
    ]
)  # fmt: skip
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(_KEYS, children, max_size=5)
    ),
    max_leaves=25,
)


def _pipeline(text: str) -> None:
    """Run every stage; whatever passes validation must render to valid documents."""
    loaded = [item for item in load_text(text, "fuzz.yaml") if isinstance(item, Blueprint)]
    valid, _ = validate_blueprints(loaded)
    view, _ = assemble(valid)
    assert check_documents(render_view(view), "1.33") == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["Microservice", "StatefulApp", "Monolith", "Cluster", 3]),
    body=st.dictionaries(_KEYS, _VALUES, max_size=6),
)
def test_any_structure_is_answered_not_crashed(kind: Any, body: dict[str, Any]) -> None:
    document = {"apiVersion": "kgen.dev/v1alpha1", "kind": kind, **body}
    _pipeline(yaml.safe_dump(document))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_answered_not_crashed(text: str) -> None:
    _pipeline(text)


_BASES: dict[str, dict[str, Any]] = {
    "Microservice": {
        "image": "nginx:1.27.3",
        "ports": [{"name": "http", "port": 8080}],
        "probes": {"liveness": {"http": {"port": "http"}}},
    },
    "StatefulApp": {
        "image": "redis:7.4.1",
        "ports": [{"name": "redis", "port": 6379}],
        "storage": [{"name": "data", "size": "1Gi", "mountPath": "/data"}],
    },
    "Monolith": {
        "image": "shop:1.0.0",
        "processes": {"web": {"command": ["serve"], "ports": [{"name": "http", "port": 80}]}},
    },
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(_BASES)),
    field=_KEYS,
    inner=st.one_of(st.none(), _KEYS),
    value=_VALUES,
)
def test_valid_blueprints_with_one_field_changed(
    kind: str, field: str, inner: str | None, value: Any
) -> None:
    spec: dict[str, Any] = dict(_BASES[kind])
    if inner is not None and isinstance(spec.get(field), dict):
        spec[field] = {**spec[field], inner: value}
    elif inner is not None and isinstance(spec.get(field), list) and spec[field]:
        spec[field] = [{**spec[field][0], inner: value}]
    else:
        spec[field] = value
    document = {
        "apiVersion": "kgen.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": "app", "namespace": "team"},
        "spec": spec,
    }
    _pipeline(yaml.safe_dump(document))


# --- hostile YAML through the command line: never an internal error -------------------------

_BASE = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: {name}
  namespace: {namespace}
  labels: {{team: {label}}}
spec:
  image: {image}
  replicas: {replicas}
  args: [{arg}]
  ports:
    - {{name: {port_name}, port: {port}}}
  env: {{A: {env}}}
  resources: {{cpu: {cpu}, memory: 128Mi}}
  probes:
    liveness: {{http: {{path: {path}, port: http}}}}
environments:
  prod: {{replicas: {prod}}}
"""
_FIELDS = {
    "name": "api",
    "namespace": "shop",
    "label": "web",
    "image": "nginx:1.27.3",
    "replicas": "2",
    "arg": "serve",
    "port_name": "http",
    "port": "8080",
    "env": "x",
    "cpu": "100m",
    "path": "/healthz",
    "prod": "3",
}
_TAGS = ["!!int", "!!float", "!!bool", "!!str", "!!null", "!!timestamp", "!!binary", "!!set"]
_TAGS += ["!!omap", "!!python/name:os.system", "!custom", "!", "!!merge", "!!value"]
_ODD_SCALARS = [
    "~", "null", ".inf", "-.nan", "0x1f", "0o17", "1_000", "1:30", "2001-12-14", "yes", "Off",
    "=", "<<", "''", '""', "abc", "-1", "+1", "1e400", "2147483648", "9" * 70, "1.0e999",
]  # fmt: skip
_HOSTILE = st.one_of(
    st.tuples(st.sampled_from(_TAGS), st.sampled_from(_ODD_SCALARS)).map(" ".join),
    st.sampled_from(_ODD_SCALARS),
    st.integers(min_value=1, max_value=120).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=1, max_value=6000).map(lambda n: "1" + "0" * n),
    st.text(max_size=12).map(json.dumps),  # double-quoted, with every escape
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8).map(repr),
    st.sampled_from(["&a [*a]", "*undefined", "&a x", "{<<: [1]}", "{a: 1, a: 2}", "[a, b"]),
    st.sampled_from(['"x\\u0085"', '"\\x7f"', '"\\ufffe"', '"\\0"', '"a\\nb"']),
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(field=st.sampled_from(sorted(_FIELDS)), value=_HOSTILE)
def test_hostile_yaml_never_reaches_the_user_as_an_internal_error(
    kgen: RunKgen, field: str, value: str
) -> None:
    """Exit 0 with output, or exit 1 with every error at FILE:LINE:COL; never 3."""
    with tempfile.TemporaryDirectory() as folder:
        text = _BASE.format(**{**_FIELDS, field: value})
        Path(folder, "bp.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        for args in (["render", "bp.yaml", "-o", "out"], ["validate", "bp.yaml"]):
            result = kgen(*args, cwd=Path(folder))
            assert result.exit_code in (0, 1), (result.exit_code, result.stderr)
            if result.exit_code == 1:
                *errors, summary = result.stderr.splitlines()
                assert summary.endswith("nothing written"), result.stderr
                assert errors
                for line in errors:
                    assert _POSITIONED.match(line), line
                assert not Path(folder, "out").exists()


_POSITIONED = re.compile(r"bp\.yaml:\d+:\d+: error: \S")


def _monolith(processes: int, env_value: str = "", patch_value: str = "") -> str:
    lines = [
        "apiVersion: kgen.dev/v1alpha1",
        "kind: Monolith",
        "metadata: {name: big, namespace: shop}",
        "spec:",
        "  image: ghcr.io/example/big:1.0.0",
        f"  env: {{BLOB: {json.dumps(env_value or 'x')}}}",
        "  processes:",
        *(
            f"    p{i}: {{command: [run], ports: [{{name: http, port: 80}}]}}"
            for i in range(processes)
        ),
    ]
    if patch_value:
        lines += [
            "  patches:",
            "    - target: {kind: Deployment}",
            "      patch: {metadata: {annotations: {example.com/x: "
            + json.dumps(patch_value)
            + "}}}",
        ]
    return "\n".join(lines) + "\n"


def test_values_repeated_into_many_resources_are_refused_before_rendering(
    kgen: RunKgen, tmp_path: Path
) -> None:
    """A 200 KB value shared by 400 processes would render 80 MB: refused at once, at the
    blueprint, before any of it is rendered (benches/hostile.py measures the time)."""
    Path(tmp_path, "bp.yaml").write_text(_monolith(400, env_value="x" * 200_000))
    result = kgen("render", "bp.yaml", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 1
    assert "bp.yaml:3:18: error: Monolith shop/big: the run would render more than 64 MiB" in (
        result.stderr
    )
    assert "400 workload(s)" in result.stderr
    assert not Path(tmp_path, "out").exists()


def test_a_patch_repeated_into_many_resources_is_counted(kgen: RunKgen, tmp_path: Path) -> None:
    Path(tmp_path, "bp.yaml").write_text(_monolith(400, patch_value="y" * 200_000))
    result = kgen("validate", "bp.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "spec.patches[0] on 400 resource(s) take" in result.stderr


def test_a_value_with_thousands_of_mistakes_is_reported_once_and_briefly(
    kgen: RunKgen, tmp_path: Path
) -> None:
    """20,000 references to undefined variables in a value 100 processes share: the first
    100 problems, a note that kgen stopped there, and nothing written."""
    value = "".join(f"$(A{i})" for i in range(20_000))
    Path(tmp_path, "bp.yaml").write_text(_monolith(100, env_value=value))
    result = kgen("render", "bp.yaml", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.count("refers to no variable of this container") == 100
    assert "bp.yaml:3:18: error: metadata.name: kgen stopped checking Monolith shop/big after" in (
        result.stderr
    )
    assert not Path(tmp_path, "out").exists()


def test_a_url_pattern_in_a_long_value_is_found_in_linear_time(
    kgen: RunKgen, tmp_path: Path
) -> None:
    """A 200 KB value of letters once took a quadratic regex search per process; the
    password in a URL at its end is still found (benches/hostile.py measures the time)."""
    value = "x" * 200_000 + " postgres://app:hunter2@db"
    Path(tmp_path, "bp.yaml").write_text(_monolith(50, env_value=value))
    result = kgen("validate", "bp.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "BLOB holds a URL with a password in it" in result.stderr


def test_a_service_graph_over_its_edge_budget_is_refused_before_any_policy(
    kgen: RunKgen, tmp_path: Path
) -> None:
    """A Monolith's processes each inherit its dependsOn: 150 processes calling 150 apps are
    22,500 edges, each a rule in two policies. Refused at the reference, nothing written."""
    apps = [
        "apiVersion: kgen.dev/v1alpha1\nkind: Microservice\n"
        f"metadata: {{name: s{i}, namespace: shop}}\n"
        "spec: {image: ghcr.io/example/s:1.0.0, ports: [{name: http, port: 8080}]}\n"
        for i in range(150)
    ]
    monolith = _monolith(150).replace(
        "  processes:\n", f"  dependsOn: [{', '.join(f's{i}' for i in range(150))}]\n  processes:\n"
    )
    Path(tmp_path, "bp.yaml").write_text("---\n".join([monolith, *apps]))
    result = kgen("render", "bp.yaml", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 1
    assert "the service graph has more than 20,000 edges" in result.stderr
    assert not Path(tmp_path, "out").exists()
