"""Stage 2: check blueprints against their kind's JSON Schema, fill in defaults, derive their
workload units, and run the checks a schema cannot express within a blueprint (and the one
that needs no more than identities: a blueprint declared twice).

Checks yield ``Problem`` values; nothing here raises for bad input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kgen import rules
from kgen.budget import OutputBudget
from kgen.errors import InvalidInput
from kgen.formats import format_message
from kgen.model import Blueprint, JsonPath, Problem, format_path
from kgen.record import dataclass, replace
from kgen.schema import document_schema, fast_validator, subschema, validator, walk, with_defaults
from kgen.suggest import did_you_mean, one_of, shown
from kgen.units import Unit, derive_units

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


@dataclass(frozen=True)
class Checked:
    """What validating one blueprint found: the blueprint with its defaults filled in and
    its workload units (None and () when it is invalid), and its problems."""

    filled: Blueprint | None
    units: tuple[Unit, ...]
    problems: tuple[Problem, ...]


#: Results per blueprint object, for one run: a blueprint that an environment leaves as it
#: is (the same object) is checked once, not once per environment.
Memo = dict[int, tuple[Blueprint, Checked]]


def validate_blueprints(
    blueprints: Sequence[Blueprint], *, memo: Memo | None = None
) -> tuple[list[Checked], list[Problem]]:
    """The valid blueprints (defaults filled in, units derived) and every problem found."""
    valid: list[Checked] = []
    problems: list[Problem] = list(set_problems(blueprints))
    duplicates = {id(b) for b, _ in _repeated(blueprints)}
    for blueprint in blueprints:
        checked = check_blueprint(blueprint, memo)
        problems.extend(checked.problems)
        if checked.filled is not None and id(blueprint) not in duplicates:
            valid.append(checked)
    return valid, problems


def check_blueprint(blueprint: Blueprint, memo: Memo | None = None) -> Checked:
    """Schema and rule problems of one blueprint (remembered in ``memo``)."""
    if memo is not None and id(blueprint) in memo:
        return memo[id(blueprint)][1]
    checked = Checked(None, (), tuple(schema_problems(blueprint)))
    if not checked.problems:
        filled = replace(blueprint, data=with_defaults(blueprint.kind, blueprint.data))
        units = derive_units(filled, blueprint)
        try:  # rules run over what units repeat: bounded like the output they render
            OutputBudget().spend_units(filled, units)
            found = _first_problems(filled, semantic_problems(filled, units))
        except InvalidInput as too_large:
            found = tuple(too_large.problems)
        checked = Checked(None, (), found) if found else Checked(filled, units, ())
    if memo is not None:
        memo[id(blueprint)] = (blueprint, checked)  # the blueprint keeps its id taken
    return checked


#: The rule problems kgen reports of one blueprint before it stops checking it: a shared
#: value with thousands of mistakes, repeated into hundreds of processes, is one fix.
MAX_PROBLEMS = 100


def _first_problems(blueprint: Blueprint, problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """The distinct problems, up to ``MAX_PROBLEMS``, then a note that there may be more."""
    kept: dict[Problem, None] = {}
    for found in problems:
        kept[found] = None
        if len(kept) == MAX_PROBLEMS:
            kept[
                Problem(
                    blueprint.source.value_pos(("metadata", "name")),
                    ("metadata", "name"),
                    f"kgen stopped checking {blueprint.ref} after {MAX_PROBLEMS} problems",
                    "fix these and run again",
                )
            ] = None
            break
    return tuple(kept)


# --- JSON Schema -------------------------------------------------------------------------


def schema_problems(blueprint: Blueprint) -> Iterator[Problem]:
    """Every schema violation of one blueprint, as problems at the offending node."""
    fast = fast_validator(blueprint.kind)
    if fast is not None and fast(blueprint.data):
        return  # valid: no walk through the plain validator, no messages to make
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
            yield Problem(source.key_pos(field), field, "unknown field", hint)
    elif keyword == "required":
        for name in expected:
            if name not in instance:
                field = (*path, name)
                described = subschema(blueprint.kind, field) or {}
                yield Problem(
                    source.value_at(field)
                    or source.value_pos(path),  # an env's null, or the parent
                    field,
                    "required field is missing",
                    described.get("description"),
                )
    elif keyword == "format":
        message, fix = format_message(str(expected), instance)
        if _is_property_name(error):
            field = (*path, str(instance))
            yield Problem(source.key_pos(field), field, message, fix)
        else:
            yield Problem(source.value_pos(path), path, message, fix)
    elif keyword == "enum":
        described = subschema(blueprint.kind, path) or {}
        hint = did_you_mean(str(instance), [str(v) for v in expected]) or described.get(
            "description"
        )
        choices = one_of(str(v) for v in expected)
        yield Problem(
            source.value_pos(path),
            path,
            f"{instance!r} is not one of {choices}",
            hint,
        )
    elif keyword in ("maxProperties", "minProperties") and schema.get("properties"):
        yield _property_count_problem(blueprint, error, path)
    elif keyword in ("oneOf", "anyOf"):
        yield from _translate_choice(blueprint, error, path)
    elif keyword in ("minItems", "maxItems") and isinstance(instance, list) and expected > 1:
        yield _count_problem(blueprint, path, keyword, instance, expected)
    elif keyword == "uniqueItems" and isinstance(instance, list):
        yield from _repeated_items(blueprint, path, instance, error)
    elif keyword == "type":
        types = expected if isinstance(expected, list) else [expected]
        message = f"{shown(instance)} is not of type {one_of(types)}"
        yield Problem(source.value_pos(path), path, message, _type_hint(error))
    else:
        described = subschema(blueprint.kind, path) or {}
        yield Problem(source.value_pos(path), path, error.message, described.get("description"))


def _property_count_problem(
    blueprint: Blueprint, error: ValidationError, path: JsonPath
) -> Problem:
    """Too many or too few of an object's fields: with a bound of one, which ones."""
    schema: Any = error.schema
    names = list(schema["properties"])
    instance: Any = error.instance
    present = [name for name in names if name in instance]
    if error.validator == "maxProperties" and error.validator_value == 1:
        message = (
            f"set only one of {one_of(names)}, found {one_of(present).replace(' or ', ' and ')}"
        )
    elif error.validator == "minProperties" and error.validator_value == 1:
        message = f"set one of {one_of(names)}"
    else:
        message = error.message
    return Problem(blueprint.source.value_pos(path), path, message, schema.get("description"))


def _count_problem(
    blueprint: Blueprint, path: JsonPath, keyword: str, instance: list[Any], expected: int
) -> Problem:
    """Too few or too many entries, with the bound."""
    described = subschema(blueprint.kind, path) or {}
    bound = "needs at least" if keyword == "minItems" else "takes at most"
    return Problem(
        blueprint.source.value_pos(path),
        path,
        f"{len(instance):,} entries; kgen {bound} {expected:,} here",
        described.get("description"),
    )


def _repeated_items(
    blueprint: Blueprint, path: JsonPath, items: list[Any], error: ValidationError
) -> Iterator[Problem]:
    """Each entry of a list of unique items that repeats an earlier one, at its line."""
    first: dict[str, int] = {}
    found = False
    for index, item in enumerate(items):
        key = json.dumps(item, sort_keys=True, default=str)
        if key not in first:
            first[key] = index
            continue
        found = True
        yield Problem(
            blueprint.source.value_pos((*path, index)),
            (*path, index),
            f"{shown(item)} is listed twice (first at {format_path((*path, first[key]))})",
            "remove one of them",
        )
    if not found:  # equal to the schema, not to JSON text (1 and 1.0)
        yield Problem(blueprint.source.value_pos(path), path, error.message)


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
        needs = "exactly one of" if error.validator == "oneOf" else "at least one of"
        hint = (
            "keep one (an environment's block that changes it writes the spec's as null "
            f"beside its own, e.g. {present[0]}: null)"
            if len(present) > 1
            else None
        )
        yield Problem(
            blueprint.source.value_pos(path),
            path,
            f"needs {needs} {one_of(names)}, {found}",
            hint,
        )
        return
    # Pick the branch meant for this type of value and report what is wrong inside it.
    specific = [e for e in error.context or () if e.validator != "type"]
    if specific:
        branch = specific[0].relative_schema_path[0]  # every error of that branch
        for chosen in specific:
            if chosen.relative_schema_path[0] == branch:
                yield from _translate(blueprint, chosen)
        return
    types = [branch["type"] for branch in branches if isinstance(branch.get("type"), str)]
    described = subschema(blueprint.kind, path) or {}
    message = f"{shown(instance)} is not of type {one_of(types)}" if types else "is not valid here"
    yield Problem(
        blueprint.source.value_pos(path),
        path,
        message,
        _type_hint(error, types) or described.get("description"),
    )


def _type_hint(error: ValidationError, types: list[str] | None = None) -> str | None:
    value: Any = error.validator_value
    expected = types if types is not None else value if isinstance(value, list) else [value]
    instance = error.instance
    if "integer" in expected and isinstance(instance, float) and instance.is_integer():
        return f"write a whole number without a decimal point: {int(instance)}"
    if "string" in expected and isinstance(instance, bool):
        return "YAML reads yes/no/on/off/true/false as booleans; quote the value"
    if "string" in expected and isinstance(instance, int | float):
        return f"quote the value to keep it as written: '{shown(instance)}'"
    if "integer" in expected and isinstance(instance, str):
        if instance.strip().lstrip("+-").replace(".", "", 1).isdigit():
            return "write the number without quotes"
        return "write a whole number, e.g. 3"
    return None


# --- Checks within one blueprint ---------------------------------------------------------


def semantic_problems(blueprint: Blueprint, units: Iterable[Unit]) -> Iterator[Problem]:
    """Checks that JSON Schema cannot express: the field rules the kind's schema names at
    each node, then the unit rules on each workload unit. ``blueprint`` has its defaults
    filled in."""
    kind_schema: Any = document_schema(blueprint.kind)
    for path, schema, _, value in walk(kind_schema, kind_schema["$id"], blueprint.data):
        yield from rules.field_problems(blueprint, path, schema, value)
    for unit in units:
        yield from rules.unit_problems(unit)
    yield from rules.units_problems(list(units))


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
            ("metadata", "name"),
            f"{blueprint.ref} is declared twice (first at {where})",
            "rename one, or move it to another namespace"
            if blueprint.namespace is not None
            else "keep one: a set holds one Cluster",
        )
