"""What the kind templates derive from a workload unit: its pod's volumes and mounts, the
Checkov suppression it may carry, its Ingress, its scaling, disruption budget and placement.
Each function reads a unit's settings (``kgen.units.Unit`` or any mapping of them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgen.helpers import (
    RESERVED_VOLUME,
    VOLUME_PREFIX,
    content_hash,
    file_keys,
    selector_labels,
    volume_name,
)
from kgen.model import JsonPath, format_path
from kgen.units import Unit


def pod_storage(
    unit: Mapping[str, Any], app: str, extra_mounts: list[Mapping[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """The volumes of a unit's pod and the mounts of its containers, in a stable order:
    kgen's scratch /tmp, the writable paths (an emptyDir each), the config files (one
    ConfigMap, a read-only file mount each), the mounted secrets (read-only, mode 0440),
    a Monolith's shared volume and ``extra_mounts`` (a StatefulApp's volume claims).
    ``mounts`` are the main container's; ``scratch`` are the other containers' (/tmp
    only)."""
    scratch = {"name": RESERVED_VOLUME["name"], "mountPath": RESERVED_VOLUME["mountPath"]}
    volumes: list[dict[str, Any]] = [{"name": RESERVED_VOLUME["name"], "emptyDir": {}}]
    mounts: list[dict[str, Any]] = [scratch]
    for index, path in enumerate(unit.get("writablePaths", [])):
        name = f"{VOLUME_PREFIX}writable-{index}"
        volumes.append({"name": name, "emptyDir": {}})
        mounts.append({"name": name, "mountPath": path})
    files = unit.get("configFiles", {})
    if files:
        name = f"{VOLUME_PREFIX}files"
        volumes.append({"name": name, "configMap": {"name": f"{app}-files"}})
        for path, key in file_keys(files).items():
            mounts.append({"name": name, "mountPath": path, "subPath": key, "readOnly": True})
    for secret in unit.get("secrets", []):
        if "mountPath" in secret:
            name = volume_name(f"{VOLUME_PREFIX}secret", secret["name"])
            secret_name = external_secret_name(app, secret)
            volumes.append(
                {"name": name, "secret": {"secretName": secret_name, "defaultMode": 0o440}}
            )
            mounts.append({"name": name, "mountPath": secret["mountPath"], "readOnly": True})
    shared = unit.get("sharedStorage")
    if shared is not None:
        name = f"{VOLUME_PREFIX}shared"
        volumes.append({"name": name, "persistentVolumeClaim": {"claimName": f"{app}-shared"}})
        mounts.append({"name": name, "mountPath": shared["mountPath"]})
    mounts.extend({"name": m["name"], "mountPath": m["mountPath"]} for m in extra_mounts)
    return {"volumes": volumes, "mounts": mounts, "scratch": [scratch]}


def checkov_skips(unit: Any, written_at: JsonPath) -> dict[str, str]:
    """The one suppression kgen writes: Checkov's CKV_K8S_35 (prefer secrets as files) on a
    workload whose blueprint asks for secrets as environment variables, naming the fields."""
    fields = [
        format_path((*written_at, index, "env"))
        for index, secret in enumerate(unit.get("secrets", []))
        if secret.get("env")
    ]
    if not fields:
        return {}
    return {"checkov.io/skip1": f"CKV_K8S_35=secrets as environment variables: {', '.join(fields)}"}


def published(unit: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The main container's ports its Service publishes: all but those written
    ``published: false`` (an admin or debug port kept on the pod)."""
    return [port for port in unit.get("ports", []) if port.get("published", True)]


def ingress_port(unit: Mapping[str, Any]) -> Mapping[str, Any]:
    """The port an Ingress sends requests to: the one ``ingress.port`` names, else the
    first published TCP port (validate checks that there is one)."""
    ports = published(unit)
    ref = unit["ingress"].get("port")
    for port in ports:
        if ref is None and port.get("protocol", "TCP") == "TCP":
            return port
        if ref in (port["name"], port["port"]):
            return port
    raise ValueError(f"no port {ref!r} for the Ingress")  # validate checks it first


def sidecar_ports(unit: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ports of the unit's sidecars, in order."""
    return [port for sidecar in unit.get("sidecars", []) for port in sidecar.get("ports", [])]


def metrics_port(unit: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The port ``monitoring.port`` names: the main container's, or a sidecar's (an
    exporter beside the app); None when there is none (validate reports it)."""
    if "monitoring" not in unit:
        return None
    ref = unit["monitoring"]["port"]
    ports: list[Mapping[str, Any]] = [*unit.get("ports", []), *sidecar_ports(unit)]
    for port in ports:
        if ref in (port["name"], port["port"]) and port.get("protocol", "TCP") == "TCP":
            return port
    return None


def service_ports(unit: Mapping[str, Any], headless: bool = False) -> list[Mapping[str, Any]]:
    """What the unit's Service publishes: the main container's published ports, and a
    sidecar's port when Prometheus scrapes it. A StatefulApp's own headless Service, the
    pods' names for each other, lists every port of the main container."""
    ports = list(unit.get("ports", [])) if headless else published(unit)
    monitored = metrics_port(unit)
    if monitored is not None and monitored in sidecar_ports(unit):
        ports.append(monitored)
    return ports


def external_secret_name(app: str, secret: Mapping[str, Any]) -> str:
    """The ExternalSecret of a secret of the app, and the Secret it writes."""
    return f"{app}-{secret['name']}"


def tls_secret(unit: Unit) -> str | None:
    """The Secret an Ingress of a class other than alb reads its certificate from (ALB
    finds it in ACM by the host): ``tls.secretName``, else ``<unit>-tls``."""
    ingress = unit.get("ingress")
    if ingress is None or "tls" not in ingress or ingress.get("className", "alb") == "alb":
        return None
    return str(ingress["tls"].get("secretName", f"{unit.name}-tls"))


def issues_certificate(unit: Unit) -> bool:
    """Whether cert-manager writes the unit's TLS Secret (an issuer is named)."""
    return tls_secret(unit) is not None and "issuer" in unit["ingress"]["tls"]


def alb_group(ingress: Mapping[str, Any]) -> str:
    """The ALB an Ingress joins: its ``group``, else kgen's group for its scheme and for
    TLS or plain HTTP (an SSL redirect acts on every Ingress of a group)."""
    scheme = "internal" if ingress.get("internal") else "internet-facing"
    return str(ingress.get("group", f"kgen-{scheme}" + ("" if "tls" in ingress else "-http")))


#: The listeners of kgen's ALB: HTTP, and with TLS HTTPS too (HTTP redirecting to it).
ALB_LISTENERS = '[{"HTTP": 80}]'
ALB_LISTENERS_TLS = '[{"HTTP": 80}, {"HTTPS": 443}]'


def alb_annotations(unit: Mapping[str, Any]) -> dict[str, str]:
    """What the AWS Load Balancer Controller reads off an Ingress: scheme, IP targets, a
    shared group, listeners (HTTPS and a redirect when there is TLS), and the health check
    path when the readiness probe is an HTTP GET on the same port."""
    ingress = unit["ingress"]
    scheme = "internal" if ingress.get("internal") else "internet-facing"
    prefix = "alb.ingress.kubernetes.io/"
    annotations = {
        f"{prefix}scheme": scheme,
        f"{prefix}target-type": "ip",
        f"{prefix}group.name": alb_group(ingress),
    }
    if "tls" in ingress:
        annotations[f"{prefix}listen-ports"] = ALB_LISTENERS_TLS
        annotations[f"{prefix}ssl-redirect"] = "443"
        annotations[f"{prefix}ssl-policy"] = "ELBSecurityPolicy-TLS13-1-2-2021-06"
        if "certificateArn" in ingress["tls"]:
            arns = ingress["tls"]["certificateArn"]
            annotations[f"{prefix}certificate-arn"] = (
                arns if isinstance(arns, str) else ",".join(arns)
            )
    else:
        annotations[f"{prefix}listen-ports"] = ALB_LISTENERS
    readiness = unit.get("probes", {}).get("readiness", {}).get("http")
    port = ingress_port(unit)
    if readiness and readiness["port"] in (port["name"], port["port"]):
        annotations[f"{prefix}healthcheck-path"] = readiness.get("path", "/")
    return dict(sorted(annotations.items()))


# --- scaling, disruption and placement ---------------------------------------------------

_HORIZONTAL = ("minReplicas", "maxReplicas", "cpu", "memory", "metrics")


def scales_horizontally(unit: Mapping[str, Any]) -> bool:
    """Whether an autoscaler, not ``replicas``, sets the number of pods."""
    return any(field in unit.get("autoscaling", {}) for field in _HORIZONTAL)


def scales_on_queue(unit: Mapping[str, Any]) -> bool:
    """Whether KEDA scales the unit (a queue metric), rather than an HPA."""
    metrics = unit.get("autoscaling", {}).get("metrics", [])
    return any("queue" in metric for metric in metrics)


def pod_range(unit: Mapping[str, Any]) -> tuple[int, int]:
    """The fewest and the most pods the unit runs."""
    replicas = int(unit.get("replicas", 1))
    if not scales_horizontally(unit):
        return replicas, replicas
    scaling = unit["autoscaling"]
    return int(scaling.get("minReplicas", replicas)), int(scaling.get("maxReplicas", replicas))


def utilisation_targets(unit: Mapping[str, Any]) -> dict[str, int]:
    """CPU and memory utilisation targets (percent): as written, or CPU 80 when no other
    metric drives scaling."""
    scaling = unit.get("autoscaling", {})
    targets = {name: int(scaling[name]) for name in ("cpu", "memory") if name in scaling}
    if not targets and not scaling.get("metrics"):
        targets["cpu"] = 80
    return targets


def hpa_metrics(unit: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The metrics of a HorizontalPodAutoscaler (autoscaling/v2)."""
    metrics: list[dict[str, Any]] = [
        {
            "type": "Resource",
            "resource": {
                "name": name,
                "target": {"type": "Utilization", "averageUtilization": target},
            },
        }
        for name, target in utilisation_targets(unit).items()
    ]
    for metric in unit.get("autoscaling", {}).get("metrics", []):
        if "pods" in metric:
            pods = metric["pods"]
            metrics.append(
                {
                    "type": "Pods",
                    "pods": {
                        "metric": {"name": pods["name"]},
                        "target": {
                            "type": "AverageValue",
                            "averageValue": str(pods["averageValue"]),
                        },
                    },
                }
            )
    return metrics


def keda_triggers(unit: Mapping[str, Any], authentication: str) -> list[dict[str, Any]]:
    """The triggers of a KEDA ScaledObject: each queue, then CPU and memory utilisation."""
    triggers: list[dict[str, Any]] = []
    for metric in unit["autoscaling"].get("metrics", []):
        if "queue" in metric:
            queue = metric["queue"]
            region = queue["queueURL"].split("//sqs.", 1)[1].split(".", 1)[0]
            triggers.append(
                {
                    "type": "aws-sqs-queue",
                    "metadata": {
                        "queueURL": queue["queueURL"],
                        "queueLength": str(queue["targetLength"]),
                        "awsRegion": region,
                    },
                    "authenticationRef": {"name": authentication},
                }
            )
    scaling = unit["autoscaling"]
    for name in ("cpu", "memory"):
        if name in scaling:
            triggers.append(
                {
                    "type": name,
                    "metricType": "Utilization",
                    "metadata": {"value": str(scaling[name])},
                }
            )
    return triggers


def disruption_budget(unit: Mapping[str, Any]) -> dict[str, Any] | None:
    """The PodDisruptionBudget's limit: as written, or maxUnavailable 1 when the unit may
    run more than one pod (an autoscaler may add them: a drain must not take them all at
    once); None for no budget."""
    if "disruptionBudget" in unit:
        return dict(unit["disruptionBudget"])
    _, most = pod_range(unit)
    return {"maxUnavailable": 1} if most > 1 else None


def zone_spread(unit: Any) -> list[dict[str, Any]] | None:
    """A topology spread constraint over zones for a unit that may run several pods, unless
    placement.spreadZones is false. ScheduleAnyway: a zone short of room never blocks a pod."""
    _, most = pod_range(unit)
    if most < 2 or not unit.get("placement", {}).get("spreadZones", True):
        return None
    return [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector_labels(unit.app, unit.component)},
        }
    ]


def update_strategy(unit: Mapping[str, Any], workload: str) -> dict[str, Any] | None:
    """The Deployment's strategy or the StatefulSet's updateStrategy, when rollout asks."""
    rollout = unit.get("rollout")
    if rollout is None:
        return None
    strategy = rollout.get("strategy", "RollingUpdate")
    if strategy != "RollingUpdate":
        return {"type": strategy}
    if workload == "StatefulSet":
        fields = {"partition": rollout["partition"]} if "partition" in rollout else {}
    else:
        fields = {name: rollout[name] for name in ("maxSurge", "maxUnavailable") if name in rollout}
    return {"type": strategy, "rollingUpdate": fields or None}


# --- migrations -----------------------------------------------------------------------------

#: Argo CD sync waves around a Monolith's migration: what its pods need is applied first
#: (and must be healthy), then the migration runs as a Sync hook, then the new version.
#: Not a PreSync hook: PreSync runs before anything of the sync is applied, so on the
#: first sync the migration's ServiceAccount, ConfigMap and secrets would not exist yet and
#: it could never start.
MIGRATION_WAVE = "-1"
DEPENDENCY_WAVE = "-2"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"


def migration_annotations() -> dict[str, str]:
    return {
        "argocd.argoproj.io/hook": "Sync",
        "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
        SYNC_WAVE: MIGRATION_WAVE,
    }


def before_migration(spec: Mapping[str, Any], wave: str = DEPENDENCY_WAVE) -> dict[str, str]:
    """The sync wave of a resource the migration's pod needs, when the app has one: its
    ServiceAccount, ConfigMap and ExternalSecrets come a wave before it; the shared claim
    comes with it (a claim bound on first use would wait forever for a pod of a later wave)."""
    return {SYNC_WAVE: wave} if "migrations" in spec else {}


def settings_hash(unit: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    """A short hash of everything a unit's pod is made from (its settings, and the
    blueprint's labels and annotations): a Job named after it is a new Job whenever
    anything of it changes (a Job's pod template cannot be changed)."""
    return content_hash(
        {
            "settings": dict(unit),
            "labels": meta.get("labels", {}),
            "annotations": meta.get("annotations", {}),
        }
    )


TEMPLATE_GLOBALS = {
    "migration_annotations": migration_annotations,
    "before_migration": before_migration,
    "settings_hash": settings_hash,
    "pod_storage": pod_storage,
    "checkov_skips": checkov_skips,
    "ingress_port": ingress_port,
    "alb_annotations": alb_annotations,
    "tls_secret": tls_secret,
    "external_secret_name": external_secret_name,
    "issues_certificate": issues_certificate,
    "metrics_port": metrics_port,
    "service_ports": service_ports,
    "published": published,
    "scales_horizontally": scales_horizontally,
    "scales_on_queue": scales_on_queue,
    "pod_range": pod_range,
    "hpa_metrics": hpa_metrics,
    "keda_triggers": keda_triggers,
    "disruption_budget": disruption_budget,
    "zone_spread": zone_spread,
    "update_strategy": update_strategy,
}
