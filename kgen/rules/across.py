"""Set rules: what the blueprints of one run must agree on, checked on the set view."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from kgen.model import JsonPath, Problem, format_path
from kgen.units import Unit

if TYPE_CHECKING:
    from kgen.assemble import SetView

SetRule = Callable[["SetView"], Iterator[Problem]]


def node_port_problems(view: SetView) -> Iterator[Problem]:
    """A node port is one per cluster: two Services cannot both take its number, whatever
    their protocols (the allocator counts numbers). One Service may use a number for TCP
    and UDP alike."""
    taken: dict[int, tuple[Unit, JsonPath]] = {}
    for unit in view.units:
        ports = unit.written_at("ports")
        for index, port in enumerate(unit.get("ports", [])):
            if "nodePort" not in port:
                continue
            number, where = port["nodePort"], (*ports, index, "nodePort")
            if number not in taken:
                taken[number] = (unit, where)
                continue
            owner, first = taken[number]
            if owner is unit:
                continue  # the same Service, another protocol (x-kgen-unique saw the rest)
            blueprint = owner.blueprint
            at = f"{blueprint.ref} {format_path(first)} ({blueprint.source.value_pos(first)})"
            yield Problem(
                unit.blueprint.source.value_pos(where),
                where,
                f"node port {number} is already taken by {at}",
                "every nodePort is cluster-wide: choose another, or leave it unset",
            )


def ingress_route_problems(view: SetView) -> Iterator[Problem]:
    """One host and path go to one Service: two Ingresses claiming them would fight (on a
    shared ALB, one rule silently wins)."""
    taken: dict[tuple[str, str], tuple[Unit, JsonPath]] = {}
    for unit in view.units:
        ingress = unit.get("ingress")
        if ingress is None:
            continue
        where = unit.written_at("ingress")
        route = (ingress["host"], ingress.get("path", "/").rstrip("/") or "/")
        if route in taken:
            owner, first = taken[route]
            blueprint = owner.blueprint
            yield Problem(
                unit.blueprint.source.value_pos((*where, "host")),
                (*where, "host"),
                f"{route[0]}{route[1]} is routed to {blueprint.ref} already "
                f"({blueprint.source.value_pos((*first, 'host'))})",
                "give each app its own host or path",
            )
        else:
            taken[route] = (unit, where)


#: Every set rule, in the order they report.
SET_RULES: tuple[SetRule, ...] = (node_port_problems, ingress_route_problems)
