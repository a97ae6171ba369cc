"""Shared defaults: a ``kgen.defaults.yaml`` sets values once for every blueprint in its
folder and the folders below (an image registry and tag, labels and annotations, a
namespace, any workload field, and per-environment versions of them).

A blueprint inherits the defaults files of its folder and of each folder above it, up to
the project's root (the nearest folder holding ``.git``, ``kgen.toml`` or a
``pyproject.toml`` with ``[tool.kgen]``; without one, up to the working directory). They
merge with the rules of environment blocks (maps merge, ``null`` deletes, named lists
merge by name), in this order, each over the one before: the outermost file, its block
for the environment, the next file in, its block, ..., the blueprint, its own block. What
a blueprint writes always wins over a default.

The merged blueprint's source map keeps each part as a layer, so a problem with an
inherited value is reported at the defaults file's line, naming the blueprint that
inherited it; ``trace`` says which parts set a field, for ``kgen render --explain-value``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from kgen.environments import merge_environment
from kgen.kinds import API_VERSION, registry
from kgen.model import Blueprint, Inheritance, JsonPath, Problem, SourceMap, SourcePos
from kgen.record import dataclass

#: The names a defaults file has (the first is the one to write).
DEFAULTS_FILES = ("kgen.defaults.yaml", "kgen.defaults.yml")
#: The ``kind`` of a defaults file: it is read as a document of its own, never a blueprint.
KIND = "Defaults"
#: What marks the root of a project: defaults are looked for up to the nearest folder with
#: one of these, or with a ``pyproject.toml`` that holds kgen's settings (``[tool.kgen]``;
#: a Python package's own pyproject.toml among the blueprints cuts nothing off).
PROJECT_MARKERS = (".git", "kgen.toml")
#: Fields of a defaults file's ``metadata`` and which kinds take them.
_WORKLOAD_METADATA = ("namespace", "labels", "annotations")
_CLUSTER_METADATA = ("labels", "annotations")
#: Workload fields a defaults file may not set: they name one blueprint's own things.
_NOT_SHARED = frozenset({"image", "patches"})


def is_defaults_file(path: Path) -> bool:
    return path.name in DEFAULTS_FILES


@cache
def shared_fields(kind: str) -> frozenset[str]:
    """The ``spec`` fields of ``kind`` that a defaults file sets (none for a Cluster)."""
    if kind == "Cluster" or kind not in registry():
        return frozenset()
    spec = registry()[kind].schema["properties"]["spec"]
    return frozenset(spec.get("properties", {})) - _NOT_SHARED


def _is_workload(kind: str) -> bool:
    return bool(shared_fields(kind))


def search_folders(folder: Path, cwd: Path) -> list[Path]:
    """The folders whose defaults a blueprint in ``folder`` inherits, innermost first."""
    folder = Path(os.path.abspath(folder))
    found: list[Path] = []
    for candidate in (folder, *folder.parents):
        found.append(candidate)
        if any(os.path.lexists(candidate / m) for m in PROJECT_MARKERS) or _kgen_pyproject(
            candidate / "pyproject.toml"
        ):
            return found
    inside = [f for f in found if f == cwd or cwd in f.parents]
    return inside or [folder]


def _kgen_pyproject(path: Path) -> bool:
    """Whether ``path`` is a pyproject.toml with a ``[tool.kgen]`` table."""
    try:
        with path.open("rb") as handle:
            text = handle.read(1024 * 1024)
    except OSError:  # absent or unreadable: no marker (and no TOML parser to load)
        return False
    import tomllib

    try:
        tool = tomllib.loads(text.decode("utf-8")).get("tool")
    except ValueError:  # not UTF-8, not TOML: no marker
        return False
    return isinstance(tool, dict) and "kgen" in tool


@dataclass(frozen=True)
class Read:
    """What reading one defaults file gave: its document, or why there is none."""

    document: Blueprint | None
    problems: tuple[Problem, ...] = ()


def check_document(data: Any, source: SourceMap) -> Read:
    """A defaults file's one document, checked against ``schemas/defaults.schema.json``."""
    from kgen.suggest import shown
    from kgen.validate import schema_problems

    if not isinstance(data, dict):
        message = f"defaults are a mapping, found {shown(data)}"
        return Read(None, (Problem(source.start, (), message),))
    if data.get("apiVersion") != API_VERSION:
        where = source.value_pos(("apiVersion",))
        message = f"expected apiVersion: {API_VERSION}, found {shown(data.get('apiVersion'))}"
        return Read(None, (Problem(where, ("apiVersion",), message, f"write {API_VERSION}"),))
    if data.get("kind") != KIND:
        where = source.value_pos(("kind",))
        message = f"a defaults file holds kind: {KIND}, found {shown(data.get('kind'))}"
        hint = (
            "a file named kgen.defaults.yaml holds the defaults of its folder; keep "
            "blueprints in files of other names"
        )
        return Read(None, (Problem(where, ("kind",), message, hint),))
    document = Blueprint(data, source)
    problems = tuple(_hinted(p) for p in schema_problems(document))
    return Read(None if problems else document, problems)


#: Better hints for fields a defaults file's ``spec`` does not take, by field.
_NOT_SHARED_HINTS: dict[tuple[str | int, ...], str] = {
    ("spec", "image"): "an image is each blueprint's own; share its registry and tag with "
    "image: {registry: ..., tag: ...} at the top of the defaults file",
    ("spec", "patches"): "patches name resources of one blueprint: write them in the blueprint",
}


def _hinted(problem: Problem) -> Problem:
    from kgen.record import replace

    unknown = problem.message == "unknown field"
    hint = _NOT_SHARED_HINTS.get(tuple(problem.path[-2:])) if unknown else None
    return replace(problem, hint=hint) if hint else problem


def _relevant(part: Any, kind: str) -> dict[str, Any]:
    """What of a defaults part (the file's top level, or one of its environment blocks)
    applies to a blueprint of ``kind``."""
    if not isinstance(part, dict):
        return {}
    workload = _is_workload(kind)
    out: dict[str, Any] = {}
    metadata = part.get("metadata")
    if isinstance(metadata, dict):
        names = _WORKLOAD_METADATA if workload else _CLUSTER_METADATA
        kept = {k: v for k, v in metadata.items() if k in names}
        if kept:
            out["metadata"] = kept
    if workload:
        if isinstance(part.get("image"), dict):
            out["image"] = part["image"]
        spec = part.get("spec")
        if isinstance(spec, dict):
            fields = shared_fields(kind)
            kept = {k: v for k, v in spec.items() if k in fields}
            if kept:
                out["spec"] = kept
    return out


@dataclass(frozen=True)
class Stage:
    """One part merged onto the blueprint: what it wrote, in which map, where, and onto
    which path of the blueprint."""

    label: str
    data: Any
    source: SourceMap
    written: JsonPath
    into: JsonPath


def stages(original: Blueprint, chain: Sequence[Blueprint], env: str | None) -> Iterator[Stage]:
    """The parts of the blueprint under ``env``, in merge order (later wins)."""
    kind = original.kind
    for defaults in chain:
        yield Stage("defaults", _relevant(defaults.data, kind), defaults.source, (), ())
        blocks = defaults.data.get("environments")
        block = blocks.get(env) if env is not None and isinstance(blocks, dict) else None
        if block is not None:
            written: JsonPath = ("environments", env) if env is not None else ()
            yield Stage(f"defaults for {env}", _relevant(block, kind), defaults.source, written, ())
    own = {k: v for k, v in original.data.items() if k != "environments"}
    yield Stage("blueprint", own, original.source, (), ())
    blocks = original.data.get("environments")
    block = blocks.get(env) if env is not None and isinstance(blocks, dict) else None
    if isinstance(block, dict) and block and env is not None:
        yield Stage(
            f"blueprint for {env}", block, original.source, ("environments", env), ("spec",)
        )


def _merged(base: Any, base_map: SourceMap, stage: Stage, heir: str) -> tuple[Any, SourceMap]:
    """``stage`` merged onto the document ``base``: the new document and its map (two
    layers: the base's map, then the stage's)."""
    overlays: dict[JsonPath, tuple[JsonPath, ...]] = {}
    document = dict(base) if isinstance(base, dict) else {}
    written = (1, *stage.written)
    if stage.into:
        target: Any = document
        for key in stage.into[:-1]:
            target = target.setdefault(key, {})
        last = stage.into[-1]
        target[last] = merge_environment(
            target.get(last), stage.data, stage.into, written, overlays, (0, *stage.into)
        )
        overlays.setdefault((), ((0,),))
    else:
        document = merge_environment(document, stage.data, (), written, overlays, (0,))
    overlays.setdefault(stage.into, (written, (0, *stage.into)))
    source = SourceMap(
        file=base_map.file,
        start=base_map.start,
        overlays=overlays,
        layers=(base_map, stage.source),
        heir=heir,
    )
    return document, source


def inherit(original: Blueprint, chain: Sequence[Blueprint], env: str | None) -> Blueprint:
    """The blueprint as it renders under ``env``: its defaults and its own parts merged
    in order, images completed from the defaults' registry and tag. Its source map
    points every value at the line that wrote it."""
    heir = f"{original.kind} {original.name} at {original.source.file}:{original.source.start.line}"
    document: Any = {}
    source = SourceMap(file=original.source.file, start=original.source.start, heir=heir)
    for stage in stages(original, chain, env):
        document, source = _merged(document, source, stage, heir)
    if env is None and "environments" in original.data:  # as written: checked as written
        document["environments"] = original.data["environments"]
    image = document.pop("image", None)
    spec = document.get("spec")
    if isinstance(image, dict) and isinstance(spec, dict):
        document["spec"] = with_images(spec, image.get("registry"), image.get("tag"))
    order = [*original.data, *document]
    data = {key: document[key] for key in dict.fromkeys(order) if key in document}
    size = original.source.size + sum(d.source.size for d in chain)
    source = SourceMap(
        file=source.file,
        start=source.start,
        overlays=source.overlays,
        layers=source.layers,
        heir=heir,
        size=size,
    )
    return Blueprint(data, source, Inheritance(original, tuple(chain)))


def merge_problems(blueprint: Blueprint) -> Iterator[Problem]:
    """What the parts of an inherited blueprint say unclearly of the named lists they merge
    onto (a ``$patch`` delete of a name no part above wrote, a name written twice in one
    list), as written and under each environment its defaults declare; the blueprint's own
    environment blocks are checked with the blueprints'
    (``environments.environment_list_problems``)."""
    from kgen.environments import list_problems

    inheritance = blueprint.inherited
    if inheritance is None or not inheritance.chain:
        return
    original, chain = inheritance.original, inheritance.chain
    envs: list[str | None] = [None]
    for defaults in chain:
        blocks = defaults.data.get("environments")
        if isinstance(blocks, dict):
            envs.extend(env for env in blocks if env not in envs)
    heir = ""
    for env in envs:
        document: Any = {}
        source = SourceMap(file=original.source.file, start=original.source.start)
        for stage in stages(original, chain, env):
            if env is not None and stage.label == "blueprint":
                break  # the rest was checked as written
            base = _at(document, stage.into)
            owner = Blueprint({}, stage.source)
            yield from list_problems(owner, base, stage.data, stage.written, merges_only=True)
            document, source = _merged(document, source, stage, heir)


# --- images --------------------------------------------------------------------------------


def has_registry(image: str) -> bool:
    """Whether an image reference names its registry host (``ghcr.io/x``, ``localhost/x``,
    ``host:5000/x``), as container runtimes decide it."""
    first, slash, _ = image.partition("/")
    return bool(slash) and ("." in first or ":" in first or first == "localhost")


def has_version(image: str) -> bool:
    """Whether an image reference carries a tag or a digest."""
    return "@" in image or ":" in image.rpartition("/")[2]


def completed_image(image: str, registry: Any, tag: Any) -> str:
    """``image`` with the default registry in front when it names none, and the default
    tag after it when it has neither a tag nor a digest."""
    if isinstance(registry, str) and registry and not has_registry(image):
        image = f"{registry.rstrip('/')}/{image}"
    if isinstance(tag, str) and tag and not has_version(image):
        image = f"{image}:{tag}"
    return image


def with_images(spec: Mapping[str, Any], registry: Any, tag: Any) -> dict[str, Any]:
    """A workload spec with the default registry and tag completing its images: the main
    container's, and its sidecars' and init containers'."""
    result = dict(spec)
    if isinstance(result.get("image"), str):
        result["image"] = completed_image(result["image"], registry, tag)
    for field in ("sidecars", "initContainers"):
        items = result.get(field)
        if isinstance(items, list):
            result[field] = [
                {**item, "image": completed_image(item["image"], registry, tag)}
                if isinstance(item, dict) and isinstance(item.get("image"), str)
                else item
                for item in items
            ]
    return result


# --- tracing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One part that set the traced field: its label, the value it wrote, and where."""

    label: str
    value: Any
    pos: SourcePos | None


def trace(
    blueprint: Blueprint, env: str | None, path: JsonPath
) -> tuple[Any, list[Step], str | None]:
    """The value at ``path`` of ``blueprint`` (as loaded: its environment blocks not
    merged yet) under ``env``, every part that set it in
    merge order, and for an image what the shared registry and tag did to it (the steps
    then hold the registry and tag that completed it)."""
    inheritance = blueprint.inherited
    original = inheritance.original if inheritance is not None else blueprint
    chain = inheritance.chain if inheritance is not None else ()
    final = inherit(original, chain, env)
    value = _at(final.data, path)
    steps: list[Step] = []
    registry: Step | None = None
    tag: Step | None = None
    for stage in stages(original, chain, env):
        written = _written_at(stage, path, final.data)
        if written is not None:
            pos = stage.source.value_at((*stage.written, *written))
            steps.append(Step(stage.label, _at(stage.data, written), pos))
        image = stage.data.get("image") if isinstance(stage.data, dict) else None
        if stage.into == () and isinstance(image, dict) and stage.label != "blueprint":
            where = stage.source.value_at
            if "registry" in image:
                pos = where((*stage.written, "image", "registry"))
                registry = Step(f"{stage.label}: image registry", image["registry"], pos)
            if "tag" in image:
                tag = Step(
                    f"{stage.label}: image tag",
                    image["tag"],
                    where((*stage.written, "image", "tag")),
                )
    if not path or path[-1] != "image" or not steps or not isinstance(steps[-1].value, str):
        return value, steps, None
    if registry is None and tag is None:
        return value, steps, None
    written_image = steps[-1].value
    used = [
        step
        for step, applies in (
            (registry, not has_registry(written_image)),
            (tag, not has_version(written_image)),
        )
        if step is not None and applies
    ]
    if not used:
        note = "the image as written: it names its registry and version, so the defaults leave it"
    else:
        parts = " and ".join(s.label.rpartition("image ")[2] for s in used)
        note = f"the image as written, completed by the {parts} above"
    return value, [*steps[:-1], *used, steps[-1]], note


def _written_at(stage: Stage, path: JsonPath, final: Any) -> JsonPath | None:
    """The path in ``stage.data`` that writes ``path`` of the merged blueprint ``final``,
    if it does: a list item is the one of the same name when the items are named (``[x]``
    in ``path`` is the item named x, even when the merge deleted it)."""
    if path[: len(stage.into)] != stage.into:
        return None
    node: Any = stage.data
    merged: Any = _at(final, stage.into)
    found: list[str | int] = []
    for part in path[len(stage.into) :]:
        if isinstance(node, list) and (
            isinstance(part, int) or (isinstance(part, str) and part.startswith("["))
        ):
            if isinstance(part, int):
                item = merged[part] if isinstance(merged, list) and part < len(merged) else None
                name = item.get("name") if isinstance(item, dict) else None
            else:
                item, name = None, part[1:-1]
            index = next(
                (
                    i
                    for i, x in enumerate(node)
                    if isinstance(x, dict) and name is not None and x.get("name") == name
                ),
                part if isinstance(part, int) and name is None and part < len(node) else None,
            )
            if index is None:
                return None
            found.append(index)
            node, merged = node[index], item
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            found.append(part)
            node = node[part]
            merged = merged.get(part) if isinstance(merged, dict) else None
        else:
            return None
    return tuple(found)


def _at(data: Any, path: JsonPath) -> Any:
    node = data
    for part in path:
        if (isinstance(part, int) and isinstance(node, list) and part < len(node)) or (
            isinstance(part, str) and isinstance(node, dict) and part in node
        ):
            node = node[part]  # type: ignore[index]
        else:
            return None
    return node
