"""Functions and filters the kind templates call. Generic: none knows about a specific kind."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kgen.formats import image_tag
from kgen.yamlio import written_text

MANAGED_BY = "kgen"
#: Labels kgen sets on every resource; a blueprint may not set them.
RESERVED_LABELS = frozenset(
    f"app.kubernetes.io/{name}"
    for name in ("name", "instance", "version", "component", "managed-by")
)
#: Service annotations kgen derives from service.type and service.internal.
MANAGED_SERVICE_ANNOTATIONS = frozenset(
    f"service.beta.kubernetes.io/aws-load-balancer-{name}"
    for name in ("type", "nlb-target-type", "scheme")
)
#: The writable scratch volume every pod gets (the root filesystem is read-only).
RESERVED_VOLUME = {"name": "tmp", "mountPath": "/tmp"}
_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: maps merge, everything else replaces, None deletes."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def label_value(text: str) -> str:
    """``text`` made into a valid label value (at most 63 characters, alphanumeric ends)."""
    cleaned = _LABEL_UNSAFE.sub("-", text)[:63]
    return cleaned.strip("-_.")


def selector_labels(app: str, component: str | None = None) -> dict[str, str]:
    """Labels that never change between versions, the only ones selectors use."""
    labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": app}
    if component:
        labels["app.kubernetes.io/component"] = component
    return labels


def recommended_labels(
    meta: Mapping[str, Any], image: str | None = None, component: str | None = None
) -> dict[str, str]:
    """The user's labels, then the recommended ``app.kubernetes.io/*`` labels on top."""
    labels: dict[str, str] = dict(meta.get("labels", {}))
    labels.update(selector_labels(str(meta["name"]), component))
    if image:
        version = label_value(image_tag(image))
        if version:
            labels["app.kubernetes.io/version"] = version
    labels["app.kubernetes.io/managed-by"] = MANAGED_BY
    return dict(sorted(labels.items()))


def as_string(value: Any) -> str:
    """Environment values are strings: booleans become 'true'/'false', numbers the text
    the user wrote (``1.10`` stays ``1.10``, ``0755`` stays ``0755``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return written_text(value) or str(value)


def quantity(value: Any) -> str:
    """A CPU or memory quantity as Kubernetes writes it."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def port_number(ports: list[Mapping[str, Any]], ref: int | str) -> int:
    """The container port number of a port given by number or by name."""
    if isinstance(ref, int):
        return ref
    for port in ports:
        if port["name"] == ref:
            return int(port["port"])
    raise ValueError(f"no port named {ref!r}")  # validate checks every reference first


TEMPLATE_FILTERS = {
    "merge": merge_patch,
    "as_string": as_string,
    "quantity": quantity,
    "label_value": label_value,
}

TEMPLATE_GLOBALS = {
    "recommended_labels": recommended_labels,
    "selector_labels": selector_labels,
    "port_number": port_number,
}
