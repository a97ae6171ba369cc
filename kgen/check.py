"""Stage 4: validate every rendered document against the upstream schema it claims.

Kubernetes built-ins use kubernetes-validate's strict schemas for the target version, custom
resources the vendored upstream CRD schemas, ``ClusterConfig`` eksctl's schema. A document
without a schema is an error, never skipped. Validators are built once per
(Kubernetes version, apiVersion, kind) and reused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from referencing import Registry, Resource

from kgen.errors import UsageError
from kgen.formats import DNS_1035_LABEL, DNS_LABEL, DNS_SUBDOMAIN
from kgen.model import Blueprint, Document, JsonPath, Problem, SourcePos
from kgen.resources import load_json

DEFAULT_KUBE_VERSION = "1.33"
_K8S_SCHEMAS = "kubernetes-json-schema"


@cache
def kube_versions() -> tuple[str, ...]:
    """The Kubernetes minor versions kubernetes-validate ships schemas for, oldest first."""
    root = resources.files("kubernetes_validate").joinpath(_K8S_SCHEMAS)
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


def _k8s_dir(version: str) -> Any:
    return resources.files("kubernetes_validate").joinpath(
        _K8S_SCHEMAS, f"v{version}.0-local-strict"
    )


@cache
def _k8s_registry(version: str) -> Registry[Any]:
    definitions = json.loads(_k8s_dir(version).joinpath("_definitions.json").read_text("utf-8"))
    return Resource.from_contents(definitions) @ Registry()


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


#: The OpenAPI integer formats: the API server refuses a replica count or a port above them.
_FORMATS = FormatChecker(formats=())
_FORMATS.checks("int32")(_int_format(32))
_FORMATS.checks("int64")(_int_format(64))


@cache
def document_validator(version: str, api_version: str, kind: str) -> Validator | None:
    """The validator for one kind of document, or None when kgen has no schema for it."""
    custom = _custom_schemas()
    key = (api_version, kind)
    if key in custom:
        schema = load_json(custom[key])
        draft = (
            Draft7Validator
            if "draft-07" in schema.get("$schema", "draft-07")
            else (Draft202012Validator)
        )
        return draft(schema, format_checker=_FORMATS)
    group, _, api = api_version.rpartition("/")
    if "." in group and not group.endswith(".k8s.io"):
        return None  # an unknown custom resource: never guess at a built-in schema
    # kubernetes-validate's layout: service-v1.json, deployment-apps-v1.json
    prefix = f"{group.split('.')[0]}-" if group else ""
    filename = f"{kind.lower()}-{prefix}{api}.json"
    entry = _k8s_dir(version).joinpath(filename)
    if not entry.is_file():
        return None
    schema = json.loads(entry.read_text("utf-8"))
    return Draft202012Validator(schema, registry=_k8s_registry(version), format_checker=_FORMATS)


def check_documents(documents: Sequence[Document], kube_version: str) -> list[Problem]:
    """Every schema problem of every document, plus resources rendered twice."""
    return [*document_problems_of(documents, kube_version), *duplicate_problems(documents)]


def document_problems_of(documents: Iterable[Document], kube_version: str) -> list[Problem]:
    """The problems of each document on its own."""
    return [p for document in documents for p in document_problems(document, kube_version)]


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
        yield from name_problems(document)
        too_large = list(size_problems(document))
        yield from too_large
        if any(p.path == () for p in too_large):
            return  # over a megabyte: the size is the problem; no schema walk through it
        yield from version_problems(document, kube_version)
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
    for error in validator.iter_errors(document.body):
        path: JsonPath = tuple(error.absolute_path)
        yield _output_problem(
            document,
            _origin_of(document.origin, error),
            path,
            f"{_message(error)} (in the output, rendered by {document.template})",
            f"Kubernetes {kube_version} schema for {document.api_version} {document.kind}"
            if error.validator == "additionalProperties"
            else None,
        )


def _message(error: ValidationError) -> str:
    if error.validator in ("oneOf", "anyOf") and error.context:
        specific = [e for e in error.context if e.validator != "type"]
        return (specific or list(error.context))[0].message
    return error.message


# --- Rules of the API server that the OpenAPI schemas do not carry ----------------------

#: Values that need a feature the API server turns on only from some version on:
#: (key, value, first version where it is on by default).
_FEATURE_GATED: tuple[tuple[str, str, tuple[int, int]], ...] = (
    ("accessModes", "ReadWriteOncePod", (1, 27)),  # alpha before 1.27: refused by default
)


def version_problems(document: Document, kube_version: str) -> Iterator[Problem]:
    """Values the schema admits but the target version refuses unless a gate is enabled."""
    major, minor = (int(part) for part in kube_version.split("."))
    for key, value, since in _FEATURE_GATED:
        if (major, minor) >= since or not _has(document.body, key, value):
            continue
        yield _output_problem(
            document,
            _origin_of_value(document.origin, value),
            (key,),
            f"{value} needs Kubernetes {since[0]}.{since[1]} or later "
            f"(--kube-version is {kube_version})",
            "use another value, or target a newer version with --kube-version",
        )


def _has(node: Any, key: str, value: str) -> bool:
    """Whether ``node`` holds, anywhere, ``key`` with ``value`` in its list or as its value."""
    if isinstance(node, Mapping):
        for child_key, child in node.items():
            found = child == value or (isinstance(child, list) and value in child)
            if (child_key == key and found) or _has(child, key, value):
                return True
    elif isinstance(node, list):
        return any(_has(item, key, value) for item in node)
    return False


def is_unscoped(document: Document) -> bool:
    """eksctl's ClusterConfig is not a Kubernetes object: its name follows eksctl's rules."""
    return document.api_version.startswith("eksctl.io/")


#: Kinds whose names have tighter rules than a DNS-1123 subdomain: (pattern, max, rule).
_NAME_RULES: Mapping[str, tuple[re.Pattern[str], int, str]] = {
    "Service": (DNS_1035_LABEL, 63, "lower-case letters, digits and '-', starting with a letter"),
    # Pods of a StatefulSet carry the label controller-revision-hash=<name>-<10 characters>.
    "StatefulSet": (DNS_LABEL, 52, "lower-case letters, digits and '-'"),
    # A Job's pods carry the label job-name=<name>; a CronJob adds 11 characters to it.
    "Job": (DNS_LABEL, 63, "lower-case letters, digits and '-'"),
    "CronJob": (DNS_LABEL, 52, "lower-case letters, digits and '-'"),
}


def name_problems(document: Document) -> Iterator[Problem]:
    """Names the API server would refuse although the OpenAPI schema cannot say so."""
    name = document.name
    pattern, longest, rule = _NAME_RULES.get(
        document.kind, (DNS_SUBDOMAIN, 253, "lower-case letters, digits, '-' and '.'")
    )
    if len(name) > longest or not pattern.fullmatch(name):
        fix = "shorten" if len(name) > longest else "rename"
        yield _output_problem(
            document,
            _anchor(document.origin),
            ("metadata", "name"),
            f"{document.kind} name {name!r} is refused by Kubernetes: at most {longest} "
            f"characters ({len(name)} here) of {rule}",
            f"{fix} the blueprint (or the process) this name is made from",
        )


#: The API server's limits: all annotations of an object together, and a whole object in etcd.
MAX_ANNOTATIONS_BYTES = 256 * 1024
MAX_OBJECT_BYTES = 1024 * 1024
#: kubectl apply (and Argo CD, which runs it) keeps a copy of the object, as JSON, in this
#: annotation: it counts against the annotation limit.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def size_problems(document: Document) -> Iterator[Problem]:
    """Objects the API server refuses for their size, as written or once ``kubectl apply``
    has added its copy of them."""
    annotations = document.body.get("metadata", {}).get("annotations", {})
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in annotations.items())
    total = _json_size(document.body)
    if total > MAX_OBJECT_BYTES:
        yield _output_problem(
            document,
            _anchor(document.origin),
            (),
            f"the object takes {total} bytes; kgen keeps objects under {MAX_OBJECT_BYTES} "
            "(etcd refuses requests over 1.5 MiB)",
            "keep large data (env values, annotations) out of the blueprint",
        )
    elif size > MAX_ANNOTATIONS_BYTES:
        yield _output_problem(
            document,
            _anchor(document.origin),
            ("metadata", "annotations"),
            f"annotations take {size} bytes; Kubernetes allows {MAX_ANNOTATIONS_BYTES}",
            "keep large data out of annotations",
        )
    elif size + len(LAST_APPLIED) + total + 1 > MAX_ANNOTATIONS_BYTES:
        applied = size + len(LAST_APPLIED) + total + 1
        yield _output_problem(
            document,
            _anchor(document.origin),
            ("metadata", "annotations"),
            f"kubectl apply would refuse it: its annotations plus the copy of the object it "
            f"keeps in {LAST_APPLIED} take {applied} bytes; Kubernetes allows "
            f"{MAX_ANNOTATIONS_BYTES}",
            "keep large data (files, env values, annotations) smaller, or apply with --server-side",
        )


def _json_size(body: Mapping[str, Any]) -> int:
    """The bytes of ``body`` as compact JSON the way Go writes it (UTF-8; <, > and & as
    six-character escapes)."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    escaped = text.count("<") + text.count(">") + text.count("&")
    return len(text.encode("utf-8", "surrogatepass")) + 5 * escaped


def _output_problem(
    document: Document, pos: SourcePos, path: JsonPath, message: str, hint: str | None = None
) -> Problem:
    """A problem at ``path`` of a rendered document, pointed back at the blueprint."""
    return Problem(pos, path, message, hint, subject=document.ref)


def _anchor(blueprint: Blueprint) -> SourcePos:
    return blueprint.source.value_pos(("metadata", "name"))


def _origin_of(blueprint: Blueprint, error: ValidationError) -> SourcePos:
    return _origin_of_value(blueprint, error.instance)


def _origin_of_value(blueprint: Blueprint, value: Any) -> SourcePos:
    """The blueprint field that most likely produced a value of the output.

    When exactly one written value of the blueprint equals it, that is the place;
    otherwise the blueprint's name.
    """
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return _anchor(blueprint)
    matches = [path for path, found in _leaves(blueprint.data, ()) if found == value]
    if len(matches) == 1:
        return blueprint.source.value_pos(matches[0])
    return _anchor(blueprint)


def _leaves(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, (*path, index))
    else:
        yield path, value
