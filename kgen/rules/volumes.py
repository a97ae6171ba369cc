"""Unit rules about volumes: what a pod's containers mount, and where."""

from __future__ import annotations

from collections.abc import Iterator

from kgen.helpers import RESERVED_VOLUME, VOLUME_PREFIX
from kgen.model import JsonPath, Problem, format_path
from kgen.rules.common import key_problem, normal, problem
from kgen.units import Unit


def storage_problems(unit: Unit) -> Iterator[Problem]:
    where = unit.written_at("storage")
    for index, volume in enumerate(unit.get("storage", [])):
        name = volume["name"]
        if name == RESERVED_VOLUME["name"] or name.startswith(VOLUME_PREFIX):
            yield problem(
                unit.blueprint,
                (*where, index, "name"),
                f"the volume name {name!r} is kgen's: 'tmp' and names starting with "
                f"{VOLUME_PREFIX!r} name the volumes kgen adds",
                "choose another name",
            )


#: What a mount is, for the rules about mounts inside mounts: a config file is a file; a
#: mounted secret is a read-only folder; the rest are writable folders.
FILE, READ_ONLY, WRITABLE = "a config file", "a read-only secret mount", "a writable folder"


def _mounts(unit: Unit) -> Iterator[tuple[str, JsonPath, str]]:
    """Every path something is mounted at in the unit's container, with where it was
    written and what it is."""
    for index, volume in enumerate(unit.get("storage", [])):
        yield volume["mountPath"], (*unit.written_at("storage"), index, "mountPath"), WRITABLE
    for path in unit.get("configFiles", {}):
        yield path, (*unit.written_at("configFiles"), path), FILE
    for index, secret in enumerate(unit.get("secrets", [])):
        if "mountPath" in secret:
            where = (*unit.written_at("secrets"), index, "mountPath")
            yield secret["mountPath"], where, READ_ONLY
    for index, path in enumerate(unit.get("writablePaths", [])):
        yield path, (*unit.written_at("writablePaths"), index), WRITABLE
    if "sharedStorage" in unit:
        where = (*unit.written_at("sharedStorage"), "mountPath")
        yield unit["sharedStorage"]["mountPath"], where, WRITABLE


def backup_problems(unit: Unit) -> Iterator[Problem]:
    """Velero backs up an app's volumes: an app without any has nothing to back up."""
    if "backup" in unit and not unit.get("storage"):
        yield key_problem(
            unit.blueprint,
            unit.written_at("backup"),
            "the app has no storage, so a backup would hold nothing",
            "add storage, or remove backup",
        )


def _slashes(path: str) -> Iterator[int]:
    """The positions of the '/' of a path after the first."""
    end = path.find("/", 1)
    while end != -1:
        yield end
        end = path.find("/", end + 1)


def mount_problems(unit: Unit) -> Iterator[Problem]:
    """Two things mounted at one path, something mounted over / or kgen's /tmp, and
    something mounted inside a file or inside a read-only secret (the kubelet cannot make
    its mount point there: the container would never start)."""
    mounts = list(_mounts(unit))
    closed = {normal(path): (path, where, kind) for path, where, kind in mounts if kind != WRITABLE}
    lengths = {len(place) for place in closed}
    for path, where, _ in mounts if closed else ():
        place = normal(path)
        # A folder above it that something closed is mounted at (paths are at most 1024
        # characters: a few hundred lookups at worst).
        outer = next(
            (
                closed[place[:end]]
                for end in _slashes(place)
                if end in lengths and place[:end] in closed
            ),
            None,
        )
        if outer is not None:
            at_key = len(where) > 1 and where[-2] == "configFiles"
            yield (key_problem if at_key else problem)(
                unit.blueprint,
                where,
                f"{path!r} is inside {outer[0]!r}, {outer[2]} ({format_path(outer[1])}): "
                "the kubelet cannot make a mount point there",
                "mount it beside, not inside, e.g. in a folder of its own",
            )
    taken: dict[str, JsonPath] = {}
    for path, where, _ in mounts:
        place = normal(path)
        at_key = where[-2] == "configFiles" if len(where) > 1 else False
        report = key_problem if at_key else problem
        if place == "/":
            yield report(
                unit.blueprint,
                where,
                "nothing can be mounted at '/': it is the image's root",
                "mount it at a folder of its own, e.g. /data",
            )
        elif place == RESERVED_VOLUME["mountPath"]:
            yield report(
                unit.blueprint,
                where,
                f"{path!r} is kgen's writable scratch space, which every pod gets already",
                "mount it at a folder of its own, e.g. /data; /tmp is writable as it is",
            )
        elif place in taken:
            yield report(
                unit.blueprint,
                where,
                f"{path!r} is mounted twice (also by {format_path(taken[place])})",
                "give each volume, file and secret a path of its own",
            )
        else:
            taken[place] = where
