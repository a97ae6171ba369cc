"""What every mapper shares: the blueprint being built, where each of its values came
from, the patches for what no field says, and the ledger that accounts for the input."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from kgen.api import render_text
from kgen.importer.account import Item, Ledger, Status, Target, TargetPath, value_at
from kgen.importer.index import Index
from kgen.importer.read import Resource
from kgen.model import Document, JsonPath, Problem
from kgen.record import dataclass, field
from kgen.yamlio import dump_document

#: Metadata the cluster writes: never part of what a user declares.
CLUSTER_METADATA = frozenset({
    "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
    "ownerReferences", "finalizers", "deletionTimestamp", "deletionGracePeriodSeconds",
})  # fmt: skip
#: Annotations tools write for themselves.
TOOL_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "meta.helm.sh/",
    "helm.sh/",
    "kustomize.config.k8s.io/",
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
)
#: Labels kgen writes itself (the recommended ones) or that name the tool that made the input.
RESERVED_LABEL_PREFIXES = ("app.kubernetes.io/", "helm.sh/", "kgen.dev/")
#: Labels of the recommended set a user may keep.
FREE_RECOMMENDED_LABELS = frozenset({"app.kubernetes.io/part-of"})


#: The apiVersion kgen renders each kind it imports as.
RENDERED_VERSIONS = {
    "Deployment": "apps/v1",
    "Service": "v1",
    "ServiceAccount": "v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "PodDisruptionBudget": "policy/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "Ingress": "networking.k8s.io/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PodMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
}


@dataclass(frozen=True)
class Unit:
    """One input workload and what kgen renders it as: a Microservice's Deployment, a
    StatefulApp's StatefulSet, one process of a Monolith (``where`` is its place in the
    blueprint, ``("spec", "processes", "web")``), a migration Job or a schedule's CronJob."""

    resource: Resource
    kind: str  # the rendered kind
    name: str  # the rendered name
    pod: JsonPath  # the pod spec's path in the input and in the rendered workload
    container: str  # the rendered name of its main container
    where: JsonPath = ("spec",)  # where the unit's own settings go in the blueprint
    #: A StatefulSet's headless Service, which kgen renders as ``<name>-headless``.
    headless: Resource | None = None


@dataclass(frozen=True)
class Origin:
    resource: Resource
    path: JsonPath


@dataclass
class Build:
    """One blueprint being built from a workload and the parts it owns."""

    workload: Resource
    app: str
    namespace: str
    index: Index
    ledger: Ledger
    store: str | None
    #: The blueprint's kind: Microservice, StatefulApp or Monolith.
    kind: str = "Microservice"
    #: The unit being mapped: what ``name``, ``where`` and ``here`` refer to.
    unit: Unit | None = None
    blueprint: dict[str, Any] = field(default_factory=dict)
    #: Blueprint path -> the input it came from (to undo a value kgen refuses).
    origins: dict[JsonPath, list[Origin]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: The last trial render (``rendered``): the blueprint's text and its documents.
    _trial: tuple[str, tuple[Document, ...]] = field(default=("", ()), repr=False)

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.app}"

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.blueprint.setdefault("spec", {})
        return spec

    @property
    def name(self) -> str:
        """The rendered name of the unit being mapped (of the app, between units)."""
        return self.unit.name if self.unit is not None else self.app

    @property
    def where(self) -> JsonPath:
        """Where the settings of the unit being mapped go in the blueprint."""
        return self.unit.where if self.unit is not None else ("spec",)

    @property
    def here(self) -> dict[str, Any]:
        """The blueprint node at ``where`` (made on first use)."""
        node: dict[str, Any] = self.blueprint
        for part in self.where:
            node = node.setdefault(str(part), {})
        return node

    def record(
        self,
        resource: Resource,
        path: JsonPath,
        status: Status,
        note: str = "",
        target: Target | None = None,
        *,
        loud: bool = False,
    ) -> None:
        self.ledger.record(resource, path, status, note, target, self.ref, loud=loud)

    def put(
        self,
        where: JsonPath,
        value: Any,
        resource: Resource,
        path: JsonPath,
        target: Target | None = None,
        *,
        status: Status = Status.MAPPED,
        note: str = "",
    ) -> None:
        """Set the blueprint value at ``where`` (a path in the blueprint) from the input
        at ``path`` of ``resource``, which rendering gives back at ``target``."""
        node: dict[str, Any] = self.blueprint
        for part in where[:-1]:
            node = node.setdefault(str(part), {})
        node[str(where[-1])] = value
        self.origins.setdefault(where, []).append(Origin(resource, path))
        self.record(resource, path, status, note, target)

    def origin(self, where: JsonPath, resource: Resource, path: JsonPath) -> None:
        """Note one more input behind the blueprint value at ``where``."""
        self.origins.setdefault(where, []).append(Origin(resource, path))

    def patch(
        self,
        kind: str,
        name: str,
        out: JsonPath,
        value: Any,
        resource: Resource,
        path: JsonPath,
        note: str = "no blueprint field; kept as a patch",
    ) -> None:
        """Carry an input value that no field says as a merge patch on the rendered
        resource ``kind``/``name`` at ``out``."""
        patch: dict[str, Any] = {}
        node = patch
        for part in out[:-1]:
            node = node.setdefault(str(part), {})
        node[str(out[-1])] = value
        patches: list[Any] = self.spec.setdefault("patches", [])
        where: JsonPath = ("spec", "patches", len(patches))
        patches.append({"target": {"kind": kind, "name": name}, "patch": patch})
        self.origins.setdefault(where, []).append(Origin(resource, path))
        self.record(
            resource,
            path,
            Status.PATCHED,
            note,
            Target(kind, name, out),
        )

    def leftovers(
        self,
        resource: Resource,
        node: Any,
        path: JsonPath,
        kind: str,
        name: str,
        out: JsonPath,
        *,
        lists: str = "",
    ) -> None:
        """Every key of ``node`` (at ``path``) that nothing recorded yet: a patch at
        ``out`` on the rendered ``kind``/``name``. ``lists``: why a list that kgen renders
        there itself is left out (a merge patch would replace it whole); a list kgen
        renders none of is a patch too."""
        if not isinstance(node, Mapping):
            return
        for key, value in node.items():
            if self.ledger.recorded(resource, (*path, key)):
                continue
            if value is None:
                self.record(resource, (*path, key), Status.DEFAULT, "null: nothing set")
            elif value in ({}, []):
                self.record(resource, (*path, key), Status.DEFAULT, "empty: nothing set")
            elif lists and isinstance(value, list) and self.renders_list(kind, name, (*out, key)):
                self.record(resource, (*path, key), Status.LEFT_OUT, lists)
            else:
                self.patch(kind, name, (*out, key), value, resource, (*path, key))

    def renders_list(self, kind: str, name: str, out: JsonPath) -> bool:
        """Whether kgen renders a list of its own at ``out`` of ``kind``/``name`` (from the
        blueprint so far), which a patch would replace whole; True when it cannot tell."""
        body = self.rendered(kind, name)
        if body is None:
            return True
        found, value = value_at(body, out)
        return found and isinstance(value, list) and bool(value)

    def rendered(self, kind: str, name: str) -> Mapping[str, Any] | None:
        """What kgen renders as ``kind``/``name`` from the blueprint so far, before its
        patches; None when it renders no such resource. A value kgen refuses (settling
        takes it out later) is taken out of this trial too."""
        trial = copy.deepcopy(self.blueprint)
        trial.get("spec", {}).pop("patches", None)
        text = seen = dump_document(trial)
        if self._trial[0] != seen:
            for _ in range(_TRIALS):
                documents, problems = render_text(text, "<import>", check_output=False)
                if documents or not [p for p in problems if _take_out(trial, p.path)]:
                    break
                text = dump_document(trial)
            self._trial = (seen, tuple(documents))
        return next((d.body for d in self._trial[1] if (d.kind, d.name) == (kind, name)), None)

    def version(self, resource: Resource, name: str, kind: str = "") -> None:
        """The resource's apiVersion: the one kgen renders (as ``kind``), or changed to it."""
        rendered = RENDERED_VERSIONS[kind or resource.kind]
        if resource.api_version == rendered:
            self.record(
                resource,
                ("apiVersion",),
                Status.MAPPED,
                "",
                target(kind or resource.kind, name, "apiVersion"),
            )
        else:
            self.record(resource, ("apiVersion",), Status.CHANGED, f"kgen renders {rendered}")

    @contextmanager
    def apart(self) -> Iterator[None]:
        """Map a part that other blueprints map too (an Ingress routing to several apps)
        as if it were this blueprint's alone, then merge the records: what one blueprint
        maps is never undone by another leaving it out (``Ledger.merge``)."""
        shared, self.ledger = self.ledger, Ledger()
        try:
            yield
        finally:
            shared.merge(self.ledger)
            self.ledger = shared

    def left_out(self, resource: Resource, path: JsonPath, why: str) -> None:
        self.record(resource, path, Status.LEFT_OUT, why)

    def each(
        self,
        resource: Resource,
        node: Any,
        path: JsonPath,
        handlers: Mapping[str, Callable[[Any, JsonPath], None]],
    ) -> None:
        """Call the handler of each key of ``node`` that has one."""
        if isinstance(node, Mapping):
            for key, value in node.items():
                handler = handlers.get(key)
                if handler is not None:
                    handler(value, (*path, key))

    def cluster_metadata(self, resource: Resource) -> None:
        metadata = resource.body.get("metadata")
        for key in metadata if isinstance(metadata, Mapping) else ():
            if key in CLUSTER_METADATA:
                self.left_out(resource, ("metadata", key), "written by the cluster")
        if "status" in resource.body:
            self.left_out(resource, ("status",), "written by the cluster")
        annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
        for key in annotations if isinstance(annotations, Mapping) else ():
            if str(key).startswith(TOOL_ANNOTATIONS):
                self.left_out(
                    resource,
                    ("metadata", "annotations", key),
                    "written by the tool that applied it",
                )


def part_metadata(build: Build, part: Resource, kind: str, name: str) -> None:
    """A part's name (kgen renders it as ``name``), namespace, cluster-written metadata
    and labels."""
    same = part.name == name
    build.record(
        part, ("metadata", "name"), Status.MAPPED if same else Status.RENAMED,
        "" if same else f"kgen names the {kind} after the {_owner(build, name)}: {name}; what "
        f"refers to {part.name} must follow, and applying adds {name} beside it (delete "
        f"{part.name} once nothing uses it)",
        target(kind, name, "metadata", "name") if same else None,
    )  # fmt: skip
    build.version(part, name, kind)
    build.record(part, ("kind",), Status.MAPPED, "", target(kind, name, "kind"))
    if "namespace" in (part.body.get("metadata") or {}):
        build.record(
            part,
            ("metadata", "namespace"),
            Status.MAPPED,
            "",
            target(kind, name, "metadata", "namespace"),
        )
    build.cluster_metadata(part)
    map_labels(build, part, ("metadata", "labels"), kind, ("metadata", "labels"), name)


def _owner(build: Build, name: str) -> str:
    """What kgen names a part after: the app (its ServiceAccount, every part of a
    Microservice), or a Monolith's process."""
    return "process" if build.where[:2] == ("spec", "processes") else "app"


def item(key: str, value: object) -> Item:
    return Item(key, str(value))


def target(kind: str, name: str, *path: str | int | Item) -> Target:
    out: TargetPath = tuple(path)
    return Target(kind, name, out)


def labels_of(resource: Resource, path: JsonPath = ("metadata", "labels")) -> Mapping[str, Any]:
    node: Any = resource.body
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def reserved_label(key: str) -> bool:
    return key.startswith(RESERVED_LABEL_PREFIXES) and key not in FREE_RECOMMENDED_LABELS


def map_labels(
    build: Build, resource: Resource, path: JsonPath, kind: str, out: JsonPath, name: str = ""
) -> None:
    """Labels of a rendered resource (``kind`` named ``name``, else after the unit being
    mapped): the blueprint's labels where they agree, kgen's recommended ones instead of
    the input's, and a patch for the rest."""
    rendered = name or build.name
    own: Mapping[str, Any] = build.blueprint.get("metadata", {}).get("labels", {})
    for key, value in labels_of(resource, path).items():
        at = (*path, key)
        if reserved_label(str(key)):
            build.record(
                resource,
                at,
                Status.CHANGED,
                "kgen writes the recommended app.kubernetes.io/ labels",
            )
        elif own.get(key) == value:
            build.record(resource, at, Status.MAPPED, "", target(kind, rendered, *out, str(key)))
            build.origin(("metadata", "labels", str(key)), resource, at)
        else:
            build.patch(kind, rendered, (*out, str(key)), value, resource, at)


#: Trial renders of ``Build.rendered``, each taking out what kgen refused in the last.
_TRIALS = 5


def _take_out(blueprint: dict[str, Any], path: JsonPath) -> bool:
    """Take the value at ``path`` out of a trial blueprint (never what it is: its kind,
    metadata and image); whether there was one."""
    if len(path) < 2 or path[0] != "spec" or path == ("spec", "image"):
        return False
    found, holder = value_at(blueprint, path[:-1])
    if not found or not value_at(holder, path[-1:])[0]:
        return False
    del holder[path[-1]]
    return True


def names(items: Iterable[Resource]) -> str:
    return ", ".join(sorted(f"{r.kind} {r.name}" for r in items))
