"""Selecting an environment: its partial spec is merged onto ``spec`` (RFC 7386)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from kgen.errors import UsageError
from kgen.helpers import merge_patch
from kgen.model import Blueprint, JsonPath, SourceMap

T = TypeVar("T")


def declared_environments(blueprints: Iterable[Blueprint]) -> list[str]:
    names: set[str] = set()
    for blueprint in blueprints:
        environments = blueprint.data.get("environments")
        if isinstance(environments, dict):
            names.update(str(name) for name in environments)
    return sorted(names)


def select_environment(blueprints: Sequence[Blueprint], env: str | None) -> list[Blueprint]:
    """Blueprints with ``environments[env]`` merged onto their spec.

    Blueprints that do not mention ``env`` render as they are. Naming an environment that
    no blueprint declares is a usage error (it is almost always a typo).
    """
    if env is None:
        return list(blueprints)
    declared = declared_environments(blueprints)
    if env not in declared:
        known = ", ".join(declared) or "none are declared"
        raise UsageError(message=f"--env {env!r}: no blueprint declares it ({known})")
    return [_apply(blueprint, env) for blueprint in blueprints]


def _apply(blueprint: Blueprint, env: str) -> Blueprint:
    environments = blueprint.data.get("environments")
    patch = environments.get(env) if isinstance(environments, dict) else None
    if not isinstance(patch, dict):
        return blueprint
    data = dict(blueprint.data)
    data["spec"] = merge_patch(data.get("spec", {}), patch)
    return replace(blueprint, data=data, source=_remap(blueprint.source, env))


def _remap(source: SourceMap, env: str) -> SourceMap:
    """Positions of patched values now point into the environment block."""
    prefix: JsonPath = ("environments", env)
    values = _rerooted(source.values, prefix)
    keys = _rerooted(source.keys, prefix)
    booleans = _rerooted(source.yaml11_booleans, prefix)
    return SourceMap(source.file, source.start, values, keys, booleans)


def _rerooted(table: Mapping[JsonPath, T], prefix: JsonPath) -> dict[JsonPath, T]:
    result = dict(table)
    for path, value in table.items():
        if path[: len(prefix)] == prefix and len(path) > len(prefix):
            result[("spec", *path[len(prefix) :])] = value
    return result
