"""Stage 1: read blueprint files into ``Blueprint`` values with source maps."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from kgen.errors import UsageError
from kgen.kinds import API_VERSION, kind_names, registry
from kgen.model import Blueprint, Problem, SourceMap, SourcePos
from kgen.suggest import did_you_mean, shown
from kgen.yamlio import Budget, YamlError, load_documents

YAML_SUFFIXES = (".yaml", ".yml")
#: The largest blueprint file kgen reads.
MAX_FILE_BYTES = 8 * 1024 * 1024


#: The path that names standard input, as in most command-line tools.
STDIN = Path("-")
STDIN_NAME = "<stdin>"


def display_path(path: Path) -> str:
    """The path as kgen prints it: relative to the working directory when inside it
    (``<stdin>`` for ``-``).

    Links are not followed: a problem names the link the user has, not its target.
    """
    if path == STDIN:
        return STDIN_NAME
    try:
        absolute = Path(os.path.abspath(path))
        return absolute.relative_to(os.path.abspath(Path.cwd())).as_posix()
    except (ValueError, OSError):  # outside the working directory, or it was removed
        return path.as_posix()


def name_problem(path: Path) -> Problem | None:
    """File names end up in comments of the output: no line breaks or control characters."""
    name = str(path)
    bad = [ch for ch in name if not ch.isprintable() or 0xD800 <= ord(ch) <= 0xDFFF]
    if not bad:
        return None
    return Problem(
        SourcePos(ascii(name)[1:-1], 1, 1),
        (),
        "the file name holds control, line-break or undecodable characters",
        "rename the file or folder",
        subject="<file>",
    )


def find_files(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """Expand folders recursively into their YAML files, in a stable order.

    Hidden files and folders (``.git``, ``.github``) are skipped; a folder that cannot be
    read or a link that leads nowhere is a problem, never silently left out (its resources
    would vanish from the output). Raises ``UsageError`` when a path does not exist or a
    folder holds no YAML.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path == STDIN:
            if STDIN not in files:
                files.append(STDIN)
            continue
        kind = _file_type(path)
        if kind == "folder":
            found = _walk(path, problems)
            if not found and not problems:
                raise UsageError(message=f"{display_path(path)}: no *.yaml or *.yml files")
            files.extend(found)
        elif kind == "file":
            bad_name = name_problem(path)
            if bad_name is not None:
                problems.append(bad_name)
            else:
                files.append(path)
        else:
            raise UsageError(message=f"{_shown_path(path)}: {kind}")
    unique: dict[Path | str, Path] = {}
    for file in files:
        unique.setdefault(STDIN_NAME if file == STDIN else file.resolve(), file)
    return list(unique.values()), problems


def _file_type(path: Path) -> str:
    """'file', 'folder', or why kgen cannot read ``path`` (links followed)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file or folder"
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISREG(mode):
        return "file"
    return "not a regular file or folder (a device, pipe or socket): kgen reads blueprint files"


def _shown_path(path: Path) -> str:
    """A path for a message: long ones shortened in the middle, control characters escaped."""
    text = ascii(display_path(path))[1:-1] if name_problem(path) else display_path(path)
    return text if len(text) <= 200 else f"{text[:100]}...{text[-100:]}"


def _walk(root: Path, problems: list[Problem]) -> list[Path]:
    def unreadable(error: OSError) -> None:
        where = display_path(Path(error.filename)) if error.filename else display_path(root)
        problems.append(
            Problem(
                SourcePos(where, 1, 1), (), f"cannot read: {error.strerror}", subject="<folder>"
            )
        )

    def problem(path: Path, message: str, hint: str) -> None:
        problems.append(
            Problem(SourcePos(display_path(path), 1, 1), (), message, hint, subject="<file>")
        )

    real_root = root.resolve()
    found: list[Path] = []
    for folder, dirs, names in os.walk(root, onerror=unreadable):
        for name in sorted(dirs):
            if not name.startswith(".") and Path(folder, name).is_symlink():
                problem(
                    Path(folder, name),
                    "a link to a folder: kgen does not follow it, so its blueprints would be "
                    "left out",
                    "name the folder itself on the command line",
                )
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            path = Path(folder, name)
            if name.startswith(".") or path.suffix.lower() not in YAML_SUFFIXES:
                continue
            bad_name = name_problem(path)
            if bad_name is not None:
                problems.append(bad_name)
            elif path.is_symlink() and not path.exists():
                problem(
                    path, "a link to nothing: cannot read it", "remove the link or fix its target"
                )
            elif not path.is_file():
                problem(path, "not a regular file", "keep only blueprint files in the folder")
            elif not path.resolve().is_relative_to(real_root):
                problem(
                    path,
                    f"a link that leads out of {display_path(root)}: kgen reads only the folders "
                    "it is given",
                    "name the target on the command line, or copy it into the folder",
                )
            else:
                found.append(path)
    return sorted(found)


def load_paths(paths: Sequence[Path]) -> tuple[list[Blueprint], list[Problem]]:
    """Load every blueprint under ``paths``; problems are returned, not raised.

    The files of one run share one ``Budget``: together they expand to at most
    ``MAX_NODES`` nodes and ``MAX_TEXT`` characters; each file is at most ``MAX_FILE_BYTES``.
    """
    blueprints: list[Blueprint] = []
    files, problems = find_files(paths)
    budget = Budget()
    for file in files:
        name = display_path(file)
        try:
            text = _read(file)
        except _TooLarge:
            problems.append(
                Problem(
                    SourcePos(name, 1, 1),
                    (),
                    f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB",
                    "a blueprint is a few kilobytes: split the file, or keep large data out of it",
                    subject="<file>",
                )
            )
            continue
        except UnicodeDecodeError as exc:
            before = exc.object[: exc.start]
            line = before.count(b"\n") + 1
            column = exc.start - (before.rfind(b"\n") + 1) + 1
            problems.append(
                Problem(
                    SourcePos(name, line, column),
                    (),
                    f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} {exc.reason}",
                    "save the file as UTF-8",
                    subject="<file>",
                )
            )
            continue
        except OSError as exc:
            problems.append(
                Problem(SourcePos(name, 1, 1), (), exc.strerror or str(exc), subject="<file>")
            )
            continue
        for item in load_text(text, name, budget):
            if isinstance(item, Blueprint):
                blueprints.append(item)
            else:
                problems.append(item)
        if budget.exhausted:
            return [], problems  # the run fails: checking what was read would only cost time
    return blueprints, problems


class _TooLarge(Exception):
    pass


def _read(file: Path) -> str:
    """The file's text (standard input's for ``-``), read only up to the size limit (a
    file may grow while kgen reads, and a pipe never ends)."""
    if file == STDIN:
        import sys

        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        with file.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _TooLarge
    return data.decode("utf-8")


def load_text(text: str, file: str, budget: Budget | None = None) -> Iterator[Blueprint | Problem]:
    """Blueprints of one file's text, or the problems that stop them being read."""
    try:
        for document in load_documents(text, file, budget=budget):
            data, source = document.data, document.source
            if data is None:
                continue  # an empty document, as between '---' separators: harmless
            if not isinstance(data, dict):
                yield Problem(source.start, (), f"a blueprint is a mapping, found {shown(data)}")
                continue
            problem = _check_header(data, source)
            if problem is not None:
                yield problem
                continue
            yield Blueprint(data, source)
    except YamlError as exc:
        yield Problem(exc.pos, (), exc.message, exc.hint, subject="<yaml>")


def _check_header(data: dict[str, object], source: SourceMap) -> Problem | None:
    """apiVersion and kind decide which schema applies, so they are checked first."""
    value_pos = source.value_pos
    api_version = data.get("apiVersion")
    if api_version != API_VERSION:
        if api_version is None:
            return Problem(
                value_pos(()), ("apiVersion",), "missing", f"add 'apiVersion: {API_VERSION}'"
            )
        return Problem(
            value_pos(("apiVersion",)),
            ("apiVersion",),
            f"unknown apiVersion {api_version!r}, expected {API_VERSION!r}",
            f"write {API_VERSION}"
            if str(api_version).startswith("kgen.dev/")
            else "kgen reads blueprints only; keep plain Kubernetes manifests out of blueprint "
            "folders",
        )
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in registry():
        known = ", ".join(kind_names())
        if kind is None:
            return Problem(value_pos(()), ("kind",), f"missing; one of: {known}")
        hint = did_you_mean(str(kind), kind_names())
        return Problem(
            value_pos(("kind",)),
            ("kind",),
            f"unknown kind {kind!r}, expected one of: {known}",
            hint,
        )
    return None
