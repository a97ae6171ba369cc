"""The accounting of an import: every leaf of every input resource, and what became of it.

Mappers record each input path they consume with a status; ``account`` walks every leaf
of every resource and finds the record that covers it (the longest recorded prefix), so
nothing of the input goes unmentioned. A leaf no record covers is a bug in a mapper: it
is reported as left out, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

from kgen.importer.read import Resource
from kgen.model import JsonPath, format_path
from kgen.record import dataclass, field, replace


class Status(StrEnum):
    #: The value is in the blueprint, and rendering gives it back at ``target``.
    MAPPED = "mapped"
    #: kgen writes its own hardened value instead (security context, probes, token, ...).
    HARDENED = "hardened"
    #: kgen writes a value of its own for a reason the note says (names, labels, selectors).
    CHANGED = "changed"
    #: Kubernetes' default: kgen leaves it to the API server, which sets the same.
    DEFAULT = "default"
    #: No blueprint field: carried in ``patches`` on the rendered resource.
    PATCHED = "patched"
    #: A secret's value: never copied; the blueprint reads it from the secret store.
    SECRET = "secret"
    #: kgen renders it under another name (the app's): what refers to the old name must follow.
    RENAMED = "renamed"
    #: Not in the blueprint, for the reason the note says.
    LEFT_OUT = "left out"
    #: kgen renders another value in a field Kubernetes does not let change (a selector, a
    #: StatefulSet's serviceName): applying over the running resource fails until it is
    #: deleted and made again, as the note says.
    REPLACED = "replaced"


#: The statuses a user is warned of: what the blueprint does not say as the input did.
WARNED = frozenset(
    {Status.PATCHED, Status.SECRET, Status.RENAMED, Status.LEFT_OUT, Status.REPLACED}
)


@dataclass(frozen=True)
class Item:
    """In a target path: the item of a list whose ``key`` is ``value`` (``env[name=PORT]``;
    a key with dots looks deeper: ``metrics[resource.name=cpu]``)."""

    key: str
    value: str

    def __str__(self) -> str:
        return f"[{self.key}={self.value}]"


TargetPath = tuple[str | int | Item, ...]


@dataclass(frozen=True)
class Target:
    """Where a mapped value shows up in the rendered output."""

    kind: str
    name: str
    path: TargetPath

    def __str__(self) -> str:
        shown = "".join(
            str(part)
            if isinstance(part, Item)
            else format_path((part,))
            if isinstance(part, int)
            else f".{format_path((part,))}"
            if not format_path((part,)).startswith("[")
            else format_path((part,))
            for part in self.path
        ).lstrip(".")
        return f"{self.kind}/{self.name}: {shown}"


@dataclass(frozen=True)
class Entry:
    """What became of the input at ``path`` of ``resource`` (and everything below it)."""

    resource: Resource
    path: JsonPath
    status: Status
    note: str = ""
    target: Target | None = None
    blueprint: str = ""  # the blueprint it went into: "Microservice shop/api"
    #: A note on the value (``Ledger.note``), not a record of it: always warned of.
    warn: bool = False
    #: A record warned of though its status is none of ``WARNED`` (a change of behaviour).
    loud: bool = False
    #: Where else rendering gives the value back: a part several blueprints share (an
    #: Ingress split between the apps it routes to) comes back in each one's resource.
    also: tuple[Target, ...] = ()

    @property
    def targets(self) -> tuple[Target, ...]:
        """Every place rendering gives the value back."""
        return (self.target, *self.also) if self.target is not None else self.also


class Entries(dict[tuple[int, JsonPath], Entry]):
    """The records by (id(resource), path), with the recorded paths of each resource at
    hand (``paths``): what is recorded under a path is found without reading every record."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: dict[int, set[JsonPath]] = {}

    def __setitem__(self, key: tuple[int, JsonPath], entry: Entry) -> None:
        super().__setitem__(key, entry)
        self.paths.setdefault(key[0], set()).add(key[1])

    def __delitem__(self, key: tuple[int, JsonPath]) -> None:
        super().__delitem__(key)
        self.paths[key[0]].discard(key[1])

    def under(self, ident: int, path: JsonPath) -> list[tuple[int, JsonPath]]:
        """The keys of the records of resource ``ident`` at ``path`` or under it."""
        return [(ident, p) for p in self.paths.get(ident, ()) if p[: len(path)] == path]


@dataclass
class Ledger:
    """The records of one import, by resource (by identity) and path."""

    entries: Entries = field(default_factory=Entries)
    #: What the import changes of how the input behaves, told at a value: these cover
    #: nothing below their path (each leaf keeps its record) and are always warned of.
    notes: dict[tuple[int, JsonPath], Entry] = field(default_factory=dict)

    def record(
        self,
        resource: Resource,
        path: JsonPath,
        status: Status,
        note: str = "",
        target: Target | None = None,
        blueprint: str = "",
        *,
        loud: bool = False,
    ) -> None:
        """``loud``: a change the user must hear of, though its status is no warning."""
        key = (id(resource), path)
        found = self.entries.get(key)
        # the same value said again (settled: a default, a patch kgen writes) keeps where
        # else it comes back
        also = found.also if found is not None and found.target == target else ()
        self.entries[key] = Entry(
            resource, path, status, note, target, blueprint, also=also, loud=loud
        )

    def note(self, resource: Resource, path: JsonPath, note: str, blueprint: str = "") -> None:
        """Warn at ``path`` of ``resource`` that kgen changes what the input does there."""
        entry = Entry(resource, path, Status.CHANGED, note, None, blueprint, warn=True)
        self.notes[(id(resource), path)] = entry

    def forget(self, resource: Resource, path: JsonPath = ()) -> None:
        """Drop every record of ``resource`` (at ``path`` and under it)."""
        for key in self.entries.under(id(resource), path):
            del self.entries[key]
        for key in [
            key for key in self.notes if key[0] == id(resource) and key[1][: len(path)] == path
        ]:
            del self.notes[key]

    def merge(self, other: Ledger) -> None:
        """Take the records and notes of ``other`` (a part several blueprints share, mapped
        by each apart): a record replaces this ledger's, but a left-out one never replaces
        what another blueprint made of the same value."""
        for key, entry in other.entries.items():
            found = self.entries.get(key)
            if found is not None and entry.status is found.status:
                also = tuple(t for t in found.targets if t not in entry.targets)
                self.entries[key] = replace(entry, also=(*entry.also, *also))
            elif (
                found is None
                or entry.status is not Status.LEFT_OUT
                or found.status is Status.LEFT_OUT
            ):
                self.entries[key] = entry
        self.notes.update(other.notes)

    def covers(self, resource: Resource, path: JsonPath) -> Entry | None:
        """The record for ``path`` or its nearest recorded ancestor."""
        for depth in range(len(path), -1, -1):
            found = self.entries.get((id(resource), path[:depth]))
            if found is not None:
                return found
        return None

    def recorded(self, resource: Resource, path: JsonPath) -> bool:
        """Whether ``path`` itself, an ancestor or a descendant has a record."""
        if self.covers(resource, path) is not None:
            return True
        return bool(self.entries.under(id(resource), path))


def leaves(node: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    """Every leaf of a document: scalars, and empty mappings and lists."""
    if isinstance(node, Mapping) and node:
        for key, child in node.items():
            yield from leaves(child, (*path, key))
    elif isinstance(node, list) and node:
        for index, child in enumerate(node):
            yield from leaves(child, (*path, index))
    else:
        yield path, node


@dataclass(frozen=True)
class Line:
    """One leaf of the input and what became of it: a line of the report."""

    resource: Resource
    path: JsonPath
    value: Any
    entry: Entry


def account(resources: tuple[Resource, ...], ledger: Ledger) -> list[Line]:
    """Every leaf of every resource with the record that covers it; a note comes before
    the first leaf under its path."""
    lines: list[Line] = []
    for resource in resources:
        notes = [e for (ident, _), e in ledger.notes.items() if ident == id(resource)]
        for path, value in leaves(resource.body if resource.written is None else resource.written):
            for note in [n for n in notes if path[: len(n.path)] == n.path]:
                notes.remove(note)
                lines.append(Line(resource, note.path, _at(resource.body, note.path), note))
            entry = ledger.covers(resource, path)
            if value is None and (entry is None or entry.status is not Status.LEFT_OUT):
                entry = Entry(resource, path, Status.DEFAULT, "null: nothing set")
            entry = entry or Entry(
                resource, path, Status.LEFT_OUT,
                "kgen import does not read this value, so no blueprint says it (it has no "
                "reason of its own yet: please report it)",
            )  # fmt: skip
            lines.append(Line(resource, path, value, entry))
        lines.extend(Line(resource, n.path, _at(resource.body, n.path), n) for n in notes)
    return lines


def _at(body: Any, path: JsonPath) -> Any:
    found, value = value_at(body, path)
    return value if found else None


def value_at(body: Any, path: TargetPath) -> tuple[bool, Any]:
    """The value at ``path`` of a rendered document: (found, value)."""
    node = body
    for part in path:
        if isinstance(part, Item):
            matches = [
                item
                for item in (node if isinstance(node, list) else [])
                if isinstance(item, Mapping) and str(_dotted(item, part.key)) == part.value
            ]
            if len(matches) != 1:
                return False, None
            node = matches[0]
        elif isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                return False, None
            node = node[part]
        else:
            if not isinstance(node, Mapping) or part not in node:
                return False, None
            node = node[part]
    return True, node


#: Per list of a document (by id) and item key: each value's item indexes.
Selections = dict[tuple[int, str], dict[str, list[int]]]


def resolved(
    body: Any, path: TargetPath, selections: Selections | None = None
) -> tuple[str | int, ...] | None:
    """``path`` of a rendered document with each item selector (``env[name=PORT]``)
    replaced by the index of the one item it selects; None where nothing is there.
    ``selections`` keeps each list's items by key across the calls for one unchanged
    document (every target of a 2,000-variable env list reading the list again was
    quadratic)."""
    node: Any = body
    found: list[str | int] = []
    for part in path:
        step: str | int
        if isinstance(part, Item):
            matches = _selection(node, part.key, {} if selections is None else selections).get(
                part.value, []
            )
            if len(matches) != 1:
                return None
            step = matches[0]
        elif (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            step = part
        else:
            return None
        found.append(step)
        node = node[step]
    return tuple(found)


def _selection(node: Any, key: str, selections: Selections) -> dict[str, list[int]]:
    """The items of list ``node`` by the text of their ``key``."""
    if not isinstance(node, list):
        return {}
    found = selections.get((id(node), key))
    if found is None:
        found = {}
        for index, item in enumerate(node):
            if isinstance(item, Mapping):
                found.setdefault(str(_dotted(item, key)), []).append(index)
        selections[(id(node), key)] = found
    return found


def _dotted(node: Any, key: str) -> Any:
    """``resource.name`` of an item: a key path written with dots."""
    for part in key.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node
