"""Selecting an environment: its partial spec is merged onto ``spec`` (RFC 7386, with
lists of named items merged by name)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kgen.errors import UsageError
from kgen.model import Blueprint, JsonPath, Problem, SourcePos
from kgen.record import dataclass, replace
from kgen.suggest import did_you_mean
from kgen.yamlio import MAX_NODES

#: Distinct environment names in one run. Every environment is validated, so this bounds
#: the work of a run at that many times its input.
MAX_ENVIRONMENTS = 50


def environments_of(blueprint: Blueprint) -> list[str]:
    """The environments a blueprint declares, itself or through the defaults it inherits."""
    parts = [blueprint.data]
    if blueprint.inherited is not None:
        parts.extend(d.data for d in blueprint.inherited.chain)
    names: dict[str, None] = {}
    for part in parts:
        environments = part.get("environments")
        if isinstance(environments, dict):
            names.update((str(name), None) for name in environments)
    return list(names)


def declared_environments(blueprints: Iterable[Blueprint]) -> list[str]:
    names: set[str] = set()
    for blueprint in blueprints:
        names.update(environments_of(blueprint))
    return sorted(names)


def environment_count_problems(blueprints: Iterable[Blueprint]) -> Iterator[Problem]:
    """A problem at the first environment beyond what a run may validate: more than
    ``MAX_ENVIRONMENTS`` names, or more nodes than ``MAX_NODES`` once each blueprint is
    counted again for every environment it declares (each is validated as a whole)."""
    seen: set[str] = set()
    work = 0
    for blueprint in blueprints:
        work += blueprint.source.size
        for name in environments_of(blueprint):
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
    if a == b or min(len(a), len(b)) < 3:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if any(a[i].isdigit() or b[i].isdigit() for i in diff):
            return False  # eu1/eu2, eu12/eu21: numbered environments, not typos
        if len(diff) == 1:
            return True
        if len(diff) != 2:
            return False
        i, j = diff
        return j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long = sorted((a, b), key=len)
    if len(long) - len(short) != 1:
        return False
    return any(
        long[:i] + long[i + 1 :] == short and not long[i].isdigit() for i in range(len(long))
    )


def environment_name_problems(blueprints: Sequence[Blueprint]) -> Iterator[Problem]:
    """An environment name one slip away from another declared name is a typo: its
    overrides would be silently left out of the environment they were meant for. The name
    fewer blueprints declare is the slip (the later one when as many do)."""
    users: dict[str, list[Blueprint]] = {}
    for blueprint in blueprints:
        for name in environments_of(blueprint):
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


def environment_list_problems(blueprints: Sequence[Blueprint]) -> Iterator[Problem]:
    """What an environment block's named lists must say plainly: ``$patch`` is ``delete``
    (on an item with a name and nothing else) or ``replace`` (an item of its own); a name
    is written once a list; a deleted name is one the blueprint's list has. A slip in any
    would otherwise leave an item in the environment without a word."""
    for blueprint in blueprints:
        environments = blueprint.data.get("environments")
        for env, block in environments.items() if isinstance(environments, dict) else ():
            if isinstance(block, dict):
                spec = blueprint.data.get("spec")
                yield from list_problems(blueprint, spec, block, ("environments", str(env)))


def list_problems(
    blueprint: Blueprint, base: Any, patch: Any, at: JsonPath, *, merges_only: bool = False
) -> Iterator[Problem]:
    """What ``patch`` (written at ``at`` in ``blueprint``) says unclearly of the named lists
    it merges onto ``base``. With ``merges_only``, a list is checked only where it merges
    onto a named list or holds a ``$patch`` item (a list that replaces nothing is checked
    as the blueprint's own, later)."""
    if isinstance(patch, dict):
        for key, value in patch.items():
            below = base.get(key) if isinstance(base, dict) else None
            yield from list_problems(blueprint, below, value, (*at, key), merges_only=merges_only)
        return
    if not isinstance(patch, list):
        return
    directed = any(isinstance(i, dict) and DIRECTIVE in i for i in patch)
    if merges_only and not (_named(base) or directed):
        return
    names = (
        [str(i["name"]) for i in base if isinstance(i, dict) and "name" in i]
        if isinstance(base, list)
        else []
    )
    seen: dict[str, int] = {}
    for index, item in enumerate(patch):
        if not isinstance(item, dict):
            continue
        where = (*at, index)
        directive = item.get(DIRECTIVE)
        if DIRECTIVE in item and directive not in ("delete", "replace"):
            yield Problem(
                blueprint.source.value_pos((*where, DIRECTIVE)),
                (*where, DIRECTIVE),
                f"$patch is 'delete' (with a name) or 'replace' (alone), not {directive!r}",
                "write {name: x, $patch: delete} or an item {$patch: replace}",
            )
        elif directive == "replace" and set(item) != {DIRECTIVE}:
            yield Problem(
                blueprint.source.value_pos((*where, DIRECTIVE)),
                (*where, DIRECTIVE),
                "a {$patch: replace} item says what to do with the list and holds nothing else",
                "write it as an item of its own: - $patch: replace",
            )
        elif directive == "delete" and set(item) != {"name", DIRECTIVE}:
            extra = sorted(set(item) - {"name", DIRECTIVE})
            yield Problem(
                blueprint.source.value_pos((*where, DIRECTIVE)),
                (*where, DIRECTIVE),
                "an item to delete is named and nothing more"
                + (f": {', '.join(extra)} would be thrown away" if extra else ": it has no name"),
                "write {name: x, $patch: delete}",
            )
        elif directive == "delete" and str(item["name"]) not in names:
            name = str(item["name"])
            yield Problem(
                blueprint.source.value_pos((*where, "name")),
                (*where, "name"),
                f"{'the inherited' if merges_only else 'the blueprint' + chr(39) + 's'} list "
                f"has no item {name!r} to delete",
                did_you_mean(name, names) or f"its items: {', '.join(names) or 'none'}",
            )
        written = item.get("name")
        if isinstance(written, str):
            name = written
            if name in seen:
                yield Problem(
                    blueprint.source.value_pos((*where, "name")),
                    (*where, "name"),
                    f"{name!r} is item {seen[name]} of this list already: which one counts?",
                    "write each name once in a list that merges by name"
                    if merges_only
                    else "write each name once in an environment's list",
                )
            seen.setdefault(name, index)
            if directive != "delete":
                base_item = (
                    next((i for i in base if isinstance(i, dict) and i.get("name") == name), None)
                    if isinstance(base, list)
                    else None
                )
                for key, value in item.items():
                    below = base_item.get(key) if isinstance(base_item, dict) else None
                    yield from list_problems(
                        blueprint, below, value, (*where, key), merges_only=merges_only
                    )


def select_environment(
    blueprints: Sequence[Blueprint], env: str | None, listed: EnvironmentList | None = None
) -> list[Blueprint]:
    """Blueprints with ``environments[env]`` merged onto their spec.

    Blueprints that do not mention ``env`` render as they are (the same objects). Naming an
    environment that no blueprint declares is a usage error (it is almost always a typo);
    with the settings' list, naming one it does not list is (one it lists that no
    blueprint declares is the blueprints as written).
    """
    if env is None:
        return list(blueprints)
    if listed is not None:
        if env not in listed.names:
            raise UsageError(message=listed.refusal(env))
        return [_apply(blueprint, env) for blueprint in blueprints]
    declared = declared_environments(blueprints)
    if env not in declared:
        known = ", ".join(declared) or "none are declared"
        raise UsageError(message=f"--env {env!r}: no blueprint declares it ({known})")
    return [_apply(blueprint, env) for blueprint in blueprints]


def _apply(blueprint: Blueprint, env: str) -> Blueprint:
    """The blueprint under ``env``: the environment block merged onto ``spec``
    (``merge_environment``), without the ``environments`` map (validated once, as
    written), positions of merged values pointing where they were written. Blueprints that
    do not declare ``env`` come back as the same object."""
    environments = blueprint.data.get("environments")
    patch = environments.get(env) if isinstance(environments, dict) else None
    if blueprint.inherited is not None and blueprint.inherited.chain:
        from kgen.defaults import inherit

        inheritance = blueprint.inherited
        blocks = [d.data.get("environments") for d in inheritance.chain]
        if (isinstance(patch, dict) and patch) or any(
            isinstance(b, dict) and b.get(env) for b in blocks
        ):
            return inherit(inheritance.original, inheritance.chain, env)
        return blueprint
    if not isinstance(patch, dict) or not patch:  # nothing to change: the same blueprint
        return blueprint
    data = {key: value for key, value in blueprint.data.items() if key != "environments"}
    overlays: dict[JsonPath, tuple[JsonPath, ...]] = {("spec",): (("environments", env), ("spec",))}
    data["spec"] = merge_environment(
        blueprint.data.get("spec", {}), patch, ("spec",), ("environments", env), overlays
    )
    return replace(blueprint, data=data, source=blueprint.source.with_overlays(overlays))


#: The key of a list item that says what to do with the list (kubectl's strategic merge
#: patch spells it the same): ``{$patch: replace}`` replaces the whole list with the other
#: items, ``{name: x, $patch: delete}`` removes the item named x.
DIRECTIVE = "$patch"


def _named(items: Any) -> bool:
    """A non-empty list whose items all have a name: merged by name."""
    return (
        isinstance(items, list)
        and bool(items)
        and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items)
    )


def _is_directive(item: Any) -> bool:
    """``{$patch: replace}``. Any other use of ``$patch`` but ``delete`` on a named item is
    left in place, for the schema to refuse as an unknown field at its line."""
    return isinstance(item, dict) and item == {DIRECTIVE: "replace"}


def merge_environment(
    base: Any,
    patch: Any,
    at: JsonPath,
    written: JsonPath,
    overlays: dict[JsonPath, tuple[JsonPath, ...]],
    origin: JsonPath | None = None,
) -> Any:
    """An environment block merged onto a spec: maps merge and ``null`` deletes (RFC 7386);
    a list of named items (ports, secrets, storage, sidecars, ...) merges by ``name``:
    an item of a name the base has is merged onto it, a new name is added at the end, and
    ``$patch`` directives replace the whole list or delete an item; any other list
    replaces. ``at`` is where the merged value lands, ``written`` where the block wrote
    it; ``overlays`` gets where each merged list item came from. ``origin`` is where the
    base was written (``at`` unless said: a layer's path when the base is a document of
    its own, ``SourceMap.layers``)."""
    origin = at if origin is None else origin
    if isinstance(patch, dict):
        result = dict(base) if isinstance(base, dict) else {}
        for key, value in patch.items():
            if value is None:
                result.pop(key, None)
            else:
                result[key] = merge_environment(
                    result.get(key), value, (*at, key), (*written, key), overlays, (*origin, key)
                )
        return result
    items = patch if isinstance(patch, list) else []
    directed = [i for i in items if _is_directive(i)]
    rest = [(j, i) for j, i in enumerate(items) if not _is_directive(i)]
    if not isinstance(patch, list):
        return patch
    if not (_named([i for _, i in rest]) or (directed and not rest)):
        overlays[at] = (written,)  # replaced: nothing under it comes from the base
        return patch
    if directed or not _named(base):  # the whole list, as the block writes it
        overlays[at] = (written,)
        whole: list[Any] = []
        for j, item in rest:
            if item.get(DIRECTIVE) != "delete":
                overlays[(*at, len(whole))] = ((*written, j),)
                whole.append(item)
        return whole
    deleted = {i["name"] for _, i in rest if i.get(DIRECTIVE) == "delete"}
    kept = [(k, item) for k, item in enumerate(base) if item["name"] not in deleted]
    found = [item for _, item in kept]
    index = {item["name"]: n for n, item in enumerate(found)}
    #: Where the item at each index of ``found`` was first written.
    origin_of: list[JsonPath] = [(*origin, k) for k, _ in kept]
    for n, from_base in enumerate(origin_of):
        overlays[(*at, n)] = (from_base,)
    for j, item in rest:
        name = item["name"]
        if item.get(DIRECTIVE) == "delete":
            continue
        if name in index:  # a name of the base, or one this list wrote already (an error)
            n = index[name]
            found[n] = merge_environment(
                found[n], item, (*at, n), (*written, j), overlays, origin_of[n]
            )
            overlays[(*at, n)] = ((*written, j), origin_of[n])
        else:
            index[name] = len(found)
            overlays[(*at, len(found))] = ((*written, j),)
            origin_of.append((*written, j))
            found.append(item)
    return found


@dataclass(frozen=True)
class EnvironmentList:
    """The environments a project declares in its settings (``environments`` in
    kgen.toml), and the file that lists them."""

    names: tuple[str, ...]
    file: str

    def refusal(self, env: str) -> str:
        """Why ``--env env`` is refused: the list does not have it."""
        hint = did_you_mean(env, self.names)
        return (
            f"--env {env!r}: not one of the environments {self.file} lists "
            f"({', '.join(self.names)})" + (f"; {hint}" if hint else "")
        )


def run_environments(blueprints: Sequence[Blueprint], listed: EnvironmentList | None) -> list[str]:
    """The environments of this run, which --all-envs renders and validate checks: the
    settings' list, in its order, when there is one (a listed environment no blueprint
    declares is the blueprints as written); else every name a blueprint declares."""
    return list(listed.names) if listed is not None else declared_environments(blueprints)


def unlisted_environment_problems(
    blueprints: Sequence[Blueprint], listed: EnvironmentList
) -> Iterator[Problem]:
    """An environment a blueprint or a defaults file it inherits declares that the
    settings do not list, where it is written: a slip (``prd``) or one the repository has
    not agreed on, caught even in a set of one blueprint."""
    reported: set[tuple[SourcePos, str]] = set()
    for blueprint in blueprints:
        inherited = blueprint.inherited
        parts = [blueprint] if inherited is None else [inherited.original, *inherited.chain]
        for part, name in ((p, n) for p in parts for n in _environment_keys(p)):
            pos = part.source.key_pos(("environments", name))
            if str(name) in listed.names or (pos, str(name)) in reported:
                continue  # a defaults file's slip: once, not once per blueprint under it
            reported.add((pos, str(name)))
            yield Problem(
                pos,
                ("environments", name),
                f"environment {str(name)!r} is not one of the environments {listed.file} "
                f"lists ({', '.join(listed.names)}): its overrides would never be rendered",
                did_you_mean(str(name), listed.names)
                or f"add it to environments in {listed.file}, or use a listed one",
            )


def _environment_keys(part: Blueprint) -> list[Any]:
    """The keys of one document's own ``environments`` block (a blueprint's or a
    defaults file's)."""
    environments = part.data.get("environments")
    return list(environments) if isinstance(environments, dict) else []
