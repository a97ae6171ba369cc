"""Unit rules: what the settings of one pod template must agree on (ports, Service, probes,
volumes, environment variables, resources), run on every workload unit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kgen.formats import cpu_millis, memory_bytes
from kgen.helpers import RESERVED_VOLUME, VOLUME_PREFIX
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
    if not tcp_ports(unit):
        yield key_problem(
            blueprint,
            where,
            "an Ingress sends HTTP to a TCP port of the app, and it has none",
            f"add {format_path(unit.written_at('ports'))}",
        )
    elif ref is not None and (ref not in ports or ports[ref].get("protocol", "TCP") != "TCP"):
        known = ", ".join(p["name"] for p in tcp_ports(unit))
        yield problem(
            blueprint,
            (*where, "port"),
            f"{ref!r} is not a TCP port of the app",
            did_you_mean(str(ref), [p["name"] for p in tcp_ports(unit)]) or f"TCP ports: {known}",
        )
    if unit.get("ports") and unit.get("service", {}).get("type") == "None":
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
        name = volume["name"]
        if name == RESERVED_VOLUME["name"] or name.startswith(VOLUME_PREFIX):
            yield problem(
                unit.blueprint,
                (*where, index, "name"),
                f"the volume name {name!r} is kgen's: 'tmp' and names starting with "
                f"{VOLUME_PREFIX!r} name the volumes kgen adds",
                "choose another name",
            )


def _mounts(unit: Unit) -> Iterator[tuple[str, JsonPath]]:
    """Every path something is mounted at in the unit's container, with where it was
    written (kgen's own /tmp first, at the unit)."""
    for index, volume in enumerate(unit.get("storage", [])):
        yield volume["mountPath"], (*unit.written_at("storage"), index, "mountPath")
    for path in unit.get("configFiles", {}):
        yield path, (*unit.written_at("configFiles"), path)
    for index, secret in enumerate(unit.get("secrets", [])):
        if "mountPath" in secret:
            yield secret["mountPath"], (*unit.written_at("secrets"), index, "mountPath")
    for index, path in enumerate(unit.get("writablePaths", [])):
        yield path, (*unit.written_at("writablePaths"), index)


def mount_problems(unit: Unit) -> Iterator[Problem]:
    """Two things mounted at one path, or something mounted over / or kgen's /tmp."""
    taken: dict[str, JsonPath] = {}
    for path, where in _mounts(unit):
        place = normal(path)
        at_key = where[-2] == "configFiles" if len(where) > 1 else False
        report = key_problem if at_key else problem
        if place == "/":
            yield report(
                unit.blueprint,
                where,
                "nothing can be mounted at '/': it is the image's root",
                "mount it at a folder of its own, e.g. /data",
            )
        elif place == RESERVED_VOLUME["mountPath"]:
            yield report(
                unit.blueprint,
                where,
                f"{path!r} is kgen's writable scratch space, which every pod gets already",
                "mount it at a folder of its own, e.g. /data; /tmp is writable as it is",
            )
        elif place in taken:
            yield report(
                unit.blueprint,
                where,
                f"{path!r} is mounted twice (also by {format_path(taken[place])})",
                "give each volume, file and secret a path of its own",
            )
        else:
            taken[place] = where


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


def _secret_variables(unit: Unit) -> Iterator[tuple[str, JsonPath]]:
    """The environment variables the unit's secrets set, with where each is written."""
    for index, secret in enumerate(unit.get("secrets", [])):
        for name in secret.get("env", {}):
            yield name, (*unit.written_at("secrets"), index, "env", name)


def env_twice_problems(unit: Unit) -> Iterator[Problem]:
    """A variable set by two secrets, or by a secret and by env: one would silently win."""
    taken: dict[str, JsonPath] = {}
    for name, where in _secret_variables(unit):
        if name in taken:
            yield key_problem(
                unit.blueprint,
                where,
                f"{name} is set twice (also by {format_path(taken[name])})",
                "set each variable once",
            )
        taken.setdefault(name, where)
    for name in unit.get("env", {}):
        if name in taken:
            yield key_problem(
                unit.blueprint,
                _variable_at(unit, name),
                f"{name} is set by env and by {format_path(taken[name])}",
                "set each variable once: from the secret, or as a plain value",
            )


#: Names that say a variable holds a secret: *PASSWORD*, *TOKEN*, *SECRET*, *_KEY.
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|TOKEN|SECRET|_KEY\Z", re.IGNORECASE)


def env_secret_value_problems(unit: Unit) -> Iterator[Problem]:
    """A literal value under a name such as DB_PASSWORD or API_KEY is a secret in the
    repository: refused, with the form that fetches it from a store instead."""
    for name, value in unit.get("env", {}).items():
        if not _SECRET_NAME.search(name) or not isinstance(value, str) or not value:
            continue
        if _REFERENCE.fullmatch(value):
            continue  # $(OTHER): a reference, not a value
        yield problem(
            unit.blueprint,
            _variable_at(unit, name),
            f"{name} looks like a secret, and its value is written in the blueprint",
            f"keep it in a secret store and write: secrets: [{{name: <name>, store: <store>, "
            f"key: <key in the store>, env: {{{name}: <property>}}}}]; if it is no secret, "
            "give the variable a name that does not say so",
        )


def env_reference_problems(unit: Unit) -> Iterator[Problem]:
    """Kubernetes expands $(NAME) in env values only for variables listed before: anything
    else stays literal text, silently. ``$$(NAME)`` is the escape for literal text. The
    variables from secrets come first."""
    env = unit.get("env", {})
    defined: set[str] = {name for name, _ in _secret_variables(unit)}
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
    mount_problems,
    ingress_problems,
    env_boolean_problems,
    env_twice_problems,
    env_secret_value_problems,
    env_reference_problems,
    inherited_limit_problems,
)
