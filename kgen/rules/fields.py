"""Field rules: checks of one field's value, run where a schema names them in
``x-kgen-rules``; plus ``x-kgen-unique`` and the rule for numbers, which need no name."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from kgen.apiserver import TOOL_ANNOTATION_PREFIXES, silences_scanner
from kgen.formats import cpu_millis, memory_bytes
from kgen.hardening import SECURITY_ANNOTATION_PREFIXES
from kgen.helpers import MANAGED_SERVICE_ANNOTATIONS, RESERVED_LABELS
from kgen.model import Blueprint, JsonPath, Problem, format_path
from kgen.rules.common import key_problem, normal, problem
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


#: The rules a schema may name in ``x-kgen-rules``.
FIELD_RULES: Mapping[str, FieldRule] = {
    "no-tool-annotations": _no_tool_annotations,
    "no-reserved-labels": _no_reserved_labels,
    "no-load-balancer-annotations": _no_load_balancer_annotations,
    "no-derived-annotations": _no_derived_annotations,
    "cluster-zones": _cluster_zones,
    "cluster-version": _cluster_version,
    "not-system-namespace": _not_system_namespace,
    "node-group-sizes": _node_group_sizes,
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


_PLAIN_INTEGER = re.compile(r"0|-?[1-9][0-9]*", re.ASCII)  # no "+3", no "-0"


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
