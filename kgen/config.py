"""The project's settings: ``kgen.toml`` in the working folder, else ``[tool.kgen]`` in its
``pyproject.toml``. Flags override them; an unknown key or a value of the wrong type is an
error at its line, so a misspelt setting is never silently ignored.

    paths = ["blueprints"]          # what to read when no PATH is given
    output = "out"                  # -o for render, diff and render --check; gitops --path
    kube-version = "1.33"
    all-envs = true                 # render, and gitops, per environment folder
    environments = ["dev", "staging", "prod"]   # the repository's environments, and no others

    [gitops]
    repo = "https://git.example.com/platform/gitops.git"
    tool = "argocd"                 # or argocd-applicationset, or flux
    branch = "main"
    name = "shop"

    [gitops.clusters]               # where each environment deploys (gitops --cluster)
    prod = "https://prod.example.com:6443"   # Argo CD: an API server, or a cluster's name
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kgen import lazyre
from kgen.environments import MAX_ENVIRONMENTS, EnvironmentList
from kgen.errors import InvalidInput
from kgen.model import JsonPath, Problem, SourcePos
from kgen.record import dataclass, field
from kgen.suggest import did_you_mean, shown

CONFIG_FILE = "kgen.toml"
#: Settings problems reported at most: a file of thousands of typos needs no more.
MAX_PROBLEMS = 20
#: Top-level keys and the type each takes.
_KEYS: Mapping[str, type] = {
    "paths": list,
    "output": str,
    "kube-version": str,
    "all-envs": bool,
    "environments": list,
    "gitops": dict,
}
_GITOPS_KEYS = ("repo", "tool", "branch", "path", "name", "clusters")
_TOOLS = ("argocd", "argocd-applicationset", "flux")
_CLUSTERS = 'e.g. [gitops.clusters] with prod = "https://prod.example.com:6443"'
_TYPE_NAMES = {list: "a list of paths", str: "a string", bool: "true or false", dict: "a table"}


@dataclass(frozen=True)
class Config:
    """The settings found (empty when there is no file), and the file they came from."""

    paths: tuple[str, ...] = ()
    output: str | None = None
    kube_version: str | None = None
    all_envs: bool = False
    environments: EnvironmentList | None = None
    gitops: Mapping[str, str] = field(default_factory=dict)
    #: [gitops.clusters]: each environment's destination, and where it is written.
    clusters: Mapping[str, str] = field(default_factory=dict)
    cluster_positions: Mapping[str, SourcePos] = field(default_factory=dict)
    file: str | None = None


def load_config(folder: Path) -> Config:
    """The settings of the project in ``folder``."""
    own = folder / CONFIG_FILE
    if own.is_file():
        return _parse(own, CONFIG_FILE, ())
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        return _parse(pyproject, "pyproject.toml", ("tool", "kgen"))
    return Config()


#: The largest settings file kgen reads: a few lines are plenty.
MAX_CONFIG_BYTES = 1024 * 1024


def _parse(path: Path, shown: str, table: tuple[str, ...]) -> Config:
    def refuse(message: str, line: int = 1, column: int = 1) -> InvalidInput:
        pos = SourcePos(shown, line, column)
        return InvalidInput(problems=[Problem(pos, (), message, subject="<toml>")])

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise refuse(f"the file is larger than {MAX_CONFIG_BYTES // 1024} KiB")
    import tomllib  # a project with settings only: not at every start

    try:
        text = raw.decode("utf-8")
        data: Any = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise refuse(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except tomllib.TOMLDecodeError as exc:
        raise refuse(str(exc), *_position(str(exc))) from None
    except RecursionError:
        raise refuse("values nest too deep") from None
    for depth, key in enumerate(table):
        data = data.get(key, {}) if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            line, column = _line_of(text, table[:depth], key)
            raise InvalidInput(
                problems=[
                    Problem(
                        SourcePos(shown, line, column),
                        table[: depth + 1],
                        f"{'.'.join(table[: depth + 1])} is a table of kgen's settings",
                        "write [tool.kgen] and the settings below it",
                    )
                ]
            )
    if not data:
        return Config()
    problems = list(_problems(text, shown, table, data))
    if problems:
        raise InvalidInput(problems=problems)
    gitops = data.get("gitops", {})
    clusters = gitops.get("clusters", {})
    lines = _key_lines(text)
    return Config(
        paths=tuple(data.get("paths", ())),
        output=data.get("output"),
        kube_version=data.get("kube-version"),
        all_envs=bool(data.get("all-envs", False)),
        environments=(
            EnvironmentList(tuple(data["environments"]), shown) if "environments" in data else None
        ),
        gitops={str(k): str(v) for k, v in gitops.items() if k != "clusters"},
        clusters={str(k): str(v) for k, v in clusters.items()},
        cluster_positions={
            str(k): SourcePos(shown, *lines.get(((*table, "gitops", "clusters"), k), (1, 1)))
            for k in clusters
        },
        file=shown,
    )


def _position(message: str) -> tuple[int, int]:
    found = re.search(r"line (\d+), column (\d+)", message)
    return (int(found[1]), int(found[2])) if found else (1, 1)


_HEADER = lazyre.compile(r"^\s*\[([^\[\]]+)\]\s*(?:#.*)?$")
_KEY = lazyre.compile(r"""^(\s*)["']?([A-Za-z0-9_-]+)["']?\s*=""")


def _line_of(text: str, table: tuple[str, ...], key: str) -> tuple[int, int]:
    """Where ``key`` is written in ``table`` of the TOML text (its first mention there;
    the file's start when written another way, as a dotted or inline key)."""
    return _key_lines(text).get((table, key), (1, 1))


def _key_lines(text: str) -> dict[tuple[tuple[str, ...], str], tuple[int, int]]:
    """Every ``key =`` of the text by its table, read in one pass."""
    found: dict[tuple[tuple[str, ...], str], tuple[int, int]] = {}
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        opened = _HEADER.match(line)
        if opened:
            current = tuple(part.strip().strip("\"'") for part in opened[1].split("."))
            continue
        written = _KEY.match(line)
        if written:
            found.setdefault((current, written[2]), (number, len(written[1]) + 1))
    return found


#: An environment's name: a DNS-1123 label, as a blueprint's ``environments`` keys are
#: (each names a folder DIR/<env>/ and an Argo CD or Flux object <name>-<env>).
_LABEL = lazyre.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?", re.ASCII)


def _environments_problems(value: Any) -> list[tuple[JsonPath, str, str | None]]:
    """What is wrong with ``environments``: (the item's path below it, message, hint)."""
    example = 'e.g. environments = ["dev", "staging", "prod"]'
    if not isinstance(value, list):
        return [((), "environments is a list of environment names", example)]
    if not value:
        return [((), "environments is empty: no environment could be rendered", example
                 + ", or leave the setting out")]  # fmt: skip
    if len(value) > MAX_ENVIRONMENTS:
        return [((), f"more than {MAX_ENVIRONMENTS} environments", "kgen validates every "
                 "environment of every run; split the repository")]  # fmt: skip
    found: list[tuple[JsonPath, str, str | None]] = []
    seen: set[str] = set()
    for index, name in enumerate(value):
        if not isinstance(name, str) or not _LABEL.fullmatch(name):
            found.append(((index,), f"{shown(name)} is not an environment name: a DNS-1123 "
                          "label (lowercase letters, digits and '-', at most 63 characters)",
                          example))  # fmt: skip
        elif name in seen:
            found.append(((index,), f"{name!r} is listed twice", "list each environment once"))
        else:
            seen.add(name)
    return found


def _problems(
    text: str, shown: str, table: tuple[str, ...], data: Mapping[str, Any]
) -> list[Problem]:
    problems = []
    lines = _key_lines(text)

    def problem(
        where: tuple[str, ...], key: str, message: str, hint: str | None, below: JsonPath = ()
    ) -> None:
        line, column = lines.get((where, key), (1, 1))
        path: JsonPath = (*where[len(table) :], key, *below)
        problems.append(Problem(SourcePos(shown, line, column), path, message, hint))

    for key, value in data.items():
        if key not in _KEYS:
            problem(table, key, "unknown setting", did_you_mean(key, _KEYS) or
                    f"kgen's settings: {', '.join(_KEYS)}")  # fmt: skip
        elif key == "environments":
            for below, message, hint in _environments_problems(value):
                problem(table, key, message, hint, below)
        elif not isinstance(value, _KEYS[key]) or (
            isinstance(value, list) and not all(isinstance(p, str) and p for p in value)
        ):
            problem(table, key, f"{key} is {_TYPE_NAMES[_KEYS[key]]}", None)
    gitops = data.get("gitops")
    for key, value in gitops.items() if isinstance(gitops, dict) else ():
        where = (*table, "gitops")
        if key not in _GITOPS_KEYS:
            problem(where, key, "unknown setting", did_you_mean(key, _GITOPS_KEYS) or
                    f"gitops settings: {', '.join(_GITOPS_KEYS)}")  # fmt: skip
        elif key == "clusters":
            if not isinstance(value, dict):
                problem(where, key, "clusters is a table of environment = cluster", _CLUSTERS)
                continue
            for env, cluster in value.items():
                if not _LABEL.fullmatch(env):
                    problem((*where, "clusters"), env, f"{env!r} is not an environment name: "
                            "a DNS-1123 label", _CLUSTERS)  # fmt: skip
                elif not isinstance(cluster, str) or not cluster:
                    problem((*where, "clusters"), env, f"{env} is a string: the cluster "
                            "its environment deploys to", _CLUSTERS)  # fmt: skip
        elif not isinstance(value, str):
            problem(where, key, f"{key} is a string", None)
        elif key == "tool" and value not in _TOOLS:
            problem(where, key, f"tool is {', '.join(_TOOLS[:-1])} or {_TOOLS[-1]}, not "
                    f"{value!r}", did_you_mean(value, _TOOLS))  # fmt: skip
    return problems[:MAX_PROBLEMS]
