"""No input crashes kgen: whatever the text, the pipeline answers with problems or output."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgen.check import check_documents
from kgen.load import load_text
from kgen.model import Blueprint
from kgen.render import render_blueprints
from kgen.validate import validate_blueprints

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
    assert check_documents(render_blueprints(valid), "1.33") == []


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
