"""Rules a JSON Schema cannot express, each dispatched from data, never from a kind's name.

- **Field rules** run where a schema names them in ``x-kgen-rules`` (and ``x-kgen-unique``
  lists the fields whose values its items may not repeat). ``fields.py``.
- **Unit rules** run on every workload unit (``kgen.units``): what one pod template's
  settings must agree on. ``workload.py``.
- **Set rules** run on the set view of all valid blueprints (``kgen.assemble``).
  ``across.py``.

Every rule yields ``Problem`` values at the blueprint field to change; none raises.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kgen.model import Blueprint, JsonPath, Problem, format_path
from kgen.rules.common import key_problem
from kgen.rules.fields import FIELD_RULES, number_problems, unique_problems
from kgen.rules.workload import UNIT_RULES
from kgen.units import Unit


def field_problems(
    blueprint: Blueprint, path: JsonPath, schema: Mapping[str, Any], value: Any
) -> Iterator[Problem]:
    """The field rules the schema at ``path`` names, and the rule for numbers."""
    for fields in schema.get("x-kgen-unique", ()):
        yield from unique_problems(blueprint, path, value, fields)
    for name in schema.get("x-kgen-rules", ()):
        yield from FIELD_RULES[name](blueprint, path, value)
    yield from number_problems(blueprint, path, schema, value)


def unit_problems(unit: Unit) -> Iterator[Problem]:
    """Every unit rule on one workload unit."""
    for rule in UNIT_RULES:
        yield from rule(unit)


def units_problems(units: Sequence[Unit]) -> Iterator[Problem]:
    """What the units of one blueprint must agree on: a component name each, since it is
    in their pods' labels (a schedule named like a process would share its pods)."""
    taken: dict[str, Unit] = {}
    for unit in sorted(units, key=lambda u: u.blueprint.source.value_pos(u.path)):
        if unit.component is None:
            continue
        if unit.component in taken:
            first = taken[unit.component]
            where = (*unit.path, "name") if isinstance(unit.path[-1], int) else unit.path
            yield key_problem(
                unit.blueprint,
                where,
                f"{unit.component!r} names {format_path(first.path)} already: the pods of "
                "both would carry one component label",
                "give it another name",
            )
        taken.setdefault(unit.component, unit)
