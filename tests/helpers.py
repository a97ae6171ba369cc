"""Blueprint texts for tests."""

from __future__ import annotations

from typing import Any

import yaml

from kgen.load import load_text
from kgen.model import Blueprint


def microservice(**spec: Any) -> str:
    """A valid Microservice blueprint with ``spec`` fields replaced or added."""
    body: dict[str, Any] = {"image": "nginx:1.27.3", "ports": [{"name": "http", "port": 8080}]}
    body.update(spec)
    return yaml.safe_dump(
        {
            "apiVersion": "kgen.dev/v1alpha1",
            "kind": "Microservice",
            "metadata": {"name": "api", "namespace": "shop"},
            "spec": body,
        },
        sort_keys=False,
    )


def statefulapp(**spec: Any) -> str:
    """A valid StatefulApp blueprint (postgres in ``data``) with ``spec`` fields replaced."""
    body: dict[str, Any] = {"image": "postgres:17.2", "ports": [{"name": "pg", "port": 5432}]}
    body.update(spec)
    return yaml.safe_dump(
        {
            "apiVersion": "kgen.dev/v1alpha1",
            "kind": "StatefulApp",
            "metadata": {"name": "db", "namespace": "data"},
            "spec": body,
        },
        sort_keys=False,
    )


def blueprints(text: str, file: str = "bp.yaml") -> list[Blueprint]:
    """The blueprints of ``text``; fails the test if it does not load."""
    items = list(load_text(text, file))
    assert all(isinstance(item, Blueprint) for item in items), items
    return [item for item in items if isinstance(item, Blueprint)]
