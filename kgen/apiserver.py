"""Rules of the API server that the OpenAPI schemas do not carry, checked on every rendered
document (patched or not): names, sizes, values behind feature gates, and what the API
server validates in metadata, pod templates, Services and ConfigMaps. Each problem points
back at the blueprint field (or the patch) the value came from.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kgen import lazyre
from kgen.formats import DNS_1035_LABEL, DNS_LABEL, DNS_SUBDOMAIN, FORMATS, image_problem
from kgen.model import Blueprint, Document, JsonPath, Problem, SourcePos

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

# --- Rules of the API server that the OpenAPI schemas do not carry ----------------------

#: Values that need a feature the API server turns on only from some version on:
#: (key, value, first version where it is on by default).
_FEATURE_GATED: tuple[tuple[str, str, tuple[int, int]], ...] = (
    ("accessModes", "ReadWriteOncePod", (1, 27)),  # alpha before 1.27: refused by default
)


#: Container fields that need a feature on by default only from some version on (before,
#: older schemas refuse them, or the API server drops them): (the blueprint field, the
#: container's keys, first version, a way round).
_GATED_FIELDS: tuple[tuple[tuple[str, str], JsonPath, tuple[int, int], str], ...] = (
    (
        ("preStop", "sleep"),
        ("lifecycle", "preStop", "sleep", "seconds"),
        (1, 30),
        "write preStop: {exec: [sleep, '<seconds>']} where the image has a sleep, or target "
        "a newer version with --kube-version",
    ),
)


def version_problems(document: Document, kube_version: str) -> Iterator[Problem]:
    """Values the schema admits but the target version refuses unless a gate is enabled,
    and fields it does not know yet (said once, at the blueprint field)."""
    major, minor = (int(part) for part in kube_version.split("."))
    yield from _gated_fields(document, (major, minor), kube_version)
    for key, value, since in _FEATURE_GATED:
        if (major, minor) >= since or not _has(document.body, key, value):
            continue
        yield _output_problem(
            document,
            _origin_of_value(document.origin, value),
            (key,),
            f"{value} needs Kubernetes {since[0]}.{since[1]} or later "
            f"(--kube-version is {kube_version})",
            "use another value, or target a newer version with --kube-version",
        )


def _gated_fields(
    document: Document, version: tuple[int, int], kube_version: str
) -> Iterator[Problem]:
    place = POD_TEMPLATES.get(document.kind)
    containers = _dig(document.body, (*place, "spec", "containers")) if place else None
    for field, keys, since, hint in _GATED_FIELDS:
        if version >= since or not isinstance(containers, list) or place is None:
            continue
        for index, container in enumerate(containers):
            value = _dig(container, keys)
            if value is None:
                continue
            leaves = [(p, v) for p, v in _leaves(document.origin.data, ()) if p[-2:] == field]
            written = [p for p, v in leaves if v == value] or [p for p, _ in leaves]
            pos = document.origin.source.value_pos(written[0]) if written else None
            yield _output_problem(
                document,
                pos or _anchor(document.origin),
                (*place, "spec", "containers", index, *keys),
                f"{'.'.join(field)} needs Kubernetes {since[0]}.{since[1]} or later "
                f"(--kube-version is {kube_version})",
                hint,
            )


def _dig(node: Any, keys: JsonPath) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _has(node: Any, key: str, value: str) -> bool:
    """Whether ``node`` holds, anywhere, ``key`` with ``value`` in its list or as its value."""
    if isinstance(node, Mapping):
        for child_key, child in node.items():
            found = child == value or (isinstance(child, list) and value in child)
            if (child_key == key and found) or _has(child, key, value):
                return True
    elif isinstance(node, list):
        return any(_has(item, key, value) for item in node)
    return False


def is_unscoped(document: Document) -> bool:
    """eksctl's ClusterConfig is not a Kubernetes object: its name follows eksctl's rules."""
    return document.api_version.startswith("eksctl.io/")


#: Kinds whose names have tighter rules than a DNS-1123 subdomain: (pattern, max, rule).
_NAME_RULES: Mapping[str, tuple[re.Pattern[str], int, str]] = {
    "Service": (DNS_1035_LABEL, 63, "lower-case letters, digits and '-', starting with a letter"),
    # Pods of a StatefulSet carry the label controller-revision-hash=<name>-<10 characters>.
    "StatefulSet": (DNS_LABEL, 52, "lower-case letters, digits and '-'"),
    # A Job's pods carry the label job-name=<name>; a CronJob adds 11 characters to it.
    "Job": (DNS_LABEL, 63, "lower-case letters, digits and '-'"),
    "CronJob": (DNS_LABEL, 52, "lower-case letters, digits and '-'"),
}


def name_problems(document: Document) -> Iterator[Problem]:
    """Names the API server would refuse although the OpenAPI schema cannot say so."""
    name = document.name
    # kgen names the files of namespaced resources after them: it keeps them DNS labels.
    default = (
        (DNS_LABEL, 63, "lower-case letters, digits and '-'")
        if document.namespace
        else (DNS_SUBDOMAIN, 253, "lower-case letters, digits, '-' and '.'")
    )
    pattern, longest, rule = _NAME_RULES.get(document.kind, default)
    if len(name) > longest or not pattern.fullmatch(name):
        fix = "shorten" if len(name) > longest else "rename"
        who = "Kubernetes" if document.kind in _NAME_RULES or not document.namespace else "kgen"
        yield _output_problem(
            document,
            _anchor(document.origin),
            ("metadata", "name"),
            f"{document.kind} name {name!r} is refused by {who}: at most {longest} "
            f"characters ({len(name)} here) of {rule}",
            f"{fix} the blueprint (or the process) this name is made from",
        )


#: The API server's limits: all annotations of an object together, and a whole object in etcd.
MAX_ANNOTATIONS_BYTES = 256 * 1024
MAX_OBJECT_BYTES = 1024 * 1024
#: kubectl apply (and Argo CD, which runs it) keeps a copy of the object, as JSON, in this
#: annotation: it counts against the annotation limit.
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def size_problems(document: Document) -> Iterator[Problem]:
    """Objects the API server refuses for their size, as written or once ``kubectl apply``
    has added its copy of them."""
    annotations = document.body.get("metadata", {}).get("annotations", {})
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in annotations.items())
    total = _json_size(document.body)
    if total + size + len(LAST_APPLIED) + 1 <= MAX_ANNOTATIONS_BYTES:
        return  # the common case: no walk through the blueprint for a position
    largest = _largest_value(document)
    if total > MAX_OBJECT_BYTES:
        yield _output_problem(
            document,
            largest,
            (),
            f"the object takes {total} bytes; kgen keeps objects under {MAX_OBJECT_BYTES} "
            "(etcd refuses requests over 1.5 MiB)",
            "keep large data (env values, annotations) out of the blueprint",
        )
    elif size > MAX_ANNOTATIONS_BYTES:
        yield _output_problem(
            document,
            largest,
            ("metadata", "annotations"),
            f"annotations take {size} bytes; Kubernetes allows {MAX_ANNOTATIONS_BYTES}",
            "keep large data out of annotations",
        )
    elif size + len(LAST_APPLIED) + total + 1 > MAX_ANNOTATIONS_BYTES:
        applied = size + len(LAST_APPLIED) + total + 1
        yield _output_problem(
            document,
            largest,
            ("metadata", "annotations"),
            f"kubectl apply would refuse it: its annotations plus the copy of the object it "
            f"keeps in {LAST_APPLIED} take {applied} bytes; Kubernetes allows "
            f"{MAX_ANNOTATIONS_BYTES}",
            "keep large data (files, env values, annotations) smaller, or apply with --server-side",
        )


def _largest_value(document: Document) -> SourcePos:
    """Where the largest string of a document came from (a patch, or the blueprint field
    that holds it): the likeliest place to make an object smaller."""
    path, value = max(
        ((p, v) for p, v in _leaves(document.body, ()) if isinstance(v, str)),
        key=lambda found: len(found[1]),
        default=((), ""),
    )
    where = patched_at(document, path)
    if where is not None:
        return document.origin.source.value_pos(where)
    return _origin_of_value(document.origin, value)


def _json_size(body: Mapping[str, Any]) -> int:
    """The bytes of ``body`` as compact JSON the way Go writes it (UTF-8; <, > and & as
    six-character escapes)."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    escaped = text.count("<") + text.count(">") + text.count("&")
    return len(text.encode("utf-8", "surrogatepass")) + 5 * escaped


def _output_problem(
    document: Document, pos: SourcePos, path: JsonPath, message: str, hint: str | None = None
) -> Problem:
    """A problem at ``path`` of a rendered document, pointed back at the blueprint."""
    return Problem(pos, path, message, hint, subject=document.ref)


def _anchor(blueprint: Blueprint) -> SourcePos:
    return blueprint.source.value_pos(("metadata", "name"))


def _origin_of(document: Document, error: ValidationError) -> SourcePos:
    """Where in the blueprint the output problem comes from: a patch that set the field
    (or a field below it), else the blueprint field holding the same value."""
    path: JsonPath = tuple(error.absolute_path)
    where = patched_at(document, path)
    if where is not None:
        return document.origin.source.value_pos(where)
    return _origin_of_value(document.origin, error.instance)


def patched_at(document: Document, path: JsonPath) -> JsonPath | None:
    """The blueprint path of the patch value behind ``path`` of the output: one that set
    it or a value around it, else one that set a field below it (an unknown field)."""
    if not document.patched:
        return None
    for depth in range(len(path), -1, -1):
        if path[:depth] in document.patched:
            return document.patched[path[:depth]]
    for output, source in document.patched.items():
        if output[: len(path)] == path:
            return source
    return None


def _origin_of_value(blueprint: Blueprint, value: Any) -> SourcePos:
    """The blueprint field that most likely produced a value of the output.

    When exactly one written value of the blueprint equals it, that is the place;
    otherwise the blueprint's name.
    """
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return _anchor(blueprint)
    matches = [path for path, found in _leaves(blueprint.data, ()) if found == value]
    if len(matches) == 1:
        return blueprint.source.value_pos(matches[0])
    return _anchor(blueprint)


def _leaves(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, (*path, index))
    else:
        yield path, value


# --- metadata, pod templates, Services, ConfigMaps ---------------------------------------

#: Annotations that tools act on: kustomize drops or rewrites objects that carry them.
TOOL_ANNOTATION_PREFIXES = (
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "alpha.config.kubernetes.io/",
    "config.k8s.io/",
    "kustomize.config.k8s.io/",
    "kubectl.kubernetes.io/last-applied-configuration",
)
#: What Checkov (and its Bridgecrew and Cortex names) reads anywhere in an annotation key
#: as a suppression.
_SCANNER_KEYS = ("checkov.io/", "bridgecrew.io/", "cortex.io/")


def silences_scanner(key: str) -> bool:
    """Whether Checkov would read the annotation ``key`` as a suppression."""
    return any(mark in key for mark in _SCANNER_KEYS)


#: The one Checkov suppression kgen writes itself.
KGEN_SUPPRESSION = "CKV_K8S_35=secrets as environment variables:"


def _at(document: Document, path: JsonPath) -> SourcePos:
    where = patched_at(document, path)
    return (
        document.origin.source.value_pos(where) if where is not None else _anchor(document.origin)
    )


def refused(document: Document, path: JsonPath, message: str, hint: str | None = None) -> Problem:
    """A problem at ``path`` of the output, pointed at the patch that set it (or the
    blueprint)."""
    return _output_problem(document, _at(document, path), path, message, hint)


def metadata_problems(document: Document) -> Iterator[Problem]:
    """Labels and annotations as the API server validates them, and none that kustomize
    or Checkov act on (but kgen's own suppression)."""
    yield from _labels_and_annotations(document, ("metadata",), document.body.get("metadata"))


def _labels_and_annotations(document: Document, path: JsonPath, metadata: Any) -> Iterator[Problem]:
    if not isinstance(metadata, Mapping):
        return
    label_key, label_value = FORMATS["label-key"], FORMATS["label-value"]
    labels = metadata.get("labels") or {}
    for key, value in labels.items() if isinstance(labels, Mapping) else ():
        if not (isinstance(key, str) and label_key.check(key)):
            yield refused(document, (*path, "labels", key), f"{key!r} is not a label key")
        elif not (isinstance(value, str) and label_value.check(value)):
            yield refused(document, (*path, "labels", key), f"{value!r} is not a label value")
    annotations = metadata.get("annotations") or {}
    for key, value in annotations.items() if isinstance(annotations, Mapping) else ():
        where = (*path, "annotations", key)
        if not (isinstance(key, str) and label_key.check(key)):
            yield refused(document, where, f"{key!r} is not an annotation key")
        elif key.startswith(TOOL_ANNOTATION_PREFIXES):
            yield refused(
                document,
                where,
                "kustomize and kubectl act on this annotation: the folder would no longer give "
                "the same objects as the stream",
                "remove it",
            )
        elif silences_scanner(key) and not (
            key.startswith("checkov.io/skip") and str(value).startswith(KGEN_SUPPRESSION)
        ):
            yield refused(
                document,
                where,
                "kgen writes no Checkov suppression but the one for secrets as environment "
                "variables",
                "fix what Checkov reports instead of silencing it",
            )


#: Where each workload kind keeps its pod template.
POD_TEMPLATES: Mapping[str, JsonPath] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
_DNS_POLICIES = ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
_SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
_QUANTITY = lazyre.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[mkMGTPE])?"
)


def spec_problems(document: Document, spec_schema: Mapping[str, Any]) -> Iterator[Problem]:
    """A ``spec`` the API server refuses although its schema cannot say so: a missing spec
    whose schema requires fields, a Service without ports (but a headless or ExternalName
    one), an Ingress without rules or a default backend, a claim without access modes or
    size."""
    spec = document.body.get("spec")
    required = spec_schema.get("required") or []
    if not isinstance(spec, Mapping):
        if required or document.kind in ("Service", "Ingress", "PersistentVolumeClaim"):
            yield refused(document, ("spec",), f"a {document.kind} needs a spec")
        return
    kind = document.kind
    headless = spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None"
    if kind == "Service" and not spec.get("ports") and not headless:
        yield refused(document, ("spec", "ports"), "a Service needs ports (but a headless one)")
    if kind == "Ingress" and not spec.get("rules") and not spec.get("defaultBackend"):
        yield refused(document, ("spec", "rules"), "an Ingress needs rules or a defaultBackend")
    if kind == "PersistentVolumeClaim":
        if not spec.get("accessModes"):
            yield refused(document, ("spec", "accessModes"), "a claim needs access modes")
        if not ((spec.get("resources") or {}).get("requests") or {}).get("storage"):
            yield refused(document, ("spec", "resources"), "a claim needs a storage request")
    if kind == "HorizontalPodAutoscaler":
        low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
        if _count(low) and _count(high) and high < low:
            yield refused(
                document,
                ("spec", "minReplicas"),
                f"minReplicas {low} is above maxReplicas {high}",
            )
        if _count(low) and low < 1:
            yield refused(document, ("spec", "minReplicas"), "an HPA's minReplicas is at least 1")
    found: list[tuple[JsonPath, int]] = []
    _negatives(spec, ("spec",), found)
    for path, value in found:
        yield refused(document, path, f"{path[-1]} may not be negative ({value})")


#: Whole-number fields of the objects kgen renders that the API server wants at least 0.
_NON_NEGATIVE = frozenset(
    {
        "replicas",
        "minReadySeconds",
        "revisionHistoryLimit",
        "progressDeadlineSeconds",
        "backoffLimit",
        "parallelism",
        "completions",
        "ttlSecondsAfterFinished",
        "activeDeadlineSeconds",
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "terminationGracePeriodSeconds",
        "initialDelaySeconds",
        "periodSeconds",
        "timeoutSeconds",
        "successThreshold",
        "failureThreshold",
        "partition",
        "maxReplicas",
        "minReplicas",
    }
)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _negatives(node: Any, path: JsonPath, found: list[tuple[JsonPath, int]]) -> None:
    """Every negative whole number under ``node`` in a field of ``_NON_NEGATIVE``, with
    its path, in document order (a walk of every rendered spec: kept cheap)."""
    if isinstance(node, dict) or (not isinstance(node, list) and isinstance(node, Mapping)):
        for key, child in node.items():
            if isinstance(child, int):
                if key in _NON_NEGATIVE and child < 0 and not isinstance(child, bool):
                    found.append(((*path, key), child))
            elif isinstance(child, (dict, list, Mapping)):
                _negatives(child, (*path, key), found)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            if isinstance(child, (dict, list, Mapping)):
                _negatives(child, (*path, index), found)


def pod_problems(document: Document) -> Iterator[Problem]:
    """What the API server checks in a pod template and that no schema says: the selector
    matches the template's labels; containers are named as DNS labels, once; their images
    are pinned (kgen's rule); quantities parse; the restart and DNS policies are ones it
    knows. And a Service's type, a ConfigMap's keys."""
    body = document.body
    if document.kind == "Service":
        kind = (body.get("spec") or {}).get("type")
        if kind is not None and kind not in _SERVICE_TYPES:
            yield refused(document, ("spec", "type"), f"{kind!r} is not a Service type")
    if document.kind == "ConfigMap":
        yield from _configmap_problems(document)
    place = POD_TEMPLATES.get(document.kind)
    if place is None:
        return
    template = _dig(body, place)
    if not isinstance(template, Mapping):
        return
    labels = (template.get("metadata") or {}).get("labels") or {}
    yield from _labels_and_annotations(document, (*place, "metadata"), template.get("metadata"))
    selector = ((body.get("spec") or {}).get("selector") or {}).get("matchLabels")
    if document.kind in ("Deployment", "StatefulSet") and (
        not selector or any(labels.get(k) != v for k, v in selector.items())
    ):
        yield refused(
            document,
            ("spec", "selector", "matchLabels"),
            "the selector does not match the pod template's labels: the API server refuses it",
            "keep spec.selector and spec.template.metadata.labels as kgen writes them",
        )
    pod = template.get("spec") or {}
    yield from _pod_spec_problems(document, (*place, "spec"), pod)


def _pod_spec_problems(document: Document, path: JsonPath, pod: Any) -> Iterator[Problem]:
    if not isinstance(pod, Mapping):
        return
    restart = pod.get("restartPolicy")
    if document.kind in ("Deployment", "StatefulSet") and restart not in (None, "Always"):
        yield refused(
            document,
            (*path, "restartPolicy"),
            f"a {document.kind}'s pods restart Always, not {restart}",
        )
    dns = pod.get("dnsPolicy")
    if dns is not None and dns not in _DNS_POLICIES:
        yield refused(document, (*path, "dnsPolicy"), f"{dns!r} is not a DNS policy")
    claims = (document.body.get("spec") or {}).get("volumeClaimTemplates") or []
    volumes: set[str] = {
        str((claim.get("metadata") or {}).get("name"))
        for claim in claims
        if isinstance(claim, Mapping)
    }  # a StatefulSet's claims are volumes of its pods too
    for index, volume in enumerate(pod.get("volumes") or []):
        name = volume.get("name") if isinstance(volume, Mapping) else None
        if name in volumes:
            yield refused(
                document, (*path, "volumes", index, "name"), f"two volumes are named {name!r}"
            )
        volumes.add(str(name))
    names: set[str] = set()
    for field in ("initContainers", "containers"):
        for index, container in enumerate(pod.get(field) or []):
            if not isinstance(container, Mapping):
                continue
            where = (*path, field, index)
            name = container.get("name")
            if not (isinstance(name, str) and len(name) <= 63 and DNS_LABEL.fullmatch(name)):
                yield refused(document, (*where, "name"), f"{name!r} is not a container name")
            elif name in names:
                yield refused(document, (*where, "name"), f"two containers are named {name!r}")
            names.add(str(name))
            image = container.get("image")
            trouble = image_problem(image) if isinstance(image, str) else "is missing"
            if trouble is not None:
                yield refused(document, (*where, "image"), f"image {image!r} {trouble}")
            mounted: set[str] = set()
            for number, mount in enumerate(container.get("volumeMounts") or []):
                if not isinstance(mount, Mapping):
                    continue
                at = (*where, "volumeMounts", number)
                if mount.get("name") not in volumes:
                    # A patch that replaced the volumes is the likelier cause than the mount.
                    cause = at if patched_at(document, at) else (*path, "volumes")
                    yield _output_problem(
                        document,
                        _at(document, cause),
                        (*at, "name"),
                        f"no volume is named {mount.get('name')!r}",
                    )
                if mount.get("mountPath") in mounted:
                    yield refused(
                        document, (*at, "mountPath"), f"{mount.get('mountPath')!r} is mounted twice"
                    )
                mounted.add(str(mount.get("mountPath")))
            for kind in ("requests", "limits"):
                amounts = (container.get("resources") or {}).get(kind) or {}
                for resource, amount in amounts.items():
                    if not _QUANTITY.fullmatch(str(amount)):
                        yield refused(
                            document,
                            (*where, "resources", kind, resource),
                            f"{amount!r} is not a quantity",
                        )


_KEY = lazyre.compile(r"[-._a-zA-Z0-9]+", re.ASCII)


def _configmap_problems(document: Document) -> Iterator[Problem]:
    data = document.body.get("data") or {}
    binary = document.body.get("binaryData") or {}
    for field, values in (("data", data), ("binaryData", binary)):
        for key, value in values.items() if isinstance(values, Mapping) else ():
            if not (isinstance(key, str) and len(key) <= 253 and _KEY.fullmatch(key)):
                yield refused(document, (field, key), f"{key!r} is not a ConfigMap key")
            elif field == "binaryData" and key in data:
                yield refused(document, (field, key), f"{key!r} is in data and in binaryData")
            elif field == "binaryData":
                try:
                    base64.b64decode(str(value), validate=True)
                except (binascii.Error, ValueError):
                    yield refused(document, (field, key), "binaryData must be base64")
