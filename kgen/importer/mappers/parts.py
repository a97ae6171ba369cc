"""The parts a workload owns, folded into its blueprint: its Service, ServiceAccount,
HorizontalPodAutoscaler, PodDisruptionBudget, and the Secrets it reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgen.helpers import MANAGED_SERVICE_ANNOTATIONS
from kgen.importer.account import Status, leaves
from kgen.importer.index import Index
from kgen.importer.mappers import exposure, monitoring
from kgen.importer.mappers.base import Build, item, part_metadata, target
from kgen.importer.read import Resource
from kgen.model import JsonPath

#: Annotations kgen derives for an AWS load balancer from service.type and internal.
_LB_PREFIX = "service.beta.kubernetes.io/aws-load-balancer-"
_ROLE = "eks.amazonaws.com/role-arn"


def is_headless(service: Resource) -> bool:
    spec = service.body.get("spec")
    return isinstance(spec, Mapping) and spec.get("clusterIP") == "None"


def primary_service(build: Build, index: Index, workload: Resource) -> Resource | None:
    """The Service kgen renders for the app: the one named after it, else the first (for
    a unit with a headless Service, the first that is not headless: the client Service)."""
    services = index.owned(workload, "Service")
    if build.unit is not None and build.unit.headless is not None:
        services = [s for s in services if not is_headless(s)]
    named = [s for s in services if s.name == build.app]
    found = named or services
    return found[0] if found else None


def port_names(service: Resource | None, container: Mapping[str, Any]) -> dict[int, str]:
    """Container port number -> the name of the Service port that targets it."""
    found: dict[int, str] = {}
    if service is None:
        return found
    for port in (service.body.get("spec") or {}).get("ports") or []:
        number = port.get("targetPort", port.get("port"))
        if isinstance(number, str):
            number = next(
                (
                    p.get("containerPort")
                    for p in container.get("ports") or []
                    if p.get("name") == number
                ),
                None,
            )
        if isinstance(number, int) and port.get("name"):
            found.setdefault(number, str(port["name"]))
    return found


def map_parts(build: Build, index: Index, workload: Resource, service: Resource | None) -> None:
    headless = build.unit.headless if build.unit is not None else None
    published = _service(build, service) if service is not None else None
    if headless is not None:
        _headless(build, headless, alone=service is None)
    if published is not None:  # a port the input's Service left out, kgen's leaves out too
        on_service = {id(port) for port in published}
        for port in build.here.get("ports", []):
            if id(port) not in on_service:
                port["published"] = False
    for other in index.owned(workload, "Service"):
        if other is not service and other is not headless:
            build.left_out(other, (), _second_service(build, workload, other, service, headless))
    for account in index.owned(workload, "ServiceAccount"):
        service_account(build, account)
    for hpa in index.owned(workload, "HorizontalPodAutoscaler"):
        _autoscaler(build, hpa)
    for budget in index.owned(workload, "PodDisruptionBudget"):
        _budget(build, budget)
    exposure.map_ingresses(build, index, workload)
    monitoring.map_monitoring(build, index, workload)
    for secret in [*index.owned(workload, "Secret"), *index.shared(workload, "Secret")]:
        if build.ledger.recorded(secret, ()):
            continue
        key = f"{build.namespace}/{secret.name}"
        if any(entry.get("key") == key for entry in build.spec.get("secrets", [])):
            build.record(
                secret, (), Status.SECRET,
                f"its values are never copied into a blueprint: put them in the secret store "
                f"{build.store} at key {key}",
            )  # fmt: skip
        else:
            build.left_out(
                secret, (),
                f"no use of it is imported (each is left out, with its reason): the "
                f"{build.kind} does not read it",
            )  # fmt: skip
    for config in [*index.owned(workload, "ConfigMap"), *index.shared(workload, "ConfigMap")]:
        for path, _ in leaves(config.body):
            if build.ledger.covers(config, path) is not None:
                continue
            if path[:1] == ("data",) or path[:1] == ("binaryData",):
                build.left_out(
                    config, path,
                    "no file or variable of the blueprint takes this key (a volume's items "
                    "leave it out, or its only use is left out: see that warning)",
                )  # fmt: skip
            else:
                build.record(
                    config,
                    path,
                    Status.CHANGED,
                    "its data is inlined: kgen renders a ConfigMap of its own",
                )


def _second_service(
    build: Build,
    workload: Resource,
    other: Resource,
    service: Resource | None,
    headless: Resource | None,
) -> str:
    """Why a Service beside the app's is left out, and what becomes of its ports: those
    kgen's Service keeps off (``published: false``) beside a load balancer stay off it,
    since publishing them would put them on the load balancer."""
    kept = ", ".join(s.name for s in (service, headless) if s is not None)
    why = (
        f"a second Service of {workload.kind} {build.app}: kgen renders "
        f"{'a client and a headless Service' if headless else 'one'} per app ({kept})"
    )
    wanted = {
        port.get("targetPort", port.get("port"))
        for port in (other.body.get("spec") or {}).get("ports") or []
        if isinstance(port, Mapping)
    }
    off = [
        str(port["name"])
        for port in build.here.get("ports", [])
        if port.get("published") is False and ({port["name"], port["port"]} & wanted)
    ]
    kind_of = ((service.body.get("spec") or {}) if service is not None else {}).get("type")
    if off and kind_of in ("NodePort", "LoadBalancer"):
        they, them = ("they", "them") if len(off) > 1 else ("it", "it")
        return (
            f"{why}, a {kind_of}, which keeps {', '.join(off)} off (published: false): "
            f"published there, {they} would be on the load balancer too, and kgen has no "
            f"Service for the cluster alone beside it; callers in the cluster no longer "
            f"reach {them} through a Service"
        )
    return f"{why}; expose its ports there, or add an Ingress"


def _service(build: Build, service: Resource) -> list[dict[str, Any]]:
    """Map the app's (client) Service; return the blueprint ports it publishes."""
    app, kind, here = build.name, "Service", build.where
    part_metadata(build, service, kind, app)
    spec = service.body.get("spec") or {}
    at: JsonPath = ("spec",)
    kind_of = spec.get("type", "ClusterIP")
    if spec.get("clusterIP") == "None":
        build.put(
            (*here, "service", "type"),
            "None",
            service,
            ("spec", "clusterIP"),
            target(kind, app, "spec", "clusterIP"),
        )
        build.record(
            service, ("spec", "type"), Status.MAPPED, "", target(kind, app, "spec", "type")
        )
    elif "type" in spec:
        build.put(
            (*here, "service", "type"),
            kind_of,
            service,
            ("spec", "type"),
            target(kind, app, "spec", "type"),
        )
    if spec.get("clusterIP") not in (None, "None"):
        build.left_out(service, ("spec", "clusterIP"), "assigned by the cluster")
    for key in ("clusterIPs", "ipFamilies"):
        if key in spec:
            build.left_out(service, ("spec", key), "assigned by the cluster")
    build.record(
        service,
        ("spec", "selector"),
        Status.CHANGED,
        "kgen selects pods by app.kubernetes.io/name and instance",
    )
    annotations = (service.body.get("metadata") or {}).get("annotations") or {}
    for key, value in annotations.items():
        where = ("metadata", "annotations", key)
        if key == f"{_LB_PREFIX}scheme" and value == "internal":
            build.put(
                (*here, "service", "internal"), True, service, where, target(kind, app, *where)
            )
        elif key == f"{_LB_PREFIX}internal" and str(value).strip().lower() not in ("", "false"):
            build.put(
                (*here, "service", "internal"), True, service, where, status=Status.CHANGED,
                note="the older annotation of an internal load balancer: kgen writes "
                "aws-load-balancer-scheme: internal",
            )  # fmt: skip
        elif key in MANAGED_SERVICE_ANNOTATIONS and kind_of == "LoadBalancer":
            out = target(kind, app, *where)
            if _RENDERED_LB[key] == value:
                build.record(service, where, Status.MAPPED, "", out)
            else:
                build.record(
                    service, where, Status.CHANGED,
                    "kgen's load balancer is the AWS Load Balancer Controller's NLB with IP "
                    f"targets ({key.removeprefix(_LB_PREFIX)}: {_RENDERED_LB[key]})",
                    loud=True,
                )  # fmt: skip
        elif not build.ledger.recorded(service, where):
            build.put(
                (*here, "service", "annotations", key),
                value,
                service,
                where,
                target(kind, app, *where),
            )
    if kind_of == "LoadBalancer" and f"{_LB_PREFIX}scheme" not in annotations:
        _default_scheme(build, service, annotations)
    settings = build.here
    ports = settings.setdefault("ports", [])
    published = [
        _service_port(build, service, port, (*at, "ports", index), ports)
        for index, port in enumerate(spec.get("ports") or [])
    ]
    if not ports:
        del settings["ports"]
    build.leftovers(
        service,
        spec,
        at,
        kind,
        app,
        at,
        lists="no blueprint field, and a patch would replace the list kgen renders whole",
    )
    build.leftovers(service, service.body.get("metadata"), ("metadata",), kind, app, ("metadata",))
    build.leftovers(service, service.body, (), kind, app, ())
    return [port for port in published if port is not None]


#: The load balancer annotations kgen renders and their values (an internal scheme is
#: service.internal, mapped before these).
_RENDERED_LB = {
    f"{_LB_PREFIX}type": "external",
    f"{_LB_PREFIX}nlb-target-type": "ip",
    f"{_LB_PREFIX}scheme": "internet-facing",
}


def _default_scheme(build: Build, service: Resource, annotations: Mapping[str, Any]) -> None:
    """A LoadBalancer Service that names no scheme: the AWS Load Balancer Controller (an
    ``external`` type, IP or instance targets, its class) makes an internal NLB, which
    kgen keeps; the in-tree controller made an internet-facing one, which kgen renders
    too, with a warning (the controller's webhook takes such Services where it runs)."""
    spec = service.body.get("spec") or {}
    controller = (
        annotations.get(f"{_LB_PREFIX}type") == "external"
        or f"{_LB_PREFIX}nlb-target-type" in annotations
        or spec.get("loadBalancerClass") == "service.k8s.aws/nlb"
    )
    if controller:
        build.here.setdefault("service", {})["internal"] = True  # no input value to undo
        why = (
            "no aws-load-balancer-scheme: the AWS Load Balancer Controller makes an internal "
            "NLB, and kgen writes service.internal: true (set it to false for an "
            "internet-facing one)"
        )
    else:
        why = (
            "no aws-load-balancer-scheme: kgen renders an internet-facing NLB of the AWS Load "
            "Balancer Controller, where the in-tree controller made an internet-facing load "
            "balancer (a Classic ELB unless aws-load-balancer-type says nlb); where the "
            "controller's webhook takes such Services, the input's was internal: set "
            "service.internal: true then"
        )
    build.ledger.note(service, ("spec", "type"), why, build.ref)


def _service_port(
    build: Build,
    service: Resource,
    port: Mapping[str, Any],
    at: JsonPath,
    ports: list[dict[str, Any]],
    *,
    headless: bool = False,
) -> dict[str, Any] | None:
    """Map one port of the Service; return the blueprint port it publishes (None: left
    out)."""
    app = f"{build.name}-headless" if headless else build.name
    wanted = port.get("targetPort", port.get("port"))
    protocol = port.get("protocol", "TCP")  # a number names one port of each protocol
    entry = next(
        (
            p
            for p in ports
            if p["name"] == wanted or (p["port"] == wanted and p.get("protocol", "TCP") == protocol)
        ),
        None,
    )
    beside = next(
        (
            str(sidecar.get("name"))
            for sidecar in build.spec.get("sidecars", [])
            for p in sidecar.get("ports", [])
            if p["name"] == wanted or (p["port"] == wanted and p.get("protocol", "TCP") == protocol)
        ),
        None,
    )
    if entry is None and beside is not None:
        build.left_out(
            service, at,
            f"targets the port {wanted} of the sidecar {beside}: kgen's Service publishes the "
            "main container's ports, and a sidecar's only when monitoring.port names it",
        )  # fmt: skip
        return None
    if entry is None and isinstance(wanted, int):
        name = str(port.get("name") or f"port-{wanted}")
        entry = {"name": name, "port": wanted}
        ports.append(entry)
        build.record(
            service,
            (*at, "targetPort"),
            Status.CHANGED,
            f"kgen declares the container port {wanted} ({name}) and targets it by name",
        )
    elif entry is None:
        build.left_out(service, at, f"targets the port {wanted}, which no container declares")
        return None
    else:
        build.record(
            service,
            (*at, "targetPort"),
            Status.CHANGED,
            f"kgen targets the container port by name: {entry['name']}",
        )
    where = (*build.where, "ports", ports.index(entry))
    out = ("spec", "ports", item("name", entry["name"]))
    build.origin(where, service, at)
    if port.get("name") == entry["name"]:
        build.record(
            service, (*at, "name"), Status.MAPPED, "", target("Service", app, *out, "name")
        )
    elif "name" in port:  # what names the port outside the input breaks: a warning
        build.record(
            service, (*at, "name"), Status.RENAMED,
            f"kgen names the Service port after the container port: {entry['name']}; what "
            f"refers to the port as {port['name']} outside this input (an SRV record, "
            "another team's ServiceMonitor or NetworkPolicy) must follow",
        )  # fmt: skip
    else:
        note = f"named after the container port: {entry['name']}"
        build.record(service, (*at, "name"), Status.CHANGED, note)
    if headless and port.get("port") != entry["port"]:
        build.record(
            service, (*at, "port"), Status.CHANGED,
            f"kgen's headless Service publishes the container port {entry['port']}: its DNS "
            "names answer with the pods' own addresses",
        )  # fmt: skip
    else:
        if port.get("port") != entry["port"]:
            entry["servicePort"] = port.get("port")
        out_port = target("Service", app, *out, "port")
        build.record(service, (*at, "port"), Status.MAPPED, "", out_port)
    if "protocol" in port:
        entry["protocol"] = port["protocol"]
        build.record(
            service, (*at, "protocol"), Status.MAPPED, "", target("Service", app, *out, "protocol")
        )
    if "nodePort" in port and not headless:
        entry["nodePort"] = port["nodePort"]
        build.record(
            service, (*at, "nodePort"), Status.MAPPED, "", target("Service", app, *out, "nodePort")
        )
    for key in port:
        if not build.ledger.recorded(service, (*at, key)):
            build.left_out(
                service,
                (*at, key),
                "no blueprint field, and a patch would replace the Service's ports whole",
            )
    return entry


def _headless(build: Build, service: Resource, *, alone: bool) -> None:
    """A StatefulSet's headless Service: kgen renders it as ``<app>-headless`` beside the
    client Service, with every port of the app, publishing not-ready pods. When the input
    has no client Service, ``service.type: None`` says so (kgen renders only this one)."""
    name, kind = f"{build.name}-headless", "Service"
    part_metadata(build, service, kind, name)
    if not alone and service.name == build.name:  # the client Service takes its name
        build.record(
            service, ("metadata", "name"), Status.REPLACED,
            f"kgen renders the client Service as {build.name} and this headless one as "
            f"{name}: applying turns Service {build.name} from headless into one with a "
            "cluster IP, which Kubernetes refuses (spec.clusterIP cannot change); delete "
            f"it (kubectl delete service {build.name} -n {build.namespace}) just before "
            "the first apply",
        )  # fmt: skip
    spec = service.body.get("spec") or {}
    at: JsonPath = ("spec",)
    cluster_ip = target(kind, name, "spec", "clusterIP")
    if alone:
        build.put(
            (*build.where, "service", "type"), "None", service, (*at, "clusterIP"), cluster_ip
        )
    else:
        build.record(service, (*at, "clusterIP"), Status.MAPPED, "", cluster_ip)
    # What kgen writes on it anyway; other values are patches.
    if spec.get("type") == "ClusterIP":
        build.record(service, (*at, "type"), Status.MAPPED, "", target(kind, name, *at, "type"))
    if spec.get("publishNotReadyAddresses") is True:
        out = target(kind, name, *at, "publishNotReadyAddresses")
        build.record(service, (*at, "publishNotReadyAddresses"), Status.MAPPED, "", out)
    for key in ("clusterIPs", "ipFamilies"):
        if key in spec:
            build.left_out(service, (*at, key), "assigned by the cluster")
    build.record(
        service,
        (*at, "selector"),
        Status.CHANGED,
        "kgen selects pods by app.kubernetes.io/name and instance",
    )
    settings = build.here
    ports = settings.setdefault("ports", [])
    for index, port in enumerate(spec.get("ports") or []):
        if isinstance(port, Mapping):
            _service_port(build, service, port, (*at, "ports", index), ports, headless=True)
        else:
            build.left_out(service, (*at, "ports", index), "not a port: a mapping is expected")
    if not ports:
        del settings["ports"]
    lists = "no blueprint field, and a patch would replace the list kgen renders whole"
    build.leftovers(service, spec, at, kind, name, at, lists=lists)
    annotations: JsonPath = ("metadata", "annotations")
    metadata = service.body.get("metadata") or {}
    build.leftovers(service, metadata.get("annotations"), annotations, kind, name, annotations)
    build.leftovers(service, metadata, ("metadata",), kind, name, ("metadata",))
    build.leftovers(service, service.body, (), kind, name, ())


def service_account(build: Build, account: Resource) -> None:
    """The app's ServiceAccount: its IAM role and whether it mounts a token."""
    app, kind = build.app, "ServiceAccount"
    part_metadata(build, account, kind, app)
    annotations = (account.body.get("metadata") or {}).get("annotations") or {}
    if _ROLE in annotations:
        where = ("metadata", "annotations", _ROLE)
        build.put(
            ("spec", "serviceAccount", "awsRoleArn"),
            annotations[_ROLE],
            account,
            where,
            target(kind, app, *where),
        )
    token = account.body.get("automountServiceAccountToken")
    if token is False:
        build.record(
            account, ("automountServiceAccountToken",), Status.HARDENED, "kgen writes the same"
        )
    elif token is True:
        build.put(
            ("spec", "serviceAccount", "kubernetesApi"),
            True,
            account,
            ("automountServiceAccountToken",),
            target(kind, app, "automountServiceAccountToken"),
        )
    build.leftovers(account, account.body.get("metadata"), ("metadata",), kind, app, ("metadata",))
    build.leftovers(account, account.body, (), kind, app, ())


def _autoscaler(build: Build, hpa: Resource) -> None:
    app, kind, here = build.name, "HorizontalPodAutoscaler", build.where
    part_metadata(build, hpa, kind, app)
    spec = hpa.body.get("spec") or {}
    for key in ("minReplicas", "maxReplicas"):
        if key in spec:
            build.put(
                (*here, "autoscaling", key),
                spec[key],
                hpa,
                ("spec", key),
                target(kind, app, "spec", key),
            )
    if "minReplicas" not in spec and "maxReplicas" in spec:
        # Kubernetes' default is 1 pod; kgen's is the workload's replicas
        build.here["autoscaling"] = {"minReplicas": 1, **build.here.get("autoscaling", {})}
        build.origin((*here, "autoscaling", "minReplicas"), hpa, ("spec", "maxReplicas"))
    scaled = build.unit.kind if build.unit is not None else "Deployment"
    build.record(
        hpa, ("spec", "scaleTargetRef"), Status.CHANGED, f"kgen's HPA scales its {scaled} {app}"
    )
    if "targetCPUUtilizationPercentage" in spec:  # autoscaling/v1
        build.put(
            (*here, "autoscaling", "cpu"),
            spec["targetCPUUtilizationPercentage"],
            hpa,
            ("spec", "targetCPUUtilizationPercentage"),
        )
    metrics = spec.get("metrics") or []
    for index, metric in enumerate(metrics):
        _metric(build, hpa, index, metric)
    said = build.here.get("autoscaling", {})
    if metrics and not any(key in said for key in ("cpu", "memory", "metrics")):
        build.ledger.note(
            hpa, ("spec", "metrics"),
            "kgen's HPA scales on CPU at 80% of the request instead: kgen renders none of "
            "these metrics (set autoscaling.cpu, memory or metrics to choose)",
            build.ref,
        )  # fmt: skip
    if "replicas" in build.here:
        build.here.pop("replicas")
        scaled_resource = build.unit.resource if build.unit is not None else build.workload
        build.record(
            scaled_resource,
            ("spec", "replicas"),
            Status.CHANGED,
            "the autoscaler sets the replicas",
        )
    build.leftovers(hpa, spec, ("spec",), kind, app, ("spec",))
    build.leftovers(hpa, hpa.body.get("metadata"), ("metadata",), kind, app, ("metadata",))
    build.leftovers(hpa, hpa.body, (), kind, app, ())


def _metric(build: Build, hpa: Resource, index: int, metric: Any) -> None:
    """One metric of an autoscaling/v2 HPA: CPU or memory utilisation, or a per-pod
    metric's average value; kgen renders no other."""
    app, kind, here = build.name, "HorizontalPodAutoscaler", build.where
    at: JsonPath = ("spec", "metrics", index)
    metric = metric if isinstance(metric, Mapping) else {}
    resource = metric.get("resource") or {}
    goal = resource.get("target") or {}
    pods = metric.get("pods") or {}
    aim = pods.get("target") or {}
    name = (pods.get("metric") or {}).get("name")
    if (
        metric.get("type") == "Resource"
        and resource.get("name") in ("cpu", "memory")
        and goal.get("type") == "Utilization"
    ):
        out = target(kind, app, "spec", "metrics", item("resource.name", resource["name"]))
        where = (*here, "autoscaling", str(resource["name"]))
        build.put(where, goal.get("averageUtilization"), hpa, at, out)
    elif metric.get("type") == "Pods" and aim.get("type") == "AverageValue" and name:
        if (pods.get("metric") or {}).get("selector"):
            build.left_out(
                hpa,
                at,
                "a per-pod metric with a selector: kgen's per-pod metrics name the metric only",
            )
            return
        listed: list[Any] = build.here.setdefault("autoscaling", {}).setdefault("metrics", [])
        where = (*here, "autoscaling", "metrics", len(listed))
        value = aim.get("averageValue")
        listed.append({"pods": {"name": name, "averageValue": value}})
        out = target(kind, app, "spec", "metrics", item("pods.metric.name", name))
        build.origin(where, hpa, at)
        build.record(hpa, at, Status.MAPPED, "", out)
        if not isinstance(value, str):
            build.record(
                hpa, (*at, "pods", "target", "averageValue"), Status.CHANGED,
                "written as text, as an HPA's target value is",
            )  # fmt: skip
    else:
        build.left_out(
            hpa, at,
            "no blueprint field: kgen scales on CPU and memory utilisation and per-pod "
            "metrics' average values",
        )  # fmt: skip


def _budget(build: Build, budget: Resource) -> None:
    app, kind, here = build.name, "PodDisruptionBudget", build.where
    part_metadata(build, budget, kind, app)
    spec = budget.body.get("spec") or {}
    for key in ("minAvailable", "maxUnavailable"):
        if key in spec:
            build.put(
                (*here, "disruptionBudget", key),
                spec[key],
                budget,
                ("spec", key),
                target(kind, app, "spec", key),
            )
    build.record(
        budget,
        ("spec", "selector"),
        Status.CHANGED,
        "kgen selects pods by app.kubernetes.io/name and instance",
    )
    build.leftovers(budget, spec, ("spec",), kind, app, ("spec",))
    build.leftovers(budget, budget.body.get("metadata"), ("metadata",), kind, app, ("metadata",))
    build.leftovers(budget, budget.body, (), kind, app, ())
