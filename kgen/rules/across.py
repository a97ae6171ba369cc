"""Set rules: what the blueprints of one run must agree on, checked on the set view."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from kgen.model import Blueprint, JsonPath, Problem, format_path
from kgen.rules import against
from kgen.suggest import did_you_mean
from kgen.units import Unit
from kgen.workloads import (
    alb_group,
    external_secret_name,
    issues_certificate,
    scales_horizontally,
    scales_on_queue,
    tls_secret,
)

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
    taken: dict[tuple[str, str], tuple[Unit, JsonPath]] = {}  # the first place it is written
    for unit in view.units:
        ingress = unit.get("ingress")
        if ingress is None:
            continue
        where = unit.written_at("ingress")
        path = ingress.get("path", "/").rstrip("/") or "/"
        named = [((*where, "host"), ingress["host"])] + [
            ((*where, "aliases", index), alias)
            for index, alias in enumerate(ingress.get("aliases", []))
        ]
        for at, host in named:
            route = (host, path)
            if route in taken:
                owner, first = taken[route]
                blueprint = owner.blueprint
                same = owner is unit
                yield Problem(
                    unit.blueprint.source.value_pos(at),
                    at,
                    f"{route[0]}{route[1]} is routed to "
                    f"{'this app' if same else blueprint.ref} already "
                    f"({blueprint.source.value_pos(first)})",
                    "remove the repeated name" if same else "give each app its own host or path",
                )
            else:
                taken[route] = (unit, at)


def _where(blueprint: Blueprint, path: JsonPath) -> str:
    return f"{blueprint.ref} {format_path(path)} ({blueprint.source.value_pos(path)})"


def secret_name_problems(view: SetView) -> Iterator[Problem]:
    """One Secret has one writer: the External Secrets Operator (``<app>-<secret>``) or
    cert-manager (an Ingress certificate). Two writers of one name in one namespace would
    overwrite each other's keys, or refuse to (creationPolicy Owner)."""
    taken: dict[tuple[str | None, str], tuple[Blueprint, JsonPath, str]] = {}
    for blueprint, where, name, writer in _secret_writers(view):
        key = (blueprint.namespace, name)
        if key not in taken:
            taken[key] = (blueprint, where, writer)
            continue
        owner, first, other = taken[key]
        if writer == other == "the ExternalSecret":
            continue  # the ExternalSecret itself is rendered twice: reported as such
        yield Problem(
            blueprint.source.value_pos(where),
            where,
            f"{writer} would write the Secret {name!r}, which {other} of "
            f"{_where(owner, first)} writes already",
            "rename one of the secrets (or set ingress.tls.secretName)",
        )


def _secret_writers(view: SetView) -> Iterator[tuple[Blueprint, JsonPath, str, str]]:
    """Each blueprint's Certificates before its ExternalSecrets: a clash of the two is
    reported at the secret, the value an import can leave out (the Certificate keeps the
    Ingress's TLS)."""
    for blueprint in view.blueprints:
        for unit in view.units_of(blueprint):
            if issues_certificate(unit):
                where = (*unit.written_at("ingress"), "tls")
                name = str(tls_secret(unit))
                yield blueprint, where, name, "the cert-manager Certificate"
        for index, secret in enumerate(blueprint.data["spec"].get("secrets", [])):
            name = external_secret_name(blueprint.name, secret)
            yield blueprint, ("spec", "secrets", index, "name"), name, "the ExternalSecret"


def claim_name_problems(view: SetView) -> Iterator[Problem]:
    """A StatefulSet names its claims ``<volume>-<app>-<ordinal>``: two apps of a namespace
    whose volume and app names join into the same prefix (``a`` of ``b-c``, ``a-b`` of
    ``c``) would share their pods' volumes."""
    taken: dict[tuple[str | None, str], tuple[Blueprint, JsonPath]] = {}
    for blueprint in view.blueprints:
        for index, volume in enumerate(blueprint.data["spec"].get("storage", [])):
            prefix = f"{volume['name']}-{blueprint.name}-"
            where = ("spec", "storage", index, "name")
            key = (blueprint.namespace, prefix)
            if key in taken and taken[key][0] is not blueprint:
                owner, first = taken[key]
                yield Problem(
                    blueprint.source.value_pos(where),
                    where,
                    f"the claims of this volume would be named {prefix}0, {prefix}1, ... like "
                    f"those of {_where(owner, first)}: the two apps would share volumes",
                    "rename the volume or the app",
                )
            taken.setdefault(key, (blueprint, where))


def autoscaler_name_problems(view: SetView) -> Iterator[Problem]:
    """KEDA names the HorizontalPodAutoscaler of a ScaledObject ``keda-hpa-<name>``: it
    must not be the name of an autoscaler kgen writes in the same namespace."""
    hpas: dict[tuple[str | None, str], Unit] = {}
    keda: list[tuple[tuple[str | None, str], Unit]] = []
    for unit in view.units:
        namespace = unit.blueprint.namespace
        if scales_on_queue(unit):
            keda.append(((namespace, f"keda-hpa-{unit.name}"), unit))
        elif scales_horizontally(unit):
            hpas[(namespace, unit.name)] = unit
    for key, unit in keda:
        if key in hpas:
            where = (*unit.written_at("autoscaling"),)
            yield Problem(
                unit.blueprint.source.value_pos(where),
                where,
                f"KEDA would name this app's HorizontalPodAutoscaler {key[1]!r}, the name of "
                f"the one of {hpas[key].blueprint.ref}",
                "rename one of the apps",
            )


def alb_group_problems(view: SetView) -> Iterator[Problem]:
    """The Ingresses of one ALB group share one load balancer: one scheme, and TLS for all
    or none (an SSL redirect in a group acts on every Ingress of it)."""
    first: dict[str, tuple[Unit, JsonPath, str, bool]] = {}
    for unit in view.units:
        ingress = unit.get("ingress")
        if ingress is None or ingress.get("className", "alb") != "alb":
            continue
        where = unit.written_at("ingress")
        group = alb_group(ingress)
        scheme = "internal" if ingress.get("internal") else "internet-facing"
        tls = "tls" in ingress
        if group not in first:
            first[group] = (unit, where, scheme, tls)
            continue
        owner, at, owner_scheme, owner_tls = first[group]
        field = "internal" if scheme != owner_scheme else "tls" if tls != owner_tls else None
        if field is None:
            continue
        what = f"is {scheme}" if field == "internal" else ("has TLS" if tls else "has no TLS")
        yield Problem(
            unit.blueprint.source.value_pos((*where, "group")),
            (*where, "group"),
            f"this Ingress {what}, and the ALB group {group!r} it joins is "
            + (owner_scheme if field == "internal" else ("TLS" if owner_tls else "plain HTTP"))
            + f" ({_where(owner.blueprint, at)})",
            "put it in a group of its own (ingress.group)",
        )


def cluster_count_problems(view: SetView) -> Iterator[Problem]:
    """A set is one cluster: its workloads are checked against the Cluster, its
    cluster-wide manifests are that cluster's. Two Clusters would leave both undecided."""
    clusters = view.clusters
    if len(clusters) < 2:
        return
    first = clusters[0]
    for cluster in clusters[1:]:
        where = ("metadata", "name")
        yield Problem(
            cluster.source.value_pos(where),
            where,
            f"the set has Cluster {first.name} already ({first.source.value_pos(where)}): "
            "kgen renders and checks one cluster and its workloads at a time",
            "render each Cluster with its own workloads, e.g. kgen render clusters/prod.yaml "
            "apps/prod/",
        )


def irsa_problems(view: SetView) -> Iterator[Problem]:
    """awsPolicies make the Cluster declare the app's role: there must be one Cluster, with
    the account the role ARN names, and no awsRoleArn beside them."""
    clusters = view.clusters
    for blueprint in view.blueprints:
        account = blueprint.data.get("spec", {}).get("serviceAccount", {})
        if blueprint.kind == "Cluster" or "awsPolicies" not in account:
            continue
        where = ("spec", "serviceAccount", "awsPolicies")
        if "awsRoleArn" in account:
            message = "awsPolicies make the Cluster declare a role, and awsRoleArn names one"
            hint = "set one of them"
        elif len(clusters) > 1:
            names = ", ".join(sorted(c.name for c in clusters))
            message = f"the set has {len(clusters)} Clusters ({names}): which declares the role?"
            hint = "render each cluster's blueprints on their own, or set awsRoleArn"
        elif clusters and "accountId" not in clusters[0].data["spec"]:
            cluster = clusters[0]
            message = f"Cluster {cluster.name} has no accountId, so the role has no ARN"
            hint = f"set spec.accountId in {cluster.source.value_pos(('metadata', 'name'))}"
        else:
            continue
        yield Problem(blueprint.source.value_pos(where), where, message, hint)


def placement_problems(view: SetView) -> Iterator[Problem]:
    """With a Cluster in the set, a workload is placed on one of its node groups."""
    cluster = view.cluster
    if cluster is None:
        return
    groups = [str(g["name"]) for g in cluster.data["spec"].get("nodeGroups", [])]
    for unit in view.units:
        group = unit.get("placement", {}).get("nodeGroup")
        if group is None or group in groups:
            continue
        where = (*unit.written_at("placement"), "nodeGroup")
        yield Problem(
            unit.blueprint.source.value_pos(where),
            where,
            f"Cluster {cluster.name} has no node group {group!r}",
            did_you_mean(str(group), groups) or f"its node groups: {', '.join(groups)}",
        )


def namespace_problems(view: SetView) -> Iterator[Problem]:
    """When the set's Cluster lists its namespaces, every workload runs in one of them."""
    cluster = view.cluster
    if cluster is None or "namespaces" not in cluster.data["spec"]:
        return
    declared = [str(n["name"]) for n in cluster.data["spec"]["namespaces"]]
    for blueprint in view.blueprints:
        if blueprint.kind == "Cluster" or blueprint.namespace in declared:
            continue
        where = ("metadata", "namespace")
        yield Problem(
            blueprint.source.value_pos(where),
            where,
            f"Cluster {cluster.name} declares no namespace {blueprint.namespace!r}",
            "Kubernetes' own namespaces are not for workloads: choose one of the Cluster's"
            if blueprint.namespace in ("kube-system", "kube-public", "kube-node-lease")
            else did_you_mean(str(blueprint.namespace), declared)
            or f"add it to the Cluster's spec.namespaces ({', '.join(declared) or 'none yet'})",
        )


def priority_class_problems(view: SetView) -> Iterator[Problem]:
    """With a Cluster in the set, a workload names one of the Cluster's PriorityClasses."""
    cluster = view.cluster
    if cluster is None:
        return
    classes = [str(c["name"]) for c in cluster.data["spec"].get("priorityClasses", [])]
    for unit in view.units:
        name = unit.get("priorityClassName")
        if name is None or name in classes:
            continue
        where = unit.written_at("priorityClassName")
        yield Problem(
            unit.blueprint.source.value_pos(where),
            where,
            f"Cluster {cluster.name} declares no PriorityClass {name!r}",
            did_you_mean(str(name), classes)
            or f"add it to the Cluster's spec.priorityClasses ({', '.join(classes) or 'none yet'})",
        )


#: Every set rule, in the order they report.
SET_RULES: tuple[SetRule, ...] = (
    cluster_count_problems,
    irsa_problems,
    priority_class_problems,
    namespace_problems,
    placement_problems,
    against.storage_class_problems,
    against.static_volume_problems,
    against.secret_store_problems,
    against.issuer_problems,
    against.quota_problems,
    against.node_fit_problems,
    node_port_problems,
    ingress_route_problems,
    secret_name_problems,
    claim_name_problems,
    autoscaler_name_problems,
    alb_group_problems,
)
