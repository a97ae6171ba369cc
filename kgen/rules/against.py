"""Set rules that hold the workloads against the set's Cluster: what they name exists there
(storage classes, secret stores, issuers), and what they ask for fits (namespace quotas at
the most replicas, the largest pod on its node group). Without a Cluster they say nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kgen.capacity import Resources, cores, load_of, mebibytes, pod_of, room_of
from kgen.cluster import REPELLING, group_types, repels
from kgen.formats import cpu_millis, memory_bytes
from kgen.model import Blueprint, Document, JsonPath, Problem, format_path
from kgen.suggest import did_you_mean
from kgen.units import Unit

if TYPE_CHECKING:
    from kgen.assemble import SetView

#: The StorageClass EKS makes in every cluster (not the default since Kubernetes 1.30).
EKS_STORAGE_CLASS = "gp2"


def _names(cluster: Blueprint, field: str) -> list[str]:
    return [str(item["name"]) for item in cluster.data["spec"].get(field, [])]


def _missing(
    blueprint: Blueprint, where: JsonPath, name: str, known: list[str], what: str, field: str
) -> Problem:
    return Problem(
        blueprint.source.value_pos(where),
        where,
        f"the Cluster declares no {what} {name!r}",
        did_you_mean(name, known)
        or f"add it to the Cluster's spec.{field} ({', '.join(known) or 'none yet'})",
    )


def _claims(blueprint: Blueprint) -> Iterator[tuple[JsonPath, Mapping[str, Any], bool]]:
    """The blueprint's volume claims: where each is written, its settings, and whether it
    is shared by several nodes' pods (ReadWriteMany)."""
    spec = blueprint.data["spec"]
    for index, volume in enumerate(spec.get("storage", [])):
        shared = volume.get("accessMode") == "ReadWriteMany"
        yield ("spec", "storage", index), volume, shared
    if "sharedStorage" in spec:
        yield ("spec", "sharedStorage"), spec["sharedStorage"], True


def storage_class_problems(view: SetView) -> Iterator[Problem]:
    """A claim names a class the Cluster declares (or EKS's gp2), one that can share a volume
    between nodes when the claim is ReadWriteMany (efs); a claim that names none needs a
    default class, which EKS no longer marks from 1.30."""
    cluster = view.cluster
    if cluster is None:
        return
    spec = cluster.data["spec"]
    presets = {str(c["name"]): str(c["preset"]) for c in spec.get("storageClasses", [])}
    presets.setdefault(EKS_STORAGE_CLASS, "ebs")
    default = any(c.get("default") for c in spec.get("storageClasses", []))
    default = default or tuple(map(int, str(spec["version"]).split("."))) < (1, 30)
    for blueprint in view.blueprints:
        if blueprint.kind == "Cluster":
            continue
        for where, claim, shared in _claims(blueprint):
            name = claim.get("class")
            if name is None:
                if not default:
                    yield Problem(
                        blueprint.source.value_pos(where),
                        where,
                        f"the claim names no storage class, and Cluster {cluster.name} has no "
                        "default one: it would wait forever",
                        "set class, or default: true on one of the Cluster's storageClasses",
                    )
                continue
            at = (*where, "class")
            if name not in presets:
                yield _missing(
                    blueprint, at, name, sorted(presets), "StorageClass", "storageClasses"
                )
            elif shared and presets[name] != "efs":
                yield Problem(
                    blueprint.source.value_pos(at),
                    at,
                    f"{name!r} makes volumes that attach to one node at a time: a "
                    "ReadWriteMany claim on it would wait forever",
                    did_you_mean("efs", [n for n, p in presets.items() if p == "efs"])
                    or "name an efs class of the Cluster",
                )


def _rendered_claim(view: SetView, namespace: str, name: str) -> tuple[Any, ...] | None:
    """The claim kgen renders as ``namespace/name``: its blueprint, where it is written,
    its class (None: the default), size and access mode."""
    for blueprint in view.blueprints:
        if blueprint.kind == "Cluster" or blueprint.namespace != namespace:
            continue
        spec = blueprint.data["spec"]
        if "sharedStorage" in spec and name == f"{blueprint.name}-shared":
            shared = spec["sharedStorage"]
            at: JsonPath = ("spec", "sharedStorage")
            return blueprint, at, shared.get("class"), shared["size"], "ReadWriteMany"
        for index, volume in enumerate(spec.get("storage", [])):
            prefix = f"{volume['name']}-{blueprint.name}-"
            if name.startswith(prefix) and name[len(prefix) :].isdigit():
                mode = volume.get("accessMode", "ReadWriteOnce")
                at = ("spec", "storage", index)
                return blueprint, at, volume.get("class"), volume["size"], mode
    return None


def static_volume_problems(view: SetView) -> Iterator[Problem]:
    """A static volume kept for a claim kgen renders suits it: the claim's class (or the
    default one), at least its size, its access mode. Otherwise the claim waits forever."""
    cluster = view.cluster
    if cluster is None:
        return
    spec = cluster.data["spec"]
    default = next(
        (str(c["name"]) for c in spec.get("storageClasses", []) if c.get("default")), None
    )
    for index, volume in enumerate(spec.get("persistentVolumes", [])):
        claim = volume.get("claim")
        found = None if claim is None else _rendered_claim(view, claim["namespace"], claim["name"])
        if found is None:
            continue
        blueprint, where, wanted_class, size, mode = found
        at = ("spec", "persistentVolumes", index)
        owner = f"{blueprint.ref} {format_path(where)} ({blueprint.source.value_pos(where)})"
        wanted_class = wanted_class or default
        if wanted_class != volume["storageClass"]:
            why = f"in class {wanted_class!r}" if wanted_class else "in no class"
            yield Problem(
                cluster.source.value_pos((*at, "storageClass")),
                (*at, "storageClass"),
                f"the claim it is kept for, of {owner}, is {why}: it would never bind it",
                "put the volume in the claim's class",
            )
        if memory_bytes(volume["capacity"]) < memory_bytes(size):
            yield Problem(
                cluster.source.value_pos((*at, "capacity")),
                (*at, "capacity"),
                f"the claim it is kept for, of {owner}, asks for {size}: it would never bind it",
                f"make capacity at least {size}",
            )
        if mode not in volume.get("accessModes", ["ReadWriteOnce"]):
            yield Problem(
                cluster.source.value_pos((*at, "accessModes")),
                (*at, "accessModes"),
                f"the claim it is kept for, of {owner}, is {mode}: it would never bind it",
                f"add {mode} to accessModes",
            )


def secret_store_problems(view: SetView) -> Iterator[Problem]:
    """Every secret is fetched from a ClusterSecretStore the Cluster declares."""
    cluster = view.cluster
    if cluster is None:
        return
    stores = _names(cluster, "secretStores")
    for blueprint in view.blueprints:
        for index, secret in enumerate(blueprint.data["spec"].get("secrets", [])):
            if blueprint.kind != "Cluster" and secret["store"] not in stores:
                at = ("spec", "secrets", index, "store")
                yield _missing(
                    blueprint, at, str(secret["store"]), stores, "secret store", "secretStores"
                )


def issuer_problems(view: SetView) -> Iterator[Problem]:
    """Every certificate comes from a ClusterIssuer the Cluster declares."""
    cluster = view.cluster
    if cluster is None:
        return
    issuers = _names(cluster, "issuers")
    for unit in view.units:
        issuer = unit.get("ingress", {}).get("tls", {}).get("issuer")
        if issuer is not None and issuer not in issuers:
            at = (*unit.written_at("ingress"), "tls", "issuer")
            yield _missing(unit.blueprint, at, str(issuer), issuers, "issuer", "issuers")


#: A quota's fields: what it bounds, how to read its value, how to show a sum.
_QUOTA: tuple[tuple[str, str, str], ...] = (
    ("cpu", "CPU requests", "requests.cpu"),
    ("memory", "memory requests", "requests.memory"),
    ("cpuLimits", "CPU limits", "limits.cpu"),
    ("memoryLimits", "memory limits", "limits.memory"),
)


def quota_problems(view: SetView) -> Iterator[Problem]:
    """Per namespace, the workloads at their most replicas (rolling updates and Job runs
    included) fit the quota: past it, the API server refuses the pods that do not fit."""
    cluster = view.cluster
    if cluster is None:
        return
    by_namespace: dict[str, list[Unit]] = defaultdict(list)
    for unit in view.units:
        by_namespace[unit.namespace].append(unit)
    for index, namespace in enumerate(cluster.data["spec"].get("namespaces", [])):
        quota = namespace.get("quota")
        units = by_namespace.get(str(namespace["name"]), [])
        if quota is None or not units:
            continue
        loads = [(unit, load_of(unit)) for unit in units]
        where = ("spec", "namespaces", index, "quota")
        for field, what, _ in _QUOTA:
            if field not in quota:
                continue
            memory = "memory" in field.lower()
            bound = (memory_bytes if memory else cpu_millis)(quota[field])
            part = [
                (unit, (load.limits if "Limits" in field else load.requests)[1])
                for unit, load in loads
            ]
            used = [(unit, r.memory if memory else r.cpu) for unit, r in part]
            summed = sum((amount for _, amount in used), start=0)
            if summed > bound:
                yield _over(cluster, (*where, field), what, summed, bound, used, memory)
        if "pods" in quota:
            pods = [(unit, load.pods[1]) for unit, load in loads]
            count = sum(n for _, n in pods)
            if count > quota["pods"]:
                yield Problem(
                    cluster.source.value_pos((*where, "pods")),
                    (*where, "pods"),
                    f"the workloads of {namespace['name']} run up to {count} pods, and the quota "
                    f"allows {quota['pods']} ({_largest(pods, str)})",
                    f"raise pods to at least {count}, or lower maxReplicas",
                )


def _over(
    cluster: Blueprint,
    where: JsonPath,
    what: str,
    summed: Any,
    bound: Any,
    used: Sequence[tuple[Unit, Any]],
    memory: bool,
) -> Problem:
    show = mebibytes if memory else cores
    namespace = cluster.data["spec"]["namespaces"][where[2]]["name"]
    return Problem(
        cluster.source.value_pos(where),
        where,
        f"the workloads of {namespace} ask for {show(summed)} of {what} at their most replicas, "
        f"and the quota allows {show(bound)} ({_largest(used, show)})",
        f"raise it to at least {show(summed)}, or lower the workloads' maxReplicas or resources",
    )


def _largest(used: Sequence[tuple[Unit, Any]], show: Any) -> str:
    """The three units that use the most, with where they are written."""
    ranked = sorted(used, key=lambda item: (-item[1], item[0].name))[:3]
    return "most: " + ", ".join(
        f"{unit.name} {show(amount)} ({unit.blueprint.source.value_pos(unit.path)})"
        for unit, amount in ranked
    )


def _rooms(group: Mapping[str, Any]) -> list[tuple[Resources, str]] | None:
    """The allocatable room of each of the group's instance types, by size; None when a
    type is not in kgen's table (nothing to check against)."""
    known = group_types(group)
    if known is None:
        return None
    return sorted(((room_of(t), t.name) for t in known), key=lambda r: (r[0].cpu, r[0].memory))


def node_fit_problems(view: SetView) -> Iterator[Problem]:
    """The pod of a workload fits a node of the group it is placed on (some instance type
    of the group, after the kubelet's reserve, by kgen's table); a workload placed nowhere
    fits a node of some group without taints that repel it (a field rule makes sure there
    is one)."""
    cluster = view.cluster
    if cluster is None:
        return
    groups = {str(g["name"]): g for g in cluster.data["spec"].get("nodeGroups", [])}
    open_groups = [g for g in groups.values() if not repels(g)]
    rooms = {name: _rooms(group) for name, group in groups.items()}
    open_rooms = [rooms[str(g["name"])] for g in open_groups]
    for unit in view.units:
        wanted = unit.get("placement", {}).get("nodeGroup")
        pod = pod_of(unit).requests
        if wanted is not None:
            found = rooms.get(str(wanted))
            if found is not None and not any(pod.fits(room) for room, _ in found):
                at = (*unit.written_at("placement"), "nodeGroup")
                yield _too_big(unit, at, pod, found, f"node group {wanted}")
            continue
        if any(r is None for r in open_rooms):
            continue  # a type kgen does not know may hold it
        every = [room for found in open_rooms if found for room in found]
        if not any(pod.fits(room) for room, _ in every):
            at = unit.written_at("resources")
            yield _too_big(unit, at, pod, every, "any untainted node group")


def _too_big(
    unit: Unit, at: JsonPath, pod: Resources, rooms: Sequence[tuple[Resources, str]], where: str
) -> Problem:
    most_cpu = max(rooms, key=lambda r: (r[0].cpu, r[0].memory))
    most_memory = max(rooms, key=lambda r: (r[0].memory, r[0].cpu))
    shown = ", ".join(
        f"{name}: {cores(space.cpu)} CPU and {mebibytes(space.memory)}"
        for space, name in dict.fromkeys([most_cpu, most_memory])
    )
    return Problem(
        unit.blueprint.source.value_pos(at),
        at,
        f"a pod of {unit.name} asks for {cores(pod.cpu)} CPU and {mebibytes(pod.memory)}, more "
        f"than a node of {where} can give it ({shown} after the kubelet's reserve)",
        "lower its resources, or use a larger instance type",
    )


# --- on the rendered documents ---------------------------------------------------------------

#: Where each workload kind keeps its pod spec.
_POD_SPEC: Mapping[str, JsonPath] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def _tolerates(tolerations: Sequence[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    """Whether a toleration lets a pod onto nodes with ``taint`` (Kubernetes' matching)."""
    for toleration in tolerations:
        if toleration.get("effect") not in (None, "", taint["effect"]):
            continue
        key, operator = toleration.get("key"), toleration.get("operator", "Equal")
        if key in (None, "") and operator == "Exists":
            return True
        if key == taint["key"] and (
            operator == "Exists" or toleration.get("value", "") == taint.get("value", "")
        ):
            return True
    return False


def toleration_problems(view: SetView, documents: Sequence[Document]) -> Iterator[Problem]:
    """A node group tainted to keep pods off runs only the workloads placed on it: a pod
    (patched) to tolerate a group's taints without being placed there could take its
    nodes (spot nodes, GPU nodes) from the workloads they are for."""
    from kgen.apiserver import patched_at

    cluster = view.cluster
    if cluster is None:
        return
    tainted = {
        str(group["name"]): [t for t in group["taints"] if t["effect"] in REPELLING]
        for group in cluster.data["spec"].get("nodeGroups", [])
        if repels(group)
    }
    for document in documents:
        where = _POD_SPEC.get(document.kind)
        if where is None or not tainted:
            continue
        pod: Any = document.body
        for part in where:
            pod = pod.get(part, {}) if isinstance(pod, Mapping) else {}
        tolerations = pod.get("tolerations") or []
        if not tolerations:
            continue
        selected = set((pod.get("nodeSelector") or {}).items())
        for group, taints in tainted.items():
            placed = {("eks.amazonaws.com/nodegroup", group), ("karpenter.sh/nodepool", group)}
            if selected & placed or not all(_tolerates(tolerations, t) for t in taints):
                continue
            path = (*where, "tolerations")
            patch = patched_at(document, path)
            origin = document.origin
            pos = origin.source.value_pos(patch or ("metadata", "name"))
            yield Problem(
                pos,
                patch or ("metadata", "name"),
                f"the pods of {document.ref} tolerate the taints of node group {group} without "
                "being placed on it: they could take the nodes kept for the workloads placed "
                "there",
                f"place the workload on it (placement.nodeGroup: {group}) and drop the "
                "tolerations: kgen derives them",
            )
