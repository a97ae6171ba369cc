"""Reading Kubernetes manifests: files, folders or ``-``, each document with the place
every value was written (``yamlio.load_documents``), ``List`` items unpacked.

The reader decides nothing about what a resource means; it only says what is there and
where, so every later message can name FILE:LINE.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kgen.load import MANIFEST_FILES, STDIN, display_path, find_files, read_text
from kgen.model import JsonPath, Problem, SourceMap, SourcePos
from kgen.record import dataclass
from kgen.suggest import shown
from kgen.yamlio import Budget, YamlError, load_documents, written_text

#: kustomize's own file: a build recipe, not a resource (import what `kubectl kustomize` gives).
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class Resource:
    """One Kubernetes object of the input and where it was written (``prefix``: its place
    in the document, ``("items", 3)`` for an item of a ``List``)."""

    body: Mapping[str, Any]
    source: SourceMap
    prefix: JsonPath = ()
    #: The resource as written, when ``body`` differs (``without_nulls``): what the
    #: accounting walks, so a null is accounted for too.
    written: Mapping[str, Any] | None = None

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def name(self) -> str:
        metadata = self.body.get("metadata")
        return str(metadata.get("name", "")) if isinstance(metadata, Mapping) else ""

    @property
    def namespace(self) -> str | None:
        metadata = self.body.get("metadata")
        found = metadata.get("namespace") if isinstance(metadata, Mapping) else None
        return None if found is None else str(found)

    def pos(self, path: JsonPath = ()) -> SourcePos:
        """Where the value at ``path`` of the resource (or its nearest ancestor) was written."""
        return self.source.value_pos((*self.prefix, *path))

    def key_pos(self, path: JsonPath) -> SourcePos:
        return self.source.key_pos((*self.prefix, *path))


@dataclass(frozen=True)
class Read:
    resources: tuple[Resource, ...]
    notes: tuple[Problem, ...]  # severity "note": what was skipped on purpose
    problems: tuple[Problem, ...]  # errors: the input cannot be read as manifests


def read_manifests(paths: Sequence[Path]) -> Read:
    """Every resource under ``paths`` (files, folders read recursively, ``-``)."""
    files, problems = find_files(paths, MANIFEST_FILES)
    resources: list[Resource] = []
    notes: list[Problem] = []
    budget = Budget()
    for file in files:
        name = display_path(file)
        if file != STDIN and file.name in KUSTOMIZATION_FILES:
            notes.append(
                Problem(
                    SourcePos(name, 1, 1),
                    (),
                    "a kustomization, not a resource: skipped",
                    "import what it builds: kubectl kustomize DIR | kgen import -",
                    severity="note",
                    subject="<file>",
                )
            )
            continue
        text = read_text(file, name)
        if isinstance(text, Problem):
            problems.append(text)
            continue
        for item in _resources(text, name, budget):
            (resources if isinstance(item, Resource) else problems).append(item)  # type: ignore[arg-type]
    return Read(tuple(resources), tuple(notes), tuple(problems))


def _resources(text: str, name: str, budget: Budget) -> Iterator[Resource | Problem]:
    try:
        for document in load_documents(text, name, budget=budget):
            if document.data is None:
                continue
            yield from _unpack(document.data, document.source, ())
    except YamlError as exc:
        message, hint = exc.message, exc.hint
        if message.startswith("one document (blueprint)"):
            # a manifest, not a blueprint; and one resource cannot be split over runs
            message = message.replace("one document (blueprint)", "one manifest (document)")
            hint = (
                "that is kgen's limit for one manifest (an alias (*name) counts each time it "
                "is used): no single resource may exceed it, and splitting the input into "
                "several runs does not help; make the resource smaller"
            )
        yield Problem(exc.pos, (), message, hint, subject="<yaml>")


#: The API groups whose ``*List`` kinds (``v1 List``, ``apps/v1 DeploymentList``, what
#: ``kubectl get -o yaml`` prints) are read item by item.
_LIST_VERSIONS = frozenset({"v1", "apps/v1", "batch/v1", "autoscaling/v2", "policy/v1"})


def _is_list(api_version: str, kind: str) -> bool:
    return kind.endswith("List") and api_version in _LIST_VERSIONS


def without_nulls(resource: Resource) -> Resource:
    """The resource as kubectl sends it: every map key whose value is null taken out, as
    the API server reads an explicit null (``nodePort: null`` is no nodePort), and a
    number YAML 1.1 reads in base 60 (``12:30:00``) as its text, as kubectl's reader
    (which has no base 60) does; ``written`` keeps the nulls."""
    read = _as_text(resource.body)
    body = _strip(read)
    if body == resource.body:
        return resource
    return Resource(body, resource.source, resource.prefix, read)


def _strip(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {key: _strip(value) for key, value in node.items() if value is not None}
    if isinstance(node, list):
        return [_strip(item) for item in node]
    return node


def _as_text(node: Any) -> Any:
    """``node`` with each number written in base 60 as its text."""
    if isinstance(node, Mapping):
        return {key: _as_text(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_as_text(item) for item in node]
    written = written_text(node)
    return written if written is not None and ":" in written else node


def _unpack(data: Any, source: SourceMap, prefix: JsonPath) -> Iterator[Resource | Problem]:
    """The resource ``data`` is, or the items of a ``List``; a problem when it is not a
    Kubernetes object (a mapping with apiVersion and kind)."""
    where = source.value_pos(prefix)
    if not isinstance(data, dict):
        found = shown(data)  # as written: 42, null, 'text', a list
        yield Problem(
            where,
            prefix,
            f"not a Kubernetes object: a manifest is a mapping, found {found}",
            "kgen import reads Kubernetes YAML (apiVersion, kind, metadata, ...)",
            subject="<document>",
        )
        return
    missing = [field for field in ("apiVersion", "kind") if not isinstance(data.get(field), str)]
    if missing:
        yield Problem(
            where,
            prefix,
            f"not a Kubernetes object: no {' and no '.join(missing)}",
            "kgen import reads Kubernetes manifests; a blueprint is already one (kgen render it)"
            if str(data.get("apiVersion", "")).startswith("kgen.dev/")
            else "every manifest names its apiVersion and kind",
            subject="<document>",
        )
        return
    if str(data.get("apiVersion", "")).startswith("kgen.dev/"):
        yield Problem(
            where,
            prefix,
            f"a kgen blueprint ({data['kind']}), not a Kubernetes manifest",
            "render it with kgen render; kgen import reads Kubernetes manifests",
            subject="<document>",
        )
        return
    if _is_list(data["apiVersion"], data["kind"]):
        items = data.get("items")
        for index, item in enumerate(items if isinstance(items, list) else []):
            yield from _unpack(item, source, (*prefix, "items", index))
        return
    yield Resource(data, source, prefix)
