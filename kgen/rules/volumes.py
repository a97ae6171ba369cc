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


def _mounts(unit: Unit) -> Iterator[tuple[str, JsonPath]]:
    """Every path something is mounted at in the unit's container, with where it was
    written (kgen's own /tmp first, at the unit)."""
    for index, volume in enumerate(unit.get("storage", [])):
        yield volume["mountPath"], (*unit.written_at("storage"), index, "mountPath")
    for path in unit.get("configFiles", {}):
        yield path, (*unit.written_at("configFiles"), path)
    for index, secret in enumerate(unit.get("secrets", [])):
        if "mountPath" in secret:
            yield secret["mountPath"], (*unit.written_at("secrets"), index, "mountPath")
    for index, path in enumerate(unit.get("writablePaths", [])):
        yield path, (*unit.written_at("writablePaths"), index)
    if "sharedStorage" in unit:
        yield unit["sharedStorage"]["mountPath"], (*unit.written_at("sharedStorage"), "mountPath")


def mount_problems(unit: Unit) -> Iterator[Problem]:
    """Two things mounted at one path, or something mounted over / or kgen's /tmp."""
    taken: dict[str, JsonPath] = {}
    for path, where in _mounts(unit):
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
