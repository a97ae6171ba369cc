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


def _one_slip_apart(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter left out, added, changed or two swapped
    (``prd``, ``porod``, ``prdo`` for ``prod``). Digits are never taken for slips: ``eu1``
    and ``eu2`` are two environments, not a typo."""
    if (
        a == b
        or min(len(a), len(b)) < 3
        or any(c.isdigit() for c in a + b if c not in a or c not in b)
    ):
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        if len(diff) != 2:
            return False
        i, j = diff
        return j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = sorted((a, b), key=len)
    if len(long) - len(short) != 1:
        return False
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def environment_name_problems(blueprints: Sequence[Blueprint]) -> Iterator[Problem]:
    """An environment name one slip away from another declared name is a typo: its
    overrides would be silently left out of the environment they were meant for. The name
    fewer blueprints declare is the slip (the later one when as many do)."""
    users: dict[str, list[Blueprint]] = {}
    for blueprint in blueprints:
        environments = blueprint.data.get("environments")
        for name in environments if isinstance(environments, dict) else ():
            users.setdefault(str(name), []).append(blueprint)
    names = list(users)
    for name in names:
        for other in names:
            if not _one_slip_apart(name, other):
                continue
            if (len(users[name]), -names.index(name)) > (len(users[other]), -names.index(other)):
                continue  # ``other`` is the slip: reported when the loop reaches it
            for blueprint in users[name]:
                yield Problem(
                    blueprint.source.key_pos(("environments", name)),
                    ("environments", name),
                    f"environment {name!r} looks like a slip for {other!r}, which "
                    f"{len(users[other])} blueprint(s) declare: its overrides would never "
                    f"apply under --env {other}",
                    f"did you mean {other!r}?",
                )
            break


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
