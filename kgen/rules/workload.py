"""Unit rules: what the settings of one pod template must agree on (ports, Service, probes,
volumes, environment variables, resources), run on every workload unit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kgen.formats import cpu_millis, memory_bytes
from kgen.helpers import RESERVED_VOLUME
from kgen.model import JsonPath, Problem, format_path
from kgen.rules.common import key_problem, normal, problem
from kgen.suggest import did_you_mean, one_of
from kgen.units import Unit

UnitRule = Callable[[Unit], Iterator[Problem]]
EXPOSED_TYPES = ("NodePort", "LoadBalancer")


def _variable_at(unit: Unit, name: str) -> JsonPath:
    """Where an environment variable of the unit was written: its own env, or the one it
    inherits."""
    if name in unit.own.get("env", {}) or unit.inherited_from is None:
        return (*unit.path, "env", name)
    return (*unit.inherited_from, "env", name)


def port_problems(unit: Unit) -> Iterator[Problem]:
    service_type = unit.get("service", {}).get("type", "ClusterIP")
    seen: dict[tuple[int, str], int] = {}
    ports = unit.written_at("ports")
    for index, port in enumerate(unit.get("ports", [])):
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
    if not unit.get("ports") and unit.written.get("service"):
        yield key_problem(
            unit.blueprint,
            where,
            "a Service needs ports, and there are none",
            f"add {format_path(unit.written_at('ports'))}, or remove the service settings",
        )


def tcp_ports(unit: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [port for port in unit.get("ports", []) if port.get("protocol", "TCP") == "TCP"]


def probe_problems(unit: Unit) -> Iterator[Problem]:
    ports: list[Mapping[str, Any]] = unit.get("ports", [])
    by_name = {port["name"]: port for port in ports}
    declared = {port["port"] for port in ports}
    tcp = tcp_ports(unit)
    tcp_numbers = {port["port"] for port in tcp}
    probes: Mapping[str, Any] = unit.get("probes", {})
    where = unit.written_at("probes")
    for probe_name, probe in probes.items():
        for action in ("http", "tcp", "grpc"):
            ref = probe.get(action, {}).get("port")
            at = (*where, probe_name, action, "port")
            if isinstance(ref, str) and ref not in by_name:
                known = (
                    f"ports named here: {', '.join(by_name)}" if by_name else "there are no ports"
                )
                yield problem(
                    unit.blueprint,
                    at,
                    f"no port named {ref!r}",
                    did_you_mean(ref, by_name) or known,
                )
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
                unit.blueprint.source.value_pos(unit.path),
                where,
                "no TCP port, so kgen cannot probe by default: set "
                + one_of(missing).replace(" or ", " and "),
                "for a worker, e.g. probes: {liveness: {exec: [cat, /tmp/healthy]}, "
                "readiness: {exec: [cat, /tmp/healthy]}}",
            )


def storage_problems(unit: Unit) -> Iterator[Problem]:
    where = unit.written_at("storage")
    for index, volume in enumerate(unit.get("storage", [])):
        if volume["name"] == RESERVED_VOLUME["name"]:
            yield problem(
                unit.blueprint,
                (*where, index, "name"),
                f"the volume name {volume['name']!r} is kgen's scratch volume",
                "choose another name",
            )
        if normal(volume["mountPath"]) in ("/", RESERVED_VOLUME["mountPath"]):
            yield problem(
                unit.blueprint,
                (*where, index, "mountPath"),
                f"a volume cannot be mounted at {volume['mountPath']!r}: "
                f"{RESERVED_VOLUME['mountPath']} is kgen's writable scratch space and / the "
                "image's root",
                "mount it at a folder of its own, e.g. /data",
            )


def env_boolean_problems(unit: Unit) -> Iterator[Problem]:
    """Environment values are strings: a YAML 1.1 boolean (on, yes, no) would silently
    become 'true' or 'false'."""
    for name, value in unit.get("env", {}).items():
        where = _variable_at(unit, name)
        written = unit.blueprint.source.yaml11_boolean(where)
        if written is not None:
            yield problem(
                unit.blueprint,
                where,
                f"YAML reads {written} as a boolean, so the variable would be "
                f"{str(value).lower()!r}",
                f"quote it to keep the text: '{written}'; or write true or false",
            )


_REFERENCE = re.compile(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")


def env_reference_problems(unit: Unit) -> Iterator[Problem]:
    """Kubernetes expands $(NAME) in env values only for variables listed before: anything
    else stays literal text, silently. ``$$(NAME)`` is the escape for literal text."""
    env = unit.get("env", {})
    defined: set[str] = set()
    for name, value in env.items():
        for match in _REFERENCE.finditer(value if isinstance(value, str) else ""):
            ref = match.group(1)
            if ref is None or ref in defined:
                continue
            later = ref in env
            yield problem(
                unit.blueprint,
                _variable_at(unit, name),
                f"$({ref}) refers to "
                + ("a variable that comes later" if later else "no variable of this container")
                + ", so Kubernetes would leave it as text",
                (
                    "move it before this one; a shared variable cannot use a process's own"
                    if later
                    else f"define {ref} in env, or write $$({ref}) for the literal text"
                ),
            )
        defined.add(name)


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
    storage_problems,
    env_boolean_problems,
    env_reference_problems,
    inherited_limit_problems,
)
