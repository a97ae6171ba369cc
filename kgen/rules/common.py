"""What the rules share: where a problem points, and how paths compare."""

from __future__ import annotations

import posixpath
from typing import Any

from kgen.model import Blueprint, JsonPath, Problem


def problem(
    blueprint: Blueprint, where: JsonPath, message: str, hint: str | None = None
) -> Problem:
    """A problem at the value of ``where`` (or its nearest written ancestor)."""
    return Problem(blueprint.source.value_pos(where), where, message, hint)


def key_problem(
    blueprint: Blueprint, where: JsonPath, message: str, hint: str | None = None
) -> Problem:
    """A problem at the key that introduces ``where``: the field itself is unwanted."""
    return Problem(blueprint.source.key_pos(where), where, message, hint)


def normal(value: Any) -> Any:
    """Absolute paths compare normalised: /data, /data/, //data and /x/../data are one."""
    if isinstance(value, str) and value.startswith("/"):
        return "/" + posixpath.normpath(value).lstrip("/")
    return value
