"""Unit rules: what the settings of one pod template must agree on (ports, Service, probes,
containers, Ingress, resources), run on every workload unit; with the rules about its
volumes (``volumes.py``) and environment variables (``environment.py``), the list of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kgen.formats import cpu_millis, memory_bytes
from kgen.model import JsonPath, Problem, format_path
from kgen.rules import environment, scaling, volumes
from kgen.rules.common import key_problem, problem
from kgen.suggest import did_you_mean, one_of
from kgen.units import Unit
from kgen.workloads import metrics_port, published, sidecar_ports

UnitRule = Callable[[Unit], Iterator[Problem]]
EXPOSED_TYPES = ("NodePort", "LoadBalancer")


def port_problems(unit: Unit) -> Iterator[Problem]:
    service_type = unit.get("service", {}).get("type", "ClusterIP")
    seen: dict[tuple[int, str], int] = {}
    ports = unit.written_at("ports")
    for index, port in enumerate(unit.get("ports", [])):
        if not port.get("published", True):
            for field in ("servicePort", "nodePort"):
                if field in port:
                    yield key_problem(
                        unit.blueprint,
                        (*ports, index, field),
                        f"{field} is where the Service publishes the port, and this one is "
                        "published: false",
                        f"remove {field}, or published: false",
                    )
            continue
        if "nodePort" in port and service_type not in EXPOSED_TYPES:
            yield problem(
                unit.blueprint,
                (*ports, index, "nodePort"),
                f"nodePort needs service type NodePort or LoadBalancer, not {service_type}",
                f"set {format_path(unit.written_at('service'))}.type: NodePort, or drop nodePort",
            )
        exposed = (port.get("servicePort", port["port"]), port.get("protocol", "TCP"))
        if exposed in seen:
            field = "servicePort" if "servicePort" in port else "port"
            yield problem(
                unit.blueprint,
                (*ports, index, field),
                f"the Service would expose {exposed[1]} port {exposed[0]} twice "
                f"(also {format_path((*ports, seen[exposed]))})",
                "give one of them another servicePort",
            )
        seen.setdefault(exposed, index)


def service_problems(unit: Unit) -> Iterator[Problem]:
    service = unit.get("service", {})
    service_type = service.get("type", "ClusterIP")
    where = unit.written_at("service")
    if service.get("internal") and service_type != "LoadBalancer":
        yield problem(
            unit.blueprint,
            (*where, "internal"),
            f"internal applies to a LoadBalancer, not to {service_type}",
            "remove it, or set type: LoadBalancer",
        )
    if not published(unit) and unit.written.get("service"):
        kept = bool(unit.get("ports"))
        yield key_problem(
            unit.blueprint,
            where,
            "a Service needs published ports, and every port is published: false"
            if kept
            else "a Service needs ports, and there are none",
            "publish a port, or remove the service settings"
            if kept
            else f"add {format_path(unit.written_at('ports'))}, or remove the service settings",
        )


def ingress_problems(unit: Unit) -> Iterator[Problem]:
    """An Ingress needs a TCP port behind a Service with a cluster IP, and TLS the way its
    controller takes it: ACM for alb, a Secret for the others."""
    ingress = unit.get("ingress")
    if ingress is None:
        return
    where = unit.written_at("ingress")
    blueprint = unit.blueprint
    ref = ingress.get("port")
    ports = {(p["name"]): p for p in unit.get("ports", [])} | {
        p["port"]: p for p in unit.get("ports", [])
    }
    open_tcp = tcp_ports_of(published(unit))
    if not open_tcp:
        kept = bool(tcp_ports(unit))
        yield key_problem(
            blueprint,
            where,
            "an Ingress sends HTTP to a published TCP port of the app, and every TCP port is "
            "published: false"
            if kept
            else "an Ingress sends HTTP to a TCP port of the app, and it has none",
            "publish the port the Ingress sends to"
            if kept
            else f"add {format_path(unit.written_at('ports'))}",
        )
    elif ref is not None and (ref not in ports or ports[ref].get("protocol", "TCP") != "TCP"):
        known = ", ".join(p["name"] for p in open_tcp)
        yield problem(
            blueprint,
            (*where, "port"),
            f"{ref!r} is not a TCP port of the app",
            did_you_mean(str(ref), [p["name"] for p in open_tcp]) or f"TCP ports: {known}",
        )
    elif ref is not None and not ports[ref].get("published", True):
        yield problem(
            blueprint,
            (*where, "port"),
            f"port {ref!r} is published: false, and an Ingress reaches the app through its Service",
            f"send to a published port ({', '.join(p['name'] for p in open_tcp)}), or "
            "publish this one",
        )
    if published(unit) and unit.get("service", {}).get("type") == "None":
        yield key_problem(
            blueprint,
            where,
            "an Ingress needs a Service with a cluster IP, and service.type None is headless",
            "remove service.type: None, or the ingress",
        )
    alb = ingress.get("className", "alb") == "alb"
    tls = ingress.get("tls")
    if alb and tls is not None and ("issuer" in tls or "secretName" in tls):
        field = "issuer" if "issuer" in tls else "secretName"
        yield key_problem(
            blueprint,
            (*where, "tls", field),
            "the AWS Load Balancer Controller serves certificates from ACM, not from Secrets",
            "write tls: {} (the ACM certificate for the host) or tls: {certificateArn: ...}; "
            "or choose another className",
        )
    if not alb and tls is not None and not ("issuer" in tls or "secretName" in tls):
        yield key_problem(
            blueprint,
            (*where, "tls"),
            f"className {ingress['className']!r} reads its certificate from a Secret: name "
            "an issuer or a secret",
            "write tls: {issuer: <ClusterIssuer>} or tls: {secretName: <TLS Secret>}",
        )
    for field in ("internal", "group") if not alb else ():
        if field in unit.written.get("ingress", {}):
            yield key_problem(
                blueprint,
                (*where, field),
                f"{field} applies to className alb only",
                "remove it, or use className: alb",
            )
    if not alb and tls is not None and "certificateArn" in tls:
        yield key_problem(
            blueprint,
            (*where, "tls", "certificateArn"),
            "certificateArn applies to className alb only",
            "write tls: {issuer: <ClusterIssuer>} or tls: {secretName: <TLS Secret>}",
        )


def monitoring_problems(unit: Unit) -> Iterator[Problem]:
    """Prometheus scrapes a TCP port that the Service publishes."""
    monitoring = unit.get("monitoring")
    if monitoring is None:
        return
    ref = monitoring["port"]
    scraped = metrics_port(unit)
    if scraped is None:
        names = [port["name"] for port in [*tcp_ports(unit), *tcp_ports_of(sidecar_ports(unit))]]
        yield problem(
            unit.blueprint,
            (*unit.written_at("monitoring"), "port"),
            f"{ref!r} is not a TCP port of the app or of its sidecars",
            did_you_mean(str(ref), names)
            or (f"TCP ports: {', '.join(names)}" if names else "add the metrics port to ports"),
        )
    elif not published(unit) and unit.workload != "StatefulSet" and scraped.get("published", True):
        kept = bool(unit.get("ports"))
        yield key_problem(
            unit.blueprint,
            unit.written_at("monitoring"),
            "Prometheus finds pods through the app's Service, and an app without published "
            "ports has none"
            if kept
            else "Prometheus finds pods through the app's Service, and an app without ports "
            "has none",
            "publish a port" if kept else f"add {format_path(unit.written_at('ports'))}",
        )


def tcp_ports(unit: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return tcp_ports_of(unit.get("ports", []))


def tcp_ports_of(ports: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [port for port in ports if port.get("protocol", "TCP") == "TCP"]


def _probed(unit: Unit) -> Iterator[tuple[Mapping[str, Any], JsonPath]]:
    """Every container of the unit that gets probes, with where its settings are written:
    the main one (its settings spread over the unit), then each sidecar."""
    yield unit, unit.path
    where = unit.written_at("sidecars")
    for index, sidecar in enumerate(unit.get("sidecars", [])):
        yield sidecar, (*where, index)


def probe_problems(unit: Unit) -> Iterator[Problem]:
    if not unit.probed:
        return  # a Job's or CronJob's pods run to the end: nothing to probe
    for settings, base in _probed(unit):
        yield from _container_probe_problems(unit, settings, base)


def _container_probe_problems(
    unit: Unit, settings: Mapping[str, Any], base: JsonPath
) -> Iterator[Problem]:
    ports: list[Mapping[str, Any]] = settings.get("ports", [])
    by_name = {port["name"]: port for port in ports}
    declared = {port["port"] for port in ports}
    tcp = tcp_ports(settings)
    tcp_numbers = {port["port"] for port in tcp}
    probes: Mapping[str, Any] = settings.get("probes", {})
    where = unit.written_at("probes") if base == unit.path else (*base, "probes")
    for probe_name, probe in probes.items():
        for action in ("http", "tcp", "grpc"):
            ref = probe.get(action, {}).get("port")
            at = (*where, probe_name, action, "port")
            if isinstance(ref, str) and ref not in by_name:
                yield _no_port_named(unit, at, ref, by_name)
                continue
            number = by_name[ref]["port"] if isinstance(ref, str) else ref
            if number is not None and number in declared and number not in tcp_numbers:
                yield problem(
                    unit.blueprint,
                    at,
                    f"port {ref!r} is not a TCP port; a {action} probe needs one",
                    "probe a TCP port, or use an exec probe",
                )
    if not tcp:
        missing = [name for name in ("liveness", "readiness") if name not in probes]
        if missing:
            yield Problem(
                unit.blueprint.source.value_pos(base),
                where,
                "no TCP port, so kgen cannot probe by default: set "
                + one_of(missing).replace(" or ", " and "),
                "for a worker, e.g. probes: {liveness: {exec: [cat, /tmp/healthy]}, "
                "readiness: {exec: [cat, /tmp/healthy]}}",
            )


def _no_port_named(unit: Unit, at: JsonPath, ref: str, by_name: Mapping[str, Any]) -> Problem:
    """A probe or hook names a port its container does not have."""
    known = f"ports named here: {', '.join(by_name)}" if by_name else "there are no ports"
    return problem(
        unit.blueprint, at, f"no port named {ref!r}", did_you_mean(ref, by_name) or known
    )


#: Kubernetes' terminationGracePeriodSeconds when a pod sets none.
DEFAULT_GRACE_SECONDS = 30


def pre_stop_problems(unit: Unit) -> Iterator[Problem]:
    """A preStop hook calls a TCP port of its own container, and its sleep ends before the
    kubelet kills the container: the grace period counts from the start of the hook."""
    grace = unit.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
    for settings, base in _probed(unit):
        hook: Mapping[str, Any] | None = settings.get("preStop")
        if hook is None:
            continue
        where = unit.written_at("preStop") if base == unit.path else (*base, "preStop")
        ports: list[Mapping[str, Any]] = settings.get("ports", [])
        by_name = {port["name"]: port for port in ports}
        ref = hook.get("http", {}).get("port")
        if isinstance(ref, str) and ref not in by_name:
            yield _no_port_named(unit, (*where, "http", "port"), ref, by_name)
        elif ref is not None and any(
            ref in (port["name"], port["port"]) and port.get("protocol", "TCP") != "TCP"
            for port in ports
        ):
            yield problem(
                unit.blueprint,
                (*where, "http", "port"),
                f"port {ref!r} is not a TCP port; an http hook needs one",
                "call a TCP port, or use exec",
            )
        sleep = hook.get("sleep")
        if sleep is not None and sleep >= grace:
            yield problem(
                unit.blueprint,
                (*where, "sleep"),
                f"the kubelet kills the container {grace} s after the pod begins to stop, "
                f"preStop included: a sleep of {sleep} s leaves the app no time after SIGTERM",
                f"sleep less than terminationGracePeriodSeconds ({grace}), or raise it",
            )


def container_problems(unit: Unit) -> Iterator[Problem]:
    """The containers of one pod share a network and a namespace of names: no two may
    have one name, nor listen on one port (by number and protocol) or name it alike."""
    names: dict[str, JsonPath] = {unit.container: unit.path}
    ports: dict[tuple[int, str], JsonPath] = {}
    port_names: dict[str, JsonPath] = {}
    for port in unit.get("ports", []):
        ports.setdefault((port["port"], port.get("protocol", "TCP")), unit.path)
        port_names.setdefault(port["name"], unit.path)
    for field in ("initContainers", "sidecars"):
        where = unit.written_at(field)
        for index, extra in enumerate(unit.get(field, [])):
            at = (*where, index)
            if extra["name"] in names:
                yield problem(
                    unit.blueprint,
                    (*at, "name"),
                    f"the pod has a container named {extra['name']!r} already",
                    f"give each container its own name (the main one is named {unit.container!r})",
                )
            names.setdefault(extra["name"], at)
            for port_index, port in enumerate(extra.get("ports", [])):
                key = (port["port"], port.get("protocol", "TCP"))
                if key in ports or port["name"] in port_names:
                    clash = f"{key[1]} port {key[0]}" if key in ports else f"port {port['name']!r}"
                    yield problem(
                        unit.blueprint,
                        (*at, "ports", port_index, "port" if key in ports else "name"),
                        f"another container of the pod has {clash} already",
                        "the containers of a pod share one network: choose another",
                    )
                ports.setdefault(key, at)
                port_names.setdefault(port["name"], at)


def inherited_limit_problems(unit: Unit) -> Iterator[Problem]:
    """A unit that takes unset resources from the settings it inherits gets a request from
    one place and a limit from another: check what it gets. (A limit below its request in
    one place is reported there, by the field rule.)"""
    if "resources" not in unit.inherited or unit.inherited_from is None:
        return
    own = unit.own.get("resources", {})
    shared_at = (*unit.inherited_from, "resources")
    shared = _at(unit, shared_at)
    resources = unit["resources"]
    for name, parse in (("cpu", cpu_millis), ("memory", memory_bytes)):
        limit = resources.get("limits", {}).get(name)
        if limit is None or name not in resources:
            continue
        limit_is_own = name in own.get("limits", {})
        request_is_own = name in own
        if limit_is_own == request_is_own and (limit_is_own or name in shared):
            continue  # both from one place
        if parse(limit) < parse(resources[name]):
            own_at = (*unit.path, "resources")
            origin = own_at if limit_is_own else shared_at
            request_origin = own_at if request_is_own else shared_at
            yield Problem(
                unit.blueprint.source.value_pos(own_at),
                own_at,
                f"the process would get the {name} limit {limit!r} "
                f"(from {format_path((*origin, 'limits', name))}) below its request "
                f"{resources[name]!r} (from {format_path((*request_origin, name))})",
                f"set {format_path((*own_at, name))} and "
                f"{format_path((*own_at, 'limits', name))} together",
            )


def _at(unit: Unit, path: JsonPath) -> Mapping[str, Any]:
    node: Any = unit.blueprint.data
    for part in path:
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return node if isinstance(node, Mapping) else {}


#: Every unit rule, in the order they report.
UNIT_RULES: tuple[UnitRule, ...] = (
    port_problems,
    service_problems,
    probe_problems,
    pre_stop_problems,
    container_problems,
    volumes.storage_problems,
    volumes.mount_problems,
    volumes.backup_problems,
    ingress_problems,
    monitoring_problems,
    environment.env_boolean_problems,
    environment.env_twice_problems,
    environment.env_secret_value_problems,
    environment.env_reference_problems,
    *scaling.UNIT_RULES,
    inherited_limit_problems,
)
