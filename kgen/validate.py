"""Stage 2: check blueprints against their kind's JSON Schema, fill in defaults, and run the
checks a schema cannot express (within a blueprint, then across the whole set).

Checks yield ``Problem`` values; nothing here raises for bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from jsonschema.exceptions import ValidationError

from kgen.formats import cpu_millis, format_message, memory_bytes
from kgen.helpers import RESERVED_LABELS
from kgen.model import Blueprint, JsonPath, Problem, format_path
from kgen.schema import subschema, validator, walk, with_defaults
from kgen.suggest import did_you_mean, one_of, shown


def validate_blueprints(
    blueprints: Sequence[Blueprint],
) -> tuple[list[Blueprint], list[Problem]]:
    """Valid blueprints with defaults filled in, and every problem found."""
    valid: list[Blueprint] = []
    problems: list[Problem] = list(set_problems(blueprints))
    duplicates = {id(b) for b, _ in _repeated(blueprints)}
    for blueprint in blueprints:
        found = list(schema_problems(blueprint))
        if not found:
            filled = replace(blueprint, data=with_defaults(blueprint.kind, blueprint.data))
            found = list(semantic_problems(filled))
            if not found and id(blueprint) not in duplicates:
                valid.append(filled)
        problems.extend(found)
    return valid, problems


# --- JSON Schema -------------------------------------------------------------------------


def schema_problems(blueprint: Blueprint) -> Iterator[Problem]:
    """Every schema violation of one blueprint, as problems at the offending node."""
    for error in validator(blueprint.kind).iter_errors(blueprint.data):
        yield from _translate(blueprint, error)


def _translate(blueprint: Blueprint, error: ValidationError) -> Iterator[Problem]:
    path: JsonPath = tuple(error.absolute_path)
    source = blueprint.source
    keyword = error.validator
    instance: Any = error.instance
    expected: Any = error.validator_value
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if keyword in ("additionalProperties", "unevaluatedProperties"):
        known = sorted(schema.get("properties", {}))
        for key in sorted(set(instance) - set(known)):
            field = (*path, key)
            hint = did_you_mean(key, known) or (
                f"known fields here: {', '.join(known)}" if known else None
            )
            yield Problem(source.key_pos(field), format_path(field), "unknown field", hint)
    elif keyword == "required":
        for name in expected:
            if name not in instance:
                field = (*path, name)
                described = subschema(blueprint.kind, field) or {}
                yield Problem(
                    source.value_pos(path),
                    format_path(field),
                    "required field is missing",
                    described.get("description"),
                )
    elif keyword == "format":
        message, fix = format_message(str(expected), instance)
        if _is_property_name(error):
            field = (*path, str(instance))
            yield Problem(source.key_pos(field), format_path(field), message, fix)
        else:
            yield Problem(source.value_pos(path), format_path(path), message, fix)
    elif keyword == "enum":
        described = subschema(blueprint.kind, path) or {}
        hint = did_you_mean(str(instance), [str(v) for v in expected]) or described.get(
            "description"
        )
        choices = one_of(str(v) for v in expected)
        yield Problem(
            source.value_pos(path),
            format_path(path),
            f"{instance!r} is not one of {choices}",
            hint,
        )
    elif keyword in ("oneOf", "anyOf"):
        yield from _translate_choice(blueprint, error, path)
    elif keyword == "type":
        types = expected if isinstance(expected, list) else [expected]
        message = f"{shown(instance)} is not of type {one_of(types)}"
        yield Problem(source.value_pos(path), format_path(path), message, _type_hint(error))
    else:
        described = subschema(blueprint.kind, path) or {}
        yield Problem(
            source.value_pos(path), format_path(path), error.message, described.get("description")
        )


def _is_property_name(error: ValidationError) -> bool:
    return "propertyNames" in error.absolute_schema_path


def _translate_choice(
    blueprint: Blueprint, error: ValidationError, path: JsonPath
) -> Iterator[Problem]:
    branches: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    if not isinstance(instance, dict) and isinstance(schema, Mapping) and "type" in schema:
        return  # the value has the wrong type: that error is reported on its own
    if all(set(branch) == {"required"} for branch in branches):
        names = [name for branch in branches for name in branch["required"]]
        present = [name for name in names if name in instance]
        found = f"found {one_of(present).replace(' or ', ' and ')}" if present else "found none"
        yield Problem(
            blueprint.source.value_pos(path),
            format_path(path),
            f"needs exactly one of {one_of(names)}, {found}",
        )
        return
    # Pick the branch meant for this type of value and report what is wrong inside it.
    specific = [e for e in error.context or () if e.validator != "type"]
    if specific:
        yield from _translate(blueprint, specific[0])
        return
    yield Problem(blueprint.source.value_pos(path), format_path(path), error.message)


def _type_hint(error: ValidationError) -> str | None:
    value: Any = error.validator_value
    expected = value if isinstance(value, list) else [value]
    if "string" in expected and isinstance(error.instance, bool):
        return "YAML reads yes/no/on/off/true/false as booleans; quote the value"
    if "string" in expected and isinstance(error.instance, int | float):
        return f"quote the value to keep it as written: '{shown(error.instance)}'"
    if "integer" in expected and isinstance(error.instance, str):
        return "write a number without quotes"
    return None


# --- Checks within one blueprint ---------------------------------------------------------


def semantic_problems(blueprint: Blueprint) -> Iterator[Problem]:
    """Checks that JSON Schema cannot express, driven by ``x-kgen-*`` schema annotations."""
    for key in blueprint.data["metadata"].get("labels", {}):
        if key in RESERVED_LABELS:
            where = ("metadata", "labels", key)
            yield Problem(
                blueprint.source.key_pos(where),
                format_path(where),
                "kgen sets this label itself; selectors depend on it",
                "remove it; app.kubernetes.io/part-of is yours to set",
            )
    kind_schema: Any = validator(blueprint.kind).schema
    for path, schema, _, value in walk(kind_schema, kind_schema["$id"], blueprint.data):
        for fields in schema.get("x-kgen-unique", ()):
            yield from _unique(blueprint, path, value, fields)
        if schema.get("x-kgen-workload"):
            yield from _workload(blueprint, path, value)
        if "limits" in schema.get("properties", {}) and isinstance(value, dict):
            yield from _limits(blueprint, path, value)


def _unique(
    blueprint: Blueprint, path: JsonPath, items: Any, fields: Sequence[str]
) -> Iterator[Problem]:
    seen: dict[tuple[Any, ...], int] = {}
    for index, item in enumerate(items if isinstance(items, list) else ()):
        key = tuple(item.get(f) for f in fields)
        if None in key:
            continue
        if key in seen:
            where = (*path, index, fields[0])
            shown = ", ".join(f"{f} {v!r}" for f, v in zip(fields, key, strict=True))
            yield Problem(
                blueprint.source.value_pos(where),
                format_path(where),
                f"{shown} is used twice (first at {format_path((*path, seen[key]))})",
            )
        else:
            seen[key] = index


def _workload(blueprint: Blueprint, path: JsonPath, unit: Mapping[str, Any]) -> Iterator[Problem]:
    source = blueprint.source
    ports: list[Mapping[str, Any]] = unit.get("ports", [])
    names = [port["name"] for port in ports]
    service_type = unit.get("service", {}).get("type", "ClusterIP")
    seen_service_ports: dict[int, int] = {}
    for index, port in enumerate(ports):
        if "nodePort" in port and service_type not in ("NodePort", "LoadBalancer"):
            where = (*path, "ports", index, "nodePort")
            yield Problem(
                source.value_pos(where),
                format_path(where),
                f"nodePort needs service type NodePort or LoadBalancer, not {service_type}",
                f"set {format_path((*path, 'service', 'type'))}: NodePort, or drop nodePort",
            )
        service_port = port.get("servicePort", port["port"])
        if service_port in seen_service_ports:
            where = (*path, "ports", index, "servicePort" if "servicePort" in port else "port")
            first = format_path((*path, "ports", seen_service_ports[service_port]))
            yield Problem(
                source.value_pos(where),
                format_path(where),
                f"the Service would expose port {service_port} twice (also {first})",
                "give one of them another servicePort",
            )
        seen_service_ports.setdefault(service_port, index)
    probes: Mapping[str, Any] = unit.get("probes", {})
    for probe_name, probe in probes.items():
        for action in ("http", "tcp", "grpc"):
            ref = probe.get(action, {}).get("port")
            if isinstance(ref, str) and ref not in names:
                where = (*path, "probes", probe_name, action, "port")
                known = f"ports named here: {', '.join(names)}" if names else "no ports are named"
                yield Problem(
                    source.value_pos(where),
                    format_path(where),
                    f"no port named {ref!r}",
                    did_you_mean(ref, names) or known,
                )
    if not ports:
        missing = [name for name in ("liveness", "readiness") if name not in probes]
        if missing:
            yield Problem(
                source.value_pos(path),
                format_path((*path, "probes")),
                f"no ports, so kgen cannot probe by default: set {one_of(missing)}".replace(
                    " or ", " and "
                ),
                "for a worker, e.g. probes: {liveness: {exec: [cat, /tmp/healthy]}, "
                "readiness: {exec: [cat, /tmp/healthy]}}",
            )


def _limits(
    blueprint: Blueprint, path: JsonPath, resources: Mapping[str, Any]
) -> Iterator[Problem]:
    limits = resources.get("limits", {})
    for name, parse in (("cpu", cpu_millis), ("memory", memory_bytes)):
        if name in resources and name in limits and parse(limits[name]) < parse(resources[name]):
            where = (*path, "limits", name)
            yield Problem(
                blueprint.source.value_pos(where),
                format_path(where),
                f"limit {limits[name]!r} is below the request {resources[name]!r}",
                f"raise the limit or lower {format_path((*path, name))}",
            )


# --- Checks across the blueprint set -----------------------------------------------------


def _repeated(blueprints: Iterable[Blueprint]) -> Iterator[tuple[Blueprint, Blueprint]]:
    """Each blueprint whose kind, namespace and name an earlier one already has, with it."""
    first: dict[tuple[str, str | None, str], Blueprint] = {}
    for blueprint in blueprints:
        if not blueprint.name:
            continue
        key = (blueprint.kind, blueprint.namespace, blueprint.name)
        if key in first:
            yield blueprint, first[key]
        else:
            first[key] = blueprint


def set_problems(blueprints: Sequence[Blueprint]) -> Iterator[Problem]:
    """Checks that span blueprints: the same kind, namespace and name twice."""
    for blueprint, earlier in _repeated(blueprints):
        where = earlier.source.value_pos(("metadata", "name"))
        yield Problem(
            blueprint.source.value_pos(("metadata", "name")),
            "metadata.name",
            f"{blueprint.ref} is declared twice (first at {where})",
            "rename one, or move it to another namespace",
        )
