"""Blueprint texts for tests."""

from __future__ import annotations

from typing import Any

import yaml

from kgen.assemble import assemble
from kgen.load import load_text
from kgen.model import Blueprint, Document
from kgen.render import render_view
from kgen.validate import validate_blueprints


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


def valid_blueprints(text: str) -> list[Blueprint]:
    """The blueprints of ``text`` as validation leaves them (defaults filled in); fails the
    test if any is invalid."""
    valid, problems = validate_blueprints(blueprints(text))
    assert problems == [], problems
    return [entry.filled for entry in valid if entry.filled is not None]


def rendered_documents(text: str) -> list[Document]:
    """The documents the blueprints of ``text`` render to, through validate, assemble and
    render; fails the test if anything is invalid."""
    valid, problems = validate_blueprints(blueprints(text))
    view, more = assemble(valid)
    assert problems + more == [], problems + more
    return render_view(view)
