"""``kgen explain``: a field's description, type, default and fields, from the schema."""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from kgen.kinds import kind_names
from kgen.schema import bundled
from tests.conftest import RunKgen


@pytest.mark.parametrize(
    "field",
    [
        "Microservice.spec.autoscaling",
        "microservice.spec.ports.port",
        "Monolith.spec.processes",
        "Cluster.spec.storageClasses",
        "StatefulApp",
    ],
)
def test_explain(kgen: RunKgen, field: str, snapshot: SnapshotAssertion) -> None:
    result = kgen("explain", field)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == snapshot


def test_every_field_of_every_kind_can_be_explained(kgen: RunKgen) -> None:
    """Walk each kind's schema: every field path explains, with its description."""
    from kgen.explain import explain

    for kind in kind_names():
        root = bundled(kind)
        seen = 0
        stack: list[tuple[str, object]] = [(kind, root)]
        while stack:
            path, node = stack.pop()
            text = explain(path)
            assert text.startswith(f"{path}: ")
            seen += 1
            for name, child in _fields(root, node).items():
                if path.count(".") < 5:
                    stack.append((f"{path}.{name}", child))
        assert seen > 20, kind


def _fields(root: dict[str, Any], node: object) -> dict[str, object]:
    """The fields below ``node`` as explain's paths name them: a list's items' fields, a
    map's values under a key of the map ('key')."""
    from kgen.explain import follow_ref

    assert isinstance(node, dict)
    node = follow_ref(root, node)
    while node.get("type") == "array" and isinstance(node.get("items"), dict):
        node = follow_ref(root, node["items"])
    if "properties" not in node and isinstance(node.get("additionalProperties"), dict):
        return {"key": node["additionalProperties"]}
    found = node.get("properties", {})
    assert isinstance(found, dict)
    return found


def test_unknown_kinds_and_fields_are_usage_errors(kgen: RunKgen) -> None:
    typo = kgen("explain", "Microservice.spec.autoscalng")
    assert typo.exit_code == 2
    assert "has no field 'autoscalng' (did you mean 'autoscaling'?)" in typo.stderr
    kind = kgen("explain", "Microservce")
    assert kind.exit_code == 2 and "did you mean 'Microservice'?" in kind.stderr
    leaf = kgen("explain", "Microservice.spec.replicas.count")
    assert leaf.exit_code == 2 and "none: it is a value" in leaf.stderr


def test_any_key_steps_into_a_map(kgen: RunKgen) -> None:
    result = kgen("explain", "Monolith.spec.processes.web.ports")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Monolith.spec.processes.web.ports: list of object\n")
    env = kgen("explain", "Microservice.spec.env.LOG_LEVEL")
    assert env.stdout.startswith("Microservice.spec.env.LOG_LEVEL: string or number or boolean")
