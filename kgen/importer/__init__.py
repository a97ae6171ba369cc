"""``kgen import``: Kubernetes manifests in, blueprints out.

The package is a pipeline of its own, one module per step:

    read.py      manifests with the place of every value (List items, -, kustomizations skipped)
    shape.py     every resource it reads is what the API server accepts (upstream schemas)
    index.py     namespaces, and the one rule of which resource belongs to which workload
    mappers/     the workload and its pod template (workload.py, a ``top`` per kind), its
                 containers (container.py) and owned parts (parts.py);
                 each records every input path it consumes in the ledger (account.py)
    graph.py     NetworkPolicies become the blueprints' dependsOn and egress
    settle.py    kgen's own checks decide what stays (a refused value is left out, with
                 kgen's message); then every value kgen would default is left out
    account.py   every leaf of the input and what became of it: the report
    additions.py what kgen writes beyond the input (hardening, labels, defaults), and why
    output.py    the blueprints as a stream or a folder, the warnings as FILE:LINE lines
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from kgen.api import render_text
from kgen.check import DEFAULT_KUBE_VERSION
from kgen.errors import InvalidInput, UsageError
from kgen.formats import FORMATS
from kgen.helpers import file_keys
from kgen.importer.account import Item, Ledger, Line, Status, Target, account
from kgen.importer.additions import Addition, additions
from kgen.importer.graph import KINDS as POLICIES
from kgen.importer.graph import fold_policies, unpoliced
from kgen.importer.index import (
    BUILT_IN_GROUPS,
    NOT_YET,
    PARTS,
    WORKLOADS,
    Group,
    Index,
    group,
    pod_spec,
)
from kgen.importer.mappers import FINISH, MAPPERS
from kgen.importer.mappers.base import Build
from kgen.importer.mappers.exposure import name_splits
from kgen.importer.mappers.monolith import malformed
from kgen.importer.read import Resource, read_manifests, without_nulls
from kgen.importer.settle import join_patches, minimise, routed_twice, settle, text_of
from kgen.importer.shape import served_versions, shape_problems
from kgen.model import Problem
from kgen.record import dataclass, replace
from kgen.suggest import did_you_mean

#: Built-in kinds the import reads none of, that a misspelt kind may have meant.
_KINDS = (
    "DaemonSet", "Pod", "ReplicaSet", "ReplicationController", "Namespace", "Role",
    "RoleBinding", "ClusterRole", "ClusterRoleBinding", "PersistentVolumeClaim",
    "PersistentVolume", "StorageClass", "PriorityClass", "LimitRange", "ResourceQuota",
    "Endpoints", "EndpointSlice", "IngressClass", "RuntimeClass", "Lease",
)  # fmt: skip


@dataclass(frozen=True)
class Imported:
    """One blueprint made by the import: its namespace, name, text and source."""

    namespace: str
    name: str
    text: str
    source: Resource


@dataclass(frozen=True)
class ImportResult:
    blueprints: tuple[Imported, ...]
    lines: tuple[Line, ...]  # every leaf of the input and what became of it
    notes: tuple[Problem, ...]  # what was skipped on purpose (kustomization files)
    namespaces: dict[int, str]  # id(resource) -> its namespace (as written, or --namespace)
    renders: int  # renders spent leaving out what kgen would default
    seconds: float  # time spent on it
    #: What kgen writes beyond the input (hardening, labels, defaults), with the reasons.
    additions: tuple[Addition, ...] = ()
    #: What the import changes for the input as a whole (no NetworkPolicy in it, say).
    remarks: tuple[str, ...] = ()


class ImportFailed(InvalidInput):
    """The input cannot be imported: its problems, and the notes of what was skipped on
    purpose (a kustomization that names the namespace the resources lack, say)."""

    def __init__(self, *, problems: Iterable[Problem], notes: Iterable[Problem] = ()) -> None:
        super().__init__(problems=problems)
        self.notes: tuple[Problem, ...] = tuple(notes)


def import_manifests(
    paths: Sequence[Path],
    *,
    namespace: str | None = None,
    secret_store: str | None = None,
    kube_version: str | None = None,
) -> ImportResult:
    """Read the manifests under ``paths`` and make one blueprint per workload. Raises
    ``ImportFailed`` with every problem and the notes (nothing is made then),
    ``UsageError`` for a bad ``namespace``."""
    if namespace is not None and not FORMATS["namespace"].check(namespace):
        what = "is not allowed" if namespace == "default" else "is not a valid namespace"
        raise UsageError(message=f"--namespace {namespace!r} {what}: {FORMATS['namespace'].fix}")
    read = read_manifests(paths)
    resources = tuple(without_nulls(r) for r in read.resources)
    problems = list(read.problems)
    read_kinds = frozenset((*WORKLOADS, *PARTS, *POLICIES))
    version = kube_version or DEFAULT_KUBE_VERSION
    problems.extend(shape_problems(resources, read_kinds, version))
    namespaces = _namespaces(resources, namespace, problems)
    problems.extend(_repeated(resources, namespaces))
    if problems:
        raise ImportFailed(problems=problems, notes=read.notes)
    index = Index.build(resources, namespaces)
    problems.extend(malformed(index))
    if problems:
        raise ImportFailed(problems=problems, notes=read.notes)
    ledger = Ledger()
    plans = group(index)
    _classify(index, ledger, plans, version)
    problems.extend(_same_names(plans, index))
    builds = _mapped(plans, index, ledger, secret_store, problems)
    lines = account(resources, ledger)
    if secret_store is None:
        problems.extend(_needs_store(lines, namespaces))
    if problems:
        raise ImportFailed(problems=problems, notes=read.notes)
    builds = _settled(builds, plans, index, ledger, kube_version, problems)
    if problems:
        raise ImportFailed(problems=problems, notes=read.notes)
    started, renders = time.perf_counter(), 0
    for build in builds:
        renders += minimise(build, builds)
    seconds = time.perf_counter() - started
    for build in builds:  # what minimising kept must still pass every check
        join_patches(build)
        problems.extend(settle(build, kube_version, builds))
    if problems:
        raise ImportFailed(problems=problems, notes=read.notes)
    for build in builds:
        finish = FINISH.get(build.kind)
        if finish is not None:
            finish(build)
    _file_targets(builds, ledger)
    name_splits(index, ledger)
    made = tuple(
        Imported(b.namespace, b.app, text_of(b), b.workload)
        for b in sorted(builds, key=lambda b: (b.namespace, b.app))
    )
    documents, _ = render_text(
        "".join(f"---\n{item.text}" for item in made), "<import>", check_output=False
    )
    _unrendered(ledger, {(d.kind, d.name) for d in documents})
    lines = account(resources, ledger)
    added = tuple(additions(documents, lines, namespaces))
    return ImportResult(
        made, tuple(lines), read.notes, namespaces, renders, seconds, added,
        unpoliced(index, builds),
    )  # fmt: skip


def _unrendered(ledger: Ledger, rendered: set[tuple[str, str]]) -> None:
    """A value mapped into a resource kgen does not render after all (an Ingress whose
    route was left out while settling) is not mapped: it is left out with that resource,
    or keeps only the places that do render."""
    for key, entry in list(ledger.entries.items()):
        if entry.status is not Status.MAPPED or not entry.targets:
            continue
        kept = [t for t in entry.targets if (t.kind, t.name) in rendered]
        if len(kept) == len(entry.targets):
            continue
        if kept:
            ledger.entries[key] = replace(entry, target=kept[0], also=tuple(kept[1:]))
            continue
        gone = entry.targets[0]
        ledger.entries[key] = replace(
            entry,
            status=Status.LEFT_OUT,
            note=f"kgen renders no {gone.kind} {gone.name}: what made it is left out (each "
            "value with its reason)",
            target=None,
            also=(),
        )


def _mapped(
    plans: list[Group],
    index: Index,
    ledger: Ledger,
    store: str | None,
    problems: list[Problem],
) -> list[Build]:
    """One blueprint built per plan by its kind's mapper; those with problems are not kept
    (their problems are added to ``problems``)."""
    builds: list[Build] = []
    for plan in plans:
        first = plan.workloads[0]
        build = Build(first, plan.app, index.namespace(first), index, ledger, store, plan.kind)
        MAPPERS[plan.kind](plan, index, build)
        problems.extend(build.problems)
        if not build.problems:
            builds.append(build)
    return builds


def _settled(
    builds: list[Build],
    plans: list[Group],
    index: Index,
    ledger: Ledger,
    kube_version: str | None,
    problems: list[Problem],
) -> list[Build]:
    """The blueprints kgen accepts, each alone; then the policies fold into them, and from
    there on each renders with the blueprints its dependsOn names."""
    routed_twice(builds)  # first, or settling one Monolith alone picks among its processes
    builds = [b for b in builds if not _refused(b, settle(b, kube_version), ledger)]
    fold_policies(index, plans, builds, ledger)
    problems.extend(p for build in builds for p in settle(build, kube_version, builds))
    return builds


#: Kinds of Kubernetes (and of the add-ons kgen renders for) that belong to no namespace.
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "StorageClass", "PriorityClass", "IngressClass",
    "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
    "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
    "ClusterIssuer", "ClusterSecretStore", "ClusterExternalSecret", "GatewayClass",
})  # fmt: skip


def _namespaces(
    resources: Sequence[Resource], namespace: str | None, problems: list[Problem]
) -> dict[int, str]:
    """id(resource) -> its namespace, as written or ``--namespace``; a resource without
    one, or with one kgen refuses, is a problem."""
    namespaces: dict[int, str] = {}
    modelled = {*WORKLOADS, *PARTS, *POLICIES}
    for resource in resources:
        found = resource.namespace or namespace
        if resource.kind not in modelled and (
            resource.kind in CLUSTER_SCOPED or (found is None and resource.namespace is None)
        ):
            # kgen leaves it out anyway (listed with its reason): a cluster-scoped kind
            # (a Namespace, a ClusterRole, a CRD) has no namespace, and needs none here
            namespaces[id(resource)] = "" if resource.kind in CLUSTER_SCOPED else found or ""
            continue
        if found is None:
            why = "name the namespace of resources that have none: --namespace NS"
            problems.append(
                _problem(resource, ("metadata",), "no namespace, and no --namespace", why)
            )
        elif not FORMATS["namespace"].check(found):
            where = ("metadata", "namespace")
            message = f"namespace {found!r} is not allowed"
            hint = FORMATS["namespace"].fix
            if found == "default":
                hint = (
                    "kgen never renders into 'default': give the input a namespace of your "
                    "own (helm template -n NS, kustomize's namespace: NS), or remove "
                    "metadata.namespace and import with --namespace NS"
                )
            problems.append(_problem(resource, where, message, hint))
        else:
            namespaces[id(resource)] = found
    return namespaces


def _refused(build: Build, problems: list[Problem], ledger: Ledger) -> bool:
    """Whether kgen refuses the blueprint for a reason no input value can be left out for
    (a workload without ports or probes cannot be probed): then the workload and its
    parts are left out, each with kgen's message."""
    if not problems:
        return False
    first = problems[0]
    why = f"kgen cannot import {build.workload.kind} {build.namespace}/{build.app}: " + (
        _unprobed(build, first)
        or first.message.removeprefix("cannot be imported: ")
        + (f" (hint: {first.hint})" if first.hint else "")
    )
    parts = {
        id(e.resource): e.resource for e in ledger.entries.values() if e.blueprint == build.ref
    }
    for resource in parts.values():
        ledger.forget(resource)
        ledger.record(resource, (), Status.LEFT_OUT, why)
    return True


def _unprobed(build: Build, problem: Problem) -> str:
    """Why kgen refuses a workload it cannot probe, in the input's terms, and what to add
    to the input ("" for another problem)."""
    if "no TCP port, so kgen cannot probe" not in problem.message or (
        "sidecars" in problem.path or "initContainers" in problem.path
    ):
        return ""
    probes = build.here.get("probes") or {}
    missing = [f"{kind}Probe" for kind in ("liveness", "readiness") if kind not in probes]
    has = [f"{kind}Probe" for kind in ("liveness", "readiness") if kind in probes]
    command = next((p["exec"] for p in probes.values() if "exec" in p), None)
    example = (
        f"e.g. {' and '.join(missing)}: {{exec: {{command: {json.dumps(command)}}}}}, as its "
        f"{has[0]} runs"
        if command is not None and has
        else "e.g. "
        + " and ".join(f"{m}: {{exec: {{command: [cat, /tmp/healthy]}}}}" for m in missing)
    )
    return (
        f"it has no TCP port and no {' and no '.join(missing)}, and kgen probes every "
        "container (without a TCP port, with a liveness and a readiness probe of its own): "
        f"the whole workload is left out (hint: add a {' and a '.join(missing)} to its "
        f"container in the input, {example}, and import again)"
    )


def _problem(resource: Resource, path: tuple[str, ...], message: str, hint: str) -> Problem:
    return Problem(
        resource.pos(path), path, message, hint, subject=f"{resource.kind} {resource.name}"
    )


def _unknown(resource: Resource, version: str) -> str:
    """Why a resource of a built-in group that is no workload or part is left out: kgen
    has no blueprint for it, or (a misspelt kind) Kubernetes serves no such kind."""
    kind = resource.kind
    if served_versions(kind, version):
        return f"kgen has no blueprint for a {kind}"
    hint = did_you_mean(kind, (*_KINDS, *WORKLOADS, *PARTS, *POLICIES, *NOT_YET))
    return (
        f"Kubernetes {version} serves no kind {kind!r} at {resource.api_version} (a typo?"
        + (f" {hint}" if hint else "")
        + "): left out, never guessed"
    )


def _named_elsewhere(index: Index, part: Resource) -> str | None:
    """Why a ConfigMap or Secret that no blueprint reads is still named by a workload of
    the input: a registry credential of imagePullSecrets, or a projected volume's source
    (None: nothing names it)."""
    pulling: list[str] = []
    projecting: list[str] = []
    key = "configMap" if part.kind == "ConfigMap" else "secret"
    for workload in index.workloads:
        if index.namespace(workload) != index.namespace(part):
            continue
        spec = pod_spec(workload)
        pulls = spec.get("imagePullSecrets")
        for entry in pulls if isinstance(pulls, list) and part.kind == "Secret" else []:
            if isinstance(entry, Mapping) and entry.get("name") == part.name:
                pulling.append(workload.name)
        volumes = spec.get("volumes")
        for volume in volumes if isinstance(volumes, list) else []:
            projected = volume.get("projected") if isinstance(volume, Mapping) else None
            sources = projected.get("sources") if isinstance(projected, Mapping) else None
            for source in sources if isinstance(sources, list) else []:
                named = source.get(key) if isinstance(source, Mapping) else None
                if isinstance(named, Mapping) and named.get("name") == part.name:
                    projecting.append(workload.name)
    if pulling:
        return (
            f"a registry credential of {', '.join(sorted(set(pulling)))} (imagePullSecrets, "
            "kept as a patch): kgen makes no Secret of it, so keep this one in the namespace, "
            "or write it from your store yourself"
        )
    if projecting:
        return (
            f"read through a projected volume of {', '.join(sorted(set(projecting)))}, which "
            "kgen leaves out (see its warning)"
        )
    return None


def _classify(index: Index, ledger: Ledger, plans: list[Group], version: str) -> None:
    """What is not a workload or one of its parts is listed and left out, never guessed."""
    blueprint_of = {id(w): i for i, plan in enumerate(plans) for w in plan.workloads}
    for resource in index.resources:
        kind = resource.kind
        if kind in WORKLOADS:
            if id(resource) in index.lone:
                ledger.record(resource, (), Status.LEFT_OUT, index.lone[id(resource)])
            continue
        if kind in PARTS:
            owners = index.owners.get(id(resource), [])
            if not owners:
                why = {
                    "Service": _unselected(resource),
                    "PodDisruptionBudget": "selects no workload of the input",
                    "HorizontalPodAutoscaler": "scales no workload of the input",
                    "Ingress": _unrouted(resource),
                    "ServiceMonitor": "selects no Service of a workload of the input (by "
                    "spec.selector.matchLabels, in a namespace its namespaceSelector names)",
                    "PodMonitor": "selects the pods of no workload of the input (by "
                    "spec.selector.matchLabels, in a namespace its namespaceSelector names)",
                    "PrometheusRule": "names no workload a ServiceMonitor or PodMonitor of the "
                    "input "
                    "watches (by its app.kubernetes.io/name or app label, or its name): "
                    "kgen import does not guess whose alerts these are",
                }.get(kind, "no workload of the input uses it")
                ledger.record(
                    resource, (), Status.LEFT_OUT, _named_elsewhere(index, resource) or why
                )
            elif (
                len(owners) > 1
                # each app's blueprint takes its own routes of an Ingress (exposure.py)
                and kind not in ("ConfigMap", "Secret", "Ingress")
                # a Monolith's processes share its ServiceAccount
                and not (
                    kind == "ServiceAccount" and len({blueprint_of.get(id(w)) for w in owners}) == 1
                )
            ):
                shown = ", ".join(sorted(w.name for w in owners))
                ledger.record(
                    resource,
                    (),
                    Status.LEFT_OUT,
                    f"belongs to several workloads ({shown}): kgen import does not guess which",
                )
            continue
        if kind in POLICIES:
            continue  # graph.py folds them once the blueprints are built
        if kind in NOT_YET:
            ledger.record(
                resource,
                (),
                Status.LEFT_OUT,
                f"not imported yet: kgen import maps {kind} in a later version",
            )
        elif resource.group not in BUILT_IN_GROUPS:
            ledger.record(
                resource,
                (),
                Status.LEFT_OUT,
                f"a custom resource ({resource.api_version}) kgen does not model",
            )
        else:
            ledger.record(resource, (), Status.LEFT_OUT, _unknown(resource, version))


def _unrouted(ingress: Resource) -> str:
    """Why an Ingress belongs to no workload."""
    if ingress.api_version != "networking.k8s.io/v1":
        return (
            f"apiVersion {ingress.api_version}: kgen import reads networking.k8s.io/v1 "
            "Ingresses (Kubernetes 1.22 serves no other)"
        )
    return "routes to no Service of a workload of the input"


def _unselected(service: Resource) -> str:
    """Why a Service is no workload's: an ExternalName or selector-less one points
    elsewhere (kgen renders a Service for an app's own pods only)."""
    spec = service.body.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    if spec.get("type") == "ExternalName":
        return (
            "an ExternalName Service (a DNS name outside the input): kgen renders Services "
            "of an app's own pods only"
        )
    if not spec.get("selector"):
        return (
            "a Service without a selector (its endpoints are written by hand): kgen renders "
            "Services of an app's own pods only"
        )
    return "selects no workload of the input"


def _same_names(plans: list[Group], index: Index) -> list[Problem]:
    """Two blueprints of one name in one namespace (a Deployment and a StatefulSet of the
    same name) would render the same resources: never guess which one keeps the name."""
    problems = []
    seen: dict[tuple[str, str], Resource] = {}
    for plan in plans:
        first = plan.workloads[0]
        other = seen.setdefault((index.namespace(first), plan.app), first)
        if other is first:
            continue
        problems.append(
            Problem(
                first.pos(("metadata", "name")),
                ("metadata", "name"),
                f"{other.kind} {other.name} is imported as a blueprint named {plan.app} too: "
                "both would render their Service, ServiceAccount and NetworkPolicy under that "
                "name",
                "rename one of them, or import them into separate namespaces",
                subject=f"{first.kind} {index.namespace(first)}/{first.name}",
            )
        )
    return problems


def _repeated(resources: Sequence[Resource], namespaces: Mapping[int, str]) -> list[Problem]:
    """A resource written twice (one kind, namespace and name): kubectl apply keeps the
    last, and import never guesses which one was meant."""
    problems = []
    seen: dict[tuple[str, str, str], Resource] = {}
    for resource in resources:
        if id(resource) not in namespaces or not resource.name:
            continue
        key = (resource.kind, namespaces[id(resource)], resource.name)
        other = seen.setdefault(key, resource)
        if other is resource:
            continue
        problems.append(
            Problem(
                resource.pos(("metadata", "name")),
                ("metadata", "name"),
                f"{resource.kind} {resource.name} again: the input has it already, at "
                f"{other.pos(('metadata', 'name'))}",
                "remove one of the two (kubectl apply would keep the last)",
                subject=f"{resource.kind} {key[1]}/{resource.name}",
            )
        )
    return problems


def _needs_store(lines: list[Line], namespaces: dict[int, str]) -> list[Problem]:
    """A secret the blueprints must read from a store, when no store is named."""
    problems = []
    for line in lines:
        if line.entry.status is Status.SECRET:
            problems.append(Problem(
                line.resource.pos(line.entry.path), line.entry.path,
                "a secret: kgen never copies its value into a blueprint, and reads it from a "
                "secret store",
                "name the store with --secret-store NAME (a ClusterSecretStore)",
                subject=f"{line.resource.kind} "
                f"{namespaces[id(line.resource)]}/{line.resource.name}",
            ))  # fmt: skip
    return list(dict.fromkeys(problems))


def _file_targets(builds: list[Build], ledger: Ledger) -> None:
    """Config files are keys of kgen's ConfigMap: name the key each file became."""
    keys = {b.ref: file_keys(b.spec.get("configFiles", {})) for b in builds}
    for (ident, path), entry in list(ledger.entries.items()):
        target = entry.target
        if target is None or not target.path or not isinstance(target.path[-1], Item):
            continue
        if target.path[-1].key != "file":
            continue
        key = keys.get(entry.blueprint, {}).get(target.path[-1].value)
        ledger.entries[(ident, path)] = type(entry)(
            entry.resource, entry.path, entry.status, entry.note,
            Target(target.kind, target.name, (*target.path[:-1], key)) if key else None,
            entry.blueprint,
        )  # fmt: skip
