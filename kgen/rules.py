"""Rules a JSON Schema cannot express, for one valid blueprint with its defaults filled in.

Each rule yields ``Problem`` values at the blueprint field to change. ``validate`` decides
where they apply from the kind's schema annotations, never from the kind's name.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kgen.formats import cpu_millis, memory_bytes
from kgen.helpers import (
    MANAGED_SERVICE_ANNOTATIONS,
    RESERVED_LABELS,
    RESERVED_VOLUME,
    workload_unit,
)
from kgen.model import Blueprint, JsonPath, Problem, format_path
from kgen.suggest import did_you_mean, one_of
from kgen.yamlio import written_text

Unit = Mapping[str, Any]
EXPOSED_TYPES = ("NodePort", "LoadBalancer")


#: Annotations that tools act on: kustomize drops or rewrites objects that carry them.
TOOL_ANNOTATION_PREFIXES = (
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "kustomize.config.k8s.io/",
    "kubectl.kubernetes.io/last-applied-configuration",
)


def _tool_annotation_problems(
    blueprint: Blueprint, path: JsonPath, annotations: Unit
) -> Iterator[Problem]:
    for key in annotations:
        if key.startswith(TOOL_ANNOTATION_PREFIXES):
            yield _key_problem(
                blueprint,
                (*path, key),
                "kustomize and kubectl act on this annotation: the folder would no longer "
                "give the same objects as the stream",
                "remove it",
            )


def _problem(
    blueprint: Blueprint, where: JsonPath, message: str, hint: str | None = None
) -> Problem:
    """A problem at the value of ``where`` (or its nearest written ancestor)."""
    return Problem(blueprint.source.value_pos(where), where, message, hint)


def _key_problem(
    blueprint: Blueprint, where: JsonPath, message: str, hint: str | None = None
) -> Problem:
    """A problem at the key that introduces ``where``: the field itself is unwanted."""
    return Problem(blueprint.source.key_pos(where), where, message, hint)


def metadata_problems(blueprint: Blueprint) -> Iterator[Problem]:
    yield from _tool_annotation_problems(
        blueprint, ("metadata", "annotations"), blueprint.data["metadata"].get("annotations", {})
    )
    for key in blueprint.data["metadata"].get("labels", {}):
        if key in RESERVED_LABELS:
            yield _key_problem(
                blueprint,
                ("metadata", "labels", key),
                "kgen manages the app.kubernetes.io/name, instance, version, component and "
                "managed-by labels",
                "remove it; app.kubernetes.io/part-of is yours to set",
            )


def unique_problems(
    blueprint: Blueprint, path: JsonPath, items: Any, fields: Sequence[str]
) -> Iterator[Problem]:
    """Items of a list that repeat the values of ``fields`` (schema: ``x-kgen-unique``)."""
    seen: dict[tuple[Any, ...], int] = {}
    for index, item in enumerate(items if isinstance(items, list) else ()):
        key = tuple(_normal(item.get(f)) for f in fields)
        if None in key:
            continue
        if key in seen:
            where = (*path, index, fields[0])
            shown = ", ".join(f"{f} {v!r}" for f, v in zip(fields, key, strict=True))
            yield _problem(
                blueprint,
                where,
                f"{shown} is used twice (first at {format_path((*path, seen[key]))})",
            )
        else:
            seen[key] = index


def _normal(value: Any) -> Any:
    """Absolute paths compare normalised: /data, /data/, //data and /x/../data are one."""
    if isinstance(value, str) and value.startswith("/"):
        return "/" + posixpath.normpath(value).lstrip("/")
    return value


def at(blueprint: Blueprint, path: JsonPath) -> Unit:
    """The mapping at ``path`` of a blueprint, or an empty one."""
    node: Any = blueprint.data
    for part in path:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return {}
    return node if isinstance(node, Mapping) else {}


def workload_problems(
    blueprint: Blueprint, path: JsonPath, unit: Unit, written: Unit
) -> Iterator[Problem]:
    """Rules for one pod template's fields: ports, Service, probes and volumes. ``unit`` has
    the defaults filled in, ``written`` is what the user wrote."""
    yield from _port_problems(blueprint, path, unit)
    yield from _service_problems(blueprint, path, unit, written)
    yield from _probe_problems(blueprint, path, unit)
    yield from _storage_problems(blueprint, path, unit)
    yield from _env_problems(blueprint, path, unit)
    if path[:2] == ("spec", "processes"):  # a Monolith process inherits env and resources
        effective = workload_unit(blueprint.data["metadata"], blueprint.data["spec"], str(path[2]))
        yield from _inherited_limit_problems(blueprint, path, unit, effective)
        yield from _reference_problems(blueprint, path, unit, effective, inherits=True)
    else:
        yield from _reference_problems(blueprint, path, unit, unit, inherits=False)


_REFERENCE = re.compile(r"\$\$|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)")


def _reference_problems(
    blueprint: Blueprint, path: JsonPath, unit: Unit, effective: Unit, *, inherits: bool
) -> Iterator[Problem]:
    """Kubernetes expands $(NAME) in env values only for variables listed before: anything
    else stays literal text, silently. ``$$(NAME)`` is the escape for literal text."""
    env = effective.get("env", {})
    own = unit.get("env", {})
    defined: set[str] = set()
    for name, value in env.items():
        for match in _REFERENCE.finditer(value if isinstance(value, str) else ""):
            ref = match.group(1)
            if ref is None or ref in defined:
                continue
            where = (*path, "env", name) if name in own or not inherits else ("spec", "env", name)
            later = ref in env
            yield _problem(
                blueprint,
                where,
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


def _inherited_limit_problems(
    blueprint: Blueprint, path: JsonPath, unit: Unit, effective: Unit
) -> Iterator[Problem]:
    """A Monolith process takes unset resources from spec.resources: check what it gets."""
    own = unit.get("resources", {})
    shared = blueprint.data["spec"].get("resources", {})
    resources = effective["resources"]
    for name, parse in (("cpu", cpu_millis), ("memory", memory_bytes)):
        limit = resources.get("limits", {}).get(name)
        if limit is None or name not in resources:
            continue
        limit_is_own = name in own.get("limits", {})
        request_is_own = name in own
        if limit_is_own == request_is_own and (limit_is_own or name in shared):
            continue  # both from one place: limit_problems reports it there
        if parse(limit) < parse(resources[name]):
            where = (*path, "resources")  # or the nearest field written above it
            origin = (*path, "resources") if limit_is_own else ("spec", "resources")
            request_origin = (*path, "resources") if request_is_own else ("spec", "resources")
            yield Problem(
                blueprint.source.value_pos(where),
                (*path, "resources"),
                f"the process would get the {name} limit {limit!r} "
                f"(from {format_path((*origin, 'limits', name))}) below its request "
                f"{resources[name]!r} (from {format_path((*request_origin, name))})",
                f"set {format_path((*path, 'resources', name))} and "
                f"{format_path((*path, 'resources', 'limits', name))} together",
            )


def _env_problems(blueprint: Blueprint, path: JsonPath, unit: Unit) -> Iterator[Problem]:
    """Environment values are strings: a YAML 1.1 boolean (on, yes, no) would silently
    become 'true' or 'false'."""
    for name in unit.get("env", {}):
        where = (*path, "env", name)
        written = blueprint.source.yaml11_boolean(where)
        if written is not None:
            yield _problem(
                blueprint,
                where,
                f"YAML reads {written} as a boolean, so the variable would be "
                f"{str(unit['env'][name]).lower()!r}",
                f"quote it to keep the text: '{written}'; or write true or false",
            )


def tcp_ports(unit: Unit) -> list[Mapping[str, Any]]:
    return [port for port in unit.get("ports", []) if port.get("protocol", "TCP") == "TCP"]


def _port_problems(blueprint: Blueprint, path: JsonPath, unit: Unit) -> Iterator[Problem]:
    service_type = unit.get("service", {}).get("type", "ClusterIP")
    seen: dict[tuple[int, str], int] = {}
    for index, port in enumerate(unit.get("ports", [])):
        if "nodePort" in port and service_type not in EXPOSED_TYPES:
            where = (*path, "ports", index, "nodePort")
            yield _problem(
                blueprint,
                where,
                f"nodePort needs service type NodePort or LoadBalancer, not {service_type}",
                f"set {format_path((*path, 'service', 'type'))}: NodePort, or drop nodePort",
            )
        exposed = (port.get("servicePort", port["port"]), port.get("protocol", "TCP"))
        if exposed in seen:
            where = (*path, "ports", index, "servicePort" if "servicePort" in port else "port")
            first = format_path((*path, "ports", seen[exposed]))
            yield _problem(
                blueprint,
                where,
                f"the Service would expose {exposed[1]} port {exposed[0]} twice (also {first})",
                "give one of them another servicePort",
            )
        seen.setdefault(exposed, index)


def _service_problems(
    blueprint: Blueprint, path: JsonPath, unit: Unit, written: Unit
) -> Iterator[Problem]:
    service = unit.get("service", {})
    service_type = service.get("type", "ClusterIP")
    if service.get("internal") and service_type != "LoadBalancer":
        where = (*path, "service", "internal")
        yield _problem(
            blueprint,
            where,
            f"internal applies to a LoadBalancer, not to {service_type}",
            "remove it, or set type: LoadBalancer",
        )
    if not unit.get("ports") and written.get("service"):
        yield _key_problem(
            blueprint,
            (*path, "service"),
            "a Service needs ports, and there are none",
            f"add {format_path((*path, 'ports'))}, or remove the service settings",
        )
    yield from _tool_annotation_problems(
        blueprint, (*path, "service", "annotations"), service.get("annotations", {})
    )
    for key in service.get("annotations", {}):
        if key in MANAGED_SERVICE_ANNOTATIONS:
            yield _key_problem(
                blueprint,
                (*path, "service", "annotations", key),
                "kgen sets this annotation from service.type and service.internal",
                "remove it; set service.internal: true for an internal load balancer",
            )


def _probe_problems(blueprint: Blueprint, path: JsonPath, unit: Unit) -> Iterator[Problem]:
    ports: list[Mapping[str, Any]] = unit.get("ports", [])
    by_name = {port["name"]: port for port in ports}
    declared = {port["port"] for port in ports}
    tcp = tcp_ports(unit)
    tcp_numbers = {port["port"] for port in tcp}
    probes: Mapping[str, Any] = unit.get("probes", {})
    for probe_name, probe in probes.items():
        for action in ("http", "tcp", "grpc"):
            ref = probe.get(action, {}).get("port")
            where = (*path, "probes", probe_name, action, "port")
            if isinstance(ref, str) and ref not in by_name:
                known = (
                    f"ports named here: {', '.join(by_name)}" if by_name else "there are no ports"
                )
                yield _problem(
                    blueprint,
                    where,
                    f"no port named {ref!r}",
                    did_you_mean(ref, by_name) or known,
                )
                continue
            number = by_name[ref]["port"] if isinstance(ref, str) else ref
            if number is not None and number in declared and number not in tcp_numbers:
                yield _problem(
                    blueprint,
                    where,
                    f"port {ref!r} is not a TCP port; a {action} probe needs one",
                    "probe a TCP port, or use an exec probe",
                )
    if not tcp:
        missing = [name for name in ("liveness", "readiness") if name not in probes]
        if missing:
            yield Problem(
                blueprint.source.value_pos(path),
                (*path, "probes"),
                "no TCP port, so kgen cannot probe by default: set "
                + one_of(missing).replace(" or ", " and "),
                "for a worker, e.g. probes: {liveness: {exec: [cat, /tmp/healthy]}, "
                "readiness: {exec: [cat, /tmp/healthy]}}",
            )


def _storage_problems(blueprint: Blueprint, path: JsonPath, unit: Unit) -> Iterator[Problem]:
    for index, volume in enumerate(unit.get("storage", [])):
        if volume["name"] == RESERVED_VOLUME["name"]:
            where = (*path, "storage", index, "name")
            yield _problem(
                blueprint,
                where,
                f"the volume name {volume['name']!r} is kgen's scratch volume",
                "choose another name",
            )
        if _normal(volume["mountPath"]) in ("/", RESERVED_VOLUME["mountPath"]):
            where = (*path, "storage", index, "mountPath")
            yield _problem(
                blueprint,
                where,
                f"a volume cannot be mounted at {volume['mountPath']!r}: "
                f"{RESERVED_VOLUME['mountPath']} is kgen's writable scratch space and / the "
                "image's root",
                "mount it at a folder of its own, e.g. /data",
            )


_PLAIN_INTEGER = re.compile(r"[-+]?(0|[1-9][0-9]*)", re.ASCII)


def number_problems(
    blueprint: Blueprint, path: JsonPath, schema: Unit, value: Any
) -> Iterator[Problem]:
    """YAML 1.1 reads 010 as 8, 0x10 as 16 and 1:00 as 60: in a number field, only plain
    digits say what they mean to every reader."""
    written = written_text(value)
    types = schema.get("type", [])
    if written is None or not isinstance(value, int) or _PLAIN_INTEGER.fullmatch(written):
        return
    if "string" in (types if isinstance(types, list) else [types]):
        return  # kept as written, e.g. an env value
    yield _problem(
        blueprint,
        path,
        f"YAML reads {written} as the number {int(value)}",
        f"write {int(value)} if that is meant; other tools may read {written} otherwise",
    )


def limit_problems(blueprint: Blueprint, path: JsonPath, resources: Unit) -> Iterator[Problem]:
    limits = resources.get("limits", {})
    for name, parse in (("cpu", cpu_millis), ("memory", memory_bytes)):
        if name in resources and name in limits and parse(limits[name]) < parse(resources[name]):
            where = (*path, "limits", name)
            request_at = blueprint.source.value_pos((*path, name))
            yield _problem(
                blueprint,
                where,
                f"limit {limits[name]!r} is below the request {resources[name]!r} "
                f"(at line {request_at.line})",
                f"raise the limit or lower {format_path((*path, name))}",
            )
