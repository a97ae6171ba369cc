"""``kgen explain``: what a blueprint field is, read from the kind's schema: its
description, type, default and whether it is required, and its fields (the items' fields
for a list, the values' for a map), the way ``kubectl explain`` reads the API server's.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from typing import Any

from kgen import lazyre
from kgen.errors import UsageError
from kgen.formats import FORMATS
from kgen.kinds import kind_names
from kgen.schema import OTHER_DOCUMENTS, bundled
from kgen.suggest import did_you_mean

Schema = Mapping[str, Any]
WIDTH = 88
#: Where a description's first sentence ends ('e.g. gp3' goes on).
_SENTENCE = lazyre.compile(r"(?<=\.)\s+(?=[A-Z])")


def explain(path: str) -> str:
    """The text ``kgen explain KIND[.field...]`` prints."""
    kind, *fields = path.split(".")
    kinds = [*kind_names(), *OTHER_DOCUMENTS]
    known = {name.lower(): name for name in kinds}
    if kind.lower() not in known:
        hint = did_you_mean(kind, kinds)
        raise UsageError(
            message=f"unknown kind {kind!r}; one of: {', '.join(kinds)}"
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


# --- kgen render --explain-value ------------------------------------------------------------

_PART = lazyre.compile(r"\.?([A-Za-z0-9_$-]+)|\[(\d+)\]|\[\"([^\"]*)\"\]|\[([^\]\"]+)\]")


def parse_selector(text: str) -> tuple[str | None, str | None, tuple[str | int, ...]]:
    """``[NAMESPACE/]NAME:FIELD`` or ``FIELD``: the blueprint's namespace and name (None:
    every blueprint) and the field as a path. In the field, ``[2]`` is a list index,
    ``[http]`` the item named http, ``["app.kubernetes.io/part-of"]`` a key with dots."""
    blueprint, colon, field = text.rpartition(":") if ":" in text else ("", "", text)
    namespace, _, name = blueprint.rpartition("/") if colon else ("", "", "")
    path: list[str | int] = []
    at = 0
    while at < len(field):
        match = _PART.match(field, at)
        if match is None or match.end() == at or (at == 0 and field.startswith(".")):
            raise UsageError(
                message=f"--explain-value {text!r}: cannot read the field at {field[at:]!r}; "
                'write e.g. spec.resources.cpu, spec.ports[0].port or metadata.labels["team"]'
            )
        key, index, quoted, named = match.groups()
        if index is not None:
            path.append(int(index))
        elif named is not None:
            path.append(f"[{named}]")  # an item by name: found in the blueprint
        else:
            path.append(key if key is not None else quoted)
        at = match.end()
    if not path:
        raise UsageError(message=f"--explain-value {text!r}: name a field, e.g. spec.image")
    return (namespace or None), (name or None), tuple(path)


def by_name(data: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """``path`` with each ``[name]`` part replaced by the index of the item of that name."""
    found: list[str | int] = []
    node = data
    for part in path:
        if isinstance(part, str) and part.startswith("[") and isinstance(node, list):
            wanted = part[1:-1]
            index = next(
                (i for i, x in enumerate(node) if isinstance(x, dict) and x.get("name") == wanted),
                None,
            )
            if index is None:
                return (*found, part, *path[len(found) + 1 :])
            step: str | int = index
        else:
            step = part
        found.append(step)
        if isinstance(step, int) and isinstance(node, list) and step < len(node):
            node = node[step]
        elif isinstance(step, str) and isinstance(node, dict):
            node = node.get(step)
        else:
            node = None
    return tuple(found)


def describe_values(pairs: Any, env: str | None, selector: str) -> str:
    """What ``kgen render --explain-value`` prints: for each blueprint the selector names,
    the field's value (under ``env``) and every part that set it, in merge order, then how
    they combine. ``pairs`` holds each blueprint as loaded (shared defaults merged, its
    environment blocks not: the trace merges them in turn) and as ``env`` selects it (its
    name and namespace there are the ones the selector names). A field no kind of the
    chosen blueprints has is a usage error with a did-you-mean; with a bare ``FIELD``,
    blueprints of kinds without it are left out."""
    from kgen.defaults import trace

    namespace, name, wanted = parse_selector(selector)
    blueprints = [selected for _, selected in pairs]
    loaded_of = {id(selected): loaded for loaded, selected in pairs}
    chosen = [
        b
        for b in blueprints
        if (name is None or b.name == name) and (namespace is None or b.namespace == namespace)
    ]
    if not chosen:
        known = sorted({f"{b.namespace}/{b.name}" if b.namespace else b.name for b in blueprints})
        names = sorted({*known, *(b.name for b in blueprints)})
        hint = did_you_mean(f"{namespace}/{name}" if namespace else str(name), names)
        raise UsageError(
            message=f"--explain-value {selector!r}: no blueprint is named so"
            + (f" ({hint})" if hint else f"; blueprints: {', '.join(known[:20])}")
        )
    having = [b for b in chosen if _field_problem(b.kind, wanted) is None]
    if not having:
        raise UsageError(
            message=f"--explain-value {selector!r}: {_field_problem(chosen[0].kind, wanted)}"
        )
    lines: list[str] = []
    under = f" (--env {env})" if env is not None else ""
    for blueprint in sorted(having, key=lambda b: (b.source.file, b.source.start.line)):
        path = by_name(blueprint.data, wanted)
        value, steps, note = trace(loaded_of[id(blueprint)], env, path)
        missing = [p for p in path if isinstance(p, str) and p.startswith("[")]
        shown_value = (
            f"no item named {missing[0][1:-1]!r} in the merged list"
            if missing
            else ("not set" if value is None else _short(value, 200))
        )
        lines.append(
            f"{blueprint.ref} ({blueprint.source.file}:{blueprint.source.start.line}): "
            f"{_shown_path(path)} = {shown_value}{under}"
        )
        width = max((len(str(s.pos)) for s in steps if s.pos), default=0)
        for step in steps:
            where = str(step.pos) if step.pos else "(not written)"
            lines.append(f"  {where:<{width}}  {step.label}: {_short(step.value, 120)}")
        if not steps:
            lines.append("  written nowhere: " + _unwritten(blueprint, path))
        elif note:
            lines.append(f"  {note}")
        elif len(steps) > 1 and value is not None:
            lines.append(f"  {_combined(value)}")
    return "\n".join(lines) + "\n"


def _combined(value: Any) -> str:
    if isinstance(value, dict):
        return "maps merge: later parts win key by key"
    if (
        isinstance(value, list)
        and value
        and all(isinstance(i, dict) and "name" in i for i in value)
    ):
        return "named items merge by name: each part's items onto the ones before"
    return "the last one wins"


def _field_problem(kind: str, path: tuple[str | int, ...]) -> str | None:
    """Why ``kind`` has no field at ``path`` (with a did-you-mean), or None."""
    from kgen.schema import document_schema, subschema

    if kind not in kind_names():
        return f"{kind} is no blueprint kind"
    schema_path = tuple(0 if isinstance(p, str) and p.startswith("[") else p for p in path)
    for depth in range(1, len(schema_path) + 1):
        if subschema(kind, schema_path[:depth]) is None:
            above = subschema(kind, schema_path[: depth - 1]) if depth > 1 else None
            node = above if above is not None else document_schema(kind)
            known = list(_fields_of(node))
            missing = schema_path[depth - 1]
            hint = did_you_mean(str(missing), known) if known else None
            where = _shown_path(path[:depth])
            return f"{kind} has no field {where}" + (f" ({hint})" if hint else "")
    return None


def _fields_of(node: Schema) -> list[str]:
    return list(node.get("properties", {}))


def _shown_path(path: tuple[str | int, ...]) -> str:
    """A field path as written in a selector: ``[http]`` for an item found by name."""
    from kgen.model import format_path

    out = ""
    for part in path:
        if isinstance(part, str) and part.startswith("["):
            out += part
        elif not out:
            out = format_path((part,))
        else:
            out += format_path(("x", part))[1:]
    return out


def _short(value: Any, limit: int) -> str:
    """A value as JSON on one line, shortened in the middle, without control characters."""
    from kgen.report import clean

    return clean(json.dumps(value, ensure_ascii=False), limit)


def _unwritten(blueprint: Any, path: tuple[str | int, ...]) -> str:
    from kgen.schema import subschema

    described = subschema(blueprint.kind, path) if blueprint.kind in kind_names() else None
    if described and "default" in described:
        return f"the schema's default applies: {json.dumps(described['default'])}"
    return "kgen derives it or leaves it out (see kgen explain)"
