"""A Monolith's units made one app: what every unit shares, and what each keeps.

Mapped one by one, each unit (a process, the migration, a schedule) writes its settings
at its own place in the blueprint, and what only the app has into ``spec``. Then:

- ``one_for_all``: what kgen gives every unit alike and only ``spec`` says
  (``securityContext``, ``serviceAccount``, ``sidecars``, ``initContainers``) is the
  first unit's that sets it (a shared ServiceAccount, the Deployments in input order, the
  migration, the schedules); another unit's other value is left out, naming the
  conflict. A unit that sets none gets the app's.
- ``hoist``: what a unit takes from ``spec`` unless it says its own (``image``, ``env``,
  ``resources``, ``podAnnotations``, ...) moves to ``spec`` where every unit has the
  same (key by key in maps, as kgen merges them); the rest stays with the unit where the
  schema gives it a field of its own, and is left out where not (a migration has no
  ``env`` of its own: a variable every process has and the migration has not stays with
  the processes). What a unit has no field for at all (a Job's probes) is left out.
- ``configFiles`` and ``secrets`` are the union of every unit's: kgen mounts all of them
  into every unit.

A value moves with its origins (the inputs behind it), and is left out with them: their
records are replaced by one that says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from kgen.importer.account import Item, Status
from kgen.importer.mappers.base import Build, Origin, Unit
from kgen.kinds import registry
from kgen.model import JsonPath
from kgen.record import dataclass, replace

#: What each workload kind is to a Monolith.
ROLES = {"Deployment": "process", "Job": "migration", "CronJob": "schedule"}
#: Where each role's fields are in the Monolith's schema, under spec's properties.
_SCHEMA_AT = {
    "Deployment": ("processes", "additionalProperties"),
    "Job": ("migrations",),
    "CronJob": ("schedules", "items"),
}
#: Settings that only spec has, and that mapping any unit writes there.
ONE_FOR_ALL = ("securityContext", "serviceAccount", "sidecars", "initContainers")
#: Of those, the ones compared key by key (the others, lists of containers, whole).
_KEYED = ("securityContext", "serviceAccount")
#: Why a unit's own setting has no field in the blueprint.
_NO_FIELD = {
    "probes": "kgen does not probe the pod of a Job, which runs to its end",
    "ports": "kgen gives the pod of a Job no ports: it serves nothing",
    "sidecars": "kgen runs no sidecars beside a Job: they would keep it from finishing",
}
#: Settings a unit cannot say as its own, kept as a patch on its workload instead (each
#: is a value of its pod, where the input has it, that a merge patch can set alone).
_PATCHED = frozenset({"podAnnotations", "terminationGracePeriodSeconds", "priorityClassName"})
#: Where a setting of a unit shows in the records of other inputs (a ConfigMap key
#: inlined as a variable): their targets, by the setting's key.
_SHOWN_AT = {"env": "env"}
_ABSENT: Any = object()


@cache
def fields(kind: str) -> tuple[frozenset[str], frozenset[str]]:
    """The fields a unit made of a ``kind`` has of its own, and the ones it inherits."""
    node = registry()["Monolith"].schema["properties"]["spec"]["properties"]
    for part in _SCHEMA_AT[kind]:
        node = node[part]
    return frozenset(node["properties"]), frozenset(node["x-kgen-workload"]["inherit"])


@dataclass(frozen=True)
class Stash:
    """The ONE_FOR_ALL settings one unit (or a shared ServiceAccount) wrote into spec,
    taken out again until every unit is mapped, with their origins."""

    source: str  # what wrote them: "Deployment billing-web"
    kind: str  # the workload kind it is (what it inherits)
    pod: JsonPath  # its pod spec's path (a container is left out whole)
    values: dict[str, Any]
    origins: dict[JsonPath, list[Origin]]


def stash(build: Build, source: str, kind: str, pod: JsonPath) -> Stash:
    """Take the ONE_FOR_ALL settings just mapped out of spec."""
    values = {key: build.spec.pop(key) for key in ONE_FOR_ALL if key in build.spec}
    origins = {
        path: build.origins.pop(path)
        for path in list(build.origins)
        if len(path) > 1 and path[0] == "spec" and path[1] in ONE_FOR_ALL
    }
    return Stash(source, kind, pod, values, origins)


def one_for_all(build: Build, stashes: Sequence[Stash]) -> None:
    """Each ONE_FOR_ALL setting: the first stash's (in order) that sets it, key by key
    for a map; a stash's other value is left out."""
    for key in ONE_FOR_ALL:
        settled: dict[str, Any] = {}  # a key of the map ("" for a whole list) -> its value
        first: dict[str, str] = {}  # ... -> the source that set it
        for found in stashes:
            if key not in found.values:
                continue
            mine = {p: o for p, o in found.origins.items() if p[1] == key}
            if key not in fields(found.kind)[1]:
                why = _NO_FIELD.get(key, f"a {ROLES[found.kind]} has no {key}")
                _leave_out(build, _origins(mine, found.pod, key), why)
                continue
            value = found.values[key]
            for part, said in value.items() if key in _KEYED else [("", value)]:
                own = {p: o for p, o in mine.items() if not part or p[2:3] == (part,)}
                settled.setdefault(part, said)
                first.setdefault(part, found.source)
                if settled[part] == said:
                    for path, origins in own.items():
                        build.origins.setdefault(path, []).extend(origins)
                    continue
                name = f"{key}.{part}" if part else key
                _leave_out(
                    build,
                    _origins(own, found.pod, key),
                    f"not {first[part]}'s {name}, which kgen gives every workload of the "
                    f"Monolith (spec.{key}): the first one's wins",
                )
        if settled:
            build.spec[key] = settled if key in _KEYED else settled[""]


def _origins(origins: dict[JsonPath, list[Origin]], pod: JsonPath, key: str) -> list[Origin]:
    """The origins of a ONE_FOR_ALL setting; of a list of containers, each container's
    (a container is left out whole)."""
    found: dict[tuple[int, JsonPath], Origin] = {}
    for origin in (o for group in origins.values() for o in group):
        path = origin.path
        if key not in _KEYED and path[: len(pod)] == pod and len(path) > len(pod) + 1:
            path = path[: len(pod) + 2]
        found.setdefault((id(origin.resource), path), Origin(origin.resource, path))
    return list(found.values())


def _leave_out(build: Build, origins: Sequence[Origin], why: str) -> None:
    """Every record at or under each origin becomes one: left out, ``why``."""
    entries = build.ledger.entries
    for origin in origins:
        depth = len(origin.path)
        for key in [
            k for k in entries if k[0] == id(origin.resource) and k[1][:depth] == origin.path
        ]:
            del entries[key]
        build.record(origin.resource, origin.path, Status.LEFT_OUT, why)


def hoist(build: Build, units: Sequence[Unit]) -> None:
    """Settings equal in every unit move to spec; the rest stays where it has a field
    (``units``: the Deployments first, then the migration, then the schedules)."""
    nodes = [(unit, _node(build, unit.where)) for unit in units]
    for unit, node in nodes:
        own, inherited = fields(unit.kind)
        for key in [k for k in node if k not in own and k not in inherited]:
            why = _NO_FIELD.get(key, f"a {ROLES[unit.kind]} has no {key} in kgen")
            _drop(build, unit, (key,), why)
            del node[key]
    keys = dict.fromkeys(k for unit, node in nodes for k in node if k in fields(unit.kind)[1])
    for key in keys:
        values = [node.get(key, _ABSENT) for _, node in nodes]
        shareable = any(key in fields(kind)[0] for kind in ROLES)
        owns = [key in fields(unit.kind)[0] for unit, _ in nodes]
        common = _common(values, owns) if shareable else values[0]
        if common is not _ABSENT:
            build.spec[key] = common
        for (unit, node), value in zip(nodes, values, strict=True):
            if value is _ABSENT:
                continue
            own = fields(unit.kind)[0]
            why = (
                f"not what every process, the migration and the schedules have, and a "
                f"{ROLES[unit.kind]} has no {key} of its own: it gets the app's (spec.{key})"
                if shareable
                else f"not {units[0].resource.kind} {units[0].resource.name}'s {key}: a "
                f"Monolith's workloads share one (spec.{key})"
            )
            for path in [
                p for p in build.origins if p[: len(unit.where) + 1] == (*unit.where, key)
            ]:
                sub = path[len(unit.where) + 1 :]
                if _at(common, sub) is not _ABSENT and _at(common, sub) == _at(value, sub):
                    build.origins.setdefault(("spec", key, *sub), []).extend(
                        build.origins.pop(path)
                    )
                elif key not in own and key in _PATCHED:
                    for origin in build.origins.pop(path):
                        _patch(build, unit, origin)
                elif key not in own:
                    _drop(build, unit, (key, *sub), why)
            rest = _rest(value, common)
            if rest is _ABSENT or key not in own:
                del node[key]
            else:
                node[key] = rest


def _node(build: Build, where: JsonPath) -> dict[str, Any]:
    node: dict[str, Any] = build.blueprint
    for part in where:
        node = node.setdefault(str(part), {})
    return node


def _drop(build: Build, unit: Unit, path: JsonPath, why: str) -> None:
    """Leave out the unit's setting at ``path`` (under its place): the inputs behind it,
    and the records of other inputs that said it renders (a ConfigMap key inlined)."""
    where = (*unit.where, *path)
    origins = [
        origin
        for key in [p for p in build.origins if p[: len(where)] == where]
        for origin in build.origins.pop(key)
    ]
    _leave_out(build, origins, why)
    shown = _SHOWN_AT.get(str(path[0]))
    if shown is None:
        return
    marker: tuple[Any, ...] = (shown, Item("name", str(path[1]))) if len(path) > 1 else (shown,)
    for key, entry in list(build.ledger.entries.items()):
        found = entry.target
        if (
            entry.status is Status.MAPPED
            and found is not None
            and (found.kind, found.name) == (unit.kind, unit.name)
            and _contains(found.path, marker)
        ):
            build.ledger.entries[key] = replace(
                entry, status=Status.LEFT_OUT, note=why, target=None
            )


def _patch(build: Build, unit: Unit, origin: Origin) -> None:
    """The input value behind a setting, as a patch at its place on the unit's workload
    (a pod has the same path in the input and in what kgen renders)."""
    node: Any = origin.resource.body
    for part in origin.path:
        node = node[part]
    build.patch(unit.kind, unit.name, origin.path, node, origin.resource, origin.path)


def _contains(path: Sequence[Any], marker: tuple[Any, ...]) -> bool:
    return any(tuple(path[i : i + len(marker)]) == marker for i in range(len(path)))


def _common(values: Sequence[Any], owns: Sequence[bool]) -> Any:
    """The app's value, given every unit's (``owns``: whether each can say its own): of
    maps, key by key (deeply); else the value of the most units (the first's on a tie),
    when each other unit can say its own, and there is none when a unit has no value
    (it would get one). A unit that cannot say its own has the app's value, or none."""
    if any(value is _ABSENT for value in values):
        return _ABSENT
    if all(isinstance(value, dict) for value in values):
        found = {}
        for key in values[0]:
            inner = _common([value.get(key, _ABSENT) for value in values], owns)
            if inner is not _ABSENT:
                found[key] = inner
        return found or _ABSENT
    fixed = [value for value, own in zip(values, owns, strict=True) if not own]
    if fixed:
        return fixed[0] if all(value == fixed[0] for value in fixed) else _ABSENT
    return max(values, key=lambda value: sum(1 for other in values if other == value))


def _rest(value: Any, common: Any) -> Any:
    """What ``value`` has beyond ``common``."""
    if common is _ABSENT:
        return value
    if isinstance(value, dict) and isinstance(common, dict):
        found = {}
        for key, inner in value.items():
            left = _rest(inner, common[key]) if key in common else inner
            if left is not _ABSENT:
                found[key] = left
        return found or _ABSENT
    return _ABSENT if value == common else value


def _at(node: Any, path: JsonPath) -> Any:
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node
