"""The service graph: who calls whom, on which ports, derived once from ``dependsOn``.

An edge goes from a caller unit to a target unit, on the target's container ports (a
NetworkPolicy matches pod ports, not Service ports: a Service 80 -> 8080 needs 8080). A
reference names an app (a blueprint of the set); a Monolith target's edges go to each of
its processes that publish the port (all of them with ports, when no port is named). The
set view holds the graph; policies, the picture and the rules read it, none re-derives it.
Built in time linear in the references and the units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from kgen.model import JsonPath, Problem
from kgen.record import dataclass, field
from kgen.suggest import did_you_mean, shown
from kgen.units import Unit
from kgen.workloads import published

#: Edges (caller unit to target unit) one run may declare: each is a rule in two policies.
MAX_EDGES = 20_000


@dataclass(frozen=True)
class Port:
    """A container port a Service publishes: its name, container port number, protocol,
    and the number the Service takes it on."""

    name: str
    number: int
    protocol: str
    service_port: int


@dataclass(frozen=True)
class Edge:
    """The caller may reach the target's pods on ``ports``; declared at ``at`` (a path in
    the caller's blueprint)."""

    caller: Unit
    target: Unit
    ports: tuple[Port, ...]
    at: JsonPath


@dataclass(frozen=True)
class ServiceGraph:
    edges: tuple[Edge, ...] = ()
    _into: Mapping[Unit, tuple[Edge, ...]] = field(default_factory=dict, repr=False)
    _out_of: Mapping[Unit, tuple[Edge, ...]] = field(default_factory=dict, repr=False)
    _apps: Mapping[tuple[str, str], tuple[Unit, ...]] = field(default_factory=dict, repr=False)

    def units_of_app(self, namespace: str, app: str) -> tuple[Unit, ...]:
        """Every unit of an app of the set."""
        return self._apps.get((namespace, app), ())

    def callers(self, unit: Unit) -> tuple[Edge, ...]:
        """The edges into ``unit``, in a stable order."""
        return self._into.get(unit, ())

    def targets(self, unit: Unit) -> tuple[Edge, ...]:
        """The edges out of ``unit``, in the order written."""
        return self._out_of.get(unit, ())


def published_ports(unit: Mapping[str, Any]) -> tuple[Port, ...]:
    """The ports of a unit's main container its Service publishes (not those written
    ``published: false``), as it publishes them."""
    return tuple(_port(port) for port in published(unit))


def container_ports(unit: Mapping[str, Any]) -> tuple[Port, ...]:
    """Every port of a unit's main container, published or not."""
    return tuple(_port(port) for port in unit.get("ports", []))


def _port(port: Mapping[str, Any]) -> Port:
    return Port(
        str(port["name"]),
        int(port["port"]),
        str(port.get("protocol", "TCP")),
        int(port.get("servicePort", port["port"])),
    )


def build_graph(
    units: Sequence[Unit], failing: AbstractSet[tuple[str, str]] = frozenset()
) -> tuple[ServiceGraph, list[Problem]]:
    """The graph of the set's units and the problems of their references. A reference to
    an app in ``failing`` (namespace, name: a blueprint with problems of its own, so not in
    the set) is left out silently: it is there, and its own errors say what to fix."""
    apps: dict[tuple[str, str], list[Unit]] = {}
    for unit in units:
        apps.setdefault((unit.namespace, unit.app), []).append(unit)
    names_in: dict[str, list[str]] = {}
    for namespace, app in apps:
        names_in.setdefault(namespace, []).append(app)
    edges: list[Edge] = []
    problems: list[Problem] = []
    count = 0
    for caller in units:
        where = caller.written_at("dependsOn")
        for index, reference in enumerate(caller.get("dependsOn", [])):
            found = _resolve(caller, reference, (*where, index), apps, names_in)
            if isinstance(found, Problem) and _names(caller, reference) in failing:
                continue
            if isinstance(found, Problem):
                problems.append(found)
                continue
            edges.extend(found)
            count += len(found)
            if count > MAX_EDGES:
                return ServiceGraph(), [
                    _problem(
                        caller,
                        (*where, index),
                        f"the service graph has more than {MAX_EDGES:,} edges (workload to "
                        "workload) here: each one is a rule in two NetworkPolicies",
                        "a Monolith's processes each inherit its dependsOn: give the "
                        "processes that call others their own, shorter lists",
                    )
                ]
    into: dict[Unit, list[Edge]] = {}
    out_of: dict[Unit, list[Edge]] = {}
    for edge in edges:
        into.setdefault(edge.target, []).append(edge)
        out_of.setdefault(edge.caller, []).append(edge)
    graph = ServiceGraph(
        tuple(edges),
        {unit: tuple(found) for unit, found in into.items()},
        {unit: tuple(found) for unit, found in out_of.items()},
        {key: tuple(found) for key, found in apps.items()},
    )
    return graph, _unique(problems)


def _names(caller: Unit, reference: Any) -> tuple[str, str]:
    """The (namespace, app) a dependsOn entry names."""
    written = reference if isinstance(reference, Mapping) else {"app": reference}
    return str(written.get("namespace", caller.namespace)), str(written.get("app"))


def _resolve(
    caller: Unit,
    reference: Any,
    at: JsonPath,
    apps: Mapping[tuple[str, str], list[Unit]],
    names_in: Mapping[str, list[str]],
) -> list[Edge] | Problem:
    written = reference if isinstance(reference, Mapping) else {"app": reference}
    app = str(written["app"])
    namespace = str(written.get("namespace", caller.namespace))
    port = written.get("port")
    name_at = (*at, "app") if isinstance(reference, Mapping) else at
    targets = apps.get((namespace, app))
    if (namespace, app) == (caller.namespace, caller.app):
        # A Monolith's processes may call each other; nothing calls itself.
        targets = [unit for unit in targets or () if unit is not caller]
        if not any(published(unit) for unit in targets):
            return _problem(
                caller,
                name_at,
                f"{caller.name} depends on itself",
                "remove it: a pod reaches itself over localhost, and a StatefulApp's pods "
                "reach each other without it (a Monolith's processes may name their app to "
                "call its other processes)",
            )
    if targets is None:
        elsewhere = sorted(ns for (ns, name) in apps if name == app)
        hint = did_you_mean(app, names_in.get(namespace, [])) or (
            f"there is an app {app!r} in namespace {elsewhere[0]!r}: write "
            f"{{app: {app}, namespace: {elsewhere[0]}}}"
            if elsewhere
            else "dependsOn names apps of the blueprints kgen renders together (metadata.name)"
        )
        return _problem(caller, name_at, f"no app {app!r} in namespace {namespace!r}", hint)
    with_ports = [unit for unit in targets if published(unit)]
    if not with_ports:
        kept = any(unit.get("ports") for unit in targets)
        return _problem(
            caller,
            name_at,
            f"{app} publishes no ports, so nothing can call it",
            "its ports are all published: false: publish the one it calls, or remove the reference"
            if kept
            else "give it ports, or remove the reference",
        )
    edges = []
    for target in with_ports:
        ports = published_ports(target)
        if port is not None:
            ports = _named(ports, port)
        if ports:
            edges.append(Edge(caller, target, ports, at))
    if not edges:
        known = sorted({p.name for unit in with_ports for p in published_ports(unit)})
        if any(_named(container_ports(unit), port) for unit in targets):
            return _problem(
                caller,
                (*at, "port"),
                f"{app} keeps port {shown(port)} unpublished (published: false): "
                "nothing outside its pods can call it",
                "call one of its published ports: " + ", ".join(known),
            )
        return _problem(
            caller,
            (*at, "port"),
            f"{app} publishes no port {shown(port)}",
            did_you_mean(str(port), known) or f"its ports: {', '.join(known)}",
        )
    return edges


def _named(ports: tuple[Port, ...], wanted: Any) -> tuple[Port, ...]:
    """The port a reference names: by name; a number is a Service port first (what a
    caller connects to), else a container port. Never two ports for one reference."""
    if isinstance(wanted, str):
        return tuple(p for p in ports if p.name == wanted)
    by_service = tuple(p for p in ports if p.service_port == wanted)
    return by_service or tuple(p for p in ports if p.number == wanted)


def _problem(caller: Unit, path: JsonPath, message: str, hint: str) -> Problem:
    return Problem(caller.blueprint.source.value_pos(path), path, message, hint)


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    """Each problem once: the processes of a Monolith inherit one reference."""
    return list(dict.fromkeys(problems))
