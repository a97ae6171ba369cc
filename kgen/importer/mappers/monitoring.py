"""A ServiceMonitor (or PodMonitor) and a PrometheusRule the app owns, folded into
``monitoring``.

kgen's ServiceMonitor scrapes one port of the app's Service (``monitoring.port``, a
container port) at ``path`` every ``interval``, its PodMonitor a port the Service does not
publish; its PrometheusRule holds the app's
alerting rules (``alerts``: name, expr, for, severity) in one group. The first endpoint
and every alert are mapped; another endpoint, a recording rule, or what an alert says
beyond its fields (annotations, other labels) has no field, and a merge patch would
replace kgen's lists whole: each is left out, saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgen.importer.account import Item, Status
from kgen.importer.index import Index
from kgen.importer.mappers.base import Build, part_metadata, target
from kgen.importer.mappers.exposure import service_port_target
from kgen.importer.read import Resource
from kgen.model import JsonPath

_ENDPOINTS = (
    "kgen's ServiceMonitor (or PodMonitor) scrapes one endpoint (monitoring.port, path, "
    "interval), and a merge patch would replace its endpoints whole"
)
_RULES = (
    "kgen's PrometheusRule holds alerts of a name, expr, for and severity, and a merge "
    "patch would replace its groups whole"
)
_SEVERITIES = ("critical", "warning", "info")
#: The prometheus-operator apiVersion kgen reads and renders.
_VERSION = "monitoring.coreos.com/v1"


def _read(build: Build, resource: Resource) -> bool:
    """Whether kgen reads the resource's apiVersion (no schema checked another's shape);
    else it is left out, saying so."""
    if resource.api_version == _VERSION:
        return True
    build.left_out(resource, (), f"apiVersion {resource.api_version}: kgen reads {_VERSION}")
    return False


def map_monitoring(build: Build, index: Index, workload: Resource) -> None:
    """The app's first ServiceMonitor (else its first PodMonitor) as ``monitoring``, and
    the alerts of its first PrometheusRule; any other is left out, saying why."""
    monitors = [*index.owned(workload, "ServiceMonitor"), *index.owned(workload, "PodMonitor")]
    for other in monitors[1:]:
        build.left_out(
            other, (), f"a second monitor of {build.app}: kgen renders one per app "
            f"({monitors[0].kind} {monitors[0].name}); {_ENDPOINTS}",
        )  # fmt: skip
    rules = index.owned(workload, "PrometheusRule")
    first = monitors[0] if monitors else None
    mapped = first is not None and (
        _monitor(build, index, workload, first)
        if first.kind == "ServiceMonitor"
        else _pod_monitor(build, index, first)
    )
    for position, rule in enumerate(rules):
        if not mapped:
            build.left_out(
                rule, (), "kgen renders alerts beside its monitor of the app "
                f"(monitoring.port), and {build.app}'s was left out",
            )  # fmt: skip
        elif position:
            build.left_out(
                rule, (), f"a second PrometheusRule of {build.app}: kgen renders one per app "
                f"({rules[0].name}); {_RULES}",
            )  # fmt: skip
        else:
            _rule(build, rule)


def _monitor(build: Build, index: Index, workload: Resource, monitor: Resource) -> bool:
    """Map the ServiceMonitor; whether it could be (its first endpoint scrapes a port of
    the app's Service that a container port backs)."""
    name, kind, here = build.name, "ServiceMonitor", (*build.where, "monitoring")
    if not _read(build, monitor):
        return False
    spec = monitor.body.get("spec") or {}
    endpoints = spec.get("endpoints") or []
    first = endpoints[0] if endpoints else {}
    port = _scraped(build, index, workload, monitor, first)
    if port is None:
        build.left_out(
            monitor, (),
            "its first endpoint scrapes no port of the app's Service that a container port "
            "kgen declares backs (monitoring.port names a container port)",
        )  # fmt: skip
        return False
    part_metadata(build, monitor, kind, name)
    at: JsonPath = ("spec", "endpoints", 0)
    out: tuple[str | int, ...] = ("spec", "endpoints", 0)
    key = "port" if "port" in first else "targetPort"
    if first.get(key) == port["name"] and key == "port":
        build.put(
            (*here, "port"), port["name"], monitor, (*at, key), target(kind, name, *out, "port")
        )
    else:
        build.put(
            (*here, "port"), port["name"], monitor, (*at, key), status=Status.CHANGED,
            note=f"kgen's ServiceMonitor names the Service port: {port['name']}",
        )  # fmt: skip
    _scraping(build, index, monitor, kind, "endpoints", out, "Service")
    return True


def _scraping(
    build: Build,
    index: Index,
    monitor: Resource,
    kind: str,
    listed: str,
    out: tuple[str | int, ...],
    selects: str,
) -> None:
    """What a ServiceMonitor and a PodMonitor say alike, once their port is mapped: the
    namespace, the first endpoint's path and interval (what else it and the other
    endpoints say is left out), the selector and namespaces (kgen's own), the rest.
    ``kind`` is what kgen renders, ``listed`` the input's list of endpoints, ``out`` its
    first endpoint in kgen's, ``selects`` what kgen's selects."""
    name, here = build.name, (*build.where, "monitoring")
    spec = monitor.body.get("spec") or {}
    endpoints = spec.get(listed) or []
    first = endpoints[0] if endpoints and isinstance(endpoints[0], Mapping) else {}
    at: JsonPath = ("spec", listed, 0)
    if index.namespace(monitor) != build.namespace:
        build.ledger.forget(monitor, ("metadata", "namespace"))
        build.record(
            monitor, ("metadata", "namespace"), Status.CHANGED,
            f"kgen's {kind} sits beside the app, in {build.namespace}",
        )  # fmt: skip
    for field in ("path", "interval"):
        if field in first:
            build.put(
                (*here, field), first[field], monitor, (*at, field),
                target(kind, name, *out, field),
            )  # fmt: skip
    for field in first:
        if not build.ledger.recorded(monitor, (*at, field)):
            build.left_out(monitor, (*at, field), f"no blueprint field: {_ENDPOINTS}")
    for index_ in range(1, len(endpoints)):
        build.left_out(monitor, ("spec", listed, index_), f"another endpoint: {_ENDPOINTS}")
    build.record(
        monitor, ("spec", "selector"), Status.CHANGED,
        f"kgen's {kind} selects the app's {selects} by its app.kubernetes.io/ labels",
    )  # fmt: skip
    if "namespaceSelector" in spec:
        build.record(
            monitor, ("spec", "namespaceSelector"), Status.CHANGED,
            f"kgen's {kind} watches its own namespace, {build.namespace}",
        )  # fmt: skip
    build.leftovers(monitor, spec, ("spec",), kind, name, ("spec",))
    metadata = monitor.body.get("metadata")
    build.leftovers(monitor, metadata, ("metadata",), kind, name, ("metadata",))
    build.leftovers(monitor, monitor.body, (), kind, name, ())


def _pod_monitor(build: Build, index: Index, monitor: Resource) -> bool:
    """Map the PodMonitor; whether it could be (its first endpoint scrapes a port of the
    app's main container or of a sidecar). kgen scrapes a port its Service does not
    publish (``published: false``) with a PodMonitor, and any other, as it scrapes every
    port it publishes, with a ServiceMonitor: the same pods, through the Service."""
    name, here = build.name, (*build.where, "monitoring")
    if not _read(build, monitor):
        return False
    spec = monitor.body.get("spec") or {}
    endpoints = spec.get("podMetricsEndpoints") or []
    first = endpoints[0] if endpoints and isinstance(endpoints[0], Mapping) else {}
    key = next((k for k in ("port", "portNumber", "targetPort") if k in first), None)
    wanted = first.get(key) if key is not None else None
    main = [p for p in build.here.get("ports", []) if wanted in (p["name"], p["port"])]
    beside = [
        p
        for sidecar in build.spec.get("sidecars", [])
        for p in sidecar.get("ports", [])
        if wanted in (p["name"], p["port"])
    ]
    if not main and not beside:
        build.left_out(
            monitor, (),
            "its first endpoint scrapes no port kgen declares of the app's containers "
            "(monitoring.port names a container port)",
        )  # fmt: skip
        return False
    port = (main or beside)[0]
    pods = bool(main) and port.get("published", True) is False
    kind = "PodMonitor" if pods else "ServiceMonitor"
    part_metadata(build, monitor, kind, name)
    if not pods:
        build.ledger.forget(monitor, ("kind",))
        build.record(
            monitor, ("kind",), Status.CHANGED,
            f"kgen scrapes a port its Service publishes ({port['name']}) with a "
            "ServiceMonitor: the same pods, through the Service"
            if main
            else f"kgen scrapes a sidecar's port ({port['name']}) with a ServiceMonitor, "
            "through the app's Service, which publishes it for Prometheus",
        )  # fmt: skip
    at: JsonPath = ("spec", "podMetricsEndpoints", 0)
    out: tuple[str | int, ...] = at if pods else ("spec", "endpoints", 0)
    key = key or "port"  # a port was found by it: it is there
    if pods and key == "port" and first[key] == port["name"]:
        build.put((*here, "port"), port["name"], monitor, (*at, key), target(kind, name, *out, key))
    else:
        build.put(
            (*here, "port"), port["name"], monitor, (*at, key), status=Status.CHANGED,
            note=f"kgen's {kind} names the port: {port['name']}",
        )  # fmt: skip
    _scraping(
        build, index, monitor, kind, "podMetricsEndpoints", out, "pods" if pods else "Service"
    )
    return True


def _scraped(
    build: Build, index: Index, workload: Resource, monitor: Resource, endpoint: Any
) -> dict[str, Any] | None:
    """The blueprint port the endpoint scrapes, through the Service the monitor selects."""
    if monitor.api_version != _VERSION or not isinstance(endpoint, Mapping):
        return None
    selector = (monitor.body.get("spec") or {}).get("selector") or {}
    wanted = endpoint.get("port", endpoint.get("targetPort"))
    for service in index.owned(workload, "Service"):
        labels = (service.body.get("metadata") or {}).get("labels") or {}
        chosen = selector.get("matchLabels") or {}
        if chosen and all(labels.get(k) == v for k, v in chosen.items()):
            if "port" in endpoint:
                found = service_port_target(build, workload, service, wanted)
            else:  # targetPort: the container port itself
                ports = build.here.get("ports", [])
                found = next((p for p in ports if wanted in (p["name"], p["port"])), None)
            if found is not None:
                return found
    return None


def _rule(build: Build, rule: Resource) -> None:
    """The alerting rules of every group, as ``monitoring.alerts``."""
    name, kind, here = build.name, "PrometheusRule", (*build.where, "monitoring", "alerts")
    if not _read(build, rule):
        return
    part_metadata(build, rule, kind, name)
    alerts: list[dict[str, Any]] = build.here.setdefault("monitoring", {}).setdefault("alerts", [])
    seen: set[str] = set()
    groups = (rule.body.get("spec") or {}).get("groups") or []
    for g, group in enumerate(groups):
        at: JsonPath = ("spec", "groups", g)
        build.record(
            rule, (*at, "name"), Status.CHANGED,
            f"kgen puts the app's alerts in one group, {build.namespace}.{name}",
        )  # fmt: skip
        for r, found in enumerate(group.get("rules") or []):
            where: JsonPath = (*at, "rules", r)
            if "alert" not in found:
                build.left_out(
                    rule, where, f"a recording rule ({found.get('record')}): kgen writes "
                    "alerting rules only (monitoring.alerts)",
                )  # fmt: skip
                continue
            alert = str(found["alert"])
            if alert in seen:
                build.left_out(rule, where, f"a second alert named {alert}: {_RULES}")
                continue
            seen.add(alert)
            _alert(build, rule, found, where, (*here, len(alerts)), alerts)
        for key in group:
            if not build.ledger.recorded(rule, (*at, key)):
                build.left_out(rule, (*at, key), f"no blueprint field: {_RULES}")
    if not alerts:
        del build.here["monitoring"]["alerts"]
    spec = rule.body.get("spec")
    build.leftovers(rule, spec, ("spec",), kind, name, ("spec",))
    metadata = rule.body.get("metadata")
    build.leftovers(rule, metadata, ("metadata",), kind, name, ("metadata",))
    build.leftovers(rule, rule.body, (), kind, name, ())


def _alert(
    build: Build,
    rule: Resource,
    found: Mapping[str, Any],
    where: JsonPath,
    blueprint_at: JsonPath,
    alerts: list[dict[str, Any]],
) -> None:
    kind, name, alert = "PrometheusRule", build.name, str(found["alert"])
    out = ("spec", "groups", 0, "rules", Item("alert", alert))
    entry: dict[str, Any] = {"name": alert, "expr": str(found.get("expr", ""))}
    alerts.append(entry)
    build.origin(blueprint_at, rule, where)
    build.record(rule, (*where, "alert"), Status.MAPPED, "", target(kind, name, *out, "alert"))
    expr_at = (*where, "expr")
    if isinstance(found.get("expr"), str):
        build.record(rule, expr_at, Status.MAPPED, "", target(kind, name, *out, "expr"))
    else:
        build.record(rule, expr_at, Status.CHANGED, "kgen writes the expression as a string")
    if "for" in found:
        entry["for"] = found["for"]
        build.record(rule, (*where, "for"), Status.MAPPED, "", target(kind, name, *out, "for"))
    labels = found.get("labels") or {}
    severity = labels.get("severity")
    if severity in _SEVERITIES:
        entry["severity"] = severity
        build.record(
            rule, (*where, "labels", "severity"), Status.MAPPED, "",
            target(kind, name, *out, "labels", "severity"),
        )  # fmt: skip
    for key in labels:
        if not build.ledger.recorded(rule, (*where, "labels", key)):
            why = (
                f"severity {severity!r}: kgen's are {', '.join(_SEVERITIES)}"
                if key == "severity"
                else f"no blueprint field for an alert's labels: {_RULES}"
            )
            build.left_out(rule, (*where, "labels", key), why)
    for key in found:
        if not build.ledger.recorded(rule, (*where, key)):
            build.left_out(rule, (*where, key), f"no blueprint field: {_RULES}")
