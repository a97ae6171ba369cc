"""One mapper per blueprint kind: fills a ``Build`` from a ``Group`` of workloads."""

from __future__ import annotations

from collections.abc import Callable

from kgen.importer.index import Group, Index
from kgen.importer.mappers.base import Build
from kgen.importer.mappers.monolith import map_monolith, name_migration
from kgen.importer.mappers.statefulset import map_statefulapp
from kgen.importer.mappers.workload import map_microservice

Mapper = Callable[[Group, Index, Build], None]

#: Blueprint kind -> its mapper.
MAPPERS: dict[str, Mapper] = {
    "Microservice": map_microservice,
    "StatefulApp": map_statefulapp,
    "Monolith": map_monolith,
}
#: Blueprint kind -> what its mapper can only do once kgen accepts the blueprint (the
#: names kgen derives from its settings, for the report).
FINISH: dict[str, Callable[[Build], None]] = {
    "Monolith": name_migration,
}
