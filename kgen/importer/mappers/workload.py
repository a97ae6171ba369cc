"""A workload and its pod template, whatever kgen renders it as (``Unit``): metadata,
containers, volumes and pod settings are the same for a Deployment, a StatefulSet, a Job
or a CronJob; what only one kind has is mapped by a ``top`` function of the kind's mapper
(``deployment`` here). The parts a workload owns (Service, ServiceAccount, HPA, PDB,
Secrets) are mapped by ``parts``."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kgen.helpers import selector_labels
from kgen.importer.account import Status, value_at
from kgen.importer.index import Group, Index, pod_labels, pod_spec, selects
from kgen.importer.mappers import parts
from kgen.importer.mappers.base import (
    Build,
    Unit,
    item,
    labels_of,
    map_labels,
    reserved_label,
    target,
)
from kgen.importer.mappers.container import Containers, secret_entry
from kgen.importer.read import Resource
from kgen.model import JsonPath, Problem

POD: JsonPath = ("spec", "template", "spec")
#: Maps what only one kind of workload has (its ``spec`` but the template): called with
#: the build, the unit and the workload's ``spec``.
Top = Callable[[Build, Unit, Mapping[str, Any]], None]
#: kgen's scratch volume, mounted on every container.
SCRATCH = "/tmp"
_POD_DEFAULTS = {
    "restartPolicy": "Always",
    "dnsPolicy": "ClusterFirst",
    "schedulerName": "default-scheduler",
}
_NODE_GROUP = "eks.amazonaws.com/nodegroup"


def map_microservice(group: Group, index: Index, build: Build) -> None:
    """Deployment -> Microservice: fill ``build.blueprint`` from a Deployment and what it
    owns; problems go to ``build.problems``."""
    (workload,) = group.workloads
    start(build)
    unit = Unit(workload, "Deployment", build.app, POD, build.app)
    map_workload(build, index, unit, deployment)


def start(build: Build) -> None:
    """The blueprint's header: its apiVersion, kind, name and namespace."""
    build.blueprint.update(
        {
            "apiVersion": "kgen.dev/v1alpha1",
            "kind": build.kind,
            "metadata": {"name": build.app, "namespace": build.namespace},
        }
    )


def has_containers(build: Build, unit: Unit) -> bool:
    """Whether the unit's pod template lists a container; a problem at its line if not."""
    problem = no_containers(unit.resource, unit.pod, build.namespace)
    if problem is not None:
        build.problems.append(problem)
    return problem is None


def no_containers(workload: Resource, pod: JsonPath, namespace: str) -> Problem | None:
    """The problem of a workload whose pod template (at ``pod``) lists no container."""
    containers = pod_spec(workload, pod).get("containers")
    if isinstance(containers, list) and any(isinstance(c, Mapping) for c in containers):
        return None
    return Problem(
        workload.pos(pod),
        pod,
        f"a {workload.kind} without containers",
        "every pod template lists at least one container under "
        + ".".join(map(str, (*pod, "containers"))),
        subject=f"{workload.kind} {namespace}/{workload.name}",
    )


def map_workload(build: Build, index: Index, unit: Unit, top: Top) -> None:
    """Map ``unit``'s workload into the blueprint at ``unit.where``: its metadata, its pod
    template, what only its kind has (``top``), then the parts it owns."""
    if not has_containers(build, unit):
        return
    build.unit = unit
    workload, kind, name = unit.resource, unit.kind, unit.name
    body = workload.body
    spec = pod_spec(workload, unit.pod)
    containers = [c for c in spec.get("containers") or [] if isinstance(c, Mapping)]
    build.version(workload, name, kind)
    build.record(workload, ("kind",), Status.MAPPED, "", target(kind, name, "kind"))
    same = workload.name == name
    build.record(
        workload, ("metadata", "name"), Status.MAPPED if same else Status.RENAMED,
        "" if same else f"kgen names the {kind} {name}; applying adds it beside "
        f"{workload.name} (delete {workload.name} once {name} runs)",
        target(kind, name, "metadata", "name") if same else None,
    )  # fmt: skip
    build.origin(("metadata", "name"), workload, ("metadata", "name"))
    if "namespace" in (body.get("metadata") or {}):
        build.record(
            workload,
            ("metadata", "namespace"),
            Status.MAPPED,
            "",
            target(kind, name, "metadata", "namespace"),
        )
    build.cluster_metadata(workload)
    labels = own_labels(workload)
    own = build.blueprint["metadata"].get("labels")
    if labels and own is None:
        build.blueprint["metadata"]["labels"] = labels
    map_labels(build, workload, ("metadata", "labels"), kind, ("metadata", "labels"))
    build.leftovers(workload, body.get("metadata"), ("metadata",), kind, name, ("metadata",))

    service = _containers(build, index, unit, spec, containers)
    top(build, unit, body.get("spec") or {})

    template = unit.pod[:-1]
    template_meta = _get(body, *template, "metadata")
    template_meta = template_meta if isinstance(template_meta, Mapping) else {}
    map_labels(
        build, workload, (*template, "metadata", "labels"), kind, (*template, "metadata", "labels")
    )
    for key, value in (template_meta.get("annotations") or {}).items():
        build.here.setdefault("podAnnotations", {})[key] = value
        at = (*template, "metadata", "annotations", key)
        build.origin((*build.where, "podAnnotations", key), workload, at)
        build.record(workload, at, Status.MAPPED, "", target(kind, name, *at))
    build.leftovers(
        workload, template_meta, (*template, "metadata"), kind, name, (*template, "metadata")
    )
    _pod(build, unit, spec)
    _affinity(build, unit, spec)
    # kgen's spread depends on the autoscaler: it is compared once the parts are mapped
    rest = {key: value for key, value in spec.items() if key != _SPREAD or not value}
    build.leftovers(workload, rest, unit.pod, kind, name, unit.pod, lists=_LISTS)
    for depth in range(len(template), -1, -1):  # the template, then up to the top
        node = _get(body, *template[:depth])
        build.leftovers(workload, node, template[:depth], kind, name, template[:depth])
    parts.map_parts(build, index, workload, service)
    _spread(build, unit, spec.get(_SPREAD))
    build.unit = None


def selector(build: Build, unit: Unit, top: Mapping[str, Any]) -> None:
    """A workload's selector: kgen's own (app.kubernetes.io/name and instance), which
    Kubernetes does not let change on a running workload."""
    workload, kind, name = unit.resource, unit.kind, unit.name
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}
    if top.get("selector") == {"matchLabels": labels}:
        out = target(kind, name, "spec", "selector")
        build.record(workload, ("spec", "selector"), Status.MAPPED, "", out)
    else:
        build.record(workload, ("spec", "selector"), Status.REPLACED, immutable(kind, "selector"))


def immutable(kind: str, field: str) -> str:
    """Why a field Kubernetes does not let change is reported: what applying needs."""
    why = (
        "kgen selects pods by app.kubernetes.io/name and instance; " if field == "selector" else ""
    )
    return (
        f"{why}a {kind}'s {field} cannot change: applying over the running {kind} fails "
        f"until it is deleted (kubectl delete {kind.lower()} NAME --cascade=orphan keeps its "
        "pods running) and applied again"
    )


def own_labels(workload: Resource) -> dict[str, str]:
    """The workload's labels that a blueprint keeps as its own (not kgen's or a tool's)."""
    return {
        str(k): v
        for k, v in labels_of(workload).items()
        if not reserved_label(str(k)) and isinstance(v, str)
    }


def deployment(build: Build, unit: Unit, top: Mapping[str, Any]) -> None:
    """What only a Deployment has: its replicas, minReadySeconds and strategy."""
    workload, kind, name = unit.resource, unit.kind, unit.name
    if "replicas" in top:
        build.put(
            (*unit.where, "replicas"),
            top["replicas"],
            workload,
            ("spec", "replicas"),
            target(kind, name, "spec", "replicas"),
        )
    else:
        build.here["replicas"] = 1  # Kubernetes' default; kgen's would be 2
    selector(build, unit, top)
    if "minReadySeconds" in top:
        build.put(
            (*unit.where, "minReadySeconds"),
            top["minReadySeconds"],
            workload,
            ("spec", "minReadySeconds"),
            target(kind, name, "spec", "minReadySeconds"),
        )
    _strategy(build, unit, top.get("strategy"))


def _get(node: Any, *path: str | int) -> Any:
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _containers(
    build: Build,
    index: Index,
    unit: Unit,
    spec: Mapping[str, Any],
    containers: list[Mapping[str, Any]],
) -> Resource | None:
    """The main container (the one named as kgen names it, else the first), sidecars,
    init containers and their volumes; returns the Service the unit's ports come from."""
    workload, pod = unit.resource, unit.pod
    main_index = main_container(unit, containers)
    service = parts.primary_service(build, index, workload)
    port_names = {
        **parts.port_names(unit.headless, containers[main_index]),
        **parts.port_names(service, containers[main_index]),
    }
    mapper = Containers(build, workload, pod)
    settings = mapper.map(
        containers[main_index],
        (*pod, "containers", main_index),
        unit.where,
        "containers",
        unit.container,
        port_names,
    )
    here = build.here
    for key, value in settings.items():
        here[key] = value if key != "env" else {**here.get("env", {}), **value}
    sidecars: list[dict[str, Any]] = []
    for position, container in enumerate(containers):
        if position != main_index:
            where = ("spec", "sidecars", len(sidecars))
            name = str(container.get("name"))
            sidecars.append(
                {
                    "name": name,
                    **mapper.map(
                        container, (*pod, "containers", position), where, "containers", name, {}
                    ),
                }
            )
            # a sidecar kgen refuses as a whole (it cannot probe it) is left out alone
            build.origin(where, workload, (*pod, "containers", position))
    initial = spec.get("initContainers") or []
    for position, container in enumerate(initial):
        if not _native_sidecar(container):
            continue
        at = (*pod, "initContainers", position)
        where = ("spec", "sidecars", len(sidecars))
        name = str(container.get("name"))
        build.record(workload, (*at, "restartPolicy"), Status.CHANGED, _NATIVE, loud=True)
        sidecars.append({"name": name, **mapper.map(container, at, where, "containers", name, {})})
        build.origin(where, workload, at)
    if sidecars:
        build.spec["sidecars"] = sidecars
    inits: list[dict[str, Any]] = []
    for position, container in enumerate(initial):
        if _native_sidecar(container):
            continue
        where = ("spec", "initContainers", len(inits))
        name = str(container.get("name"))
        inits.append(
            {
                "name": name,
                **mapper.map(
                    container, (*pod, "initContainers", position), where, "initContainers", name, {}
                ),
            }
        )
    if inits:
        build.spec["initContainers"] = inits
    _volumes(build, unit, spec, containers, main_index)
    return service


#: Why an init container with restartPolicy: Always is one of the sidecars.
_NATIVE = (
    "a native sidecar: kgen runs it as one of the sidecars, beside the main container, "
    "started with it rather than before it (an app that needs it first must wait for it)"
)


def _native_sidecar(container: Any) -> bool:
    """Whether an init container is a sidecar that runs as long as the pod (Kubernetes'
    native sidecars: restartPolicy Always)."""
    return isinstance(container, Mapping) and container.get("restartPolicy") == "Always"


def main_container(unit: Unit, containers: list[Mapping[str, Any]]) -> int:
    """The index of the unit's main container: the one named as kgen names it, else the
    first."""
    return next((i for i, c in enumerate(containers) if c.get("name") == unit.container), 0)


def _strategy(build: Build, unit: Unit, strategy: Any) -> None:
    if not isinstance(strategy, Mapping):
        return
    workload = unit.resource
    at: JsonPath = ("spec", "strategy")
    out = target(unit.kind, unit.name, "spec", "strategy", "type")
    kind = strategy.get("type", "RollingUpdate")
    if "type" in strategy:
        build.put((*unit.where, "rollout", "strategy"), kind, workload, (*at, "type"), out)
    for key in ("maxSurge", "maxUnavailable"):
        value = (strategy.get("rollingUpdate") or {}).get(key)
        if value is not None:
            build.put(
                (*unit.where, "rollout", key),
                value,
                workload,
                (*at, "rollingUpdate", key),
                target(unit.kind, unit.name, "spec", "strategy", "rollingUpdate", key),
            )
    rolling = strategy.get("rollingUpdate")
    if rolling == {}:
        build.record(
            workload, (*at, "rollingUpdate"), Status.DEFAULT,
            "empty: Kubernetes' defaults (25% surge, 25% unavailable)",
        )  # fmt: skip
    name, kind_of = unit.name, unit.kind
    build.leftovers(
        workload, rolling, (*at, "rollingUpdate"), kind_of, name, (*at, "rollingUpdate")
    )
    build.leftovers(workload, strategy, at, kind_of, name, at)


def _pod(build: Build, unit: Unit, spec: Mapping[str, Any]) -> None:
    workload, kind, app, pod, where = unit.resource, unit.kind, unit.name, unit.pod, unit.where

    def out(*path: str) -> Any:
        return target(kind, app, *pod, *path)

    for key, value in _POD_DEFAULTS.items():
        if spec.get(key) == value:
            build.record(workload, (*pod, key), Status.DEFAULT, "Kubernetes' default")
    for key in ("serviceAccountName", "serviceAccount"):
        if key in spec:
            same = spec[key] == build.app
            build.record(
                workload, (*pod, key), Status.MAPPED if same else Status.CHANGED,
                "" if same else f"kgen's ServiceAccount is named after the app: {build.app}",
                out("serviceAccountName") if same else None,
            )  # fmt: skip
    token = spec.get("automountServiceAccountToken")
    if token is True:
        build.put(
            ("spec", "serviceAccount", "kubernetesApi"),
            True,
            workload,
            (*pod, "automountServiceAccountToken"),
            out("automountServiceAccountToken"),
        )
    elif token is False:
        build.record(
            workload,
            (*pod, "automountServiceAccountToken"),
            Status.HARDENED,
            "kgen writes the same",
        )
    if spec.get("enableServiceLinks") is False:
        build.record(
            workload, (*pod, "enableServiceLinks"), Status.HARDENED, "kgen writes the same"
        )
    for key in ("terminationGracePeriodSeconds", "priorityClassName"):
        if key in spec:
            build.put((*where, key), spec[key], workload, (*pod, key), out(key))
    tolerations = spec.get("tolerations")
    if isinstance(tolerations, list) and tolerations:
        # kgen writes tolerations only from a Cluster's tainted node groups: a patch sets
        # the input's (under such a Cluster, it replaces the ones kgen derives)
        build.patch(kind, app, (*pod, "tolerations"), tolerations, workload, (*pod, "tolerations"))
    selector = spec.get("nodeSelector")
    if isinstance(selector, Mapping) and list(selector) == [_NODE_GROUP]:
        build.put(
            (*where, "placement", "nodeGroup"),
            selector[_NODE_GROUP],
            workload,
            (*pod, "nodeSelector", _NODE_GROUP),
            out("nodeSelector", _NODE_GROUP),
        )
    context = spec.get("securityContext")
    if isinstance(context, Mapping):
        at = (*pod, "securityContext")
        for key, value in context.items():
            if key in ("runAsUser", "runAsGroup", "fsGroup") and value != 0:
                build.put(
                    ("spec", "securityContext", key),
                    value,
                    workload,
                    (*at, key),
                    out("securityContext", key),
                )
            elif (key == "runAsNonRoot" and value is True) or (
                key == "seccompProfile" and value == {"type": "RuntimeDefault"}
            ):
                build.record(workload, (*at, key), Status.HARDENED, "kgen writes the same")
            elif key == "fsGroupChangePolicy":
                build.record(workload, (*at, key), Status.HARDENED, "kgen writes OnRootMismatch")
            elif value == 0:
                build.left_out(workload, (*at, key), "kgen's hardening refuses root (0)")
        build.leftovers(workload, context, at, kind, app, at)


_LISTS = "no blueprint field, and a patch would replace the list kgen renders whole"
_SPREAD = "topologySpreadConstraints"
#: The labels kgen's selectors use (``selector_labels``): on every pod of the unit.
_SELECTING = frozenset(selector_labels("name", "component"))
#: Why a selector of the workload's own pods is kgen's labels in a patch.
_SAME_PODS = "it selects the workload's own pods, as kgen's selects them"
_PATCHED = "no blueprint field; kept as a patch"
#: Why the input's spread replaces kgen's own spread over zones.
_INSTEAD_OF_ZONES = (
    "kept as a patch, with placement.spreadZones: false: kgen's own spread over zones "
    "(maxSkew 1, whenUnsatisfiable: ScheduleAnyway) is another, and a patch would replace "
    "it whole"
)
_OWN_PODS = (
    "it selects the workload's own pods: the patch selects them by kgen's labels, as "
    "matchExpressions (a patch may not write kgen's app.kubernetes.io/ labels in a matchLabels)"
)


def _affinity(build: Build, unit: Unit, spec: Mapping[str, Any]) -> None:
    """A pod (anti-)affinity is a patch (kgen renders none). A term that selects pods by
    a label kgen writes itself, which a patch may not name in a matchLabels, selects them
    by kgen's labels: the unit's own pods, or the one imported app it selects; pods of no
    app of this import by the same labels, as matchExpressions. (The input's other labels
    stay on the pods: a term of those selects them as it is.)"""
    affinity = spec.get("affinity")
    workload, at = unit.resource, (*unit.pod, "affinity")
    if not isinstance(affinity, Mapping) or build.ledger.recorded(workload, at):
        return
    labels = labels_of(workload, (*unit.pod[:-1], "metadata", "labels"))
    reserved = [
        (path, term)
        for path, term in _terms(affinity)
        if isinstance(term.get("labelSelector"), Mapping) and _names_reserved(term["labelSelector"])
    ]
    own = {path for path, term in reserved if _own_term(term, labels, build.namespace)}
    selector = _kgen_selector(unit, build.rendered(unit.kind, unit.name)) if own else None
    if not reserved or (own and not selector):
        return  # a patch as it is (leftovers)
    patched = copy.deepcopy(dict(affinity))
    changes: list[tuple[JsonPath, str, bool]] = []
    for path, term in reserved:
        if path in own and selector:
            written, why, loud = _expressions(selector), _OWN_PODS, False
        else:
            written, why, loud = _other_pods(build, term)
        node = patched
        for part in path:
            node = node[part]
        node["labelSelector"] = written
        if written != term["labelSelector"]:
            changes.append((path, why, loud))
    build.patch(unit.kind, unit.name, at, patched, workload, at)
    for path, why, loud in changes:
        build.record(workload, (*at, *path, "labelSelector"), Status.CHANGED, why, loud=loud)


def _other_pods(build: Build, term: Mapping[str, Any]) -> tuple[dict[str, Any], str, bool]:
    """The selector a patch writes for an affinity term of other pods that names a label
    kgen writes itself, why, and whether to warn: the imported app it selects by kgen's
    labels; else the same labels as matchExpressions (the same pods, as long as kgen does
    not label them: a warning when an app of this import is among them)."""
    selector: Mapping[str, Any] = term["labelSelector"]
    namespaces = term.get("namespaces") or [build.namespace]
    index = build.index
    selected = (
        []
        if term.get("namespaceSelector") is not None or not isinstance(namespaces, list)
        else [
            w
            for w in index.workloads
            if index.namespace(w) in namespaces and selects(selector, pod_labels(w))
        ]
    )
    targets = {str(index.selector_of(w)): (w, index.selector_of(w)) for w in selected}
    if len(targets) == 1:
        [(chosen, labels)] = targets.values()
        if labels is not None:
            return (
                _expressions(labels),
                f"it selects the pods of {chosen.kind} {index.namespace(chosen)}/{chosen.name}: "
                "the patch selects them by kgen's labels, as matchExpressions",
                False,
            )
    matched = dict(selector.get("matchLabels") or {})
    kept = {k: v for k, v in matched.items() if not reserved_label(str(k))}
    expressions = [
        *(selector.get("matchExpressions") or []),
        *(
            {"key": k, "operator": "In", "values": [v]}
            for k, v in matched.items()
            if reserved_label(str(k))
        ),
    ]
    written = {**({"matchLabels": kept} if kept else {}), "matchExpressions": expressions}
    why = (
        "kgen's app.kubernetes.io/ labels are matchExpressions here (a patch may not write "
        "them in a matchLabels), which select the same pods"
    )
    if selected:
        names = ", ".join(sorted(f"{w.kind} {w.name}" for w in selected))
        why += f"; but kgen labels the pods of {names} its own way: check that it still does"
    return written, why, bool(selected)


def _terms(affinity: Mapping[str, Any]) -> Iterator[tuple[JsonPath, Mapping[str, Any]]]:
    """The pod affinity and anti-affinity terms of an affinity, by their path in it."""
    for kind in ("podAffinity", "podAntiAffinity"):
        node = affinity.get(kind)
        node = node if isinstance(node, Mapping) else {}
        required = node.get("requiredDuringSchedulingIgnoredDuringExecution")
        for index, term in enumerate(required if isinstance(required, list) else []):
            if isinstance(term, Mapping):
                yield (kind, "requiredDuringSchedulingIgnoredDuringExecution", index), term
        preferred = node.get("preferredDuringSchedulingIgnoredDuringExecution")
        for index, weighted in enumerate(preferred if isinstance(preferred, list) else []):
            term = weighted.get("podAffinityTerm") if isinstance(weighted, Mapping) else None
            if isinstance(term, Mapping):
                path = (kind, "preferredDuringSchedulingIgnoredDuringExecution", index)
                yield (*path, "podAffinityTerm"), term


def _own_term(term: Mapping[str, Any], labels: Mapping[str, Any], namespace: str) -> bool:
    """Whether an affinity term selects the pods labelled ``labels`` in ``namespace``."""
    namespaces = term.get("namespaces")
    return (
        _selects(term.get("labelSelector"), labels)
        and term.get("namespaceSelector") is None
        and (not namespaces or namespace in namespaces)
    )


#: The operators of a label selector's ``matchExpressions``.
_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether a label selector that says something, with operators Kubernetes knows,
    selects pods labelled ``labels``."""
    if not isinstance(selector, Mapping):
        return False
    expressions = selector.get("matchExpressions") or []
    return (
        bool(selector.get("matchLabels") or expressions)
        and all(isinstance(e, Mapping) and e.get("operator") in _OPERATORS for e in expressions)
        and selects(selector, labels)
    )


def _names_reserved(selector: Mapping[str, Any]) -> bool:
    """Whether a label selector names a label kgen writes its own value of."""
    expressions = selector.get("matchExpressions") or []
    keys = [*(selector.get("matchLabels") or {}), *(e.get("key") for e in expressions)]
    return any(reserved_label(str(key)) for key in keys)


def _kgen_selector(unit: Unit, body: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The labels kgen selects the unit's pods by, in ``body``, the unit as kgen renders it
    (None if it cannot render the unit yet)."""
    labels = value_at(body, (*unit.pod[:-1], "metadata", "labels"))[1] if body else None
    if not isinstance(labels, Mapping):
        return None
    return {str(k): str(v) for k, v in labels.items() if k in _SELECTING}


def _expressions(labels: Mapping[str, str]) -> dict[str, Any]:
    """A label selector of ``labels`` that a patch may write: as matchExpressions."""
    return {
        "matchExpressions": [
            {"key": key, "operator": "In", "values": [value]} for key, value in labels.items()
        ]
    }


def _spread(build: Build, unit: Unit, constraints: Any) -> None:
    """The input's topologySpreadConstraints beside the spread over zones kgen renders
    when the unit may run several pods: the same (a selector of the unit's own pods read
    as kgen's labels) is what kgen writes; another one is kept as a patch, with
    ``placement.spreadZones: false`` in place of kgen's own (softer: ScheduleAnyway), as
    a patch would replace kgen's list whole. Own pods are selected by kgen's labels where
    the input's named one that kgen writes itself."""
    workload, at = unit.resource, (*unit.pod, _SPREAD)
    if not isinstance(constraints, list) or not constraints or build.ledger.recorded(workload, at):
        return
    labels = labels_of(workload, (*unit.pod[:-1], "metadata", "labels"))
    own = {
        index
        for index, constraint in enumerate(constraints)
        if isinstance(constraint, Mapping) and _selects(constraint.get("labelSelector"), labels)
    }
    body = build.rendered(unit.kind, unit.name)
    selector = _kgen_selector(unit, body)
    if selector is None or body is None:
        build.left_out(workload, at, _LISTS)  # what kgen renders is not known
        return
    rendered = value_at(body, at)[1]
    if rendered and _selecting(constraints, own, {"matchLabels": selector}) == rendered:
        build.record(workload, at, Status.HARDENED, "kgen writes the same: a spread over zones")
        _own_selectors(build, unit, constraints, own, {"matchLabels": selector}, _SAME_PODS)
        return
    note = _PATCHED
    if rendered:
        build.here.setdefault("placement", {})["spreadZones"] = False
        build.origin((*build.where, "placement", "spreadZones"), workload, at)
        note = _INSTEAD_OF_ZONES
    own = {i for i in own if _names_reserved(constraints[i]["labelSelector"])}
    written = _expressions(selector)
    build.patch(unit.kind, unit.name, at, _selecting(constraints, own, written), workload, at, note)
    _own_selectors(build, unit, constraints, own, written, _OWN_PODS)


def _selecting(constraints: list[Any], own: set[int], selector: Mapping[str, Any]) -> list[Any]:
    """The constraints with ``selector`` for those (``own``) of the workload's own pods."""
    return [
        {**constraint, "labelSelector": selector} if index in own else constraint
        for index, constraint in enumerate(constraints)
    ]


def _own_selectors(
    build: Build,
    unit: Unit,
    constraints: list[Any],
    own: set[int],
    written: Mapping[str, Any],
    why: str,
) -> None:
    """Each selector of the workload's own pods that kgen writes another way: changed."""
    at = (*unit.pod, _SPREAD)
    for index in sorted(own):
        if constraints[index]["labelSelector"] != written:
            build.record(unit.resource, (*at, index, "labelSelector"), Status.CHANGED, why)


def _volumes(
    build: Build,
    unit: Unit,
    spec: Mapping[str, Any],
    containers: list[Mapping[str, Any]],
    main: int,
) -> None:
    """Mounted volumes: an emptyDir is a writable path, a ConfigMap config files, a Secret
    a secret read from the store; anything else has no field."""
    volumes = {
        str(v.get("name")): (i, v)
        for i, v in enumerate(spec.get("volumes") or [])
        if isinstance(v, Mapping)
    }
    used: set[str] = set()
    workload, pod = unit.resource, unit.pod
    claims = _claims(workload)
    for position, container in enumerate(containers):
        for m, mount in enumerate(container.get("volumeMounts") or []):
            at = (*pod, "containers", position, "volumeMounts", m)
            name, path = str(mount.get("name")), str(mount.get("mountPath"))
            if name in claims:
                continue  # a StatefulSet's claim: its top maps the mount
            found = volumes.get(name)
            if found is None:
                build.left_out(workload, at, f"mounts volume {name}, which the pod does not have")
                continue
            used.add(name)
            volume_at = (*pod, "volumes", found[0])
            volume = found[1]
            empty = volume.get("emptyDir")
            if isinstance(empty, Mapping) and empty:
                for key in empty:  # sizeLimit, medium
                    build.left_out(
                        workload, (*volume_at, "emptyDir", key),
                        f"no blueprint field: kgen's writable folders are emptyDirs without {key}",
                    )  # fmt: skip
                volume = {**volume, "emptyDir": {}}
            if path == SCRATCH and volume.get("emptyDir") == {}:
                build.record(
                    workload, at, Status.HARDENED, "kgen mounts a scratch /tmp on every container"
                )
                build.record(workload, volume_at, Status.HARDENED, "kgen's scratch /tmp")
            elif position != main:
                build.left_out(
                    workload, at, "no blueprint field for a sidecar's volumes (kgen gives it /tmp)"
                )
            elif volume.get("emptyDir") == {} and not mount.get("subPath"):
                build.here.setdefault("writablePaths", []).append(path)
                build.origin((*unit.where, "writablePaths"), workload, at)
                build.record(
                    workload,
                    (*at, "mountPath"),
                    Status.MAPPED,
                    "",
                    target(
                        unit.kind,
                        unit.name,
                        *pod,
                        "containers",
                        0,
                        "volumeMounts",
                        item("mountPath", path),
                        "mountPath",
                    ),
                )
                build.record(workload, at, Status.CHANGED, "a writable path: kgen names the volume")
                build.record(
                    workload,
                    volume_at,
                    Status.CHANGED,
                    "a writable path: an emptyDir named by kgen",
                )
            elif isinstance(volume.get("configMap"), Mapping):
                _config_files(build, workload, at, mount, volume_at, volume["configMap"])
            elif isinstance(volume.get("secret"), Mapping):
                _secret_mount(build, workload, at, mount, volume_at, volume["secret"])
            else:
                kind = next((k for k in volume if k != "name"), "unknown")
                build.left_out(workload, at, f"no blueprint field for a {kind} volume")
                build.left_out(workload, volume_at, f"no blueprint field for a {kind} volume")
    for name, (i, _) in volumes.items():
        if name not in used:
            build.left_out(workload, (*pod, "volumes", i), "a volume no container mounts")


def _secret_mount(
    build: Build,
    workload: Resource,
    at: JsonPath,
    mount: Mapping[str, Any],
    volume_at: JsonPath,
    source: Mapping[str, Any],
) -> None:
    """A Secret volume mounted in the main container: a ``secrets`` entry read from the
    store, mounted at the same path."""
    secret, path = str(source.get("secretName")), str(mount.get("mountPath"))
    entry = secret_entry(build, secret)
    entry["mountPath"] = path
    secret_at = ("spec", "secrets", build.spec["secrets"].index(entry))
    build.origin(secret_at, workload, at)
    build.origin(secret_at, workload, volume_at)
    build.record(
        workload,
        at,
        Status.SECRET,
        f"Secret {secret} mounted at {path}: now read from the secret store "
        f"{build.store} at key {entry['key']}",
    )
    build.record(
        workload,
        volume_at,
        Status.SECRET,
        f"Secret {secret}: now read from the secret store",
    )
    _secret_volume(build, workload, volume_at, source, entry["key"])
    for key in ("subPath", "subPathExpr"):
        if key in mount:
            build.left_out(
                workload, (*at, key),
                f"kgen mounts every key of the store entry {entry['key']} as a "
                f"file in the folder {path}: the app finds a folder where it "
                f"read the one file {mount[key]}",
            )  # fmt: skip


#: The mode of the files of a ConfigMap or Secret volume when it names none (0644).
_DEFAULT_MODE = 0o644
#: The mode of the files of a Secret volume kgen renders.
_SECRET_MODE = 0o440


def _modes(
    build: Build, workload: Resource, source: Mapping[str, Any], at: JsonPath, rendered: int
) -> None:
    """A volume's ``defaultMode`` and its items' ``mode``: the mode kgen renders (``rendered``)
    is mapped as the same, any other is left out, saying the mode the files get."""
    found: list[tuple[JsonPath, Any]] = [(("defaultMode",), source.get("defaultMode"))]
    items = source.get("items")
    for index, entry in enumerate(items if isinstance(items, list) else []):
        if isinstance(entry, Mapping):
            found.append((("items", index, "mode"), entry.get("mode")))
    for path, mode in found:
        if not isinstance(mode, int) or isinstance(mode, bool):
            continue
        where = (*at, *path)
        if mode == _DEFAULT_MODE == rendered:
            build.record(workload, where, Status.DEFAULT, "Kubernetes' default (0644)")
        elif mode == rendered:
            build.record(workload, where, Status.HARDENED, "kgen writes the same")
        else:
            build.left_out(
                workload, where,
                f"no blueprint field: the files get mode {rendered:04o}, not {mode:04o}",
            )  # fmt: skip


def _secret_volume(
    build: Build, workload: Resource, volume_at: JsonPath, source: Mapping[str, Any], key: str
) -> None:
    """What kgen's Secret volume does not say as the input did: it mounts every key of the
    store entry, at its own name, with mode 0440."""
    at = (*volume_at, "secret")
    items = source.get("items")
    if isinstance(items, list) and items:
        build.left_out(
            workload, (*at, "items"),
            f"kgen mounts every key of the store entry {key}, each as a file of its name: "
            "not only these items, nor at these paths",
        )  # fmt: skip
    _modes(build, workload, source, at, _SECRET_MODE)


def _claims(workload: Resource) -> set[str]:
    """The volumes a StatefulSet's claim templates give its pods."""
    templates = _get(workload.body, "spec", "volumeClaimTemplates")
    return {
        str(_get(claim, "metadata", "name"))
        for claim in (templates if isinstance(templates, list) else [])
        if isinstance(_get(claim, "metadata", "name"), str)
    }


def _config_files(
    build: Build,
    workload: Resource,
    at: JsonPath,
    mount: Mapping[str, Any],
    volume_at: JsonPath,
    source: Mapping[str, Any],
) -> None:
    """A ConfigMap mounted as files: each key (or listed item) a config file, inlined."""
    name = str(source.get("name"))
    found = build.index.by_name("ConfigMap", build.namespace, name)
    data = found.body.get("data") if found is not None else None
    if found is None or not isinstance(data, Mapping):
        build.left_out(workload, at, f"mounts ConfigMap {name}, which is not in the input")
        build.left_out(workload, volume_at, f"ConfigMap {name} is not in the input")
        return
    folder = str(mount.get("mountPath")).rstrip("/")
    items = source.get("items")
    if mount.get("subPath"):
        wanted = {str(mount["subPath"]): folder}
    elif isinstance(items, list):
        wanted = {
            str(i.get("key")): f"{folder}/{i.get('path')}" for i in items if isinstance(i, Mapping)
        }
    else:
        wanted = {str(key): f"{folder}/{key}" for key in data}
    files = build.spec.setdefault("configFiles", {})
    for key, path in wanted.items():
        if key not in data:
            build.left_out(workload, at, f"ConfigMap {name} has no key {key}")
            continue
        files[path] = data[key]
        build.origin(("spec", "configFiles", path), workload, at)
        build.record(
            found,
            ("data", key),
            Status.MAPPED,
            f"the file {path}",
            target("ConfigMap", f"{build.app}-files", "data", item("file", path)),
        )
    build.record(
        workload,
        at,
        Status.CHANGED,
        f"config files from ConfigMap {name}: kgen mounts each file read-only from "
        f"{build.app}-files",
    )
    build.record(
        workload, volume_at, Status.CHANGED, f"kgen's ConfigMap {build.app}-files holds the files"
    )
    _modes(build, workload, source, (*volume_at, "configMap"), _DEFAULT_MODE)
    build.record(
        found, ("metadata", "name"), Status.CHANGED, f"kgen's ConfigMap is {build.app}-files"
    )
