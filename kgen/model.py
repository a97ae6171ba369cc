"""Value objects passed between the pipeline stages.

Every stage takes and returns these frozen dataclasses; none keeps state between runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kgen import lazyre
from kgen.record import dataclass, field, replace

_PLAIN_KEY = lazyre.compile(r"[A-Za-z0-9_-]+")

#: A JSON path inside a document: keys and list indexes, outermost first.
JsonPath = tuple[str | int, ...]


def format_path(path: JsonPath) -> str:
    """Render a JSON path the way users write it: ``spec.ports[0].port``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            out += f"[{json.dumps(part)}]"  # keys with dots or slashes: labels, annotations
        elif out:
            out += f".{part}"
        else:
            out = part
    return out or "<document>"


@dataclass(frozen=True, order=True)
class SourcePos:
    """A place in a source file; line and column count from 1."""

    file: str
    line: int
    column: int
    #: The blueprint that inherited the value written here, when the place is in a shared
    #: defaults file (``kgen.defaults.yaml``) rather than the blueprint's own file.
    via: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class SourceMap:
    """Where each node of one YAML document was written, and how some values were spelt.

    ``values`` holds the (line, column) of the value at a path, ``keys`` that of the key
    that introduces it (the better place to point at for an unknown or misspelt field).
    ``overlays`` say where the nodes of a document merged from several parts were written:
    each maps a path prefix of the merged document to the prefixes it may come from, in
    order (an environment block patched onto ``spec``, then ``spec`` itself; an item of a
    list merged by name, from its environment item, then its place in the base list). The
    longest prefix that matches decides. Making them never copies the tables.

    A document merged from several files (a blueprint over the defaults it inherits) has
    ``layers``: the maps of the parts, each a document of its own. An overlay source that
    starts with an index (a real path starts with a key: documents are mappings) is a path
    in that layer; a place found there names its file, and ``heir`` (the blueprint) as the
    one that inherited it.
    """

    file: str
    start: SourcePos
    values: Mapping[JsonPath, tuple[int, int]] = field(default_factory=dict)
    keys: Mapping[JsonPath, tuple[int, int]] = field(default_factory=dict)
    #: Booleans written the YAML 1.1 way (yes, no, on, off, True, ...), as written.
    yaml11_booleans: Mapping[JsonPath, str] = field(default_factory=dict)
    overlays: Mapping[JsonPath, tuple[JsonPath, ...]] = field(default_factory=dict)
    #: How many YAML nodes the document expanded to (aliases counted each time used).
    size: int = 0
    layers: tuple[SourceMap, ...] = ()
    heir: str = ""

    def _written(self, table: str, path: JsonPath) -> tuple[SourceMap, Any]:
        """The map that wrote the node at ``path`` of the merged document and what its
        ``table`` holds for it: looked up where the longest overlay prefix of ``path`` says
        it was written (in a layer when the source says so), else at ``path``."""
        if self.overlays:
            for depth in range(len(path), -1, -1):
                sources = self.overlays.get(path[:depth])
                if sources is None:
                    continue
                for source in sources:
                    where = (*source, *path[depth:])
                    if where and isinstance(where[0], int):
                        owner, found = self.layers[where[0]]._written(table, where[1:])
                    else:
                        owner, found = self, getattr(self, table).get(where)
                    if found is not None:
                        return owner, found
                return self, None
        return self, getattr(self, table).get(path)

    def _place(self, table: str, path: JsonPath) -> SourcePos | None:
        owner, found = self._written(table, path)
        if found is None:
            return None
        line, column = found
        return SourcePos(owner.file, line, column, self.heir if owner.file != self.file else "")

    def value_at(self, path: JsonPath) -> SourcePos | None:
        """The position of the value at exactly ``path``, when it was written."""
        return self._place("values", path)

    def value_pos(self, path: JsonPath) -> SourcePos:
        """The position of the value at ``path``, or of its nearest written ancestor."""
        for depth in range(len(path), -1, -1):
            pos = self.value_at(path[:depth])
            if pos is not None:
                return pos
        return self.start

    def key_pos(self, path: JsonPath) -> SourcePos:
        """The position of the key that introduces ``path``, falling back to its value."""
        found = self._place("keys", path)
        return self.value_pos(path) if found is None else found

    def yaml11_boolean(self, path: JsonPath) -> str | None:
        """How a boolean at ``path`` was written, when the YAML 1.1 way (``yes``, ``On``)."""
        found = self._written("yaml11_booleans", path)[1]
        return None if found is None else str(found)

    def with_overlays(self, overlays: Mapping[JsonPath, tuple[JsonPath, ...]]) -> SourceMap:
        """This map with ``overlays`` saying where the merged document's nodes came from."""
        return replace(self, overlays={**self.overlays, **overlays})


@dataclass(frozen=True)
class Blueprint:
    """One blueprint document as written, plus where each of its nodes came from.

    A blueprint under shared defaults (``kgen.defaults.yaml``) is the merge of both;
    ``inherited`` keeps the parts, for each environment to merge its blocks in turn.
    """

    data: Mapping[str, Any]
    source: SourceMap
    inherited: Inheritance | None = None

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def _metadata(self) -> Mapping[str, Any]:
        metadata = self.data.get("metadata")
        return metadata if isinstance(metadata, Mapping) else {}

    @property
    def name(self) -> str:
        return str(self._metadata.get("name", ""))

    @property
    def namespace(self) -> str | None:
        namespace = self._metadata.get("namespace")
        return None if namespace is None else str(namespace)

    @property
    def ref(self) -> str:
        """A short human name: ``Microservice shop/api``."""
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {scope}{self.name}"


@dataclass(frozen=True)
class Inheritance:
    """A blueprint as its file has it, and the defaults files it inherits, outermost
    first (each read as a document of kind ``Defaults``)."""

    original: Blueprint
    chain: tuple[Blueprint, ...]


@dataclass(frozen=True)
class Document:
    """One rendered Kubernetes (or eksctl) document and the blueprint it came from."""

    body: Mapping[str, Any]
    origin: Blueprint
    template: str
    #: Output paths a patch of the blueprint set, with the blueprint path of the patch value
    #: that set it: problems there point at the patch.
    patched: Mapping[JsonPath, JsonPath] = field(default_factory=dict)
    #: ``body`` as YAML (``kgen.yamlio.dump_document``), when the process that rendered it
    #: wrote it already (``kgen.jobs``); never set on a body that changes after.
    text: str | None = field(default=None, compare=False, repr=False)

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.body.get("metadata", {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        namespace = self.body.get("metadata", {}).get("namespace")
        return None if namespace is None else str(namespace)

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What makes a resource unique in a cluster: group, kind, namespace, name."""
        return (self.group, self.kind, self.namespace or "", self.name)

    @property
    def ref(self) -> str:
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {scope}{self.name}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, the output, or the output folder.

    ``path`` is the field as data (keys and indexes); ``subject`` says what it is a path
    in when that is not the blueprint at ``pos``: a rendered resource (``Deployment
    shop/api``) or the kind of place (``<yaml>``, ``<file>``, ``<output>``). ``field`` is
    both as people read them; a formatter for machines reads the parts.
    """

    pos: SourcePos
    path: JsonPath
    message: str
    hint: str | None = None
    severity: str = "error"
    subject: str | None = None

    @property
    def field(self) -> str:
        """``spec.ports[0].port``, ``Deployment shop/api: spec.replicas`` or ``<yaml>``."""
        if self.subject is None:
            return format_path(self.path)
        return f"{self.subject}: {format_path(self.path)}" if self.path else self.subject

    def sort_key(self) -> tuple[SourcePos, str, str, str]:
        """Problems are shown by position, then field, message and hint."""
        return (self.pos, self.field, self.message, self.hint or "")
