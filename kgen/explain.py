"""``kgen explain``: what a blueprint field is, read from the kind's schema: its
description, type, default and whether it is required, and its fields (the items' fields
for a list, the values' for a map), the way ``kubectl explain`` reads the API server's.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping
from typing import Any

from kgen.errors import UsageError
from kgen.formats import FORMATS
from kgen.kinds import kind_names
from kgen.schema import bundled
from kgen.suggest import did_you_mean

Schema = Mapping[str, Any]
WIDTH = 88
#: Where a description's first sentence ends ('e.g. gp3' goes on).
_SENTENCE = re.compile(r"(?<=\.)\s+(?=[A-Z])")


def explain(path: str) -> str:
    """The text ``kgen explain KIND[.field...]`` prints."""
    kind, *fields = path.split(".")
    known = {name.lower(): name for name in kind_names()}
    if kind.lower() not in known:
        hint = did_you_mean(kind, kind_names())
        raise UsageError(
            message=f"unknown kind {kind!r}; one of: {', '.join(kind_names())}"
            + (f" ({hint})" if hint else "")
        )
    kind = known[kind.lower()]
    root = bundled(kind)
    node, required, walked = follow_ref(root, root), False, [kind]
    for field in fields:
        node, required = _child(root, node, field, ".".join(walked))
        walked.append(field)
    return _describe(root, ".".join(walked), node, required)


def follow_ref(root: Schema, node: Schema) -> Schema:
    """``node`` with its ``$ref`` (to ``#/$defs/...``) followed, its own keys winning."""
    seen = 0
    while "$ref" in node and seen < 20:
        target: Any = root
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


def innermost(root: Schema, node: Schema) -> Schema:
    """A list's item schema, a map's value schema (followed to the object behind them)."""
    while True:
        if node.get("type") == "array" and isinstance(node.get("items"), Mapping):
            node = follow_ref(root, node["items"])
        elif "properties" not in node and isinstance(node.get("additionalProperties"), Mapping):
            node = follow_ref(root, node["additionalProperties"])
        else:
            return node


def _child(root: Schema, node: Schema, field: str, where: str) -> tuple[Schema, bool]:
    """The schema of ``field`` under ``node``: a field of it (of its items, for a list), or
    any key of a map (``processes.web``, ``env.LOG_LEVEL``): its value."""
    while node.get("type") == "array" and isinstance(node.get("items"), Mapping):
        node = follow_ref(root, node["items"])
    values = node.get("additionalProperties")
    if "properties" not in node and isinstance(values, Mapping):
        return follow_ref(root, values), False
    inner = innermost(root, node)
    properties = inner.get("properties", {})
    if field not in properties:
        hint = did_you_mean(field, properties) if properties else None
        fields = ", ".join(sorted(properties)) or "none: it is a value"
        raise UsageError(
            message=f"{where} has no field {field!r}"
            + (f" ({hint})" if hint else "")
            + f"; its fields: {fields}"
        )
    return follow_ref(root, properties[field]), field in inner.get("required", ())


def type_name(root: Schema, node: Schema) -> str:
    """A short type: 'integer', 'list of objects', 'map of string to object', 'one of a|b'."""
    if "enum" in node:
        return "one of " + " | ".join(json.dumps(v) for v in node["enum"])
    if "const" in node:
        return f"the constant {json.dumps(node['const'])}"
    kind = node.get("type")
    if kind == "array" and isinstance(node.get("items"), Mapping):
        item = type_name(root, follow_ref(root, node["items"]))
        return f"list of {item}"
    if kind == "object" and "properties" not in node:
        values = node.get("additionalProperties")
        if isinstance(values, Mapping):
            return f"map of name to {type_name(root, follow_ref(root, values))}"
    if "format" in node and node["format"] in FORMATS:
        return f"{kind or 'value'}: {FORMATS[node['format']].noun}"
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind is None and "oneOf" in node:
        return " or ".join(type_name(root, follow_ref(root, o)) for o in node["oneOf"])
    return str(kind or "value")


def _wrap(text: str, indent: str) -> list[str]:
    wrapped = textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )
    return wrapped or [indent]


def _describe(root: Schema, where: str, node: Schema, required: bool) -> str:
    lines = [f"{where}: {type_name(root, node)}" + (" (required)" if required else "")]
    if node.get("description"):
        lines.extend(_wrap(str(node["description"]), "  "))
    if "default" in node:
        lines.append(f"  Default: {json.dumps(node['default'])}")
    for bound, word in (("minimum", "at least"), ("maximum", "at most"),
                        ("minItems", "at least"), ("maxItems", "at most")):  # fmt: skip
        if bound in node:
            unit = " items" if "Items" in bound else ""
            lines.append(f"  {word.capitalize()} {node[bound]}{unit}.")
    if "format" in node and node["format"] in FORMATS:
        lines.extend(_wrap(f"Write it so: {FORMATS[node['format']].fix}.", "  "))
    inner = innermost(root, node)
    properties = inner.get("properties", {})
    if properties:
        wanted = set(inner.get("required", ()))
        lines.append("")
        each = "item" if node.get("type") == "array" else "entry"
        lines.append("FIELDS" if inner is node else f"FIELDS (of each {each})")
        width = max(len(name) for name in properties) + 2
        for name, written in properties.items():
            child = follow_ref(root, written)
            mark = " (required)" if name in wanted else ""
            lines.append(f"  {name.ljust(width)}{type_name(root, child)}{mark}")
            summary = _SENTENCE.split(str(child.get("description", "")), maxsplit=1)[0]
            if summary:
                lines.extend(_wrap(summary, "    "))
    return "\n".join(lines) + "\n"
