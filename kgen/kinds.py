"""The registry of blueprint kinds.

A kind is data: a folder ``kgen/kinds/<name>/`` of Jinja templates and a JSON Schema
``schemas/<name>.schema.json``. The kind's name (``Microservice``) is the schema's
``properties.kind.const``. Adding a kind is adding those two things; no stage branches on kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from kgen.record import dataclass
from kgen.resources import KINDS_DIR, load_json

API_VERSION = "kgen.dev/v1alpha1"


@dataclass(frozen=True)
class Kind:
    name: str
    folder: str
    schema_file: str
    templates: tuple[str, ...]

    @property
    def schema(self) -> Mapping[str, Any]:
        schema: Mapping[str, Any] = load_json(self.schema_file)
        return schema


@cache
def registry() -> Mapping[str, Kind]:
    """All known kinds by name, found by scanning the kinds folder once."""
    kinds: dict[str, Kind] = {}
    for folder in sorted(p for p in KINDS_DIR.iterdir() if p.is_dir()):
        if folder.name.startswith("_"):
            continue
        schema_file = f"{folder.name}.schema.json"
        name = load_json(schema_file)["properties"]["kind"]["const"]
        templates = tuple(f"{folder.name}/{path.name}" for path in sorted(folder.glob("*.yaml.j2")))
        kinds[name] = Kind(name, folder.name, schema_file, templates)
    return kinds


def kind_names() -> list[str]:
    return sorted(registry())


def templates_root() -> Path:
    return KINDS_DIR
