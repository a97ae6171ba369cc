"""StatefulSet -> StatefulApp: a StatefulSet and what it owns make one StatefulApp.

The pod template and the parts are mapped as for any workload (workload.py, parts.py);
the StatefulSet's headless Service is the unit's ``headless`` (kgen renders it as
``<app>-headless``, beside the client Service). What only a StatefulSet has is its
``top`` here: replicas, serviceName, podManagementPolicy, updateStrategy (``rollout``),
minReadySeconds, revisionHistoryLimit, the claim retention policy, and the
volumeClaimTemplates, which become ``storage``, each with the path the app's container
mounts the claim at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgen.importer.account import Status, TargetPath
from kgen.importer.index import Group, Index, pod_spec
from kgen.importer.mappers import parts
from kgen.importer.mappers.base import Build, Unit, item, reserved_label, target
from kgen.importer.mappers.workload import (
    POD,
    immutable,
    main_container,
    map_workload,
    selector,
    start,
)
from kgen.importer.read import Resource
from kgen.model import JsonPath, Problem
from kgen.record import dataclass

#: The revisionHistoryLimit kgen writes on every StatefulSet.
REVISIONS = 5
_CLAIMS = "no blueprint field, and a patch would replace the claim templates kgen renders whole"
_MOUNT = "no blueprint field, and a patch would replace kgen's list of containers whole"
#: Mount settings a storage volume has no field for, and why.
_MOUNT_FIELDS = {
    "subPath": "kgen mounts the whole volume at mountPath: the app would find the volume's "
    "root there, not this folder of it (move the data, or keep the StatefulSet as it is)",
    "subPathExpr": "kgen mounts the whole volume at mountPath: the app would find the "
    "volume's root there, not this folder of it",
    "readOnly": "kgen mounts storage read-write",
}
_REQUEST: JsonPath = ("spec", "resources", "requests", "storage")
#: What a storage item is not without: kgen refusing one leaves the whole item out.
_REQUIRED = frozenset({"name", "size", "mountPath"})
#: A claim template's settings that Kubernetes gives it anyway.
_CLAIM_DEFAULTS: dict[JsonPath, Any] = {
    ("spec", "volumeMode"): "Filesystem",
    ("apiVersion",): "v1",
    ("kind",): "PersistentVolumeClaim",
}


def map_statefulapp(group: Group, index: Index, build: Build) -> None:
    """StatefulSet -> StatefulApp: fill ``build.blueprint`` from a StatefulSet and what it
    owns; problems go to ``build.problems``."""
    (workload,) = group.workloads
    start(build)
    unit = Unit(
        workload, "StatefulSet", build.app, POD, build.app,
        headless=headless_service(index, workload),
    )  # fmt: skip
    map_workload(build, index, unit, statefulset)


def headless_service(index: Index, workload: Resource) -> Resource | None:
    """The StatefulSet's headless Service: the one its serviceName names, else the first
    headless Service that selects its pods."""
    services = [s for s in index.owned(workload, "Service") if parts.is_headless(s)]
    named = [s for s in services if s.name == _get(workload.body, "spec", "serviceName")]
    found = named or services
    return found[0] if found else None


def statefulset(build: Build, unit: Unit, top: Mapping[str, Any]) -> None:
    """What only a StatefulSet has."""
    workload, kind, name = unit.resource, unit.kind, unit.name
    for key in ("replicas", "podManagementPolicy", "minReadySeconds"):
        if key in top:
            build.put(
                (*unit.where, key),
                top[key],
                workload,
                ("spec", key),
                target(kind, name, "spec", key),
            )
    selector(build, unit, top)
    if top.get("serviceName") is not None:
        _service_name(build, unit, top["serviceName"])
    if top.get("revisionHistoryLimit") == REVISIONS:
        build.record(
            workload,
            ("spec", "revisionHistoryLimit"),
            Status.MAPPED,
            "kgen writes the same",
            target(kind, name, "spec", "revisionHistoryLimit"),
        )  # any other value is a patch
    _update_strategy(build, unit, top.get("updateStrategy"))
    policy = top.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(policy, Mapping):
        at: JsonPath = ("spec", "persistentVolumeClaimRetentionPolicy")
        for key, value in policy.items():
            if value == "Retain":
                build.record(workload, (*at, key), Status.DEFAULT, "Kubernetes' default")
        build.leftovers(workload, policy, at, kind, name, at)  # Delete: a patch
    _storage(build, unit, top.get("volumeClaimTemplates"))


def _get(node: Any, *path: str | int) -> Any:
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _service_name(build: Build, unit: Unit, value: Any) -> None:
    """kgen's StatefulSet names its own headless Service, ``<app>-headless``."""
    rendered = f"{unit.name}-headless"
    at: JsonPath = ("spec", "serviceName")
    if value == rendered:
        out = target(unit.kind, unit.name, *at)
        build.record(unit.resource, at, Status.MAPPED, "", out)
        return
    build.record(
        unit.resource, at, Status.REPLACED,
        f"kgen's headless Service is {rendered}: the pods' DNS names become "
        f"{unit.name}-0.{rendered}.{build.namespace} and so on; "
        + immutable(unit.kind, "serviceName"),
    )  # fmt: skip


def _update_strategy(build: Build, unit: Unit, strategy: Any) -> None:
    """RollingUpdate (with a partition: a staged rollout) or OnDelete, as ``rollout``;
    anything else of it is a patch."""
    if not isinstance(strategy, Mapping):
        return  # a patch, if anything (kgen refuses what is not a strategy)
    workload, kind, name = unit.resource, unit.kind, unit.name
    at: JsonPath = ("spec", "updateStrategy")
    strategy_type = strategy.get("type", "RollingUpdate")
    rolling = strategy.get("rollingUpdate")
    partition = _get(rolling, "partition")
    if "type" in strategy:
        if strategy_type == "RollingUpdate" and not partition:
            build.record(workload, (*at, "type"), Status.DEFAULT, "Kubernetes' default")
        else:
            build.put(
                (*unit.where, "rollout", "strategy"),
                strategy_type,
                workload,
                (*at, "type"),
                target(kind, name, *at, "type"),
            )
    if strategy_type == "RollingUpdate" and partition is not None:
        where: JsonPath = (*at, "rollingUpdate", "partition")
        if partition == 0:
            build.record(workload, where, Status.DEFAULT, "Kubernetes' default")
        else:
            out = target(kind, name, *where)
            build.put((*unit.where, "rollout", "partition"), partition, workload, where, out)
    build.leftovers(workload, rolling, (*at, "rollingUpdate"), kind, name, (*at, "rollingUpdate"))
    build.leftovers(workload, strategy, at, kind, name, at)


def _storage(build: Build, unit: Unit, templates: Any) -> None:
    """Each claim template a ``storage`` volume, at the path the app's container mounts it
    (sidecars' mounts of it have no field)."""
    at: JsonPath = ("spec", "volumeClaimTemplates")
    if templates is None:
        return
    if not isinstance(templates, list):
        build.left_out(unit.resource, at, "not a list of claim templates")
        return
    spec = pod_spec(unit.resource, unit.pod)
    containers = [c for c in spec.get("containers") or [] if isinstance(c, Mapping)]
    main = main_container(unit, containers)
    mounts: dict[str, list[tuple[JsonPath, Mapping[str, Any]]]] = {}
    for position, container in enumerate(containers):
        found = container.get("volumeMounts")
        for m, mount in enumerate(found if isinstance(found, list) else []):
            if isinstance(mount, Mapping):
                path = (*unit.pod, "containers", position, "volumeMounts", m)
                mounts.setdefault(str(mount.get("name")), []).append((path, mount))
    own = (*unit.pod, "containers", main)
    for index, claim in enumerate(templates):
        if not isinstance(claim, Mapping):
            build.left_out(unit.resource, (*at, index), "not a claim template: a mapping")
            continue
        name = _get(claim, "metadata", "name")
        if not isinstance(name, str) or not name:
            where = (*at, index, "metadata", "name")
            hint = "name it (metadata.name): containers mount the claim by that name"
            _problem(build, unit, where, "a claim template without a name", hint)
            continue
        found = mounts.get(name, [])
        for path, _ in found:
            if path[: len(own)] != own:
                build.left_out(
                    unit.resource, path, "no blueprint field for a sidecar's volumes: kgen mounts "
                    "storage in the app's container",
                )  # fmt: skip
        mine = [(path, mount) for path, mount in found if path[: len(own)] == own]
        _claim(build, unit, claim, (*at, index), mine)


def _claim(
    build: Build,
    unit: Unit,
    claim: Mapping[str, Any],
    at: JsonPath,
    mounts: list[tuple[JsonPath, Mapping[str, Any]]],
) -> None:
    """One claim template: a ``storage`` item, when the app's container mounts it."""
    workload = unit.resource
    name = str(_get(claim, "metadata", "name"))
    if _get(claim, *_REQUEST) is None:
        hint = "Kubernetes needs the size of each claim: spec.resources.requests.storage: 10Gi"
        _problem(build, unit, (*at, *_REQUEST), "a claim template without a size", hint)
        return
    if not mounts:
        build.left_out(
            workload, at, f"the app's container does not mount the claim {name}: kgen mounts "
            "each storage volume there",
        )  # fmt: skip
        return
    storage: list[dict[str, Any]] = build.spec.setdefault("storage", [])
    volume = _Volume(build, unit, {}, ("spec", "storage", len(storage)))
    storage.append(volume.entry)
    build.origin(volume.where, workload, at)
    out = ("spec", "volumeClaimTemplates", item("metadata.name", name))
    for key, path in (("name", ("metadata", "name")), ("size", _REQUEST)):
        volume.put(key, _get(claim, *path), (*at, *path), (*out, *path))
    if _get(claim, "spec", "storageClassName") is not None:
        path = ("spec", "storageClassName")
        volume.put("class", _get(claim, *path), (*at, *path), (*out, *path))
    modes = _get(claim, "spec", "accessModes")
    if isinstance(modes, list) and modes:
        path = ("spec", "accessModes", 0)
        volume.put("accessMode", modes[0], (*at, *path), (*out, *path))
        for extra in range(1, len(modes)):
            build.left_out(
                workload,
                (*at, "spec", "accessModes", extra),
                "kgen's storage takes one access mode",
            )
    _mount(volume, name, mounts)
    for path, value in _CLAIM_DEFAULTS.items():
        if _get(claim, *path) == value:
            build.record(workload, (*at, *path), Status.DEFAULT, "Kubernetes' default")
    labels = _get(claim, "metadata", "labels")
    for key in labels if isinstance(labels, Mapping) else ():
        if reserved_label(str(key)):
            build.record(
                workload,
                (*at, "metadata", "labels", key),
                Status.CHANGED,
                "kgen labels each claim with the app's selector labels",
            )
    if "status" in claim:
        build.left_out(workload, (*at, "status"), "written by the cluster")
    _rest(build, workload, claim, at)


@dataclass(frozen=True)
class _Volume:
    """A ``storage`` item being made, at ``where`` in the blueprint."""

    build: Build
    unit: Unit
    entry: dict[str, Any]
    where: JsonPath

    def put(self, key: str, value: Any, path: JsonPath, out: TargetPath) -> None:
        """Set ``key`` from the input at ``path``, which renders at ``out`` of the
        StatefulSet."""
        self.entry[key] = value
        unit = self.unit
        self.build.record(
            unit.resource, path, Status.MAPPED, "", target(unit.kind, unit.name, *out)
        )
        if key not in _REQUIRED:  # the item's own origins, the claim and its mount, cover them
            self.build.origin((*self.where, key), unit.resource, path)


def _mount(volume: _Volume, name: str, mounts: list[tuple[JsonPath, Mapping[str, Any]]]) -> None:
    """The app's container mounting the claim: the item's mountPath (the first mount)."""
    build, unit = volume.build, volume.unit
    workload = unit.resource
    path, mount = mounts[0]
    build.origin(volume.where, workload, path)
    out = (
        *unit.pod,
        "containers",
        item("name", unit.container),
        "volumeMounts",
        item("name", name),
    )
    build.record(
        workload, (*path, "name"), Status.MAPPED, "", target(unit.kind, unit.name, *out, "name")
    )
    volume.put("mountPath", mount.get("mountPath"), (*path, "mountPath"), (*out, "mountPath"))
    for key, value in mount.items():
        if key in ("name", "mountPath"):
            continue
        if key == "readOnly" and value is False:
            build.record(workload, (*path, key), Status.DEFAULT, "Kubernetes' default")
        else:
            build.left_out(workload, (*path, key), _MOUNT_FIELDS.get(key, _MOUNT))
    for path, _ in mounts[1:]:
        build.left_out(
            workload, path, f"a second mount of the claim {name}: kgen mounts each storage "
            "volume once",
        )  # fmt: skip


def _rest(build: Build, workload: Resource, node: Any, path: JsonPath) -> None:
    """What nothing recorded under a claim template: left out (kgen renders the list)."""
    if not isinstance(node, Mapping):
        return
    for key, value in node.items():
        at = (*path, key)
        if build.ledger.covers(workload, at) is not None:
            continue
        if value is None:
            build.record(workload, at, Status.DEFAULT, "null: nothing set")
        elif build.ledger.recorded(workload, at):
            _rest(build, workload, value, at)
        else:
            build.left_out(workload, at, _CLAIMS)


def _problem(build: Build, unit: Unit, path: JsonPath, message: str, hint: str) -> None:
    build.problems.append(
        Problem(
            unit.resource.pos(path),
            path,
            message,
            hint,
            subject=f"{unit.resource.kind} {build.namespace}/{unit.resource.name}",
        )
    )
