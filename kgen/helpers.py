"""Functions and filters the kind templates call. Generic: none knows about a specific kind."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from kgen import lazyre
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
#: Ingress annotations kgen derives from ingress (the AWS Load Balancer Controller's) and
#: from ingress.tls (cert-manager's, by prefix), and the class, which is spec.ingressClassName.
DERIVED_INGRESS_ANNOTATIONS = frozenset(
    f"alb.ingress.kubernetes.io/{name}"
    for name in (
        "scheme", "target-type", "group.name", "listen-ports", "ssl-redirect", "ssl-policy",
        "certificate-arn", "healthcheck-path",
    )
) | {"kubernetes.io/ingress.class"}  # fmt: skip
DERIVED_INGRESS_PREFIXES = ("cert-manager.io/",)
#: The writable scratch volume every pod gets (the root filesystem is read-only).
RESERVED_VOLUME = {"name": "tmp", "mountPath": "/tmp"}
#: Names of the volumes kgen adds (config files, secrets, writable paths) start with this.
VOLUME_PREFIX = "kgen-"
#: Pod annotations kgen writes itself.
CONFIG_HASH_ANNOTATION = "kgen.dev/config-hash"
#: The label on a StatefulApp's own headless Service, which monitors leave out (the pods
#: are scraped through the client Service).
HEADLESS_LABEL = "kgen.dev/headless"
_LABEL_UNSAFE = lazyre.compile(r"[^A-Za-z0-9_.-]")
_KEY_UNSAFE = lazyre.compile(r"[^-._a-zA-Z0-9]")


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
    """A CPU or memory quantity as a string: a number as it was written (validate took it
    as plain decimal digits), never rounded through a float."""
    written = written_text(value)
    if written is not None:
        try:
            return format(Decimal(written).normalize(), "f")  # 0.50 -> 0.5, 2.0 -> 2
        except InvalidOperation:  # pragma: no cover - validate took it as plain digits
            return written
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


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def data_key(name: str) -> str:
    """``name`` as a key of a ConfigMap or Secret (letters, digits, '-', '_', '.'; at most
    253): unsafe characters become '-', with a hash of the name when anything changed."""
    key = _KEY_UNSAFE.sub("-", name)[:200].strip(".") or "file"
    return key if key == name else f"{key}-{_short_hash(name)}"


def file_keys(files: Mapping[str, str]) -> dict[str, str]:
    """The ConfigMap key of each config file (by mount path): its base name, or the base
    name and a hash of the path where two files share a base name. Sorted by path."""
    names = {path: data_key(path.rstrip("/").rsplit("/", 1)[-1]) for path in files}
    shared = {key for key, count in Counter(names.values()).items() if count > 1}
    return {
        path: f"{key}-{_short_hash(path)}" if key in shared else key
        for path, key in sorted(names.items())
    }


def files_data(files: Mapping[str, str]) -> dict[str, str]:
    """The ConfigMap data of the config files: key -> content."""
    return {key: files[path] for path, key in file_keys(files).items()}


def content_hash(data: Mapping[str, Any]) -> str:
    """A short hash of a mapping's content: on a pod template it rolls the pods when the
    content changes."""
    return _short_hash(json.dumps(data, sort_keys=True, ensure_ascii=False))


def image_hash(image: str) -> str:
    """A short hash of an image reference: a name stable for one image that changes with it."""
    return _short_hash(image)


def volume_name(prefix: str, name: str) -> str:
    """``prefix-name`` as a volume name (at most 63 characters)."""
    full = f"{prefix}-{name}"
    return full if len(full) <= 63 else f"{full[:52]}-{_short_hash(full)}"


def secret_keys(secret: Mapping[str, Any]) -> dict[str, str]:
    """The Secret key of each environment variable of a secret (variable -> key)."""
    return {name: data_key(prop) for name, prop in secret.get("env", {}).items()}


def secret_data(secret: Mapping[str, Any]) -> dict[str, str]:
    """The properties an ExternalSecret fetches, once each: Secret key -> property."""
    return {data_key(prop): prop for prop in sorted(set(secret.get("env", {}).values()))}


def sorted_keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping with its keys in order (labels are written sorted)."""
    return dict(sorted(mapping.items()))


TEMPLATE_FILTERS = {
    "sorted_keys": sorted_keys,
    "merge": merge_patch,
    "as_string": as_string,
    "quantity": quantity,
    "label_value": label_value,
}

TEMPLATE_GLOBALS = {
    "image_hash": image_hash,
    "HEADLESS_LABEL": HEADLESS_LABEL,
    "file_keys": file_keys,
    "files_data": files_data,
    "content_hash": content_hash,
    "volume_name": volume_name,
    "secret_keys": secret_keys,
    "secret_data": secret_data,
    "recommended_labels": recommended_labels,
    "selector_labels": selector_labels,
    "port_number": port_number,
}
