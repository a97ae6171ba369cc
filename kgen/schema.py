"""Blueprint JSON Schemas: compiled validators, references, defaults.

The schemas under ``schemas/`` are the single source of truth for blueprint validation,
defaults and documentation; this module is the only one that reads them.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin

from kgen.formats import FORMATS, NUMERIC_FORMATS, format_checker, format_ok
from kgen.kinds import Kind, registry
from kgen.model import JsonPath
from kgen.resources import load_json, schemas_dir

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from referencing import Registry

Schema = Mapping[str, Any]


@cache
def _registry() -> Registry[Any]:
    from referencing import Registry, Resource

    resources = []
    for path in sorted(schemas_dir().glob("*.schema.json")):
        resources.append(Resource.from_contents(load_json(path.name)))
    return Registry().with_resources((r.id(), r) for r in resources if r.id())  # type: ignore[misc]


def _is_integer(checker: Any, instance: Any) -> bool:
    """Only whole numbers written as such: 2.0 is not a replica count or a port."""
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def _strict() -> Any:
    """Draft 2020-12, where only whole numbers written as such are integers."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator,
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
    )


#: Documents kgen reads that are not blueprints, by ``kind``: their schema files.
OTHER_DOCUMENTS = {"Defaults": "defaults.schema.json"}


def document_schema(kind_name: str) -> Schema:
    """The schema of a blueprint kind, or of another document kgen reads (``Defaults``)."""
    if kind_name in OTHER_DOCUMENTS:
        schema: Schema = load_json(OTHER_DOCUMENTS[kind_name])
        return schema
    kind: Kind = registry()[kind_name]
    return kind.schema


@cache
def validator(kind_name: str) -> Draft202012Validator:
    """The compiled validator of one kind, built once per process."""
    strict: Draft202012Validator = _strict()(
        document_schema(kind_name), registry=_registry(), format_checker=format_checker()
    )
    return strict


#: Whether blueprint validation may take the fast path (``fast_validator``); the tests
#: turn it off to prove both paths give the same answers.
FAST = True


@cache
def fast_validator(kind_name: str) -> Callable[[Any], bool] | None:
    """A compiled validator (jsonschema-rs) of the same schema as ``validator`` that only
    says whether a blueprint is valid: one it passes has no schema problem, one it does
    not is explained by ``validator``. kgen's formats and its whole-number integers are
    custom keywords to it (it checks formats of strings only, and takes 2.0 for an
    integer). None when it cannot be had: the plain path answers alone."""
    if not FAST:
        return None
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a dependency; the plain path still works
        return None
    try:
        inputs = _fast_inputs(kind_name)
        validator = jsonschema_rs.Draft202012Validator(
            inputs["schema"],
            registry=jsonschema_rs.Registry([tuple(r) for r in inputs["resources"]]),
            validate_formats=False,
            keywords={"kgenFormat": _FormatKeyword, "kgenInteger": _IntegerKeyword},
        )
    except Exception:  # a schema it cannot compile: the plain path answers
        return None

    def valid(instance: Any) -> bool:
        try:
            return bool(validator.is_valid(_plain(instance)))
        except Exception:  # a value it cannot take (a 200-digit number, a key not text)
            return False

    return valid


def _fast_inputs(kind_name: str) -> dict[str, Any]:
    """What the compiled validator of a kind is built from (``_fast_schema`` of its
    schema and of every schema it may refer to), kept in kgen's cache: a cold start
    then reads one file instead of transforming every schema."""
    from kgen.cache import cache_folder, json_entry

    files = sorted(schemas_dir().glob("*.schema.json"))

    def make() -> dict[str, Any]:
        return {
            "schema": without_annotations(_fast_schema(document_schema(kind_name))),
            "resources": [
                (str(schema["$id"]), without_annotations(_fast_schema(schema)))
                for schema in (load_json(path.name) for path in files)
                if "$id" in schema
            ],
        }

    stats = [(path.name, path.stat()) for path in files]
    key = " ".join(f"{name}:{st.st_size}:{st.st_mtime_ns}" for name, st in stats)
    name = f"{hashlib.sha256(kind_name.encode()).hexdigest()}.json"
    folder = cache_folder("blueprint-schemas", key, FAST_INPUTS_FORMAT)
    return json_entry(folder, name, frozenset({"schema", "resources"}), make)


def _plain(node: Any) -> Any:
    """``node`` with numbers as plain ints and floats (the loader keeps how each was
    written, in subclasses the compiled validator does not take)."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


#: What a compiled validator's cached inputs are made by: bumped when that changes, so
#: that no run reads an entry an older kgen of the same version made.
FAST_INPUTS_FORMAT = "2"

#: Keywords that only annotate a schema, each with the type of value it takes: a property
#: of that name is a schema (a mapping or a boolean), never such a value, so it stays.
_ANNOTATIONS: dict[str, type] = {
    "description": str,
    "markdownDescription": str,
    "title": str,
    "$comment": str,
    "examples": list,
}
#: Keywords whose value is an instance, not a schema: copied as they are.
_INSTANCES = frozenset({"default", "const", "enum"})


def without_annotations(node: Any) -> Any:
    """A copy of a schema without the annotations a validator never reads (descriptions
    are most of the Kubernetes definitions' text: a compiled Deployment validator is made
    from 58 KB instead of 204 KB, and built in two-thirds of the time)."""
    if isinstance(node, list):
        return [without_annotations(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    return {
        key: value if key in _INSTANCES else without_annotations(value)
        for key, value in node.items()
        if not (key in _ANNOTATIONS and isinstance(value, _ANNOTATIONS[key]))
    }


def _fast_schema(node: Any) -> Any:
    """A copy of a schema where kgen's formats are ``kgenFormat`` and a type that takes
    integers but no other numbers also says ``kgenInteger``."""
    if isinstance(node, list):
        return [_fast_schema(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    copied = {key: _fast_schema(value) for key, value in node.items()}
    fmt = node.get("format")
    if isinstance(fmt, str) and fmt in FORMATS:
        del copied["format"]
        copied["kgenFormat"] = fmt
    kinds = node.get("type")
    named = {kinds} if isinstance(kinds, str) else set(kinds) if isinstance(kinds, list) else set()
    if "integer" in named and "number" not in named:
        copied["kgenInteger"] = True
    return copied


class _FormatKeyword:
    """``kgenFormat``: the value fits kgen's format, as the plain path's checker says. A
    number where a format takes numbers (a CPU or memory quantity) is left to the plain
    path: whether it fits may depend on how it was written, which the compiled validator
    does not see."""

    def __init__(self, parent: Any, value: str, path: Any) -> None:
        self.name = value

    def validate(self, instance: Any) -> None:
        is_number = isinstance(instance, int | float) and not isinstance(instance, bool)
        if is_number and self.name in NUMERIC_FORMATS:
            raise ValueError(f"{self.name}: a number, for the plain path")
        if not format_ok(self.name, instance):
            raise ValueError(self.name)


class _IntegerKeyword:
    """``kgenInteger``: a number written with a fraction (2.0) is no integer."""

    def __init__(self, parent: Any, value: Any, path: Any) -> None:
        pass

    def validate(self, instance: Any) -> None:
        if isinstance(instance, float):
            raise ValueError("not a whole number")


@cache
def _by_id() -> dict[str, Schema]:
    """kgen's schemas by their ``$id``."""
    found = (load_json(p.name) for p in sorted(schemas_dir().glob("*.schema.json")))
    return {str(schema["$id"]): schema for schema in found if "$id" in schema}


@cache
def _lookup(ref: str, base: str) -> tuple[Schema, str]:
    """One ``$ref`` resolved against ``base``: the target schema and its own base URI.
    kgen's schemas refer to one another by ``$id`` and into them by JSON pointer
    (``common.schema.json#/$defs/cpu``) and nothing else, so this needs no resolver
    library (the ``referencing`` import alone is a sixth of a cold start)."""
    uri, _, pointer = urljoin(base, ref).partition("#")
    node: Any = _by_id().get(uri)
    for token in pointer.split("/")[1:] if pointer else ():
        key = unquote(token).replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, Mapping) and key in node:
            node = node[key]
        else:
            node = None
            break
    if not isinstance(node, Mapping) or (pointer and not pointer.startswith("/")):
        raise RuntimeError(f"bad $ref {ref!r} in kgen's schemas")  # pragma: no cover
    return node, uri


def resolve(schema: Schema, base: str) -> tuple[Schema, str]:
    """Follow ``$ref`` until a schema without one; returns it with its base URI."""
    seen = 0
    while "$ref" in schema:
        target, base = _lookup(schema["$ref"], base)
        merged = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **merged}  # the referring site's description and default win
        seen += 1
        if seen > 32:  # pragma: no cover - schemas are tested
            raise RuntimeError("$ref loop in kgen's schemas")
    return schema, base


def subschema(kind_name: str, path: JsonPath) -> Schema | None:
    """The schema that governs the value at ``path`` of a blueprint, if one does."""
    top = document_schema(kind_name)
    schema, base = resolve(top, top["$id"])
    for part in path:
        schema, base = resolve(schema, base)
        if isinstance(part, int):
            items = schema.get("items")
            if not isinstance(items, Mapping):
                return None
            schema = items
        elif part in schema.get("properties", {}):
            schema = schema["properties"][part]
        elif isinstance(schema.get("additionalProperties"), Mapping):
            schema = schema["additionalProperties"]
        else:
            return None
    return resolve(schema, base)[0]


def walk(
    schema: Schema, base: str, instance: Any, path: JsonPath = ()
) -> Iterator[tuple[JsonPath, Schema, str, Any]]:
    """Every (path, resolved schema, base, value) of ``instance``, outermost first."""
    schema, base = resolve(schema, base)
    yield path, schema, base, instance
    if isinstance(instance, dict):
        object_branch = _object_branch(schema, base)
        if object_branch is not None:  # a choice of a name or an object: walk the object
            schema, base = object_branch
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in instance.items():
            child = properties.get(key, extra if isinstance(extra, Mapping) else None)
            if child is not None:
                yield from walk(child, base, value, (*path, key))
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        for index, value in enumerate(instance):
            yield from walk(schema["items"], base, value, (*path, index))


def _object_branch(schema: Schema, base: str) -> tuple[Schema, str] | None:
    """The object branch of a ``oneOf`` without properties of its own, resolved."""
    if "properties" in schema:
        return None
    for branch in schema.get("oneOf", ()):
        resolved = resolve(branch, base)
        if resolved[0].get("type") == "object":
            return resolved
    return None


def with_defaults(kind_name: str, instance: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a valid blueprint with every schema ``default`` filled in."""
    kind = registry()[kind_name]
    result = copy.deepcopy(dict(instance))
    _fill(kind.schema, kind.schema["$id"], result)
    return result


def _fill(schema: Schema, base: str, instance: Any) -> None:
    schema, base = resolve(schema, base)
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        for key, child in properties.items():
            if key not in instance:
                default = _default_of(child, base)
                if default is not None:
                    instance[key] = copy.deepcopy(default)
        extra = schema.get("additionalProperties")
        for key, value in instance.items():
            child = properties.get(key, extra if isinstance(extra, Mapping) else None)
            if child is not None:
                _fill(child, base, value)
    elif isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        for value in instance:
            _fill(schema["items"], base, value)


def _default_of(schema: Schema, base: str) -> Any:
    if "default" in schema:
        return schema["default"]
    return resolve(schema, base)[0].get("default")


def bundled(kind_name: str) -> dict[str, Any]:
    """The kind's schema with the shared definitions it uses inlined under ``$defs``: one
    self-contained document for editors and other tools."""
    top = document_schema(kind_name)
    common = load_json("common.schema.json")
    prefix = "common.schema.json#/$defs/"

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: (
                    "#/$defs/" + value[len(prefix) :]
                    if key == "$ref" and isinstance(value, str) and value.startswith(prefix)
                    else rewrite(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    result: dict[str, Any] = rewrite(top)
    result["$defs"] = {**rewrite(common["$defs"]), **rewrite(top.get("$defs", {}))}
    return result
