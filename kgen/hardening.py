"""kgen's hardening, checked on every rendered pod template after the patches.

kgen's templates write every pod hardened (README, "Secure by default"); the blueprint
fields made for it are the only relaxations (``securityContext`` for another UID,
``writablePaths``, ``serviceAccount.kubernetesApi``). A patch is the escape hatch for what
no field says, not a way around those: a patch that undoes the hardening is refused at
the patch, whatever else it does. Templates never trip these checks (the examples and
the property tests prove it), so every problem here points at a patch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kgen.apiserver import POD_TEMPLATES, refused
from kgen.model import Document, JsonPath, Problem

#: Annotations the kubelet reads as security settings (AppArmor, the old seccomp ones).
SECURITY_ANNOTATION_PREFIXES = (
    "container.apparmor.security.beta.kubernetes.io/",
    "seccomp.security.alpha.kubernetes.io/",
    "container.seccomp.security.alpha.kubernetes.io/",
)
_HINT = (
    "relax it with the blueprint field made for it (securityContext for another UID, "
    "writablePaths, serviceAccount.kubernetesApi), or not at all"
)
_SAFE_PROFILES = ("RuntimeDefault", "Localhost")


def hardening_problems(document: Document) -> Iterator[Problem]:
    """Every way the pod template of ``document`` is less hardened than kgen writes it."""
    place = POD_TEMPLATES.get(document.kind)
    if place is None:
        return
    template: Any = document.body
    for part in place:
        template = template.get(part) if isinstance(template, Mapping) else None
    if not isinstance(template, Mapping):
        return
    for what, path in _weakened(document, place, template):
        yield refused(document, path, f"a patch may not undo kgen's hardening: {what}", _HINT)


def _weakened(
    document: Document, place: JsonPath, template: Mapping[str, Any]
) -> Iterator[tuple[str, JsonPath]]:
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    for key in annotations if isinstance(annotations, Mapping) else ():
        if isinstance(key, str) and key.startswith(SECURITY_ANNOTATION_PREFIXES):
            yield "a security-profile annotation", (*place, "metadata", "annotations", key)
    pod = template.get("spec")
    if not isinstance(pod, Mapping):
        return
    at: JsonPath = (*place, "spec")
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field) is True:
            yield f"{field}: true shares the node's namespaces", (*at, field)
    if pod.get("shareProcessNamespace") is True:
        yield "the containers share one process namespace", (*at, "shareProcessNamespace")
    token = _asks_for_token(document)
    for index, volume in enumerate(pod.get("volumes") or []):
        if not isinstance(volume, Mapping):
            continue
        if "hostPath" in volume:
            yield "a hostPath volume reaches into the node", (*at, "volumes", index, "hostPath")
        sources = (volume.get("projected") or {}).get("sources") or []
        if not token and any(
            isinstance(x, Mapping) and "serviceAccountToken" in x for x in sources
        ):
            yield "a projected Kubernetes API token", (*at, "volumes", index, "projected")
    if pod.get("automountServiceAccountToken") is not False and not token:
        yield "the pods get a Kubernetes API token", (*at, "automountServiceAccountToken")
    context = pod.get("securityContext")
    context = context if isinstance(context, Mapping) else {}
    secured = (*at, "securityContext")
    if context.get("runAsNonRoot") is not True:
        yield "the pods may run as root (runAsNonRoot)", (*secured, "runAsNonRoot")
    for field in ("runAsUser", "runAsGroup", "fsGroup"):
        if context.get(field) == 0:
            yield f"the pods run with {field} 0 (root)", (*secured, field)
    if 0 in (context.get("supplementalGroups") or []):
        yield "the pods are in group 0 (root)", (*secured, "supplementalGroups")
    if context.get("sysctls"):
        yield "the pods set kernel parameters (sysctls)", (*secured, "sysctls")
    yield from _profiles(context, secured)
    profile = (context.get("seccompProfile") or {}).get("type")
    if profile not in _SAFE_PROFILES:
        yield f"seccomp profile {profile!r}", (*secured, "seccompProfile")
    probed = document.kind in ("Deployment", "StatefulSet")
    for field in ("initContainers", "containers"):
        for index, container in enumerate(pod.get(field) or []):
            if isinstance(container, Mapping):
                where: JsonPath = (*at, field, index)
                yield from _container(container, where, probed and field == "containers", token)


def _container(
    container: Mapping[str, Any], where: JsonPath, probed: bool, token_asked: bool
) -> Iterator[tuple[str, JsonPath]]:
    context = container.get("securityContext")
    if not isinstance(context, Mapping):
        yield "a container without kgen's securityContext", (*where, "securityContext")
        return
    at: JsonPath = (*where, "securityContext")
    if context.get("allowPrivilegeEscalation") is not False:
        yield "allowPrivilegeEscalation is not false", (*at, "allowPrivilegeEscalation")
    if context.get("readOnlyRootFilesystem") is not True:
        yield "readOnlyRootFilesystem is not true", (*at, "readOnlyRootFilesystem")
    if context.get("privileged") is True:
        yield "a privileged container", (*at, "privileged")
    if context.get("runAsNonRoot") is False:
        yield "runAsNonRoot is false", (*at, "runAsNonRoot")
    for field in ("runAsUser", "runAsGroup"):
        if context.get(field) == 0:
            yield f"the container runs with {field} 0 (root)", (*at, field)
    yield from _profiles(context, at)
    for number, port in enumerate(container.get("ports") or []):
        if isinstance(port, Mapping) and port.get("hostPort"):
            yield "a port opened on the node (hostPort)", (*where, "ports", number, "hostPort")
    for number, mount in enumerate(container.get("volumeMounts") or []):
        path = str(mount.get("mountPath", "")) if isinstance(mount, Mapping) else ""
        if path.startswith("/var/run/secrets/kubernetes.io") and not token_asked:
            yield "a mount where the API token goes", (*where, "volumeMounts", number)
    capabilities = context.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        yield "capabilities are not all dropped", (*at, "capabilities", "drop")
    if capabilities.get("add"):
        yield "capabilities are added", (*at, "capabilities", "add")
    profile = (context.get("seccompProfile") or {}).get("type")
    if profile is not None and profile not in _SAFE_PROFILES:
        yield f"seccomp profile {profile!r}", (*at, "seccompProfile")
    if context.get("procMount") not in (None, "Default"):
        yield "an unmasked /proc", (*at, "procMount")
    resources = container.get("resources") or {}
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(kind) or {}):
                yield (
                    f"a container without a {resource} {kind[:-1]}",
                    (
                        *where,
                        "resources",
                        kind,
                        resource,
                    ),
                )
    if probed:
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in container:
                yield f"a container without a {probe}", (*where, probe)


def _profiles(context: Mapping[str, Any], at: JsonPath) -> Iterator[tuple[str, JsonPath]]:
    """AppArmor switched off, or an SELinux label of the pod's own choosing."""
    apparmor = (context.get("appArmorProfile") or {}).get("type")
    if apparmor is not None and apparmor not in _SAFE_PROFILES:
        yield f"AppArmor profile {apparmor!r}", (*at, "appArmorProfile")
    if context.get("seLinuxOptions"):
        yield "an SELinux label of the pod's own choosing", (*at, "seLinuxOptions")


def _asks_for_token(document: Document) -> bool:
    """Whether the blueprint asks for the Kubernetes API token anywhere."""
    return _has_true(document.origin.data, "kubernetesApi")


def _has_true(node: Any, key: str) -> bool:
    if isinstance(node, Mapping):
        return any(
            (k == key and child is True) or _has_true(child, key) for k, child in node.items()
        )
    if isinstance(node, list):
        return any(_has_true(item, key) for item in node)
    return False
