"""Stage 4: validate every rendered document against the upstream schema it claims.

Kubernetes built-ins use kubernetes-validate's strict schemas for the target version, custom
resources the vendored upstream CRD schemas, ``ClusterConfig`` eksctl's schema. A document
without a schema is an error, never skipped. Validators are built once per
(Kubernetes version, apiVersion, kind) and reused.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgen import lazyre
from kgen.apiserver import (
    _anchor,
    _origin_of,
    _output_problem,
    is_unscoped,
    metadata_problems,
    name_problems,
    patched_at,
    pod_problems,
    size_problems,
    spec_problems,
    version_problems,
)
from kgen.errors import UsageError
from kgen.hardening import hardening_problems
from kgen.model import Document, JsonPath, Problem, format_path
from kgen.resources import load_json
from kgen.schema import FAST_INPUTS_FORMAT, without_annotations

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from referencing import Registry

DEFAULT_KUBE_VERSION = "1.33"
_K8S_SCHEMAS = "kubernetes-json-schema"


@cache
def _k8s_root() -> Path:
    """kubernetes-validate's folder of upstream schemas, found without importing the
    package (its import pulls in packaging and email: 10 ms of every cold start)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:  # pragma: no cover - a dependency
        from importlib import resources

        return Path(str(resources.files("kubernetes_validate"))) / _K8S_SCHEMAS
    return Path(locations[0]) / _K8S_SCHEMAS


@cache
def kube_versions() -> tuple[str, ...]:
    """The Kubernetes minor versions kubernetes-validate ships schemas for, oldest first."""
    root = _k8s_root()
    found = set()
    for entry in root.iterdir():
        name = entry.name
        if name.startswith("v") and name.endswith("-local-strict"):
            major, minor, *_ = name[1:].split(".")
            found.add((int(major), int(minor)))
    return tuple(f"{major}.{minor}" for major, minor in sorted(found))


def check_kube_version(version: str) -> str:
    """``version`` as X.Y, or a ``UsageError`` naming the versions kgen can check."""
    cleaned = version.removeprefix("v")
    parts = cleaned.split(".")
    if len(parts) >= 2:
        cleaned = ".".join(parts[:2])
    if cleaned not in kube_versions():
        raise UsageError(
            message=f"--kube-version {version!r} is not supported; "
            f"choose one of {', '.join(kube_versions())}"
        )
    return cleaned


def _k8s_dir(version: str) -> Path:
    return _k8s_root() / f"v{version}.0-local-strict"


@cache
def k8s_schema_names(version: str) -> frozenset[str]:
    """The names of the upstream schema files of Kubernetes ``version``
    (``deployment-apps-v1.json``): one per kind and apiVersion the API server serves."""
    return frozenset(entry.name for entry in _k8s_dir(version).iterdir())


@cache
def _k8s_registry(version: str) -> Registry[Any]:
    from referencing import Registry, Resource

    return Resource.from_contents(_definitions(version)) @ Registry()


@cache
def _custom_schemas() -> Mapping[tuple[str, str], str]:
    """(apiVersion, kind) -> schema file: the vendored upstream ones (CRDs and eksctl), and
    the few kgen wrote where upstream has none (``schemas/local/``), from their indexes."""
    found = {}
    for folder in ("local", "upstream"):
        index: Mapping[str, Mapping[str, str]] = load_json(f"{folder}/index.json")
        for api_version, kinds in index.items():
            for kind, file in kinds.items():
                found[(api_version, kind)] = f"{folder}/{file}"
    return found


def _int_format(bits: int) -> Any:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def check(instance: object) -> bool:
        return (
            not isinstance(instance, int) or isinstance(instance, bool) or low <= instance <= high
        )

    return check


@cache
def _formats() -> FormatChecker:
    """The OpenAPI integer formats: the API server refuses a replica count or a port above
    them."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    checker.checks("int32")(_int_format(32))
    checker.checks("int64")(_int_format(64))
    return checker


@cache
def _schema_of(version: str, api_version: str, kind: str) -> tuple[Mapping[str, Any], bool] | None:
    """The schema of one kind of document, and whether it is one of Kubernetes' (which
    refer into its definitions); None when kgen has no schema for it."""
    custom = _custom_schemas()
    key = (api_version, kind)
    if key in custom:
        return load_json(custom[key]), False
    group, _, api = api_version.rpartition("/")
    if "." in group and not group.endswith(".k8s.io"):
        return None  # an unknown custom resource: never guess at a built-in schema
    # kubernetes-validate's layout: service-v1.json, deployment-apps-v1.json
    prefix = f"{group.split('.')[0]}-" if group else ""
    filename = f"{kind.lower()}-{prefix}{api}.json"
    entry = _k8s_dir(version).joinpath(filename)
    if not entry.is_file():
        return None
    return json.loads(entry.read_text("utf-8")), True


def _is_draft7(schema: Mapping[str, Any]) -> bool:
    return "draft-07" in schema.get("$schema", "draft-07")


@cache
def document_validator(version: str, api_version: str, kind: str) -> Validator | None:
    """The validator for one kind of document, or None when kgen has no schema for it."""
    found = _schema_of(version, api_version, kind)
    if found is None:
        return None
    from jsonschema import Draft7Validator, Draft202012Validator

    schema, kubernetes = found
    if not kubernetes:
        draft = Draft7Validator if _is_draft7(schema) else Draft202012Validator
        return draft(schema, format_checker=_formats())
    return Draft202012Validator(schema, registry=_k8s_registry(version), format_checker=_formats())


#: Whether output validation may take the fast path (``fast_validator``); the tests turn
#: it off to prove both paths give the same answers.
FAST = True


@cache
def fast_validator(version: str, api_version: str, kind: str) -> Callable[[Any], bool] | None:
    """A compiled validator (jsonschema-rs) of the same schema as ``document_validator``
    that only says whether a document is valid: a document it passes has no schema
    problem, and one it does not is explained by ``document_validator``. None when it
    cannot be had (no schema, one it cannot compile, or turned off): the plain path then
    answers alone."""
    if not FAST:
        return None
    found = _schema_of(version, api_version, kind)
    if found is None:
        return None
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a dependency; the plain path still works
        return None
    inputs = _fast_inputs(version, api_version, kind)
    try:
        if inputs["definitions"] is not None:
            definitions = inputs["definitions"]
            validator: Any = jsonschema_rs.Draft202012Validator(
                inputs["schema"],
                registry=jsonschema_rs.Registry([(definitions["$id"], definitions)]),
                validate_formats=False,
            )
        else:
            draft = (
                jsonschema_rs.Draft7Validator
                if _is_draft7(inputs["schema"])
                else jsonschema_rs.Draft202012Validator
            )
            validator = draft(inputs["schema"], validate_formats=False)
    except Exception:  # a schema it cannot compile (a Go regular expression): plain path
        return None

    def valid(instance: Any) -> bool:
        try:
            return bool(validator.is_valid(instance))
        except Exception:  # a value it cannot take (a number beyond 64 bits): plain path
            return False

    return valid


def _fast_inputs(version: str, api_version: str, kind: str) -> dict[str, Any]:
    """What the compiled validator of a kind is built from: its schema, and for a
    Kubernetes kind the definitions it reaches (of the 1.4 MB of them), every int32 and
    int64 format saying its range. Kept in kgen's cache (``kgen.cache``), since parsing
    all the definitions cost more than the rest of a one-blueprint render."""
    from kgen.cache import cache_folder, json_entry

    def make() -> dict[str, Any]:
        schema, kubernetes = _schema_of(version, api_version, kind) or ({}, False)
        return {
            "schema": without_annotations(_int_ranges(schema)),
            "definitions": without_annotations(_reached(_fast_definitions(version), schema))
            if kubernetes
            else None,
        }

    name = hashlib.sha256(f"{version}\0{api_version}\0{kind}".encode()).hexdigest()
    folder = cache_folder("schemas", _schema_files_key(version), FAST_INPUTS_FORMAT)
    return json_entry(folder, f"{name}.json", frozenset({"schema", "definitions"}), make)


@cache
def _schema_files_key(version: str) -> str:
    """What the schemas of Kubernetes ``version`` are, cheaply: their folder's and
    definitions file's size and time (kgen's own files key the cache folder itself)."""
    folder = _k8s_dir(version)
    definitions = (folder / "_definitions.json").stat()
    return f"{folder} {definitions.st_size} {definitions.st_mtime_ns} {folder.stat().st_mtime_ns}"


@cache
def _fast_definitions(version: str) -> Mapping[str, Any]:
    text = _k8s_dir(version).joinpath("_definitions.json").read_text("utf-8")
    found: Mapping[str, Any] = json.loads(text, object_hook=_with_int_range)  # one pass
    return found


_DEFINITION_REF = lazyre.compile(r'"\$ref": "[^"#]*#/\$defs/((?:[^"\\]|\\.)*)"')


def _reached(definitions: Mapping[str, Any], schema: Any) -> dict[str, Any]:
    """``definitions`` with only the ones ``schema`` reaches, directly or through others."""
    every: Mapping[str, Any] = definitions.get("$defs", {})
    wanted: set[str] = set()
    todo = [schema]
    while todo:
        for written in _DEFINITION_REF.findall(json.dumps(todo.pop())):
            name = json.loads(f'"{written}"').replace("~1", "/").replace("~0", "~")
            if name not in wanted and name in every:
                wanted.add(name)
                todo.append(every[name])
    return {
        **{k: v for k, v in definitions.items() if k != "$defs"},
        "$defs": {name: every[name] for name in sorted(wanted)},
    }


#: What the OpenAPI integer formats allow, as the plain path's format checker says it
#: (``_int_format``): the compiled validator checks formats of strings only, so a range
#: says it instead.
_INT_RANGES = {
    "int32": {"minimum": -(2**31), "maximum": 2**31 - 1},
    "int64": {"minimum": -(2**63), "maximum": 2**63 - 1},
}


def _with_int_range(node: dict[str, Any]) -> dict[str, Any]:
    """A schema whose format is int32 or int64 says its range too (for integers: a float
    is no integer to either path, and a string has no range)."""
    fmt = node.get("format")
    if isinstance(fmt, str) and fmt in _INT_RANGES:
        rule = {"if": {"type": "integer"}, "then": _INT_RANGES[fmt]}
        node["allOf"] = [*node.get("allOf", []), rule]
    return node


def _int_ranges(node: Any) -> Any:
    """A copy of the schema ``node`` where every int32 or int64 format says its range."""
    if isinstance(node, Mapping):
        return _with_int_range({key: _int_ranges(value) for key, value in node.items()})
    if isinstance(node, list):
        return [_int_ranges(item) for item in node]
    return node


def check_documents(documents: Sequence[Document], kube_version: str) -> list[Problem]:
    """Every schema problem of every document, plus resources rendered twice."""
    return [*document_problems_of(documents, kube_version), *duplicate_problems(documents)]


def document_problems_of(documents: Iterable[Document], kube_version: str) -> list[Problem]:
    """The problems of each document on its own; a name refused in several resources of
    one blueprint (a process's Deployment, Service and budget), once."""
    problems: list[Problem] = []
    named: set[tuple[int, str]] = set()
    for document in documents:
        if not is_unscoped(document) and (id(document.origin), document.name) not in named:
            refused = list(name_problems(document))
            if refused:
                named.add((id(document.origin), document.name))
            problems.extend(refused)
        problems.extend(document_problems(document, kube_version))
    return problems


def duplicate_problems(documents: Iterable[Document]) -> list[Problem]:
    """Resources that two documents of the set render."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str, str, str], Document] = {}
    for document in documents:
        if document.identity in seen:
            first = seen[document.identity]
            problems.append(
                _output_problem(
                    document,
                    _anchor(document.origin),
                    (),
                    f"{document.ref} is rendered twice: by {first.origin.ref} and by "
                    f"{document.origin.ref}",
                    "rename one of the blueprints or move it to another namespace",
                )
            )
        else:
            seen[document.identity] = document
    return problems


def document_problems(document: Document, kube_version: str) -> Iterator[Problem]:
    """Schema problems of one document, pointed back at the blueprint that made it."""
    if not is_unscoped(document):
        yield from metadata_problems(document)
        yield from pod_problems(document)
        yield from hardening_problems(document)
        too_large = list(size_problems(document))
        yield from too_large
        if any(p.path == () for p in too_large):
            return  # over a megabyte: the size is the problem; no schema walk through it
        too_new = list(version_problems(document, kube_version))
        yield from too_new
        if too_new:
            return  # an older schema would refuse the same field again, less clearly
    fast = fast_validator(kube_version, document.api_version, document.kind)
    if fast is not None and fast(document.body):  # valid: no schema walk, no message
        if not is_unscoped(document):
            yield from spec_problems(document, _spec_schema_of(document, kube_version))
        return
    validator = document_validator(kube_version, document.api_version, document.kind)
    if validator is None:
        yield _output_problem(
            document,
            _anchor(document.origin),
            (),
            f"no schema for {document.api_version} {document.kind} in Kubernetes "
            f"{kube_version}, so it cannot be validated",
            f"rendered by {document.template}; kgen writes no unvalidated document",
        )
        return
    if not is_unscoped(document):
        yield from spec_problems(document, _spec_schema(validator, kube_version))
    for error in validator.iter_errors(document.body):
        path: JsonPath = tuple(error.absolute_path)
        patch = patched_at(document, path)
        by = f"set by {format_path(patch[:3])}" if patch else f"rendered by {document.template}"
        yield _output_problem(
            document,
            _origin_of(document, error),
            path,
            f"{error_message(error)} (in the output, {by})",
            f"Kubernetes {kube_version} schema for {document.api_version} {document.kind}"
            if error.validator == "additionalProperties"
            else None,
        )


def _spec_schema_of(document: Document, kube_version: str) -> Mapping[str, Any]:
    """What ``spec_problems`` reads of the spec's schema: only for a document without a
    spec mapping (it asks which fields the spec requires)."""
    if isinstance(document.body.get("spec"), Mapping):
        return {}
    found = _schema_of(kube_version, document.api_version, document.kind)
    return _spec_of(found[0], kube_version) if found is not None else {}


def _spec_schema(validator: Validator, kube_version: str) -> Mapping[str, Any]:
    """The schema of a document's ``spec``, its reference (Kubernetes' schemas) resolved."""
    return _spec_of(validator.schema, kube_version)


def _spec_of(schema: Any, kube_version: str) -> Mapping[str, Any]:
    """The ``spec`` property of a document's schema. Kubernetes' schemas refer to their
    definitions (``/api/_definitions.json#/$defs/<name>``): followed here without a
    resolver library, which a valid document never needs loaded."""
    spec = schema.get("properties", {}).get("spec", {}) if isinstance(schema, Mapping) else {}
    if isinstance(spec, Mapping) and "$ref" in spec:
        where, _, pointer = str(spec["$ref"]).partition("#")
        node: Any = _definitions(kube_version) if where.endswith("_definitions.json") else schema
        for token in pointer.split("/")[1:]:
            node = node.get(token.replace("~1", "/").replace("~0", "~"), {})
            if not isinstance(node, Mapping):
                return {}
        spec = node
    return spec if isinstance(spec, Mapping) else {}


@cache
def _definitions(version: str) -> Mapping[str, Any]:
    found: Mapping[str, Any] = json.loads(
        _k8s_dir(version).joinpath("_definitions.json").read_text("utf-8")
    )
    return found


def error_message(error: ValidationError) -> str:
    """A schema error's message: of the most specific alternative for oneOf/anyOf."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        specific = [e for e in error.context if e.validator != "type"]
        return (specific or list(error.context))[0].message
    return error.message
