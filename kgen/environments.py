"""Selecting an environment: its partial spec is merged onto ``spec`` (RFC 7386)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from kgen.errors import UsageError
from kgen.helpers import merge_patch
from kgen.model import Blueprint, Problem
from kgen.yamlio import MAX_NODES

#: Distinct environment names in one run. Every environment is validated, so this bounds
#: the work of a run at that many times its input.
MAX_ENVIRONMENTS = 50


def declared_environments(blueprints: Iterable[Blueprint]) -> list[str]:
    names: set[str] = set()
    for blueprint in blueprints:
        environments = blueprint.data.get("environments")
        if isinstance(environments, dict):
            names.update(str(name) for name in environments)
    return sorted(names)


def environment_count_problems(blueprints: Iterable[Blueprint]) -> Iterator[Problem]:
    """A problem at the first environment beyond what a run may validate: more than
    ``MAX_ENVIRONMENTS`` names, or more nodes than ``MAX_NODES`` once each blueprint is
    counted again for every environment it declares (each is validated as a whole)."""
    seen: set[str] = set()
    work = 0
    for blueprint in blueprints:
        environments = blueprint.data.get("environments")
        work += blueprint.source.size
        for name in environments if isinstance(environments, dict) else ():
            seen.add(str(name))
            work += blueprint.source.size
            if len(seen) > MAX_ENVIRONMENTS:
                message = f"more than {MAX_ENVIRONMENTS} environment names in one run"
            elif work > MAX_NODES:
                message = (
                    f"validating every environment would read more than {MAX_NODES:,} YAML "
                    f"nodes: each one counts the blueprint again ({blueprint.source.size:,} "
                    "nodes)"
                )
            else:
                continue
            yield Problem(
                blueprint.source.key_pos(("environments", name)),
                ("environments", name),
                message,
                "kgen validates every environment of every run; split the blueprints "
                "into several runs",
            )
            return


def select_environment(blueprints: Sequence[Blueprint], env: str | None) -> list[Blueprint]:
    """Blueprints with ``environments[env]`` merged onto their spec.

    Blueprints that do not mention ``env`` render as they are (the same objects). Naming an
    environment that no blueprint declares is a usage error (it is almost always a typo).
    """
    if env is None:
        return list(blueprints)
    declared = declared_environments(blueprints)
    if env not in declared:
        known = ", ".join(declared) or "none are declared"
        raise UsageError(message=f"--env {env!r}: no blueprint declares it ({known})")
    return [_apply(blueprint, env) for blueprint in blueprints]


def _apply(blueprint: Blueprint, env: str) -> Blueprint:
    """The blueprint under ``env``: the environment block merged onto ``spec``, without the
    ``environments`` map (validated once, as written), positions of patched values pointing
    into the block. Blueprints that do not declare ``env`` come back as the same object."""
    environments = blueprint.data.get("environments")
    patch = environments.get(env) if isinstance(environments, dict) else None
    if not isinstance(patch, dict) or not patch:  # nothing to change: the same blueprint
        return blueprint
    data = {key: value for key, value in blueprint.data.items() if key != "environments"}
    data["spec"] = merge_patch(blueprint.data.get("spec", {}), patch)
    source = blueprint.source.with_overlay(("spec",), ("environments", env))
    return replace(blueprint, data=data, source=source)
