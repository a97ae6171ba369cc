"""One mapper per blueprint kind: fills a ``Build`` from a ``Group`` of workloads."""

from __future__ import annotations

from collections.abc import Callable

from kgen.importer.index import Group, Index
from kgen.importer.mappers.base import Build
from kgen.importer.mappers.statefulset import map_statefulapp
from kgen.importer.mappers.workload import map_microservice

Mapper = Callable[[Group, Index, Build], None]

#: Blueprint kind -> its mapper.
MAPPERS: dict[str, Mapper] = {
    "Microservice": map_microservice,
    "StatefulApp": map_statefulapp,
}
