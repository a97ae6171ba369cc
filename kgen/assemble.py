"""Stage 3: the set view. Every valid blueprint with its workload units, in one frozen view
of the whole set, and the checks that span blueprints.

Templates and set rules read this view; the next stages never work out again what a unit
is, which units a blueprint has, or who else is in the set.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from kgen.cluster import config_inputs, node_selector, role_arn, tolerations
from kgen.graph import ServiceGraph, build_graph
from kgen.model import Blueprint, Problem
from kgen.policy import network_policy
from kgen.record import dataclass, field
from kgen.rules.across import SET_RULES
from kgen.units import Unit
from kgen.validate import Checked


@dataclass(frozen=True)
class SetView:
    """The valid blueprints of one run (input order), their units and the service graph."""

    entries: tuple[Checked, ...]
    _units_of: Mapping[int, tuple[Unit, ...]] = field(default_factory=dict, repr=False)
    graph: ServiceGraph = field(default_factory=ServiceGraph)
    #: The Cluster blueprints of the set (one, as a rule).
    clusters: tuple[Blueprint, ...] = ()
    #: render_inputs by blueprint: render_key and render read them for each blueprint.
    _inputs: dict[int, Mapping[str, Any]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def cluster(self) -> Blueprint | None:
        """The set's one Cluster; None without one, or with more than one."""
        return self.clusters[0] if len(self.clusters) == 1 else None

    @property
    def blueprints(self) -> tuple[Blueprint, ...]:
        return tuple(entry.filled for entry in self.entries if entry.filled is not None)

    @property
    def units(self) -> Iterator[Unit]:
        """Every unit of the set, blueprint by blueprint."""
        for entry in self.entries:
            yield from entry.units

    def units_of(self, blueprint: Blueprint) -> tuple[Unit, ...]:
        """The units of one blueprint of the set."""
        return self._units_of[id(blueprint)]

    def render_inputs(self, blueprint: Blueprint) -> Mapping[str, Any]:
        """What a blueprint's templates read of the set beyond the blueprint and its units:
        each unit's NetworkPolicy spec, from the service graph (who calls it, whom it
        calls); the IAM role the Cluster declares for it (IRSA from ``awsPolicies``); for
        the Cluster, the roles of every app. Derived once per blueprint."""
        found = self._inputs.get(id(blueprint))
        if found is None:
            found = self._inputs[id(blueprint)] = self._derive_inputs(blueprint)
        return found

    def _derive_inputs(self, blueprint: Blueprint) -> Mapping[str, Any]:
        cluster = self.cluster
        if blueprint.kind == "Cluster":
            return config_inputs(blueprint, self.blueprints if cluster else [blueprint])
        return {
            "policies": {
                unit.name: network_policy(unit, self.graph) for unit in self.units_of(blueprint)
            },
            "awsRole": role_arn(cluster, blueprint) if cluster is not None else None,
            "tolerations": {
                unit.name: tolerations(cluster, unit) for unit in self.units_of(blueprint)
            }
            if cluster is not None
            else {},
            "nodeSelectors": {
                unit.name: node_selector(cluster, unit) for unit in self.units_of(blueprint)
            },
        }

    def render_key(self, blueprint: Blueprint) -> Hashable:
        """Equal whenever ``render_inputs`` is: a blueprint's documents can be reused from
        another environment's view that gives the same key."""
        return json.dumps(self.render_inputs(blueprint), sort_keys=True)


def assemble(
    checked: Sequence[Checked], failing: AbstractSet[tuple[str, str]] = frozenset()
) -> tuple[SetView, list[Problem]]:
    """The set view of the valid blueprints, and the problems that span them; ``failing``
    names (namespace, name) the workloads left out for problems of their own, which a
    reference to is no problem more."""
    entries = tuple(entry for entry in checked if entry.filled is not None)
    units_of = {id(entry.filled): entry.units for entry in entries}
    units = [unit for entry in entries for unit in entry.units]
    graph, problems = build_graph(units, failing)
    filled = [entry.filled for entry in entries if entry.filled is not None]
    clusters = tuple(blueprint for blueprint in filled if blueprint.kind == "Cluster")
    view = SetView(entries, units_of, graph, clusters)
    problems += [problem for rule in SET_RULES for problem in rule(view)]
    return view, problems
