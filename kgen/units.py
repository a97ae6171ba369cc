"""Workload units: the parts of a blueprint that become a pod template, derived once.

A kind's schema marks each such part with ``x-kgen-workload``:

- ``{"kind": "Deployment"}`` on a Microservice's ``spec``, ``{"kind": "StatefulSet"}`` on a
  StatefulApp's: one unit named after the app.
- ``{"kind": ..., "inherit": [fields], "inheritFrom": N, "suffix": ...}`` on a part that
  takes settings from the object N levels up (a Monolith's ``processes`` values, its
  ``migrations``, each of its ``schedules``): named ``<app>-<suffix>``, where the suffix is
  fixed (``migrate``) or the map key (``{key}``) or the item's name (``{name}``); its listed
  fields are the enclosing object's merged with its own (JSON Merge Patch: maps merge, the
  unit's own values win, ``null`` deletes), but those listed in ``"replace"`` (a hook: one
  choice of handler), which the unit's own value replaces whole. ``"probed": false`` for
  Jobs and CronJobs.

Rules, the set view and the templates all read these units; none works out again what a
unit is or where one of its values was written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kgen.helpers import merge_patch, selector_labels
from kgen.model import Blueprint, JsonPath
from kgen.record import dataclass
from kgen.schema import document_schema, walk


@dataclass(frozen=True)
class Unit(Mapping[str, Any]):
    """One pod template of a blueprint. As a mapping it is its settings: the fields of its
    part of the spec (with defaults), and for an inheriting unit the inherited ones merged
    in; templates read them as ``unit.image``, ``unit.ports``."""

    blueprint: Blueprint  # with its defaults filled in
    path: JsonPath  # where its own settings are written: ("spec",), ("spec", "processes", "web")
    workload: str  # the kind of controller: Deployment or StatefulSet
    name: str  # the name of its controller, Service and pod labels: <app> or <app>-<process>
    component: str | None  # the process, for app.kubernetes.io/component
    container: str  # the name of its main container
    settings: Mapping[str, Any]
    #: Its own settings as the user wrote them (before defaults), for rules about what
    #: the user set.
    written: Mapping[str, Any]
    inherited_from: JsonPath | None = None
    inherited: tuple[str, ...] = ()
    #: Whether its containers get probes: not a Job's or a CronJob's, which run to the end.
    probed: bool = True

    def __getitem__(self, key: str) -> Any:
        return self.settings[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.settings)

    def __len__(self) -> int:
        return len(self.settings)

    def __hash__(self) -> int:
        return hash((id(self.blueprint), self.path))

    def __eq__(self, other: object) -> bool:
        return self is other

    @property
    def app(self) -> str:
        return self.blueprint.name

    @property
    def namespace(self) -> str:
        return self.blueprint.namespace or ""

    @property
    def selector(self) -> dict[str, str]:
        """The labels its pods are selected by: only ones that never change."""
        return selector_labels(self.app, self.component)

    @property
    def own(self) -> Mapping[str, Any]:
        """Its own settings, as in the blueprint (with defaults), without inherited ones."""
        return _at(self.blueprint.data, self.path)

    def written_at(self, field: str) -> JsonPath:
        """Where the value of ``field`` comes from: its own settings, or the ones it
        inherits when it does not set the field itself."""
        if self.inherited_from is None or field not in self.inherited or field in self.own:
            return (*self.path, field)
        return (*self.inherited_from, field)


def derive_units(blueprint: Blueprint, written: Blueprint) -> tuple[Unit, ...]:
    """The units of a valid blueprint with its defaults filled in (``written``: the same
    blueprint as written), sorted by name."""
    kind_schema: Any = document_schema(blueprint.kind)
    units = []
    for path, schema, _, value in walk(kind_schema, kind_schema["$id"], blueprint.data):
        marker = schema.get("x-kgen-workload")
        if isinstance(marker, Mapping) and isinstance(value, Mapping):
            units.append(_unit(blueprint, path, marker, value, _at(written.data, path)))
    return tuple(sorted(units, key=lambda unit: unit.name))


def _at(data: Any, path: JsonPath) -> Mapping[str, Any]:
    for part in path:
        if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            data = data.get(part, {}) if isinstance(data, Mapping) else {}
    return data if isinstance(data, Mapping) else {}


def _unit(
    blueprint: Blueprint,
    path: JsonPath,
    marker: Mapping[str, Any],
    own: Mapping[str, Any],
    written: Mapping[str, Any],
) -> Unit:
    app = blueprint.name
    probed = bool(marker.get("probed", True))
    inherit = tuple(marker.get("inherit", ()))
    if not inherit:
        return Unit(
            blueprint, path, marker["kind"], app, None, app, dict(own), written, probed=probed
        )
    suffix = str(marker["suffix"]).format(key=path[-1], name=own.get("name"))
    parent_path = path[: -int(marker["inheritFrom"])]  # the object whose settings it takes
    parent = _at(blueprint.data, parent_path)
    settings = dict(own)
    whole = set(marker.get("replace", ()))
    for field in inherit:
        if field in parent:
            settings[field] = (
                (own[field] if field in whole else merge_patch(parent[field], own[field]))
                if field in own
                else parent[field]
            )
    return Unit(
        blueprint,
        path,
        marker["kind"],
        f"{app}-{suffix}",
        suffix,
        suffix,
        settings,
        written,
        inherited_from=parent_path,
        inherited=inherit,
        probed=probed,
    )
