"""Deployment -> Microservice: the workload and its pod template. The parts it owns
(Service, ServiceAccount, HPA, PDB, Secrets) are mapped by ``parts``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgen.importer.account import Status
from kgen.importer.index import Index, pod_spec
from kgen.importer.mappers import parts
from kgen.importer.mappers.base import Build, map_labels, reserved_label, target
from kgen.importer.mappers.container import Containers, secret_entry
from kgen.importer.read import Resource
from kgen.model import JsonPath, Problem

POD: JsonPath = ("spec", "template", "spec")
#: kgen's scratch volume, mounted on every container.
SCRATCH = "/tmp"
_POD_DEFAULTS = {
    "restartPolicy": "Always",
    "dnsPolicy": "ClusterFirst",
    "schedulerName": "default-scheduler",
}
_NODE_GROUP = "eks.amazonaws.com/nodegroup"


def map_deployment(workload: Resource, index: Index, build: Build) -> None:
    """Fill ``build.blueprint`` from a Deployment and what it owns; problems go to
    ``build.problems``."""
    body = workload.body
    spec = pod_spec(workload)
    containers = [c for c in spec.get("containers") or [] if isinstance(c, Mapping)]
    if not containers:
        build.problems.append(
            Problem(
                workload.pos(POD),
                POD,
                "a Deployment without containers",
                "every pod template lists at least one container under "
                "spec.template.spec.containers",
                subject=f"Deployment {build.namespace}/{build.app}",
            )
        )
        return
    app, kind = build.app, "Deployment"
    build.blueprint.update(
        {
            "apiVersion": "kgen.dev/v1alpha1",
            "kind": "Microservice",
            "metadata": {"name": app, "namespace": build.namespace},
        }
    )
    build.version(workload, app)
    build.record(workload, ("kind",), Status.MAPPED, "", target(kind, app, "kind"))
    build.record(
        workload, ("metadata", "name"), Status.MAPPED, "", target(kind, app, "metadata", "name")
    )
    build.origin(("metadata", "name"), workload, ("metadata", "name"))
    if "namespace" in (body.get("metadata") or {}):
        build.record(
            workload,
            ("metadata", "namespace"),
            Status.MAPPED,
            "",
            target(kind, app, "metadata", "namespace"),
        )
    build.cluster_metadata(workload)
    labels = {
        str(k): v
        for k, v in (body.get("metadata", {}).get("labels") or {}).items()
        if not reserved_label(str(k)) and isinstance(v, str)
    }
    if labels:
        build.blueprint["metadata"]["labels"] = labels
    map_labels(build, workload, ("metadata", "labels"), kind, ("metadata", "labels"))
    build.leftovers(workload, body.get("metadata"), ("metadata",), kind, app, ("metadata",))

    service = _containers(build, index, workload, spec, containers)

    # The Deployment's own settings.
    top = body.get("spec") or {}
    if "replicas" in top:
        build.put(
            ("spec", "replicas"),
            top["replicas"],
            workload,
            ("spec", "replicas"),
            target(kind, app, "spec", "replicas"),
        )
    else:
        build.spec["replicas"] = 1  # Kubernetes' default; kgen's would be 2
    build.record(
        workload,
        ("spec", "selector"),
        Status.CHANGED,
        "kgen selects pods by app.kubernetes.io/name and instance",
    )
    if "minReadySeconds" in top:
        build.put(
            ("spec", "minReadySeconds"),
            top["minReadySeconds"],
            workload,
            ("spec", "minReadySeconds"),
            target(kind, app, "spec", "minReadySeconds"),
        )
    _strategy(build, workload, top.get("strategy"))
    template_meta = (top.get("template") or {}).get("metadata") or {}
    map_labels(
        build,
        workload,
        ("spec", "template", "metadata", "labels"),
        kind,
        ("spec", "template", "metadata", "labels"),
    )
    for key, value in (template_meta.get("annotations") or {}).items():
        build.spec.setdefault("podAnnotations", {})[key] = value
        build.origin(
            ("spec", "podAnnotations", key),
            workload,
            ("spec", "template", "metadata", "annotations", key),
        )
        build.record(
            workload,
            ("spec", "template", "metadata", "annotations", key),
            Status.MAPPED,
            "",
            target(kind, app, "spec", "template", "metadata", "annotations", key),
        )
    build.leftovers(
        workload,
        template_meta,
        ("spec", "template", "metadata"),
        kind,
        app,
        ("spec", "template", "metadata"),
    )
    _pod(build, workload, spec)
    build.leftovers(
        workload,
        spec,
        POD,
        kind,
        app,
        POD,
        lists="no blueprint field, and a patch would replace the list kgen renders whole",
    )
    build.leftovers(
        workload, top.get("template"), ("spec", "template"), kind, app, ("spec", "template")
    )
    build.leftovers(workload, top, ("spec",), kind, app, ("spec",))
    build.leftovers(workload, body, (), kind, app, ())
    parts.map_parts(build, index, workload, service)


def _containers(
    build: Build,
    index: Index,
    workload: Resource,
    spec: Mapping[str, Any],
    containers: list[Mapping[str, Any]],
) -> Resource | None:
    """The main container (the one named after the app, else the first), sidecars, init
    containers and their volumes; returns the Service the app's ports come from."""
    app = build.app
    main_index = next((i for i, c in enumerate(containers) if c.get("name") == app), 0)
    service = parts.primary_service(build, index, workload)
    port_names = parts.port_names(service, containers[main_index])
    mapper = Containers(build, workload, POD)
    settings = mapper.map(
        containers[main_index],
        (*POD, "containers", main_index),
        ("spec",),
        "containers",
        app,
        port_names,
    )
    for key, value in settings.items():
        build.spec[key] = value if key != "env" else {**build.spec.get("env", {}), **value}
    sidecars: list[dict[str, Any]] = []
    for position, container in enumerate(containers):
        if position != main_index:
            where = ("spec", "sidecars", len(sidecars))
            name = str(container.get("name"))
            sidecars.append(
                {
                    "name": name,
                    **mapper.map(
                        container, (*POD, "containers", position), where, "containers", name, {}
                    ),
                }
            )
    if sidecars:
        build.spec["sidecars"] = sidecars
    inits: list[dict[str, Any]] = []
    for position, container in enumerate(spec.get("initContainers") or []):
        where = ("spec", "initContainers", len(inits))
        name = str(container.get("name"))
        inits.append(
            {
                "name": name,
                **mapper.map(
                    container, (*POD, "initContainers", position), where, "initContainers", name, {}
                ),
            }
        )
    if inits:
        build.spec["initContainers"] = inits
    _volumes(build, workload, spec, containers, main_index)
    return service


def _strategy(build: Build, workload: Resource, strategy: Any) -> None:
    if not isinstance(strategy, Mapping):
        return
    at: JsonPath = ("spec", "strategy")
    out = target("Deployment", build.app, "spec", "strategy", "type")
    kind = strategy.get("type", "RollingUpdate")
    if "type" in strategy:
        build.put(("spec", "rollout", "strategy"), kind, workload, (*at, "type"), out)
    for key in ("maxSurge", "maxUnavailable"):
        value = (strategy.get("rollingUpdate") or {}).get(key)
        if value is not None:
            build.put(
                ("spec", "rollout", key),
                value,
                workload,
                (*at, "rollingUpdate", key),
                target("Deployment", build.app, "spec", "strategy", "rollingUpdate", key),
            )


def _pod(build: Build, workload: Resource, spec: Mapping[str, Any]) -> None:
    app, kind = build.app, "Deployment"

    def out(*path: str) -> Any:
        return target(kind, app, *POD, *path)

    for key, value in _POD_DEFAULTS.items():
        if spec.get(key) == value:
            build.record(workload, (*POD, key), Status.DEFAULT, "Kubernetes' default")
    for key in ("serviceAccountName", "serviceAccount"):
        if key in spec:
            same = spec[key] == app
            build.record(
                workload, (*POD, key), Status.MAPPED if same else Status.CHANGED,
                "" if same else f"kgen's ServiceAccount is named after the app: {app}",
                out("serviceAccountName") if same else None,
            )  # fmt: skip
    token = spec.get("automountServiceAccountToken")
    if token is True:
        build.put(
            ("spec", "serviceAccount", "kubernetesApi"),
            True,
            workload,
            (*POD, "automountServiceAccountToken"),
            out("automountServiceAccountToken"),
        )
    elif token is False:
        build.record(
            workload,
            (*POD, "automountServiceAccountToken"),
            Status.HARDENED,
            "kgen writes the same",
        )
    if spec.get("enableServiceLinks") is False:
        build.record(
            workload, (*POD, "enableServiceLinks"), Status.HARDENED, "kgen writes the same"
        )
    for key in ("terminationGracePeriodSeconds", "priorityClassName"):
        if key in spec:
            build.put(("spec", key), spec[key], workload, (*POD, key), out(key))
    selector = spec.get("nodeSelector")
    if isinstance(selector, Mapping) and list(selector) == [_NODE_GROUP]:
        build.put(
            ("spec", "placement", "nodeGroup"),
            selector[_NODE_GROUP],
            workload,
            (*POD, "nodeSelector", _NODE_GROUP),
            out("nodeSelector", _NODE_GROUP),
        )
    context = spec.get("securityContext")
    if isinstance(context, Mapping):
        at = (*POD, "securityContext")
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


def _volumes(
    build: Build,
    workload: Resource,
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
    for position, container in enumerate(containers):
        for m, mount in enumerate(container.get("volumeMounts") or []):
            at = (*POD, "containers", position, "volumeMounts", m)
            name, path = str(mount.get("name")), str(mount.get("mountPath"))
            found = volumes.get(name)
            if found is None:
                build.left_out(workload, at, f"mounts volume {name}, which the pod does not have")
                continue
            used.add(name)
            volume_at = (*POD, "volumes", found[0])
            volume = found[1]
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
                build.spec.setdefault("writablePaths", []).append(path)
                build.origin(("spec", "writablePaths"), workload, at)
                build.record(
                    workload,
                    (*at, "mountPath"),
                    Status.MAPPED,
                    "",
                    target(
                        "Deployment",
                        build.app,
                        *POD,
                        "containers",
                        0,
                        "volumeMounts",
                        _item("mountPath", path),
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
                secret = str(volume["secret"].get("secretName"))
                entry = secret_entry(build, secret)
                entry["mountPath"] = path
                build.origin(("spec", "secrets", build.spec["secrets"].index(entry)), workload, at)
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
            else:
                kind = next((k for k in volume if k != "name"), "unknown")
                build.left_out(workload, at, f"no blueprint field for a {kind} volume")
                build.left_out(workload, volume_at, f"no blueprint field for a {kind} volume")
    for name, (i, _) in volumes.items():
        if name not in used:
            build.left_out(workload, (*POD, "volumes", i), "a volume no container mounts")


def _item(key: str, value: str) -> Any:
    from kgen.importer.mappers.base import item

    return item(key, value)


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
            target("ConfigMap", f"{build.app}-files", "data", _item("file", path)),
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
    build.record(
        found, ("metadata", "name"), Status.CHANGED, f"kgen's ConfigMap is {build.app}-files"
    )
