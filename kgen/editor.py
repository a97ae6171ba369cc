"""The schema for editors: every kind in one JSON Schema that yaml-language-server (VS Code's
YAML extension, Neovim, Helix, JetBrains through it) and plain validators enforce.

yaml-language-server reads JSON Schema draft-07 in every release (2019-09 and 2020-12 only
from 1.20 on), so the export is draft-07: ``definitions`` instead of ``$defs``; a blueprint's
``kind`` picks its schema through ``if``/``then``; kgen's own ``format``s, which no other
tool knows, become the patterns of ``kgen.patterns``; and each environment is typed as a
partial spec (``partial``), so a misspelt field there is flagged too. kgen's own
validation keeps the 2020-12 schemas under ``schemas/`` and its formats, with its messages.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from kgen.formats import FORMATS
from kgen.kinds import API_VERSION, kind_names
from kgen.patterns import PATTERNS
from kgen.schema import OTHER_DOCUMENTS, bundled

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
#: The first words of the ``$comment`` of every schema file kgen writes: how kgen knows a
#: file is its own to write over.
MARK = "Written by kgen"
#: The key of a list item in an environment that deletes an item or replaces the list.
DIRECTIVE = "$patch"

Schema = Mapping[str, Any]

_ANNOTATIONS = ("description", "default", "title", "examples")


def documents() -> list[tuple[str, dict[str, Any]]]:
    """(kind, its self-contained 2020-12 schema) for every document type the export covers:
    the blueprint kinds and the shared defaults file (``kind: Defaults``)."""
    return [(name, bundled(name)) for name in [*kind_names(), *OTHER_DOCUMENTS]]


def editor_schema(pairs: Iterable[tuple[str, Schema]] | None = None) -> dict[str, Any]:
    """One draft-07 schema for every (kind, schema) pair, the one picked by ``kind``."""
    pairs = list(documents() if pairs is None else pairs)
    definitions: dict[str, Any] = {}
    branches: list[dict[str, Any]] = []
    for kind, schema in pairs:
        shared = {name: _draft07(body) for name, body in schema.get("$defs", {}).items()}
        for name, body in shared.items():
            if definitions.setdefault(name, body) != body:
                raise RuntimeError(f"two document types define {name!r} differently")
        root = _draft07({k: v for k, v in schema.items() if k not in ("$defs", "$id", "$schema")})
        if kind in definitions:
            raise RuntimeError(f"{kind!r} is both a document type and a shared definition")
        definitions[kind] = root
        branches.append(
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"$ref": f"#/definitions/{kind}"},
            }
        )
    for kind, _ in pairs:
        if kind not in OTHER_DOCUMENTS:
            _type_environments(kind, definitions)
    _type_defaults(definitions)
    metadata = definitions.get("workloadMetadata")
    if isinstance(metadata, dict) and "required" in metadata:
        # A workload under shared defaults may leave its namespace to them, which an
        # editor cannot see: kgen requires it in the merged blueprint.
        metadata["required"] = [r for r in metadata["required"] if r != "namespace"]
    kinds = [kind for kind, _ in pairs]
    return {
        "$schema": DRAFT_07,
        "$comment": f"{MARK} (kgen schema): every kgen document type, picked by 'kind'. "
        "Regenerate it with kgen rather than editing it.",
        "title": "kgen blueprint",
        "description": "A kgen blueprint: apiVersion, kind (one of "
        + ", ".join(kinds)
        + "), metadata, spec and optional environments.",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {
            "apiVersion": {"description": "Blueprint API version.", "const": API_VERSION},
            "kind": {"description": "Blueprint kind.", "enum": kinds},
        },
        "allOf": branches,
        "definitions": dict(sorted(definitions.items())),
    }


def _draft07(node: Any) -> Any:
    """A 2020-12 schema node as draft-07 says it: references into ``definitions``,
    formats as patterns, kgen's own ``x-kgen-*`` keywords left out."""
    if isinstance(node, list):
        return [_draft07(item) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-kgen-"):
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            result[key] = "#/definitions/" + value.removeprefix("#/$defs/")
        elif key in ("properties", "$defs", "definitions"):
            result[key] = {name: _draft07(child) for name, child in value.items()}
        elif key == "format" and value in PATTERNS:
            for keyword, bound in PATTERNS[value].keywords().items():
                result[keyword] = _tighter(keyword, result.get(keyword, node.get(keyword)), bound)
            if "pattern" in result:  # yaml-language-server shows this, not the regex
                fmt = FORMATS[value]
                result["patternErrorMessage"] = f"not a valid {fmt.noun}: {fmt.fix}"
        elif key == "format":
            raise RuntimeError(f"format {value!r} has no pattern in kgen.patterns")
        elif key in result:  # set by a format's keywords already: keep the tighter bound
            result[key] = _tighter(key, value, result[key])
        else:
            result[key] = _draft07(value)
    return result


def _tighter(keyword: str, old: Any, new: Any) -> Any:
    if old is None:
        return new
    if keyword in ("maxLength", "maximum", "exclusiveMaximum"):
        return min(old, new)
    if keyword in ("minLength", "minimum", "exclusiveMinimum"):
        return max(old, new)
    raise RuntimeError(f"{keyword} given twice for one field")


# --- environments: partial specs -----------------------------------------------------------


def _type_environments(kind: str, definitions: dict[str, Any]) -> None:
    """``environments.<env>`` of ``kind`` as a partial of its spec."""
    root = definitions[kind]
    properties = root.get("properties", {})
    if "environments" not in properties or "spec" not in properties:
        return
    environments = _resolved(properties["environments"], definitions)
    entry = f"{kind}.environment"
    definitions[entry] = {
        **partial(properties["spec"], definitions),
        "description": "A partial spec for this environment, merged onto 'spec' with --env "
        "(maps merge, null deletes, named lists merge by name). Nothing in it is required.",
    }
    properties["environments"] = {
        **{k: v for k, v in environments.items() if k != "additionalProperties"},
        "additionalProperties": {"$ref": f"#/definitions/{entry}"},
    }


def _type_defaults(definitions: dict[str, Any]) -> None:
    """The shared defaults' ``spec`` fields typed as partials of the workload kinds' fields
    of that name (kgen checks them merged into each blueprint, so nothing is required)."""
    spec = definitions.get("defaultsSpec")
    if not isinstance(spec, dict):
        return
    typed: dict[str, Any] = {}
    for name, field in spec.get("properties", {}).items():
        for kind in kind_names():
            root = definitions.get(kind, {})
            kind_spec = _resolved(root.get("properties", {}).get("spec", {}), definitions)
            found = kind_spec.get("properties", {}).get(name)
            if found is not None:
                typed[name] = {**partial(found, definitions), **_annotations(field)}
                break
        else:
            typed[name] = field
    spec["properties"] = typed


def _resolved(node: Schema, definitions: Mapping[str, Any]) -> Schema:
    seen = 0
    while "$ref" in node and seen < 32:
        node = definitions[node["$ref"].removeprefix("#/definitions/")]
        seen += 1
    return node


def partial(node: Schema, definitions: dict[str, Any]) -> dict[str, Any]:
    """What an environment may write where ``node`` applies: kgen merges it onto the spec
    (RFC 7386, named lists by name) and validates the merged result, so no field is
    required at any depth a merge reaches, any field may be null (it deletes), an item of
    a named list may be partial or a ``$patch`` directive, and a choice (``oneOf``) takes
    any of its partial branches. Lists that are not named replace: their items are whole.
    Looser than kgen, never stricter."""
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/definitions/")
        target = f"{name}.partial"
        if target not in definitions:
            definitions[target] = {}  # taken, for references that lead back here
            definitions[target] = partial(definitions[name], definitions)
        return {**_annotations(node), "$ref": f"#/definitions/{target}"}
    result = {
        key: value
        for key, value in node.items()
        if key not in ("required", "minProperties", "oneOf", "anyOf", "allOf")
    }
    if isinstance(node.get("properties"), Mapping):
        result["properties"] = {
            name: nullable(partial(child, definitions))
            for name, child in node["properties"].items()
        }
    if isinstance(node.get("additionalProperties"), Mapping):
        result["additionalProperties"] = nullable(
            partial(node["additionalProperties"], definitions)
        )
    branches = [*node.get("oneOf", ()), *node.get("anyOf", ())]
    if branches:
        result["anyOf"] = [partial(branch, definitions) for branch in branches]
    if "allOf" in node:
        result["allOf"] = [partial(branch, definitions) for branch in node["allOf"]]
    items = node.get("items")
    if isinstance(items, Mapping) and "name" in _resolved(items, definitions).get("properties", {}):
        for key in ("minItems", "maxItems", "uniqueItems"):
            result.pop(key, None)  # the merged list is counted, not this one
        result["items"] = _named_item(items, definitions)
    return result


def _named_item(items: Schema, definitions: dict[str, Any]) -> dict[str, Any]:
    item = partial(_resolved(items, definitions), definitions)
    item["properties"] = {
        **item.get("properties", {}),
        DIRECTIVE: {
            "description": "'delete' (beside the name of the item to remove) or 'replace' "
            "(an item of its own: the list replaces the spec's).",
            "enum": ["delete", "replace"],
        },
    }
    return {**_annotations(items), **item}


def nullable(node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or null (an environment deletes a field with null)."""
    simple = "type" in node and not any(k in node for k in ("$ref", "const", "anyOf", "allOf"))
    if simple:
        result = copy.copy(node)
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        result["type"] = [*types, "null"] if "null" not in types else types
        if "enum" in node and None not in node["enum"]:
            result["enum"] = [*node["enum"], None]
        return result
    return {**_annotations(node), "anyOf": [{"type": "null"}, node]}


def _annotations(node: Schema) -> dict[str, Any]:
    return {key: node[key] for key in _ANNOTATIONS if key in node}


def schema_text(schema: Schema) -> str:
    """The schema as kgen prints and writes it."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def marked(schema: Schema, kind: str) -> dict[str, Any]:
    """A kind's schema as ``kgen schema KIND -o FILE`` writes it: with the ``$comment``
    that tells kgen the file is its own to refresh."""
    return {"$comment": f"{MARK} (kgen schema {kind})", **schema}


def written_by_kgen(text: str) -> bool:
    """Whether a schema file's text is one kgen wrote (its ``$comment`` says so)."""
    try:
        data = json.loads(text)
    except ValueError:
        return False
    comment = data.get("$comment") if isinstance(data, dict) else None
    return isinstance(comment, str) and comment.startswith(MARK)
