"""Between mapping and output: make kgen accept each blueprint, then leave out what kgen
would default.

Settling renders each blueprint with every check of ``kgen render``; a value kgen refuses
(a patch its rules turn down, a field a rule refuses) is taken out again and the input it
came from is reported as left out, with kgen's own message. Minimising removes every
optional value whose removal leaves the rendered documents unchanged: byte-identical
output passes the same output checks, so those renders skip them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from kgen import lazyre
from kgen.api import render_text
from kgen.importer.account import Status, value_at
from kgen.importer.mappers.base import Build
from kgen.kinds import registry
from kgen.model import Document, JsonPath, Problem
from kgen.record import replace
from kgen.schema import subschema, walk
from kgen.yamlio import YamlError, dump_document, load_documents

#: Blueprint values that are never left out: what the blueprint is, and its image.
_KEEP: frozenset[JsonPath] = frozenset({
    ("apiVersion",), ("kind",), ("metadata",), ("metadata", "name"),
    ("metadata", "namespace"), ("spec",), ("spec", "image"),
})  # fmt: skip
#: Values whose default would widen what their object does (an Ingress without its path
#: routes every path of the host): the object goes with them.
_WHOLE: frozenset[JsonPath] = frozenset({("ingress", "path")})
#: Values that always show in the output: not worth a render each.
_VERBATIM = frozenset(
    {
        "env",
        "configFiles",
        "podAnnotations",
        "labels",
        "annotations",
        "patches",
        "command",
        "args",
        "exec",
        "httpHeaders",
    }
)
_ROUNDS = 20


def text_of(build: Build) -> str:
    """The blueprint as YAML, its spec in the order of the kind's schema."""
    order = list(registry()[build.blueprint["kind"]].schema["properties"]["spec"]["properties"])
    spec = build.blueprint.get("spec", {})
    ordered = {
        key: spec[key]
        for key in sorted(spec, key=lambda k: order.index(k) if k in order else len(order))
    }
    resources = ordered.get("resources")
    if isinstance(resources, dict):
        ordered["resources"] = {
            k: resources[k] for k in ("cpu", "memory", "limits") if k in resources
        }
    return dump_document({**build.blueprint, "spec": ordered})


def together(build: Build, builds: Sequence[Build]) -> str:
    """The one place that says which blueprints ``build`` renders with: the apps its
    ``dependsOn`` names (of the spec, a Monolith's processes and schedules), as a YAML
    stream to append to its own text. They are there as targets only: their own
    ``dependsOn`` is left out, so the set is never more than one step deep."""
    named = {
        (str(ref.get("namespace", build.namespace)), str(ref["app"]))
        if isinstance(ref, dict)
        else (build.namespace, str(ref))
        for node in _holders(build.blueprint)
        for ref in node.get("dependsOn", [])
    }
    texts = []
    for other in builds:
        if other is build or (other.namespace, other.app) not in named:
            continue
        blueprint = _copy(other.blueprint)
        for node in _holders(blueprint):
            node.pop("dependsOn", None)
        texts.append(f"---\n{dump_document(blueprint)}")
    return "".join(texts)


def _holders(blueprint: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The maps of a blueprint that may say ``dependsOn`` and ``egress``."""
    spec = blueprint.get("spec")
    if not isinstance(spec, dict):
        return
    yield spec
    processes = spec.get("processes")
    if isinstance(processes, dict):
        yield from (p for p in processes.values() if isinstance(p, dict))
    schedules = spec.get("schedules")
    if isinstance(schedules, list):
        yield from (s for s in schedules if isinstance(s, dict))


def _render(
    text: str, context: str, *, kube_version: str | None = None, check_output: bool = True
) -> tuple[list[Document], list[Problem]]:
    """Render ``text`` followed by the blueprints of ``context``: ``text`` comes first, so
    its positions are its own, and only its own problems are returned."""
    rendered, said = _rendered(text + context, kube_version, check_output)
    documents = list(rendered)
    problems = [_over_a_limit(p) if p.message.startswith(_OVER) else p for p in said]
    if not context:
        return documents, problems
    last = text.count("\n") + 1
    return documents, [p for p in problems if p.pos.line <= last]


@lru_cache(maxsize=16)
def _rendered(
    text: str, kube_version: str | None, check_output: bool
) -> tuple[tuple[Document, ...], tuple[Problem, ...]]:
    """``render_text`` of the import's scratch text, kept for the same text: settling
    before and after minimising and minimising's baseline render one blueprint alike (a
    blueprint of thousands of variables takes a second a render)."""
    documents, problems = render_text(
        text, "<import>", kube_version=kube_version, check_output=check_output
    )
    return tuple(documents), tuple(problems)


def rendered_alone(build: Build) -> list[Document]:
    """What kgen renders of ``build``'s blueprint on its own, without checking the output
    (kept for the same text, as every render of the import's is)."""
    return list(_rendered(text_of(build), None, False)[0])


#: How the loader says one blueprint is over its limits (nodes or text).
_OVER = "one document (blueprint) expands to more than"


def _over_a_limit(problem: Problem) -> Problem:
    """The loader's limit of one blueprint, said of the blueprint an import would write
    (its hint is about aliases, which kgen's own text has none of)."""
    limit = problem.message.removeprefix(_OVER).strip()
    return replace(
        problem,
        message=f"its blueprint would be more than {limit}, the most one blueprint may be",
        hint="long envFrom ConfigMaps become one variable per key: mount a large ConfigMap "
        "as files (configFiles), or import its workloads' configuration in parts",
    )


def settle(build: Build, kube_version: str | None, builds: Sequence[Build] = ()) -> list[Problem]:
    """Take out what kgen refuses until it accepts the blueprint (rendered with the
    blueprints its ``dependsOn`` names, of ``builds``); the problems that no value can be
    taken out for (they stop the import)."""
    for _ in range(_ROUNDS):
        text = text_of(build)
        _, problems = _render(text, together(build, builds), kube_version=kube_version)
        if not problems:
            return []
        where = _paths_of(text)
        fatal: list[Problem] = []
        dropped = False
        gone: list[JsonPath] = []  # what this round took out: its other problems go with it
        for problem in problems:
            if any(problem.path[: len(key)] == key for key in gone):
                continue
            path = where.get((problem.pos.line, problem.pos.column), problem.path)
            if len(problem.path) > 1 and _present(build.blueprint, problem.path[:-1]):
                # about a place in the blueprint, not at the first key of the map that
                # is its nearest written ancestor (the two start at one position)
                path = problem.path
            key = _origin_key(build, path)
            said = _in_input_terms(build, problem, where)
            if key is None or key in _KEEP:
                fatal.append(_at_input(build, key, said))
            elif _present(build.blueprint, key):
                while (_required(build, key) or key[-2:] in _WHOLE) and key[:-1] not in _KEEP:
                    key = key[:-1]  # what the schema requires goes with what requires it
                _drop(build, key, f"kgen refuses it: {said.message}")
                dropped = True
                gone.append(key)
        if fatal or not dropped:
            return fatal or [
                _at_input(build, None, _in_input_terms(build, p, where)) for p in problems
            ]
    return []


def routed_twice(builds: Sequence[Build]) -> None:
    """One host and path go to one app (kgen refuses a set that routes them twice): where
    the input's Ingresses route a host and path to several apps, the one written first
    keeps it, and a later one's alias (or its whole Ingress, for its host) is left out,
    saying so."""
    taken: dict[tuple[str, str], str] = {}
    for build, place in sorted(_ingresses(builds), key=lambda found: _input_order(*found)):
        ingress = value_at(build.blueprint, (*place, "ingress"))[1]
        path = str(ingress.get("path", "/")).rstrip("/") or "/"
        owner = f"{build.kind} {build.namespace}/{build.app}" + (
            f" (process {place[-1]})" if place != ("spec",) else ""
        )
        names = [("host", ingress.get("host")), *enumerate(ingress.get("aliases") or [])]
        for key, host in reversed(names):  # later aliases first: indexes stay
            first = taken.get((str(host), path))
            if first is None or first == owner:
                continue
            why = (
                f"{host}{path} is routed to {first} already: kgen routes a host and path to one app"
            )
            at = (*place, "ingress") if key == "host" else (*place, "ingress", "aliases", key)
            _drop(build, at, why)
            if key == "host":
                break
        ingress = value_at(build.blueprint, (*place, "ingress"))[1]
        if isinstance(ingress, dict):
            for host in [ingress.get("host"), *(ingress.get("aliases") or [])]:
                taken.setdefault((str(host), path), owner)


def _ingresses(builds: Sequence[Build]) -> list[tuple[Build, JsonPath]]:
    """Every blueprint's ingresses: the spec's, and each process's of a Monolith."""
    found: list[tuple[Build, JsonPath]] = []
    for build in builds:
        spec = build.blueprint.get("spec") or {}
        places: list[JsonPath] = [("spec",)] + [
            ("spec", "processes", name) for name in spec.get("processes") or {}
        ]
        for place in places:
            if isinstance(value_at(build.blueprint, (*place, "ingress"))[1], dict):
                found.append((build, place))
    return found


def _input_order(build: Build, place: JsonPath) -> tuple[str, int, int]:
    """Where the input writes an ingress's host: who comes first keeps a host and path."""
    origins = build.origins.get((*place, "ingress", "host")) or []
    if not origins:
        return ("", 0, 0)
    pos = origins[0].resource.pos(origins[0].path)
    return (str(pos.file), pos.line, pos.column)


#: A place in the imported blueprint's text, as kgen's messages name another value.
_PLACE = lazyre.compile(r" \(<import>:(\d+):(\d+)\)")


def _in_input_terms(
    build: Build, problem: Problem, where: dict[tuple[int, int], JsonPath]
) -> Problem:
    """``problem`` with the blueprint places its message and hint name (``(<import>:14:11)``,
    text the user never sees) turned into the input values they came from, or dropped."""

    def place(found: re.Match[str]) -> str:
        path = where.get((int(found[1]), int(found[2])))
        key = _origin_key(build, path) if path is not None else None
        origins = build.origins.get(key, []) if key is not None else []
        return f" ({origins[0].resource.pos(origins[0].path)})" if origins else ""

    message = _PLACE.sub(place, problem.message)
    hint = _PLACE.sub(place, problem.hint) if problem.hint else problem.hint
    if (message, hint) == (problem.message, problem.hint):
        return problem
    return replace(problem, message=message, hint=hint)


def minimise(build: Build, builds: Sequence[Build] = ()) -> int:
    """Leave out every optional value kgen would default (rendered with the blueprints its
    ``dependsOn`` names, of ``builds``); returns the renders it took."""
    context = together(build, builds)
    documents, _ = _render(text_of(build), context, check_output=False)
    baseline = [d.body for d in documents]
    renders = 1 + _defaults_at_once(build, baseline, context)
    queue: list[JsonPath] = [(key,) for key in build.blueprint]
    while queue:
        path = queue.pop(0)
        parent, last = _parent(build.blueprint, path)
        if parent is None:
            continue
        value = parent[last]
        if path not in _KEEP and not set(path) & _VERBATIM and not _required(build, path):
            trial = _without(build.blueprint, path)
            documents, problems = _render(dump_document(trial), context, check_output=False)
            renders += 1
            if not problems and [d.body for d in documents] == baseline:
                build.blueprint = trial
                _defaulted(build, path)
                continue
        if set(path) & _VERBATIM and path[-1] != "patches":
            continue
        if isinstance(value, dict):
            queue.extend((*path, key) for key in value)
        elif isinstance(value, list):
            queue.extend(
                (*path, i, key)
                for i, child in enumerate(value)
                if isinstance(child, dict)
                for key in child
            )
    return renders + _needless_patches(build, baseline, context)


def _required(build: Build, path: JsonPath) -> bool:
    """Whether the schema requires the key at ``path``: without it the blueprint is
    refused, so leaving it out needs no render to be turned down."""
    parent = subschema(str(build.blueprint["kind"]), path[:-1])
    required = parent.get("required") if parent is not None else None
    return isinstance(required, list) and path[-1] in required


def _defaulted(build: Build, path: JsonPath) -> None:
    """The value at ``path`` was left out, kgen's default giving the same: say so of the
    mapped inputs behind it."""
    for origin in _origins_under(build, path):
        entry = build.ledger.covers(origin.resource, origin.path)
        if entry is not None and entry.status is Status.MAPPED:
            build.record(
                origin.resource,
                origin.path,
                Status.MAPPED,
                "kgen's default gives the same",
                entry.target,
            )


def _defaults_at_once(build: Build, baseline: list[Any], context: str) -> int:
    """Leave out in one render every value that equals its field's schema default (what
    the one-by-one search would leave out, a render each); nothing when that render
    differs. Returns the renders it took."""
    kind = registry()[build.blueprint["kind"]]
    found = [
        path
        for path, schema, _, value in walk(kind.schema, kind.schema["$id"], build.blueprint)
        if path
        and isinstance(path[-1], str)
        and path not in _KEEP
        and not set(path) & _VERBATIM
        and not isinstance(value, dict | list)
        and "default" in schema
        and type(value) is type(schema["default"])
        and value == schema["default"]
    ]
    if not found:
        return 0
    trial = _copy(build.blueprint)
    for path in found:
        parent, last = _parent(trial, path)
        if parent is not None:
            del parent[last]
            _prune(trial, path[:-1])  # a map left empty goes too, as the search would
    documents, problems = _render(dump_document(trial), context, check_output=False)
    if problems or [d.body for d in documents] != baseline:
        return 1
    build.blueprint = trial
    for path in found:
        _defaulted(build, path)
    return 1


def _needless_patches(build: Build, baseline: list[Any], context: str) -> int:
    """Leave out each patch that sets what kgen writes anyway (the input said the same as
    kgen's own output); its input is then mapped. Returns the renders it took."""
    patches = build.blueprint.get("spec", {}).get("patches") or []
    renders = 0
    for index in reversed(range(len(patches))):  # from the last: earlier indices stay
        trial = _copy(build.blueprint)
        del trial["spec"]["patches"][index]
        if not trial["spec"]["patches"]:
            del trial["spec"]["patches"]
        documents, problems = _render(dump_document(trial), context, check_output=False)
        renders += 1
        if problems or [d.body for d in documents] != baseline:
            continue
        build.blueprint = trial
        for origin in build.origins.pop(("spec", "patches", index), []):
            entry = build.ledger.covers(origin.resource, origin.path)
            if entry is not None and entry.status is Status.PATCHED:
                build.record(
                    origin.resource, origin.path, Status.MAPPED, "kgen writes the same",
                    entry.target,
                )  # fmt: skip
        _shift(build, ("spec", "patches"), index)
    return renders


def join_patches(build: Build) -> None:
    """One patch per rendered resource: the import writes a patch per input value (so a
    value kgen refuses is taken out alone); once kgen accepts them, the patches of one
    target are joined. Their paths are disjoint, so the joined patch does the same."""
    patches = build.blueprint.get("spec", {}).get("patches")
    if not patches:
        return
    joined: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in patches:
        target = entry["target"]
        key = (str(target.get("kind")), str(target.get("name")))  # a Job has no name
        if key in joined:
            _merge(joined[key]["patch"], entry["patch"])
        else:
            joined[key] = {"target": target, "patch": _copy(entry["patch"])}
    build.blueprint["spec"]["patches"] = list(joined.values())


def _merge(into: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = _copy(value)


def _without(blueprint: dict[str, Any], path: JsonPath) -> dict[str, Any]:
    copy: dict[str, Any] = _copy(blueprint)
    parent, last = _parent(copy, path)
    assert parent is not None
    del parent[last]
    return copy


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _copy(child) for key, child in node.items()}
    if isinstance(node, list):
        return [_copy(child) for child in node]
    return node


def _parent(node: Any, path: JsonPath) -> tuple[Any, Any]:
    for part in path[:-1]:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            child: Any = node
            node = child[part]
        else:
            return None, None
    if isinstance(node, dict) and path[-1] in node:
        return node, path[-1]
    return None, None


def _present(blueprint: dict[str, Any], path: JsonPath) -> bool:
    return _parent(blueprint, path)[0] is not None or (
        len(path) > 1
        and isinstance(_parent(blueprint, path[:-1])[0], dict)
        and isinstance(_parent(blueprint, path[:-1])[0][path[-2]], list)
        and isinstance(path[-1], int)
        and path[-1] < len(_parent(blueprint, path[:-1])[0][path[-2]])
    )


def _paths_of(text: str) -> dict[tuple[int, int], JsonPath]:
    """Position -> blueprint path, for problems that name only a position (output ones)."""
    found: dict[tuple[int, int], JsonPath] = {}
    try:
        for document in load_documents(text, "<import>"):
            for path, place in document.source.keys.items():
                found.setdefault(place, path)
            for path, place in document.source.values.items():
                found.setdefault(place, path)
    except YamlError:  # over a limit of one blueprint: the render's problem says which
        return {}
    return found


def _origin_key(build: Build, path: JsonPath) -> JsonPath | None:
    """The blueprint value the problem at ``path`` is about: the longest recorded prefix."""
    for depth in range(len(path), 0, -1):
        if path[:depth] in build.origins:
            return path[:depth]
    return None


def _origins_under(build: Build, path: JsonPath) -> Iterator[Any]:
    for key, origins in build.origins.items():
        if key[: len(path)] == path:
            yield from origins


def _drop(build: Build, key: JsonPath, why: str) -> None:
    """Take the value at ``key`` out of the blueprint; its inputs (and what was recorded
    under them) are left out, ``why``."""
    for path in [path for path in build.origins if path[: len(key)] == key]:
        for origin in build.origins.pop(path):
            build.ledger.forget(origin.resource, origin.path)
            build.record(origin.resource, origin.path, Status.LEFT_OUT, why)
    parent, last = _parent(build.blueprint, key)
    if parent is not None:
        del parent[last]
        _prune(build.blueprint, key[:-1])
        return
    holder, name = _parent(build.blueprint, key[:-1])
    items: list[Any] = holder[name]
    index = int(key[-1])
    del items[index]
    if not items:
        del holder[name]
    _shift(build, key[:-1], index)


def _shift(build: Build, prefix: JsonPath, index: int) -> None:
    """The list at ``prefix`` lost its item ``index``: the origins of later items move up."""
    moved: dict[JsonPath, Any] = {}
    for path, origins in list(build.origins.items()):
        if path[: len(prefix)] == prefix and len(path) > len(prefix):
            position = path[len(prefix)]
            if isinstance(position, int) and position > index:
                del build.origins[path]
                moved[(*prefix, position - 1, *path[len(prefix) + 1 :])] = origins
    build.origins.update(moved)


def _prune(blueprint: dict[str, Any], path: JsonPath) -> None:
    """Remove the maps at ``path`` and above that dropping a value left empty; but an
    empty ``ingress.tls``, which says HTTPS (an ALB's certificate found by the host once
    a certificateArn kgen refuses is out)."""
    while path and path not in _KEEP and path[-2:] != ("ingress", "tls"):
        parent, last = _parent(blueprint, path)
        if parent is None or parent[last] != {}:
            return
        del parent[last]
        path = path[:-1]


def _at_input(build: Build, key: JsonPath | None, problem: Problem) -> Problem:
    """A problem kgen has with the imported blueprint, at the input it came from."""
    origins = build.origins.get(key, []) if key is not None else []
    resource, path = (origins[0].resource, origins[0].path) if origins else (build.workload, ())
    return Problem(
        resource.pos(path),
        path,
        f"cannot be imported: {problem.message}",
        problem.hint,
        subject=f"{resource.kind} {build.namespace}/{resource.name}",
    )
