"""What one run may render, counted before the work is done, so that a small input cannot
ask for GiBs of output (or for rules that run over GiBs of repeated values)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kgen.errors import InvalidInput
from kgen.model import Blueprint, Problem
from kgen.units import Unit

#: What one run may render, in characters of blueprint values: a Monolith repeats its
#: shared settings into every process, a patch into every resource it matches, and each
#: environment renders again; the input limits alone would let a small file ask for GiBs.
MAX_OUTPUT = 64 * 1024 * 1024


class OutputBudget:
    """The characters one run may still render, counted before the work is done: the
    blueprint values each unit repeats, and each patch times the resources it matches."""

    def __init__(self, limit: int = MAX_OUTPUT) -> None:
        self.left = limit
        # id -> (the value, kept alive so that its id is not reused; its size)
        self._sizes: dict[int, tuple[Any, int]] = {}

    def size(self, value: Any) -> int:
        """About the characters ``value`` takes in the output (a shared value, once)."""
        if isinstance(value, str):
            return len(value) + 2
        if not isinstance(value, Mapping | list | tuple):
            return 8
        known = self._sizes.get(id(value))
        if known is not None:
            return known[1]
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        total = 2 + sum(self.size(k) + self.size(v) + 2 for k, v in items)
        self._sizes[id(value)] = (value, total)
        return total

    def spend_units(self, blueprint: Blueprint, units: Sequence[Unit]) -> None:
        """Count what rendering ``blueprint`` repeats: its values and each unit's settings."""
        amount = self.size(blueprint.data) + sum(self.size(unit.settings) for unit in units)
        self.spend(blueprint, amount, f"the values its {len(units)} workload(s) repeat")

    def spend(self, blueprint: Blueprint, amount: int, what: str) -> None:
        """Count ``amount``; ``InvalidInput`` at the blueprint once the run is over."""
        self.left -= amount
        if self.left < 0:
            self.left = -1
            raise InvalidInput(
                problems=[
                    Problem(
                        blueprint.source.value_pos(("metadata", "name")),
                        (),
                        f"the run would render more than {MAX_OUTPUT // 2**20} MiB: {what} "
                        f"take {amount:,} characters",
                        "keep large values (env, config files, patches) small: each is "
                        "repeated into every resource (and every environment) that uses it",
                        subject=blueprint.ref,
                    )
                ]
            )
