"""The index of an import: which resources there are, in which namespace, and the one
place that decides which resource belongs to which workload.

Ownership follows how Kubernetes itself ties objects together: a Service or a
PodDisruptionBudget by its selector (it selects the workload's pod labels), an HPA by its
``scaleTargetRef``, a ServiceAccount, ConfigMap or Secret by the pod template naming it.
What exposes or watches an app follows its Service: an Ingress belongs to the workload
whose Service its backends name, a ServiceMonitor to the workload whose Service its
selector selects, a PodMonitor to the workload whose pods it selects. A PrometheusRule
names no Service: it belongs to a workload a ServiceMonitor or PodMonitor of the input
watches when it names that workload (its
``app.kubernetes.io/name`` or ``app`` label, or its name, is the workload's name or
starts with it and a '-'); a rule that names none, or several, is left out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kgen.helpers import selector_labels
from kgen.importer.processes import Run, plan, unit_names
from kgen.importer.read import Resource
from kgen.record import dataclass, field

#: What each kind is to this importer. Workloads become blueprints; parts fold into the
#: blueprint of the workload that owns them.
WORKLOADS = ("Deployment", "StatefulSet", "Job", "CronJob")
PARTS = (
    "Service",
    "ServiceAccount",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "ConfigMap",
    "Secret",
    "Ingress",
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
)
#: Parts owned through another part (an Ingress through the Service it routes to), in the
#: order their owners are found.
THROUGH_PARTS = (("Ingress", "ServiceMonitor"), ("PrometheusRule",))
#: Kinds a blueprint has fields for, that later versions of kgen import will map.
NOT_YET = (
    "VerticalPodAutoscaler",
    "ScaledObject",
    "ExternalSecret",
)
#: The API groups of Kubernetes itself; any other group is a custom resource.
BUILT_IN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "node.k8s.io",
    "certificates.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io",
})  # fmt: skip


#: Where each workload kind keeps its pod spec.
POD_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def pod_path(workload: Resource) -> tuple[str, ...]:
    return POD_PATHS.get(workload.kind, POD_PATHS["Deployment"])


def pod_spec(workload: Resource, path: tuple[str | int, ...] = ()) -> Mapping[str, Any]:
    """The pod spec of ``workload`` (at ``path``, else where its kind keeps it)."""
    spec = _get(workload.body, *(path or pod_path(workload)))
    return spec if isinstance(spec, Mapping) else {}


def pod_labels(workload: Resource) -> Mapping[str, Any]:
    labels = _get(workload.body, *pod_path(workload)[:-1], "metadata", "labels")
    return labels if isinstance(labels, Mapping) else {}


def _get(node: Any, *path: str | int) -> Any:
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether a label selector (a plain map, or ``matchLabels`` without expressions)
    selects pods with ``labels``; an empty or missing selector selects no workload here."""
    if not isinstance(selector, Mapping) or not selector:
        return False
    return all(labels.get(key) == value for key, value in selector.items())


def selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether a label selector (``matchLabels`` and ``matchExpressions``) matches
    ``labels``; an empty one matches all."""
    if not isinstance(selector, Mapping):
        return False
    wanted = selector.get("matchLabels") or {}
    if not isinstance(wanted, Mapping) or any(labels.get(k) != v for k, v in wanted.items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, Mapping):
            return False
        key, operator = str(expression.get("key")), expression.get("operator")
        values = expression.get("values") or []
        if (
            (operator == "In" and labels.get(key) not in values)
            or (operator == "NotIn" and key in labels and labels[key] in values)
            or (operator == "Exists" and key not in labels)
            or (operator == "DoesNotExist" and key in labels)
        ):
            return False
    return True


def main_container(workload: Resource) -> Mapping[str, Any]:
    """The first container of the workload's pod template (``{}`` when there is none)."""
    containers = pod_spec(workload).get("containers")
    found = (
        [c for c in containers if isinstance(c, Mapping)] if isinstance(containers, list) else []
    )
    return found[0] if found else {}


def containers_of(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            if isinstance(container, Mapping):
                yield container


def referenced(workload: Resource, kind: str) -> set[str]:
    """The names of the ConfigMaps or Secrets a workload's pods use (volumes, variables)."""
    spec = pod_spec(workload)
    names: set[str] = set()
    volume_key, name_key = (
        ("configMap", "name") if kind == "ConfigMap" else ("secret", "secretName")
    )
    ref = "configMapKeyRef" if kind == "ConfigMap" else "secretKeyRef"
    bulk = "configMapRef" if kind == "ConfigMap" else "secretRef"
    for volume in spec.get("volumes") or []:
        source = volume.get(volume_key) if isinstance(volume, Mapping) else None
        if isinstance(source, Mapping) and source.get(name_key):
            names.add(str(source[name_key]))
    for container in containers_of(spec):
        for variable in container.get("env") or []:
            found = _get(variable, "valueFrom", ref, "name")
            if found:
                names.add(str(found))
        for source in container.get("envFrom") or []:
            found = _get(source, bulk, "name")
            if found:
                names.add(str(found))
    return names


def backend_services(ingress: Resource) -> list[str]:
    """The Services an Ingress (networking.k8s.io/v1) sends requests to, in order: its
    rules' backends, then its default backend."""
    backends: list[Any] = []
    rules = _get(ingress.body, "spec", "rules")
    for rule in rules if isinstance(rules, list) else []:
        paths = _get(rule, "http", "paths")
        backends.extend(_get(p, "backend") for p in (paths if isinstance(paths, list) else []))
    backends.append(_get(ingress.body, "spec", "defaultBackend"))
    names = [_get(b, "service", "name") for b in backends]
    return list(dict.fromkeys(n for n in names if isinstance(n, str)))


@dataclass(frozen=True)
class Group:
    """One blueprint the import makes: its kind, its name, and the workloads it is made of
    (one Deployment for a Microservice, one StatefulSet for a StatefulApp; a Monolith's
    Deployments, Jobs and CronJobs)."""

    kind: str
    app: str
    workloads: tuple[Resource, ...]


#: The blueprint each workload kind makes on its own.
BLUEPRINTS = {"Deployment": "Microservice", "StatefulSet": "StatefulApp"}


def group(index: Index) -> list[Group]:
    """The one place that decides which workloads make which blueprint: Deployments that
    share an image make a Monolith with their Jobs and CronJobs (``processes.plan``), any
    other Deployment a Microservice, a StatefulSet a StatefulApp."""
    shared = {id(w) for monolith in index.monoliths for w in monolith.workloads}
    return [
        *index.monoliths,
        *(
            Group(BLUEPRINTS[w.kind], w.name, (w,))
            for w in index.workloads
            if w.kind in BLUEPRINTS and id(w) not in shared
        ),
    ]


@dataclass
class Index:
    """The resources of one import, each with its namespace, and who owns what."""

    resources: tuple[Resource, ...]
    namespace_of: dict[int, str]
    workloads: list[Resource] = field(default_factory=list)
    #: id(part) -> the workloads that own it (usually one; several is ambiguous).
    owners: dict[int, list[Resource]] = field(default_factory=dict)
    #: Deployments sharing an image, with their Jobs and CronJobs: one Monolith each.
    monoliths: list[Group] = field(default_factory=list)
    #: id(workload) -> why it makes no blueprint (a Job or CronJob that joins none); such
    #: a workload owns nothing.
    lone: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, resources: tuple[Resource, ...], namespace_of: dict[int, str]) -> Index:
        index = cls(resources, namespace_of)
        workloads = [r for r in resources if r.kind in WORKLOADS]
        shared = plan([Run(w, index.namespace(w), main_container(w)) for w in workloads])
        index.monoliths = [Group("Monolith", m.app, m.workloads) for m in shared.monoliths]
        index.lone = {id(w): why for w, why in shared.lone}
        index.workloads = [w for w in workloads if id(w) not in index.lone]
        later = {kind for kinds in THROUGH_PARTS for kind in kinds}
        for kinds in (tuple(k for k in PARTS if k not in later), *THROUGH_PARTS):
            for part in resources:
                if part.kind in kinds:
                    index.owners[id(part)] = [w for w in index.workloads if index._owns(w, part)]
        return index

    def namespace(self, resource: Resource) -> str:
        return self.namespace_of[id(resource)]

    def _owns(self, workload: Resource, part: Resource) -> bool:
        """The one rule of ownership: whether ``part`` belongs to ``workload``."""
        if part.kind == "ServiceMonitor":  # it may watch other namespaces
            return self._watches(workload, part)
        if part.kind == "PodMonitor":  # the pods themselves, in a namespace it watches
            selector = _get(part.body, "spec", "selector")
            if not isinstance(selector, Mapping) or selector.get("matchExpressions"):
                return False
            return self._in_reach(part, self.namespace(workload)) and _selects(
                selector.get("matchLabels"), pod_labels(workload)
            )
        if self.namespace(workload) != self.namespace(part):
            return False
        body = part.body
        if part.kind == "Service":
            return _selects(_get(body, "spec", "selector"), pod_labels(workload))
        if part.kind == "PodDisruptionBudget":
            selector = _get(body, "spec", "selector")
            if isinstance(selector, Mapping) and selector.get("matchExpressions"):
                return False
            return _selects(_get(selector, "matchLabels"), pod_labels(workload))
        if part.kind == "HorizontalPodAutoscaler":
            target = _get(body, "spec", "scaleTargetRef")
            return (
                isinstance(target, Mapping)
                and target.get("kind") == workload.kind
                and target.get("name") == workload.name
            )
        if part.kind == "ServiceAccount":
            return pod_spec(workload).get("serviceAccountName") == part.name
        if part.kind in ("Ingress", "ServiceMonitor", "PrometheusRule"):
            return self._watches(workload, part)
        return part.name in referenced(workload, part.kind)

    def _watches(self, workload: Resource, part: Resource) -> bool:
        """Whether an Ingress routes to, a ServiceMonitor scrapes, or a PrometheusRule
        names ``workload`` (see the module's docstring)."""
        services = self.owned(workload, "Service")
        if part.kind == "Ingress":
            owned = {id(s) for s in services}
            return any(
                id(self.by_name("Service", self.namespace(part), name)) in owned
                for name in backend_services(part)
            )
        if part.kind == "ServiceMonitor":
            selector = _get(part.body, "spec", "selector")
            if not isinstance(selector, Mapping) or selector.get("matchExpressions"):
                return False
            if not self._in_reach(part, self.namespace(workload)):
                return False
            found = [_get(s.body, "metadata", "labels") for s in services]
            return any(
                _selects(selector.get("matchLabels"), labels)
                for labels in found
                if isinstance(labels, Mapping)
            )
        watched = [*self.owned(workload, "ServiceMonitor"), *self.owned(workload, "PodMonitor")]
        own = _get(part.body, "metadata", "labels")
        named = (
            {own.get(k) for k in ("app.kubernetes.io/name", "app")}
            if isinstance(own, Mapping)
            else set()
        )
        return bool(watched) and (
            workload.name in named
            or part.name == workload.name
            or part.name.startswith(f"{workload.name}-")
        )

    def _in_reach(self, monitor: Resource, namespace: str) -> bool:
        """Whether a ServiceMonitor or PodMonitor watches ``namespace``: its own, unless its
        namespaceSelector names others (``matchNames``) or every one (``any``)."""
        chosen = _get(monitor.body, "spec", "namespaceSelector")
        if not isinstance(chosen, Mapping) or not chosen:
            return self.namespace(monitor) == namespace
        names = chosen.get("matchNames")
        return chosen.get("any") is True or (isinstance(names, list) and namespace in names)

    def owned(self, workload: Resource, kind: str) -> list[Resource]:
        """The parts of ``kind`` that ``workload`` owns alone, in input order."""
        return [
            part
            for part in self.resources
            if part.kind == kind and self.owners.get(id(part)) == [workload]
        ]

    def routing(self, workload: Resource) -> list[Resource]:
        """The Ingresses that route to ``workload``'s Services, alone or with others' (each
        app's blueprint takes the routes to its own Services)."""
        return [
            part
            for part in self.resources
            if part.kind == "Ingress" and workload in self.owners.get(id(part), [])
        ]

    def shared(self, workload: Resource, kind: str) -> list[Resource]:
        """Parts of ``kind`` read by ``workload`` and others too (ConfigMaps, Secrets)."""
        return [
            part
            for part in self.resources
            if part.kind == kind
            and workload in self.owners.get(id(part), [])
            and len(self.owners[id(part)]) > 1
        ]

    def by_name(self, kind: str, namespace: str, name: str) -> Resource | None:
        for resource in self.resources:
            if (
                resource.kind == kind
                and resource.name == name
                and self.namespace(resource) == namespace
            ):
                return resource
        return None

    def selector_of(self, workload: Resource) -> dict[str, str] | None:
        """The labels kgen selects ``workload``'s pods by once imported: its blueprint's
        name, and in a Monolith its process; None for a workload whose pods no blueprint
        of this import runs long (a Job, a CronJob, one left out)."""
        for made in group(self):
            at = next((i for i, w in enumerate(made.workloads) if w is workload), None)
            if at is None:
                continue
            if made.kind != "Monolith":
                return selector_labels(made.app)
            if workload.kind != "Deployment":
                return None
            runs = [Run(w, self.namespace(w), main_container(w)) for w in made.workloads]
            return selector_labels(made.app, unit_names(made.app, runs)[at])
        return None
