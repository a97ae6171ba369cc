"""The field reference: every field of every kind, read from the schemas, as Markdown.

``python -m kgen.reference > docs/reference.md`` writes ``docs/reference.md``; a test fails
when the committed file differs. It walks the schemas as ``kgen explain`` does (the same
``$ref`` following and type names), so the two never disagree.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from kgen.explain import follow_ref, type_name
from kgen.formats import FORMATS
from kgen.kinds import kind_names
from kgen.record import dataclass
from kgen.schema import OTHER_DOCUMENTS, bundled

Schema = Mapping[str, Any]
COMMAND = "python -m kgen.reference > docs/reference.md"
#: Nesting deeper than any kind has: a guard against a ``$ref`` loop, not a limit users meet.
_MAX_DEPTH = 16
#: Markdown that a description could start by accident in a table cell.
_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "*": "\\*",
        "_": "\\_",
        "`": "\\`",
        "[": "\\[",
        "]": "\\]",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\n": " ",
    }
)


@dataclass(frozen=True)
class Field:
    """One row of the reference: a field's path in the blueprint and what the schema says."""

    path: str
    type: str
    required: bool
    notes: tuple[str, ...]


def reference() -> str:
    """The whole reference, one section per kind, in the kinds' order."""
    kinds = [*kind_names(), *OTHER_DOCUMENTS]  # and the shared defaults file
    lines = [
        "# Field reference",
        "",
        "<!-- Generated from schemas/ by kgen.reference; do not edit. -->",
        "",
        f"Every blueprint field of every kind, generated from the JSON Schemas in `schemas/` "
        f"(`{COMMAND}`; a test fails when this file is not what that writes). "
        "`kgen explain KIND.FIELD` prints one field, `kgen schema KIND` a whole schema.",
        "",
        "Paths: `a.b` is field `b` of object `a`; `a[]` an item of list `a`; `a.<key>` the "
        "value of any key of map `a`. Types and checks are the schema's; kgen's rules beyond "
        "the schema (the guides and the README) come on top.",
        "",
        " · ".join(f"[{kind}](#{kind.lower()})" for kind in kinds),
        "",
    ]
    for kind in kinds:
        lines.extend(_kind_section(kind))
    return "\n".join(lines).rstrip("\n") + "\n"


def _kind_section(kind: str) -> list[str]:
    root = bundled(kind)
    lines = [f"## {kind}", "", _escape(str(root.get("description", ""))), ""]
    if kind in OTHER_DOCUMENTS:  # not a blueprint: say which file holds it
        lines[2:2] = ["The shared defaults file, `kgen.defaults.yaml`.", ""]
    lines += ["| field | type | description |", "|---|---|---|"]
    for field in fields(root):
        kind_of = _escape(field.type) + (" (required)" if field.required else "")
        lines.append(f"| `{field.path}` | {kind_of} | {' '.join(field.notes)} |")
    lines.append("")
    return lines


def fields(root: Schema) -> Iterator[Field]:
    """Every field below the kind's schema ``root``, depth first in the schema's order."""
    yield from _below(root, follow_ref(root, root), "", 0)


def _below(root: Schema, node: Schema, path: str, depth: int) -> Iterator[Field]:
    if depth > _MAX_DEPTH:  # pragma: no cover - the schemas are tested
        raise RuntimeError(f"kgen's schemas nest deeper than {_MAX_DEPTH} at {path}")
    inner, path = _inside(root, node, path)
    wanted = set(inner.get("required", ()))
    for name, written in inner.get("properties", {}).items():
        child = follow_ref(root, written)
        where = f"{path}.{name}" if path else name
        yield Field(where, type_name(root, child), name in wanted, _notes(root, child))
        yield from _below(root, child, where, depth + 1)


def _inside(root: Schema, node: Schema, path: str) -> tuple[Schema, str]:
    """The object whose fields are listed below ``node``, and its path: through a list's
    items (``a[]``), a map's values (``a.<key>``) and a choice of a value or an object."""
    while True:
        items = node.get("items")
        values = node.get("additionalProperties")
        if node.get("type") == "array" and isinstance(items, Mapping):
            node, path = follow_ref(root, items), f"{path}[]"
        elif "properties" not in node and isinstance(values, Mapping):
            node, path = follow_ref(root, values), f"{path}.<key>"
            if "properties" in node or "items" in node or "additionalProperties" in node:
                continue
            return node, path
        elif "properties" not in node and "oneOf" in node:
            branches = [follow_ref(root, branch) for branch in node["oneOf"]]
            objects = [branch for branch in branches if "properties" in branch]
            return (objects[0] if objects else node), path
        else:
            return node, path


def _notes(root: Schema, node: Schema) -> tuple[str, ...]:
    """The description and every constraint the schema puts on one field, as Markdown."""
    notes = [_escape(str(node.get("description", "")))]
    if "default" in node:
        notes.append(f"Default: `{json.dumps(node['default'])}`.")
    for bound, word in (
        ("minimum", "At least"),
        ("maximum", "At most"),
        ("minLength", "At least"),
        ("maxLength", "At most"),
        ("minItems", "At least"),
        ("maxItems", "At most"),
        ("minProperties", "At least"),
        ("maxProperties", "At most"),
    ):
        if bound in node:
            unit = {"L": " character", "I": " item", "P": " entry"}.get(bound[3], "")
            unit += "s" if unit and node[bound] != 1 else ""
            notes.append(f"{word} {node[bound]}{unit}.")
    if node.get("uniqueItems"):
        notes.append("No item twice.")
    if node.get("format") in FORMATS:
        notes.append(_escape(f"Format: {FORMATS[node['format']].fix}."))
    keys = node.get("propertyNames")
    if isinstance(keys, Mapping) and keys.get("format") in FORMATS:
        notes.append(_escape(f"Keys: {FORMATS[keys['format']].noun}."))
    choices = [follow_ref(root, branch) for branch in node.get("oneOf", ())]
    if choices and all(set(c) == {"required"} for c in choices):
        names = ", ".join(f"`{c['required'][0]}`" for c in choices)
        notes.append(f"Exactly one of {names}.")
    return tuple(note for note in notes if note)


def _escape(text: str) -> str:
    return text.translate(_ESCAPES).strip()


def main() -> None:
    """``python -m kgen.reference``: print the reference (UTF-8, whatever the locale)."""
    sys.stdout.buffer.write(reference().encode("utf-8"))


if __name__ == "__main__":
    main()
