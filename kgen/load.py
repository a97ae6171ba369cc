"""Stage 1: read blueprint files into ``Blueprint`` values with source maps."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from kgen.defaults import DEFAULTS_FILES, check_document, inherit, is_defaults_file, search_folders
from kgen.defaults import KIND as DEFAULTS_KIND
from kgen.errors import UsageError
from kgen.kinds import API_VERSION, kind_names, registry
from kgen.model import Blueprint, Problem, SourceMap, SourcePos
from kgen.record import dataclass
from kgen.suggest import did_you_mean, shown
from kgen.yamlio import MAX_NODES, Budget, YamlError, load_documents

#: The most defaults files one blueprint inherits, and the deepest folder kgen reads below
#: a folder it is given: real repositories stay far below either, and each bounds work
#: that would otherwise grow with a crafted tree.
MAX_CHAIN = 16
MAX_DEPTH = 64

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Inputs:
    """What the files in a folder kgen reads are: the suffixes it reads, and what messages
    call the files."""

    suffixes: tuple[str, ...]
    noun: str


#: Blueprints (render, validate, ...): YAML files.
BLUEPRINT_FILES = Inputs(YAML_SUFFIXES, "blueprint")
#: Kubernetes manifests (import): YAML and JSON files, as kubectl reads a folder.
MANIFEST_FILES = Inputs((*YAML_SUFFIXES, ".json"), "manifest")
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


def find_files(
    paths: Sequence[Path], inputs: Inputs = BLUEPRINT_FILES
) -> tuple[list[Path], list[Problem]]:
    """Expand folders recursively into their files of ``inputs`` (YAML blueprints unless
    said), in a stable order.

    Hidden files and folders (``.git``, ``.github``) are skipped; a folder that cannot be
    read or a link that leads nowhere is a problem, never silently left out (its resources
    would vanish from the output). Raises ``UsageError`` when a path does not exist or a
    folder holds no YAML. Shared defaults files found in a folder are among the files (to
    be checked); one named on its own is a usage error.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path == STDIN:
            if STDIN not in files:
                files.append(STDIN)
            continue
        kind = _file_type(path, inputs)
        if kind == "folder":
            found = _walk(path, problems, inputs)
            if not found and not problems:
                wanted = [f"*{suffix}" for suffix in inputs.suffixes]
                shown_suffixes = f"{', '.join(wanted[:-1])} or {wanted[-1]}"
                raise UsageError(message=f"{display_path(path)}: no {shown_suffixes} files")
            files.extend(found)
        elif kind == "file" and is_defaults_file(path):
            raise UsageError(
                message=f"{_shown_path(path)}: holds the defaults of its folder, not "
                "blueprints; name the folder (or the blueprint files) to read"
            )
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


def _file_type(path: Path, inputs: Inputs = BLUEPRINT_FILES) -> str:
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
    return (
        f"not a regular file or folder (a device, pipe or socket): kgen reads {inputs.noun} files"
    )


def _shown_path(path: Path) -> str:
    """A path for a message: long ones shortened in the middle, control characters escaped."""
    text = ascii(display_path(path))[1:-1] if name_problem(path) else display_path(path)
    return text if len(text) <= 200 else f"{text[:100]}...{text[-100:]}"


def _walk(root: Path, problems: list[Problem], inputs: Inputs) -> list[Path]:
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
        if len(Path(folder).relative_to(root).parts) >= MAX_DEPTH and dirs:
            problem(
                Path(folder),
                f"folders nested more than {MAX_DEPTH} deep: kgen reads no deeper",
                f"keep {inputs.noun}s in a shallower tree, or name the deep folder itself",
            )
            dirs[:] = []
        for name in sorted(dirs):
            if not name.startswith(".") and Path(folder, name).is_symlink():
                problem(
                    Path(folder, name),
                    f"a link to a folder: kgen does not follow it, so its {inputs.noun}s would "
                    "be left out",
                    "name the folder itself on the command line",
                )
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            path = Path(folder, name)
            if name.startswith(".") or path.suffix.lower() not in inputs.suffixes:
                continue
            bad_name = name_problem(path)
            if bad_name is not None:
                problems.append(bad_name)
            elif path.is_symlink() and not path.exists():
                what = "a link that loops" if _loops(path) else "a link to nothing"
                problem(path, f"{what}: cannot read it", "remove the link or fix its target")
            elif not path.is_file():
                problem(path, "not a regular file", f"keep only {inputs.noun} files in the folder")
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


class LoadCache(Protocol):
    """Where ``load_paths`` keeps what it read of a file (``kgen.jobs.RenderCache``)."""

    def recall(self, key: str) -> object: ...

    def keep(self, key: str, value: object) -> None: ...


@dataclass(frozen=True)
class _Loaded:
    """The blueprints of one file's text, and what reading it spent of the run's budget."""

    blueprints: tuple[Blueprint, ...]
    nodes: int
    text: int
    documents: int


def _load_text(
    text: str, name: str, budget: Budget, cache: LoadCache | None
) -> list[Blueprint | Problem]:
    """``load_text``, from ``cache`` when an earlier run read the same text under the same
    name without a problem, and the run's budget has room for all it spent then (else it
    is read again, and goes over the budget at the very node it did)."""
    if cache is None:
        return list(load_text(text, name, budget))
    digest = hashlib.sha256(b"loaded\0")
    digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(text.encode("utf-8", "surrogateescape"))
    key = digest.hexdigest()
    found = cache.recall(key)
    if (
        isinstance(found, _Loaded)
        and found.nodes <= budget.nodes
        and found.text <= budget.text
        and found.documents <= budget.documents
    ):
        budget.nodes -= found.nodes
        budget.text -= found.text
        budget.documents -= found.documents
        return list(found.blueprints)
    before = (budget.nodes, budget.text, budget.documents)
    items = list(load_text(text, name, budget))
    blueprints = tuple(item for item in items if isinstance(item, Blueprint))
    if len(blueprints) == len(items) and not budget.exhausted:
        spent = (before[0] - budget.nodes, before[1] - budget.text, before[2] - budget.documents)
        cache.keep(key, _Loaded(blueprints, *spent))
    return items


def load_paths(
    paths: Sequence[Path], cache: LoadCache | None = None
) -> tuple[list[Blueprint], list[Problem]]:
    """Load every blueprint under ``paths``; problems are returned, not raised.
    ``cache``: where earlier runs kept what they read of unchanged files.

    The files of one run share one ``Budget``: together they expand to at most
    ``MAX_NODES`` nodes and ``MAX_TEXT`` characters; each file is at most ``MAX_FILE_BYTES``.
    Blueprints come back merged with the shared defaults they inherit (``kgen.defaults``);
    those under a defaults file with problems are left out (its problems say why).
    """
    blueprints: list[Blueprint] = []
    files, problems = find_files(paths)
    budget = Budget()
    defaults = Defaults(budget)
    for file in files:
        if is_defaults_file(file):  # checked even where no blueprint inherits it
            defaults.chain_of(file.parent)
            continue
        name = display_path(file)
        text = read_text(file, name)
        if isinstance(text, Problem):
            problems.append(text)
            continue
        chain = defaults.chain_of(Path.cwd() if file == STDIN else file.parent)
        for item in _load_text(text, name, budget, cache):
            if isinstance(item, Problem):
                problems.append(item)
            elif chain and defaults.charge(item, chain):
                blueprints.append(inherit(item, chain, None))
            elif chain is not None and not chain:
                blueprints.append(item)
        if budget.exhausted or defaults.exhausted:
            return [], [*problems, *defaults.problems]  # the run fails: checking the rest
    problems.extend(defaults.problems)
    return blueprints, problems


def read_text(file: Path, name: str) -> str | Problem:
    """A file's text, or the problem that stops kgen reading it."""
    try:
        return _read(file)
    except _TooLarge:
        return Problem(
            SourcePos(name, 1, 1),
            (),
            f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB",
            "a blueprint is a few kilobytes: split the file, or keep large data out of it",
            subject="<file>",
        )
    except UnicodeDecodeError as exc:
        before = exc.object[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return Problem(
            SourcePos(name, line, column),
            (),
            f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} {exc.reason}",
            "save the file as UTF-8",
            subject="<file>",
        )
    except OSError as exc:
        return Problem(SourcePos(name, 1, 1), (), exc.strerror or str(exc), subject="<file>")


class Defaults:
    """The defaults files of one run, each read and checked once, and the chain each
    folder inherits (cached per folder)."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.problems: list[Problem] = []
        self.exhausted = False
        self._work = 0
        self._files: dict[Path, Blueprint | None] = {}
        self._chains: dict[Path, tuple[Blueprint, ...] | None] = {}
        self._cwd = Path(os.path.abspath(Path.cwd()))

    def chain_of(self, folder: Path) -> tuple[Blueprint, ...] | None:
        """The defaults a blueprint in ``folder`` inherits, outermost first; None when one
        of them has problems (its blueprints are then left out)."""
        key = Path(os.path.abspath(folder))
        if key not in self._chains:
            chain: list[Blueprint] = []
            broken = False
            folders = search_folders(key, self._cwd)
            for candidate in reversed(folders):
                present = [candidate / n for n in DEFAULTS_FILES if os.path.lexists(candidate / n)]
                if len(present) > 1:
                    broken |= self._problem(
                        present[1],
                        f"a second defaults file beside {present[0].name}: which one counts?",
                        "keep the folder's defaults in one file",
                    )
                    continue
                for path in present:
                    if len(chain) == MAX_CHAIN:
                        broken |= self._problem(
                            path,
                            f"more than {MAX_CHAIN} defaults files above one blueprint",
                            "keep shared defaults in a few folders",
                        )
                        break
                    document = self._read(path, folders[-1])
                    if document is None:
                        broken = True
                    else:
                        chain.append(document)
            self._chains[key] = None if broken else tuple(chain)
        return self._chains[key]

    def _read(self, path: Path, root: Path) -> Blueprint | None:
        """The checked document of one defaults file (None when it has problems). A link
        may lead only to a file inside the project: a defaults file is read wherever a
        blueprint below it is, and its text may be echoed in a problem."""
        if path in self._files:
            return self._files[path]
        self._files[path] = None
        name = display_path(path)
        bad_name = name_problem(path)
        if bad_name is not None:
            self.problems.append(bad_name)
            return None
        if path.is_symlink() and _loops(path):
            self._problem(path, "a link that loops: cannot read the defaults")
            return None
        if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
            self._problem(
                path,
                f"a link that leads out of {display_path(root)}: kgen reads defaults files "
                "inside the project only",
                "copy the defaults into the file",
            )
            return None
        if not path.is_file():
            what = "a link to nothing" if path.is_symlink() else "not a regular file"
            self._problem(path, f"{what}: cannot read the defaults")
            return None
        text = read_text(path, name)
        if isinstance(text, Problem):
            self.problems.append(text)
            return None
        try:
            documents = [
                d for d in load_documents(text, name, budget=self.budget) if d.data is not None
            ]
        except YamlError as exc:
            self.problems.append(Problem(exc.pos, (), exc.message, exc.hint, subject="<yaml>"))
            return None
        if len(documents) != 1:
            where = documents[1].source.start if documents else SourcePos(name, 1, 1)
            self.problems.append(
                Problem(
                    where,
                    (),
                    "a defaults file holds one document"
                    if documents
                    else "the defaults file is empty",
                    f"write the folder's defaults as one document of kind: {DEFAULTS_KIND}",
                    subject="<file>",
                )
            )
            return None
        read = check_document(documents[0].data, documents[0].source)
        self.problems.extend(read.problems)
        self._files[path] = read.document
        return read.document

    def _problem(self, path: Path, message: str, hint: str | None = None) -> bool:
        """Record a problem with the defaults file at ``path``; True (it breaks the chain)."""
        self.problems.append(
            Problem(SourcePos(display_path(path), 1, 1), (), message, hint, subject="<file>")
        )
        return True

    def charge(self, blueprint: Blueprint, chain: Sequence[Blueprint]) -> bool:
        """Count the merge of ``chain`` into ``blueprint`` before doing it: merging repeats
        the defaults in every blueprint below them, and together the merged blueprints
        may hold at most ``MAX_NODES`` nodes, as the files may. False (with a problem at
        the largest defaults file) when this one would go over."""
        self._work += blueprint.source.size + sum(d.source.size for d in chain)
        if self._work <= MAX_NODES:
            return True
        if not self.exhausted:
            largest = max(chain, key=lambda d: d.source.size)
            self.problems.append(
                Problem(
                    largest.source.start,
                    (),
                    f"the blueprints with the defaults they inherit would hold more than "
                    f"{MAX_NODES:,} YAML nodes (this file has {largest.source.size:,}, "
                    "repeated in every blueprint below it)",
                    "keep defaults files short: a few shared values, not data",
                    subject="<file>",
                )
            )
        self.exhausted = True
        return False


def _loops(path: Path) -> bool:
    """Whether a link leads round in a circle (it names no file, and never will)."""
    try:
        path.resolve(strict=True)
    except RuntimeError:
        return True
    except OSError as exc:
        return exc.errno == 40  # ELOOP
    return False


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
        if kind == DEFAULTS_KIND:
            return Problem(
                value_pos(("kind",)),
                ("kind",),
                f"shared defaults are read from a file named {DEFAULTS_FILES[0]} only (they "
                "apply to its folder and below), not from a blueprint file",
                f"rename the file to {DEFAULTS_FILES[0]}, in the folder it is for",
            )
        hint = did_you_mean(str(kind), kind_names())
        return Problem(
            value_pos(("kind",)),
            ("kind",),
            f"unknown kind {kind!r}, expected one of: {known}",
            hint,
        )
    return None
