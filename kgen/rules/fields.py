"""Field rules: checks of one field's value, run where a schema names them in
``x-kgen-rules``; plus ``x-kgen-unique`` and the rule for numbers, which need no name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from kgen import lazyre
from kgen.apiserver import TOOL_ANNOTATION_PREFIXES, silences_scanner
from kgen.cluster import GRAVITON, repels
from kgen.formats import DNS_LABEL, cpu_millis, memory_bytes
from kgen.hardening import SECURITY_ANNOTATION_PREFIXES
from kgen.helpers import (
    DERIVED_INGRESS_ANNOTATIONS,
    DERIVED_INGRESS_PREFIXES,
    MANAGED_SERVICE_ANNOTATIONS,
    RESERVED_LABELS,
)
from kgen.model import Blueprint, JsonPath, Problem, format_path
from kgen.rules.common import key_problem, normal, problem
from kgen.suggest import did_you_mean
from kgen.yamlio import written_text

FieldRule = Callable[[Blueprint, JsonPath, Any], Iterator[Problem]]


def _no_tool_annotations(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    for key in value if isinstance(value, Mapping) else ():
        if silences_scanner(key):
            yield key_problem(
                blueprint,
                (*path, key),
                "Checkov reads this annotation as a suppression: kgen writes none but the one "
                "for secrets as environment variables",
                "remove it; fix what Checkov reports instead of silencing it",
            )
        elif key.startswith(TOOL_ANNOTATION_PREFIXES):
            yield key_problem(
                blueprint,
                (*path, key),
                "kustomize and kubectl act on this annotation: the folder would no longer "
                "give the same objects as the stream",
                "remove it",
            )


#: Annotations on every resource of a blueprint that would change what kgen derives or
#: how a GitOps tool treats the resources: prefix -> (why, what to write instead).
_DERIVED_ANNOTATIONS: tuple[tuple[str, str, str], ...] = (
    (
        "argocd.argoproj.io/hook",
        "it would make every resource an Argo CD hook, which Argo CD deletes after the sync",
        "remove it; kgen makes the migration Job the one hook",
    ),
    (
        "argocd.argoproj.io/sync-wave",
        "it would replace the sync waves kgen orders migrations with",
        "remove it",
    ),
    (
        "argocd.argoproj.io/tracking-id",
        "Argo CD would take every resource for another Application's",
        "remove it; Argo CD writes it",
    ),
    (
        "helm.sh/hook",
        "Argo CD reads Helm hook annotations as its own: every resource would become a hook",
        "remove it",
    ),
    (
        "eks.amazonaws.com/",
        "it would give the ServiceAccount an IAM role that no field shows",
        "set serviceAccount.awsRoleArn",
    ),
    (
        "alb.ingress.kubernetes.io/",
        "kgen derives the load balancer's annotations from ingress",
        "set the ingress fields (internal, group, tls)",
    ),
    (
        "service.beta.kubernetes.io/",
        "kgen derives the load balancer's annotations from service",
        "set service.type and service.internal, or service.annotations for the rest",
    ),
    (
        "cert-manager.io/",
        "kgen derives cert-manager's annotations from ingress.tls",
        "set ingress.tls.issuer",
    ),
    ("fluentbit.io/", "kgen derives Fluent Bit's annotations from logging", "set logging"),
)


def _no_derived_annotations(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    for key in value if isinstance(value, Mapping) else ():
        for prefix, why, fix in _DERIVED_ANNOTATIONS:
            if key.startswith(prefix):
                yield key_problem(
                    blueprint, (*path, key), f"this annotation goes on every resource: {why}", fix
                )
                break


#: Labels by which Argo CD and Flux tell which Application or Kustomization owns a resource.
_GITOPS_LABELS = ("argocd.argoproj.io/instance", "kustomize.toolkit.fluxcd.io/")


def _no_reserved_labels(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    for key in value if isinstance(value, Mapping) else ():
        if key.startswith(_GITOPS_LABELS):
            yield key_problem(
                blueprint,
                (*path, key),
                "Argo CD and Flux read this label as the owner of a resource: another "
                "Application or Kustomization would claim (and may prune) these",
                "remove it; the GitOps tool that applies the folder writes it",
            )
        elif key in RESERVED_LABELS or key.startswith("kgen.dev/"):
            yield key_problem(
                blueprint,
                (*path, key),
                "kgen manages the app.kubernetes.io/name, instance, version, component and "
                "managed-by labels, and the kgen.dev/ ones",
                "remove it; app.kubernetes.io/part-of is yours to set",
            )


def _no_load_balancer_annotations(
    blueprint: Blueprint, path: JsonPath, value: Any
) -> Iterator[Problem]:
    for key in value if isinstance(value, Mapping) else ():
        if key in MANAGED_SERVICE_ANNOTATIONS:
            yield key_problem(
                blueprint,
                (*path, key),
                "kgen sets this annotation from service.type and service.internal",
                "remove it; set service.internal: true for an internal load balancer",
            )


def _no_ingress_derived_annotations(
    blueprint: Blueprint, path: JsonPath, value: Any
) -> Iterator[Problem]:
    for key in value if isinstance(value, Mapping) else ():
        if key in DERIVED_INGRESS_ANNOTATIONS or key.startswith(DERIVED_INGRESS_PREFIXES):
            yield key_problem(
                blueprint,
                (*path, key),
                "kgen derives this annotation from ingress (className, internal, group, tls)",
                "remove it; set the ingress field that says it",
            )


def _limits_above_requests(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    resources: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    limits = resources.get("limits", {})
    for name, parse in (("cpu", cpu_millis), ("memory", memory_bytes)):
        if name in resources and name in limits and parse(limits[name]) < parse(resources[name]):
            request_at = blueprint.source.value_pos((*path, name))
            yield problem(
                blueprint,
                (*path, "limits", name),
                f"limit {limits[name]!r} is below the request {resources[name]!r} "
                f"(at line {request_at.line})",
                f"raise the limit or lower {format_path((*path, name))}",
            )


def _no_plaintext_secret(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    yield key_problem(
        blueprint,
        path,
        "a secret's value does not belong in a blueprint: whoever reads the repository "
        "reads the secret",
        "put the value in the secret store and name it here: {name: db, store: "
        "aws-secrets, key: prod/shop/db, env: {DB_PASSWORD: password}}",
    )


#: Pod annotations that are kgen's to write: its config hash, and the one Checkov
#: suppression it writes itself.
KGEN_POD_ANNOTATION_PREFIXES = ("kgen.dev/", "checkov.io/")


def _no_kgen_pod_annotations(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    for key in value if isinstance(value, Mapping) else ():
        if key.startswith(SECURITY_ANNOTATION_PREFIXES):
            yield key_problem(
                blueprint,
                (*path, key),
                "the kubelet reads this annotation as a security profile: it would override "
                "the pods' securityContext",
                "remove it: kgen runs every container with the RuntimeDefault seccomp profile",
            )
        elif key.startswith(KGEN_POD_ANNOTATION_PREFIXES) and not silences_scanner(key):
            yield key_problem(
                blueprint,
                (*path, key),
                "kgen writes the kgen.dev/ annotations, and no Checkov suppression but the one "
                "for secrets as environment variables",
                "remove it; fix what Checkov reports instead of silencing it",
            )


def _not_system_priority(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    if isinstance(value, str) and value.startswith("system-"):
        yield problem(
            blueprint,
            path,
            f"{value} is for the cluster's own components: Kubernetes admits it in kube-system "
            "only",
            "use a PriorityClass of your own",
        )


def _cluster_zones(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """Every availability zone is in the cluster's region."""
    spec: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    region = str(spec.get("region", ""))
    for index, zone in enumerate(spec.get("availabilityZones", [])):
        if isinstance(zone, str) and zone[:-1] != region:
            yield problem(
                blueprint,
                (*path, "availabilityZones", index),
                f"{zone!r} is not a zone of {region}",
                f"write zones of the region, e.g. {region}a, {region}b",
            )


def _cluster_version(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """The Cluster's Kubernetes version is one kgen has the schemas of."""
    from kgen.check import kube_versions  # the schemas' index; not needed before here

    spec: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    version = spec.get("version")
    known = kube_versions()
    if isinstance(version, str) and version not in known:
        yield problem(
            blueprint,
            (*path, "version"),
            f"kgen has no schemas for Kubernetes {version}, so it could not check the output",
            f"kgen checks {known[0]} to {known[-1]}",
        )


#: Namespaces Kubernetes and EKS run their own components in: a Cluster may not lock
#: them down (Pod Security 'restricted' and default-deny would stop aws-node, kube-proxy
#: and CoreDNS).
_SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


def _not_system_namespace(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    if value in _SYSTEM_NAMESPACES:
        yield problem(
            blueprint,
            path,
            f"{value} is Kubernetes' own namespace: restricted Pod Security and a default-deny "
            "policy would stop aws-node, kube-proxy and CoreDNS",
            "declare the namespaces of your workloads only",
        )


def _node_group_sizes(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """minSize <= desiredCapacity <= maxSize for every node group."""
    spec: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    for index, group in enumerate(spec.get("nodeGroups", [])):
        low, high = group.get("minSize", 0), group.get("maxSize", 0)
        where = (*path, "nodeGroups", index)
        if low > high:
            yield problem(
                blueprint,
                (*where, "minSize"),
                f"minSize {low} is above maxSize {high}",
                "make minSize at most maxSize",
            )
        desired = group.get("desiredCapacity")
        if desired is not None and not low <= desired <= high:
            yield problem(
                blueprint,
                (*where, "desiredCapacity"),
                f"desiredCapacity {desired} is outside {low}-{high} (minSize-maxSize)",
                "leave it unset (minSize), or write a number in the range",
            )


#: Label and taint domains a node group may not set: Kubernetes', EKS's and Karpenter's own.
_RESERVED_NODE_DOMAINS = ("kubernetes.io", "k8s.io", "eks.amazonaws.com", "karpenter.sh",
                          "karpenter.k8s.aws")  # fmt: skip
#: EKS takes node group label and taint keys of at most 63 characters, prefix included.
MAX_NODE_KEY = 63


def _node_group_keys(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """Node group labels and taints EKS (and Karpenter) accept: keys of at most 63
    characters in all, outside the domains Kubernetes, EKS and Karpenter keep for
    themselves."""
    spec: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    for index, group in enumerate(spec.get("nodeGroups", [])):
        where = (*path, "nodeGroups", index)
        keys = [((*where, "labels", key), str(key), True) for key in group.get("labels", {})]
        keys += [
            ((*where, "taints", at, "key"), str(taint.get("key")), False)
            for at, taint in enumerate(group.get("taints", []))
        ]
        for at, key, is_label in keys:
            domain = key.split("/", 1)[0] if "/" in key else ""
            reserved = next(
                (d for d in _RESERVED_NODE_DOMAINS if domain == d or domain.endswith("." + d)),
                None,
            )
            report = key_problem if is_label else problem
            if reserved is not None:
                yield report(
                    blueprint,
                    at,
                    f"{key!r} is in {reserved}, a domain EKS and Karpenter keep "
                    "for themselves: they refuse it on a node group",
                    "use a domain of your own, e.g. 'example.com/workload', or none",
                )
            elif len(key) > MAX_NODE_KEY:
                yield report(
                    blueprint,
                    at,
                    f"EKS takes node group {'label' if is_label else 'taint'} "
                    f"keys of at most {MAX_NODE_KEY} characters, prefix included; this one has "
                    f"{len(key)}",
                    "shorten it",
                )


#: The add-on each storage preset's CSI driver comes in (gcp-pd: GKE's own).
CSI_ADDONS = {"ebs-gp3": "aws-ebs-csi-driver", "efs": "aws-efs-csi-driver"}
#: Which static volume source goes with which preset.
_SOURCE_PRESET = {"local": "local", "ebs": "ebs-gp3", "efs": "efs"}
_SOURCE_NOUN = {"local": "a local volume", "ebs": "an EBS volume", "efs": "an EFS volume"}


def _cluster_storage(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """The Cluster's storage classes, then its static volumes."""
    yield from _storage_classes(blueprint, path, value)
    yield from _static_volumes(blueprint, path, value)


def _storage_classes(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """Storage classes have their preset's options only, one at most is the default, and
    their CSI driver is an add-on."""
    spec: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    classes: dict[str, str] = {}
    default: JsonPath | None = None
    addons = spec.get("addons", [])
    for index, item in enumerate(spec.get("storageClasses", [])):
        where = (*path, "storageClasses", index)
        preset = item.get("preset")
        classes.setdefault(str(item.get("name")), str(preset))
        if preset == "efs" and "fileSystemId" not in item:
            yield problem(
                blueprint,
                (*where, "preset"),
                "an efs class needs the file system its access points are made on",
                "set fileSystemId: fs-...",
            )
        for field, owner in (("fileSystemId", "efs"), ("diskType", "gcp-pd")):
            if field in item and preset != owner:
                yield key_problem(
                    blueprint,
                    (*where, field),
                    f"{field} is an option of the {owner} preset, not of {preset}",
                    "remove it",
                )
        if preset == "local" and item.get("reclaimPolicy") == "Delete":
            yield problem(
                blueprint,
                (*where, "reclaimPolicy"),
                "a local class has no provisioner to delete its volumes",
                "remove reclaimPolicy (local volumes are retained)",
            )
        if preset in CSI_ADDONS and CSI_ADDONS[str(preset)] not in addons:
            yield problem(
                blueprint,
                (*where, "preset"),
                f"the {preset} preset needs the CSI driver of "
                f"the {CSI_ADDONS[str(preset)]} add-on, which spec.addons does not list",
                f"add {CSI_ADDONS[str(preset)]} to spec.addons",
            )
        if item.get("default") is True:
            if default is not None:
                yield problem(
                    blueprint,
                    (*where, "default"),
                    "a cluster has one default storage class, "
                    f"and {format_path(default)} is it already",
                    "keep one default: true",
                )
            default = (*where, "default")


def _static_volumes(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """Static volumes name a class of their kind, in a zone of the cluster; each disk,
    folder and claim is one volume's."""
    spec: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    classes = {str(c.get("name")): str(c.get("preset")) for c in spec.get("storageClasses", [])}
    zones = spec.get("availabilityZones", [])
    seen: dict[tuple[Any, ...], JsonPath] = {}
    claimed: dict[tuple[Any, ...], JsonPath] = {}
    folders: dict[Any, list[tuple[str, JsonPath]]] = {}
    namespaces = [str(n.get("name")) for n in spec.get("namespaces", [])]
    for index, volume in enumerate(spec.get("persistentVolumes", [])):
        where = (*path, "persistentVolumes", index)
        name = str(volume.get("storageClass"))
        sources = [s for s in _SOURCE_PRESET if s in volume]
        local = volume.get("local", {})
        for other, at in folders.get(local.get("node"), []) if local else []:
            mine = str(normal(local.get("path")))
            nested = (mine + "/").startswith(other + "/") or (other + "/").startswith(mine + "/")
            if nested and mine != other:  # the same folder twice: the check below says so
                yield problem(
                    blueprint,
                    (*where, "local", "path"),
                    f"{mine} and {other} "
                    f"({format_path(at)}) are one inside the other on the same node: two "
                    "claims would share files",
                    "give each volume a folder of its own",
                )
                break
        if local:
            folders.setdefault(local.get("node"), []).append(
                (str(normal(local.get("path"))), (*where, "local", "path"))
            )
        for source in sources:
            identity = _volume_identity(source, volume[source])
            if identity in seen:
                yield problem(
                    blueprint,
                    (*where, source),
                    f"{format_path(seen[identity])} is this "
                    "volume already: two PersistentVolumes would hand one disk to two claims",
                    "declare each volume once",
                )
            seen.setdefault(identity, (*where, source))
        claim = volume.get("claim")
        if claim is not None:
            key = (claim.get("namespace"), claim.get("name"))
            if key in claimed:
                yield problem(
                    blueprint,
                    (*where, "claim"),
                    f"{format_path(claimed[key])} is kept for the "
                    f"claim {key[0]}/{key[1]} already: a claim binds one volume",
                    "keep each volume for a claim of its own",
                )
            claimed.setdefault(key, (*where, "claim"))
            if namespaces and key[0] not in namespaces:
                yield problem(
                    blueprint,
                    (*where, "claim", "namespace"),
                    f"the Cluster declares no namespace {key[0]!r}",
                    did_you_mean(str(key[0]), namespaces)
                    or f"its namespaces: {', '.join(namespaces)}",
                )
        if (
            len(sources) == 1
            and sources[0] != "local"
            and classes.get(name) == _SOURCE_PRESET[sources[0]]
            and "claim" not in volume
        ):
            yield problem(
                blueprint,
                (*where, "storageClass"),
                f"{name!r} provisions volumes: any claim "
                "of the class could bind this one before a new volume is made for it",
                "set claim: {namespace, name} (the claim it is for)",
            )
        if name not in classes:
            yield problem(
                blueprint,
                (*where, "storageClass"),
                f"spec.storageClasses has no class {name!r}",
                did_you_mean(name, list(classes)) or "declare it in spec.storageClasses",
            )
        elif len(sources) == 1 and classes[name] != _SOURCE_PRESET[sources[0]]:
            yield problem(
                blueprint,
                (*where, "storageClass"),
                f"{name!r} is a class of the {classes[name]} preset, "
                f"and {_SOURCE_NOUN[sources[0]]} needs one of {_SOURCE_PRESET[sources[0]]}",
                f"name a class of the {_SOURCE_PRESET[sources[0]]} preset",
            )
        zone = volume.get("ebs", {}).get("zone")
        if zone is not None and zone not in zones:
            yield problem(
                blueprint,
                (*where, "ebs", "zone"),
                f"{zone!r} is not one of the cluster's zones",
                did_you_mean(str(zone), [str(z) for z in zones])
                or f"the cluster's zones: {', '.join(map(str, zones))}",
            )
        if "ReadWriteMany" in volume.get("accessModes", []) and sources and sources[0] != "efs":
            yield problem(
                blueprint,
                (*where, "accessModes"),
                f"{_SOURCE_NOUN[sources[0]]} attaches to one "
                "node at a time: ReadWriteMany claims could not use it",
                "use ReadWriteOnce, or an EFS volume",
            )


def _volume_identity(source: str, settings: Mapping[str, Any]) -> tuple[Any, ...]:
    """What makes a static volume the disk it is."""
    if source == "local":
        return source, settings.get("node"), normal(settings.get("path"))
    if source == "ebs":
        return source, settings.get("volumeId")
    return source, settings.get("fileSystemId"), settings.get("accessPointId")


#: Node folders a local volume may not hand to a pod: the node's own system and the
#: kubelet's and container runtime's state.
_SYSTEM_PATHS = (
    "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root",
    "/run", "/sbin", "/sys", "/tmp", "/usr", "/var/cache", "/var/lib", "/var/log",
    "/var/run", "/var/spool",
)  # fmt: skip


def _not_system_path(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """A local volume is a disk of its own, never the node's system folders."""
    if not isinstance(value, str):
        return
    folder = normal(value)
    if folder in ("/", "/var") or any(
        folder == p or folder.startswith(p + "/") for p in _SYSTEM_PATHS
    ):
        yield problem(
            blueprint,
            path,
            f"{value} is the node's own: a claim of this volume would give pods the node's "
            "system files",
            "mount the disk under a folder of its own, e.g. /mnt/disks/ssd0",
        )


def _node_group_arch(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """A node group's instance types share one architecture: a managed group has one AMI
    type, and a NodePool of both would start arm64 and x86 nodes for the same pods."""
    spec: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    for index, group in enumerate(spec.get("nodeGroups", [])):
        types = [str(t) for t in group.get("instanceTypes", [])]
        if not types:
            continue
        first = "arm64" if GRAVITON.match(types[0]) else "x86_64"
        for at, name in enumerate(types[1:], start=1):
            arch = "arm64" if GRAVITON.match(name) else "x86_64"
            if arch != first:
                yield problem(
                    blueprint,
                    (*path, "nodeGroups", index, "instanceTypes", at),
                    f"{name} is {arch} and {types[0]} {first}: a node group runs one "
                    "architecture (one AMI type)",
                    "put arm64 (Graviton) and x86_64 types in groups of their own",
                )


def _quota_limits(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """A quota's limits are at least its requests: every pod's limit is at least its
    request, so the sum of limits is too."""
    quota: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    for limit, request, read in (
        ("cpuLimits", "cpu", cpu_millis),
        ("memoryLimits", "memory", memory_bytes),
    ):
        if limit in quota and request in quota and read(quota[limit]) < read(quota[request]):
            yield problem(
                blueprint,
                (*path, limit),
                f"{limit} {quota[limit]} is below {request} {quota[request]}: the pods' limits "
                "(at least their requests) could never reach the requests the quota allows",
                f"make {limit} at least {quota[request]}",
            )


def _volume_source(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """A static volume is one of: a local disk, an EBS volume, an EFS file system."""
    volume: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    sources = [s for s in _SOURCE_PRESET if s in volume]
    if not sources:
        yield problem(
            blueprint,
            (*path, "name"),
            "the volume says nothing of where its data is",
            "add one of local: {path, node}, ebs: {volumeId, zone} or efs: {fileSystemId}",
        )
    for extra in sources[1:]:
        yield key_problem(
            blueprint,
            (*path, extra),
            f"the volume is {_SOURCE_NOUN[sources[0]]} already",
            "keep one of local, ebs and efs",
        )


def _cluster_autoscaler(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """Karpenter groups only with autoscaler: karpenter, and one managed group beside them
    (Karpenter's controller and CoreDNS need nodes before Karpenter makes any)."""
    spec: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    groups = spec.get("nodeGroups", [])
    marked = [i for i, g in enumerate(groups) if g.get("karpenter") is True]
    if marked and spec.get("autoscaler") != "karpenter":
        yield problem(
            blueprint,
            (*path, "nodeGroups", marked[0], "karpenter"),
            "karpenter: true needs Karpenter, and spec.autoscaler does not install it",
            "set spec.autoscaler: karpenter",
        )
    elif marked and len(marked) == len(groups):
        yield problem(
            blueprint,
            (*path, "nodeGroups", marked[0], "karpenter"),
            "every node group is "
            "Karpenter's: Karpenter itself and CoreDNS would have no node to start on",
            "keep one managed node group (karpenter: false) for the cluster's own pods",
        )
    karpenter = spec.get("autoscaler") == "karpenter"
    managed = [g for g in groups if not (karpenter and g.get("karpenter") is True)]
    if managed and not any(
        max(g.get("minSize", 0), g.get("desiredCapacity", 0)) >= 1 and not repels(g)
        for g in managed
    ):
        yield problem(
            blueprint,
            (*path, "nodeGroups"),
            "no managed node group without taints starts a node: CoreDNS and the autoscaler "
            "(or Karpenter) would have nowhere to run",
            "give one managed node group without NoSchedule or NoExecute taints minSize (or "
            "desiredCapacity) 1 or more",
        )
    if not karpenter:
        return
    version = str(spec.get("karpenterVersion", "1"))
    if version.split(".", maxsplit=1)[0] == "0":
        yield problem(
            blueprint,
            (*path, "karpenterVersion"),
            f"Karpenter {version} does not serve the "
            "karpenter.sh/v1 NodePool and karpenter.k8s.aws/v1 EC2NodeClass kgen writes",
            "use Karpenter 1.0.0 or later, e.g. '1.14.0'",
        )
    from kgen.instances import instance_type, instance_types

    for index in marked:
        group = groups[index]
        where = (*path, "nodeGroups", index)
        if group.get("minSize", 0) != 0:
            yield problem(
                blueprint,
                (*where, "minSize"),
                "Karpenter keeps no nodes in reserve: it makes them for pods that wait",
                "write minSize: 0 (maxSize bounds the NodePool)",
            )
        if "desiredCapacity" in group:
            yield key_problem(
                blueprint,
                (*where, "desiredCapacity"),
                "Karpenter makes the nodes pods need, never a desired count",
                "remove it",
            )
        name = str(group.get("name"))
        if not DNS_LABEL.fullmatch(name):
            yield problem(
                blueprint,
                (*path, "nodeGroups", index, "name"),
                f"{name!r} would name a "
                "NodePool and an EC2NodeClass, which take lower-case DNS names",
                f"write it in lower case, e.g. {name.lower()!r}",
            )
        for at, name in enumerate(groups[index].get("instanceTypes", [])):
            if isinstance(name, str) and instance_type(name) is None:
                yield problem(
                    blueprint,
                    (*path, "nodeGroups", index, "instanceTypes", at),
                    f"kgen's instance table has no {name}, so it cannot bound the NodePool "
                    "to maxSize nodes",
                    did_you_mean(name, list(instance_types()))
                    or "use types of the families t3, m5, m6i, m7i, m7g, c6i, c7i, c7g, r6i",
                )


def _cluster_accounts(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """A Secrets Manager store's role has an ARN only in an account."""
    spec: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    if "accountId" in spec:
        return
    for index, store in enumerate(spec.get("secretStores", [])):
        if store.get("provider") == "aws-secrets-manager":
            yield problem(
                blueprint,
                (*path, "secretStores", index, "provider"),
                "the store reads Secrets Manager through an IAM role, and without "
                "spec.accountId the role has no ARN for its ServiceAccount",
                "set spec.accountId",
            )


#: What each secret store provider takes beyond name and provider.
_STORE_FIELDS = {
    "aws-secrets-manager": ({"region", "path"}, set()),
    "vault": ({"server", "path", "role", "authPath"}, {"server", "path", "role"}),
}


def _secret_store_options(blueprint: Blueprint, path: JsonPath, value: Any) -> Iterator[Problem]:
    """A store has its provider's fields, and all that the provider needs."""
    store: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    provider = str(store.get("provider"))
    if provider not in _STORE_FIELDS:
        return
    allowed, required = _STORE_FIELDS[provider]
    for field in sorted(set(store) - allowed - {"name", "provider"}):
        yield key_problem(
            blueprint,
            (*path, field),
            f"{field} is not an option of {provider} stores",
            f"{provider} stores take {', '.join(sorted(allowed))}",
        )
    for field in sorted(required - set(store)):
        yield problem(
            blueprint,
            (*path, "provider"),
            f"a {provider} store needs {field}",
            {
                "server": "set server: https://vault.example.com:8200",
                "path": "set path: the KV engine's mount, e.g. secret",
                "role": "set role: the Vault role of its Kubernetes auth",
            }[field],
        )


#: The rules a schema may name in ``x-kgen-rules``.
FIELD_RULES: Mapping[str, FieldRule] = {
    "no-tool-annotations": _no_tool_annotations,
    "no-reserved-labels": _no_reserved_labels,
    "no-load-balancer-annotations": _no_load_balancer_annotations,
    "no-ingress-derived-annotations": _no_ingress_derived_annotations,
    "no-derived-annotations": _no_derived_annotations,
    "cluster-zones": _cluster_zones,
    "cluster-version": _cluster_version,
    "not-system-namespace": _not_system_namespace,
    "node-group-sizes": _node_group_sizes,
    "cluster-storage": _cluster_storage,
    "node-group-keys": _node_group_keys,
    "volume-source": _volume_source,
    "cluster-autoscaler": _cluster_autoscaler,
    "cluster-accounts": _cluster_accounts,
    "not-system-path": _not_system_path,
    "node-group-arch": _node_group_arch,
    "quota-limits": _quota_limits,
    "secret-store-options": _secret_store_options,
    "limits-above-requests": _limits_above_requests,
    "no-plaintext-secret": _no_plaintext_secret,
    "no-kgen-pod-annotations": _no_kgen_pod_annotations,
    "not-system-priority": _not_system_priority,
}


def unique_problems(
    blueprint: Blueprint, path: JsonPath, items: Any, fields: Sequence[str]
) -> Iterator[Problem]:
    """Items of a list that repeat the values of ``fields`` (schema: ``x-kgen-unique``)."""
    seen: dict[tuple[Any, ...], int] = {}
    for index, item in enumerate(items if isinstance(items, list) else ()):
        key = tuple(normal(item.get(f)) for f in fields)
        if None in key:
            continue
        if key in seen:
            shown = ", ".join(f"{f} {v!r}" for f, v in zip(fields, key, strict=True))
            yield problem(
                blueprint,
                (*path, index, fields[0]),
                f"{shown} is used twice (first at {format_path((*path, seen[key]))})",
            )
        else:
            seen[key] = index


_PLAIN_INTEGER = lazyre.compile(r"0|-?[1-9][0-9]*", re.ASCII)  # no "+3", no "-0"


def number_problems(
    blueprint: Blueprint, path: JsonPath, schema: Mapping[str, Any], value: Any
) -> Iterator[Problem]:
    """YAML 1.1 reads 010 as 8, 0x10 as 16 and 1:00 as 60: in a number field, only plain
    digits say what they mean to every reader."""
    written = written_text(value)
    types = schema.get("type", [])
    if written is None or not isinstance(value, int) or _PLAIN_INTEGER.fullmatch(written):
        return
    if "string" in (types if isinstance(types, list) else [types]) and "format" not in schema:
        return  # kept as written, e.g. an env value (a quantity is read as a number)
    yield problem(
        blueprint,
        path,
        f"YAML reads {written} as the number {int(value)}",
        f"write {int(value)} if that is meant; other tools may read {written} otherwise",
    )
