"""Changes Kubernetes refuses to make in place: fields the API server keeps as they were
created (a workload's selector, a StatefulSet's claims and Service name, a Job's pod
template, a Service's cluster IP, a claim's class). ``kgen diff`` and ``render --check``
warn of them before an apply fails, and say how to roll each out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from kgen.record import dataclass

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: kind -> (field path, what apply does, how to roll it out).
_IMMUTABLE: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "Deployment": ((("spec", "selector"), "recreate the Deployment"),),
    "StatefulSet": (
        (("spec", "selector"), "recreate the StatefulSet"),
        (
            ("spec", "volumeClaimTemplates"),
            "delete the StatefulSet with --cascade=orphan (its pods and volumes stay), then "
            "apply; existing claims keep their old size and class",
        ),
        (("spec", "serviceName"), "delete the StatefulSet with --cascade=orphan, then apply"),
        (
            ("spec", "podManagementPolicy"),
            "delete the StatefulSet with --cascade=orphan, then apply",
        ),
    ),
    "Job": (
        (("spec", "template"), "delete the Job (or let its TTL remove it), then apply"),
        (("spec", "selector"), "delete the Job, then apply"),
    ),
    "Service": ((("spec", "clusterIP"), "delete the Service, then apply"),),
    "PersistentVolumeClaim": (
        (("spec", "storageClassName"), "make a new claim and move the data"),
        (("spec", "accessModes"), "make a new claim and move the data"),
    ),
    "PersistentVolume": (
        (("spec", "csi"), "make a new volume"),
        (("spec", "local"), "make a new volume"),
    ),
    "StorageClass": (
        (("provisioner",), "delete the StorageClass, then apply (claims keep their volumes)"),
        (("parameters",), "delete the StorageClass, then apply (claims keep their volumes)"),
        (("volumeBindingMode",), "delete the StorageClass, then apply"),
        (("reclaimPolicy",), "delete the StorageClass, then apply"),
    ),
}


@dataclass(frozen=True)
class Refused:
    """One field a change would alter that the API server will not change in place."""

    resource: str
    field: str
    remedy: str

    def __str__(self) -> str:
        return (
            f"{self.resource}: {self.field} changes, and Kubernetes will not change it in "
            f"place: the apply (or Argo CD's sync) fails; {self.remedy}"
        )


def _at(body: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        body = body.get(part) if isinstance(body, Mapping) else None
    return body


def _load(text: str | None) -> Mapping[str, Any] | None:
    if text is None:
        return None
    try:
        body = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        return None
    return body if isinstance(body, Mapping) else None


def refused_changes(before: str | None, after: str | None) -> Iterator[Refused]:
    """The in-place-refused fields a file's change alters (none for a new or removed
    resource, or one whose kind or name changes: that is a new object)."""
    if before is None or after is None:
        return
    old, new = _load(before), _load(after)
    if old is None or new is None or old.get("kind") != new.get("kind"):
        return
    if _at(old, ("metadata", "name")) != _at(new, ("metadata", "name")):
        return
    kind = str(new.get("kind"))
    namespace = _at(new, ("metadata", "namespace"))
    name = _at(new, ("metadata", "name"))
    resource = f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
    for path, remedy in _IMMUTABLE.get(kind, ()):
        was, now = _at(old, path), _at(new, path)
        if was != now:
            yield Refused(resource, ".".join(path), remedy)
    if kind == "PersistentVolumeClaim":
        yield from _shrunk(resource, old, new)


def _shrunk(resource: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Refused]:
    """A claim may grow (where its class allows expansion), never shrink."""
    from kgen.formats import memory_bytes

    path = ("spec", "resources", "requests", "storage")
    was, now = _at(old, path), _at(new, path)
    try:
        smaller = was is not None and now is not None and memory_bytes(now) < memory_bytes(was)
    except (ValueError, ArithmeticError):
        return
    if smaller:
        yield Refused(
            resource,
            ".".join(path) + f" shrinks from {was} to {now}",
            "a claim never shrinks: make a new, smaller claim and move the data",
        )
