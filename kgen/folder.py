"""The output folder: what a render would change in it, and changing it safely.

kgen only ever touches files it wrote. ``.kgen-owned`` records them; a file is replaced
only when the record names it or it starts with kgen's header, and removed only when both
hold. Only paths kgen itself makes (``write.KGEN_PATH``) are ever written or removed, never
through a link, never over something that is not a regular file. Before any file changes,
the record names every file the folder may hold until the render ends (a journal), so an
interrupted render leaves nothing the next one does not find. Renders into one folder take
turns through a lock on its real location.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from pathlib import Path

from kgen.errors import InternalError, InvalidInput, OutputError
from kgen.immutable import Refused, refused_changes
from kgen.record import dataclass

try:
    import fcntl
except ImportError:  # Windows: the lock is a locked file beside the folder instead
    fcntl = None  # type: ignore[assignment]
from kgen.model import Problem, SourcePos
from kgen.write import DO_NOT_EDIT, KGEN_PATH, OWNERSHIP_FILE

#: The marker inside a staging folder: only folders holding it are cleared as leftovers.
STAGING_MARKER = ".kgen-staging"
_MARKER_TEXT = "kgen staging folder: removed by the next render into the folder beside it\n"
#: The longest ownership record kgen reads (its own are a few hundred bytes per file).
MAX_RECORD_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class FolderPlan:
    """What writing would change in an output folder.

    ``changed`` files are written, ``stale`` ones (kgen wrote them, the render no longer
    makes them) removed; ``kept`` ones were kgen's once but no longer start with its
    header, so kgen leaves them alone and forgets them. ``shown`` is the folder as the
    user named it, for messages; ``root`` is its real location.
    """

    root: Path
    files: Mapping[str, str]
    changed: tuple[str, ...]
    stale: tuple[str, ...]
    kept: tuple[str, ...] = ()
    shown: Path | None = None
    #: The ownership record differs from what this render writes: a killed render's
    #: journal, a lost record, or a hand edit.
    record_changed: bool = False
    #: The changes Kubernetes will not make in place, found before the folder was written
    #: (``refused_in`` of a plan that is written reads the files it wrote).
    refused: tuple[Refused, ...] | None = None

    @property
    def up_to_date(self) -> bool:
        return not self.changed and not self.stale and not self.record_changed


# --- what is there ------------------------------------------------------------------------


def _lstat(path: str | Path) -> os.stat_result | None:
    """The path's own status (links not followed), or None when there is nothing."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        raise OutputError(path=Path(path), reason=exc.strerror or str(exc)) from exc


#: The status of each path a plan looked at, under the folder's lock: a plan asks about a
#: file several times (is it a link, is it inside, is it there), the system once. Plans
#: name paths by text: making a pathlib path cost more than the system call, and a plan
#: of 1,200 files made about 12,000 of them (benches/README.md, item 17).
Statuses = dict[str, "os.stat_result | None"]


def _status(path: str, statuses: Statuses | None) -> os.stat_result | None:
    if statuses is None:
        return _lstat(path)
    if path not in statuses:
        statuses[path] = _lstat(path)
    return statuses[path]


def _written_by_kgen(path: str | Path) -> bool:
    """Whether the regular file ``path`` starts with kgen's header. A file kgen cannot
    read is an error, never taken for one that is not kgen's."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(len(DO_NOT_EDIT) + 8)
    except OSError as exc:
        raise OutputError(path=Path(path), reason=exc.strerror or str(exc)) from exc
    return first.rstrip(b"\r\n") == f"# {DO_NOT_EDIT}".encode()


def _read_text(path: str | Path, limit: int | None = None) -> str:
    """The file's exact text: no newline translation, so CRLF counts as a change."""
    try:
        with open(path, "rb") as handle:
            data = handle.read() if limit is None else handle.read(limit + 1)
        if limit is not None and len(data) > limit:
            raise OutputError(path=Path(path), reason=f"larger than {limit // 2**20} MiB")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = str(getattr(exc, "strerror", None) or exc)
        raise OutputError(path=Path(path), reason=reason) from exc


def _read(path: Path) -> str | None:
    status = _lstat(path)
    return _read_text(path) if status is not None and stat.S_ISREG(status.st_mode) else None


def _ownership_record(paths: Iterable[str]) -> str:
    return "# Files kgen wrote here; kgen replaces or removes only these.\n" + "".join(
        f"{path}\n" for path in sorted(paths)
    )


def _shown_entry(line: str) -> str:
    return ascii(line if len(line) <= 200 else f"{line[:100]}...{line[-100:]}")


def _inside(
    root: Path,
    relative: str,
    real_root: Path | None = None,
    parents: dict[str, bool] | None = None,
    statuses: Statuses | None = None,
) -> bool:
    """A relative path made of plain names whose real location (links followed) is
    inside root (``real_root``: root resolved, when the caller has it; ``parents``:
    whether each folder met so far in this plan, under its lock, is really inside root;
    ``statuses``: the plan's, ``_status``)."""
    parts = relative.split("/")
    if not relative or relative.startswith("/") or {"", ".", ".."} & set(parts):
        return False
    path = f"{root}/{relative}"
    try:
        status = _status(path, statuses)
        if parents is None or (status is not None and stat.S_ISLNK(status.st_mode)):
            return Path(path).resolve().is_relative_to(real_root or root.resolve())
        # not a link: inside when its folder really is (each folder resolved once)
        folder = path.rpartition("/")[0]
        inside = parents.get(folder)
        if inside is None:
            inside = parents[folder] = (
                Path(folder).resolve().is_relative_to(real_root or root.resolve())
            )
        return inside
    except (OSError, RuntimeError):  # a link loop, a name too long
        return False


def _real(root: Path) -> Path | None:
    try:
        return root.resolve()
    except (OSError, RuntimeError):
        return None


def _output_problem(target: Path, message: str, hint: str | None = None) -> Problem:
    return Problem(SourcePos(target.as_posix(), 1, 1), (), message, hint, subject="<output>")


def _where_problem(
    root: Path,
    shown: Path,
    relative: str,
    folders: set[str] | None = None,
    statuses: Statuses | None = None,
) -> Problem | None:
    """Why kgen may not write at ``relative`` (plain names: one of ``KGEN_PATH``) inside
    ``root``: a link, something that is not a folder on the way, or something that is
    not a regular file at the end. ``folders``: the folders on the way already found
    fine, in this plan (under its lock); ``statuses``: the plan's (``_status``)."""
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):
        path = f"{root}/{'/'.join(parts[:depth])}"
        if folders is not None and depth < len(parts) and path in folders:
            continue
        status = _status(path, statuses)
        if status is None:
            return None
        last = depth == len(parts)
        why = _why_not(status, last, path)
        if why is not None:
            return _output_problem(shown.joinpath(*parts[:depth]), *why)
        if not last and folders is not None:
            folders.add(path)
    return None


def _why_not(status: os.stat_result, last: bool, path: str) -> tuple[str, str | None] | None:
    """Why kgen may not write through (``last``: at) ``path``, of that status, with the
    hint; None when it may."""
    if stat.S_ISLNK(status.st_mode):
        return (
            "is a link: kgen writes only regular files in real folders of the output",
            "replace the link by the folder or file itself, or remove it",
        )
    if not last and not stat.S_ISDIR(status.st_mode):
        return "is a file where kgen writes a folder", "move it away"
    if not last and Path(path, OWNERSHIP_FILE).exists():
        return (
            "is another kgen output folder: kgen will not write inside it",
            "render each set into a folder of its own, side by side",
        )
    if last and stat.S_ISDIR(status.st_mode):
        return "is a folder where kgen writes a file", None
    if last and not stat.S_ISREG(status.st_mode):
        return (
            "is not a regular file (a pipe, socket or device) where kgen writes a file",
            "move it away",
        )
    return None


# --- the ownership record -------------------------------------------------------------


def _owned(
    root: Path, shown: Path, statuses: Statuses | None = None
) -> tuple[set[str], list[Problem]]:
    """The files kgen wrote in ``root``: those its record names, and any other file at a
    path kgen makes that starts with its header (a record cut short or lost). Entries that
    are not paths kgen writes inside the folder are problems."""
    record = root / OWNERSHIP_FILE
    status = _lstat(record)
    if status is None:
        return _recovered(root), []
    if not stat.S_ISREG(status.st_mode):
        return _recovered(root), [
            _output_problem(
                shown / OWNERSHIP_FILE,
                "is a link or not a regular file: kgen keeps its record of the files it "
                "wrote here itself",
                f"remove it; kgen rebuilds {OWNERSHIP_FILE} from the files' headers",
            )
        ]
    problems: list[Problem] = []
    real_root = _real(root)
    parents: dict[str, bool] = {}
    owned: set[str] = set()
    for number, line in enumerate(_read_text(record, MAX_RECORD_BYTES).splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        if (
            KGEN_PATH.fullmatch(line)
            and real_root is not None
            and _inside(root, line, real_root, parents, statuses)
        ):
            owned.add(line)
        elif KGEN_PATH.fullmatch(line):
            continue  # a path kgen writes, through a link: never touched; the link is reported
        elif len(problems) < 100:
            problems.append(
                Problem(
                    SourcePos((shown / OWNERSHIP_FILE).as_posix(), number, 1),
                    (),
                    f"{_shown_entry(line)} is not a file kgen writes inside {shown.as_posix()}",
                    f"kgen writes this record itself: delete the line, or delete {OWNERSHIP_FILE}",
                    subject="<output>",
                )
            )
    return owned | _recovered(root, known=owned, statuses=statuses), problems


def _recovered(
    root: Path, known: AbstractSet[str] = frozenset(), statuses: Statuses | None = None
) -> set[str]:
    """What kgen wrote in ``root``, found by its headers at the paths kgen makes (but the
    ``known`` ones, which the record names already: their headers need not be read)."""
    if not root.is_dir() or root.is_symlink():
        return set()
    found = set()
    folders: set[str] = set()
    for relative in ["kustomization.yaml", *_yaml_one_down(root)]:
        if relative in known:
            continue
        path = f"{root}/{relative}"
        status = _status(path, statuses)
        if (
            status is not None
            and stat.S_ISREG(status.st_mode)
            and KGEN_PATH.fullmatch(relative)
            and _where_problem(root, root, relative, folders, statuses) is None
            and _written_by_kgen(path)
        ):
            found.add(relative)
    return found


def _yaml_one_down(root: Path) -> list[str]:
    """The ``*.yaml`` entries of the folders in ``root``, relative to it: what
    ``root.glob("*/*.yaml")`` finds, without a path object for each."""
    found: list[str] = []
    with os.scandir(root) as entries:
        for entry in entries:
            try:
                if entry.is_dir():
                    with os.scandir(entry.path) as inner:
                        found.extend(
                            f"{entry.name}/{i.name}" for i in inner if i.name.endswith(".yaml")
                        )
            except OSError:  # a folder that cannot be read, as glob passes it by
                continue
    return found


# --- the plan -------------------------------------------------------------------------------


def plan_folder(root: Path, files: Mapping[str, str], shown: Path | None = None) -> FolderPlan:
    """Compare the folder with what kgen would write; refuse to take over foreign files,
    to write through links, or to replace anything that is not a regular file.
    ``shown`` is how the user named ``root`` (for messages)."""
    shown = root if shown is None else shown
    status = _lstat(root)
    if status is not None and not stat.S_ISDIR(root.stat().st_mode):
        raise OutputError(path=shown, reason="exists and is not a folder")
    statuses: Statuses = {}
    owned, problems = _owned(root, shown, statuses)
    changed = []
    folders: set[str] = set()
    real_root = _real(root)
    parents: dict[str, bool] = {}
    for path, content in sorted(files.items()):
        if not KGEN_PATH.fullmatch(path):
            raise InternalError(message=f"refusing to write {path!a}: not a path kgen writes")
        target = f"{root}/{path}"
        trouble = _where_problem(root, shown, path, folders, statuses)
        if trouble is None and (
            real_root is None or not _inside(root, path, real_root, parents, statuses)
        ):
            trouble = _output_problem(shown / path, "is a link that leads out of the folder")
        if trouble is not None:
            problems.append(trouble)
            continue
        if _status(target, statuses) is None:
            changed.append(path)
        elif path not in owned and not _written_by_kgen(target):
            problems.append(
                _output_problem(
                    shown / path,
                    "kgen did not write this file, so it will not overwrite it",
                    "move it away, or choose another output folder",
                )
            )
        elif _read_text(target) != content:
            changed.append(path)
    if problems:
        raise InvalidInput(problems=problems)
    stale: list[str] = []
    kept: list[str] = []
    for path in sorted(owned - set(files)):
        target = f"{root}/{path}"
        status = _status(target, statuses)
        if status is None or _where_problem(root, shown, path, folders, statuses) is not None:
            continue
        (stale if _written_by_kgen(target) else kept).append(path)
    record_changed = _read(root / OWNERSHIP_FILE) != _ownership_record(files)
    return FolderPlan(root, files, tuple(changed), tuple(stale), tuple(kept), shown, record_changed)


def refused_in(plan: FolderPlan) -> list[Refused]:
    """The changes of a plan that Kubernetes will not make in place (``kgen.immutable``)."""
    if plan.refused is not None:
        return list(plan.refused)
    found: list[Refused] = []
    for path in plan.changed:
        found.extend(refused_changes(_read(plan.root / path), plan.files[path]))
    return found


def folder_diff(plan: FolderPlan, prefix: str = "") -> str:
    """A unified diff from the folder as it is to the folder render would write; paths
    start with ``prefix`` (the environment's folder, with --all-envs)."""
    import difflib  # --check and diff only

    chunks: list[str] = []
    for path in plan.changed:
        before = _read(plan.root / path)
        chunks.extend(
            difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                plan.files[path].splitlines(keepends=True),
                fromfile=f"a/{prefix}{path}" if before is not None else "/dev/null",
                tofile=f"b/{prefix}{path}",
            )
        )
    if plan.record_changed:
        before = _read(plan.root / OWNERSHIP_FILE)
        chunks.extend(
            difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                _ownership_record(plan.files).splitlines(keepends=True),
                fromfile=f"a/{prefix}{OWNERSHIP_FILE}" if before is not None else "/dev/null",
                tofile=f"b/{prefix}{OWNERSHIP_FILE}",
            )
        )
    for path in plan.stale:
        before = _read_text(plan.root / path)
        chunks.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                [],
                fromfile=f"a/{prefix}{path}",
                tofile="/dev/null",
            )
        )
    return "".join(chunk if chunk.endswith("\n") else chunk + "\n" for chunk in chunks)


# --- writing --------------------------------------------------------------------------------


def write_folder(plan: FolderPlan) -> None:
    """Write the plan: build everything in a staging folder beside the target first.

    A new folder is moved into place in one rename. An existing one gets each changed file
    by an atomic rename, then loses the stale files kgen wrote earlier; files kgen did not
    write are never touched, and unchanged files keep their timestamps.
    """
    try:
        _write(plan)
    except OSError as exc:
        where = Path(exc.filename) if exc.filename else plan.root
        reason = exc.strerror or str(exc)
        if exc.errno == errno.EXDEV:
            reason = (
                "the folder is on another filesystem than its parent (a mount point): kgen "
                "stages beside the folder and moves files in, which cannot cross filesystems; "
                "write into a folder inside the mount"
            )
        raise OutputError(path=where, reason=reason) from exc


def _staging_prefix(root: Path) -> str:
    """Staging folders are named after the output folder (shortened when long)."""
    name = (
        root.name if len(root.name) <= 64 else hashlib.sha256(root.name.encode()).hexdigest()[:16]
    )
    return f".kgen-tmp-{name}-"


def _write(plan: FolderPlan) -> None:
    root = plan.root
    record = _ownership_record(plan.files)
    record_path = root / OWNERSHIP_FILE
    existing = _lstat(root) is not None
    if existing and plan.up_to_date:
        return
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(root), dir=root.parent))
    (staging / STAGING_MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
    staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the result should not be
    try:
        folders: set[Path] = {staging}
        for path in plan.files if not existing else plan.changed:
            _create(staging / path, plan.files[path], folders)
        if not existing:
            (staging / OWNERSHIP_FILE).write_text(record, encoding="utf-8")
            os.replace(staging, root)
            (root / STAGING_MARKER).unlink()  # a kill right here: the next lock removes it
            return
        # The journal: before any file changes, the record names every file the folder may
        # hold until this render ends, so a render killed midway leaves nothing that the
        # next render or --check does not find.
        journal = _ownership_record({*plan.files, *plan.stale})
        if _read(record_path) != journal:
            _replace_text(staging / f"{OWNERSHIP_FILE}.journal", journal, record_path)
        for path in plan.changed:
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / path, target)
        for path in plan.stale:
            (root / path).unlink()
            _remove_empty_parents(root, (root / path).parent)
        if _read(record_path) != record:
            _replace_text(staging / OWNERSHIP_FILE, record, record_path)
    finally:
        _remove_staging(staging)


def _create(path: Path, text: str, folders: set[Path]) -> None:
    """Write a new file of the staging folder in three system calls (open, write, close),
    making its folder once (``folders``). A text file of pathlib costs several more calls,
    which on a sandboxed machine came to most of the time of writing 1,200 files."""
    parent = path.parent
    if parent not in folders:
        parent.mkdir(parents=True, exist_ok=True)
        folders.add(parent)
    view = memoryview(text.encode("utf-8"))
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def _remove_staging(staging: Path) -> None:
    """Remove a staging folder, its marker last: a render killed meanwhile leaves a folder
    that still carries the marker, or an empty one; the next render clears either."""
    if not staging.is_dir():
        return
    for child in staging.iterdir():
        if child.name == STAGING_MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    (staging / STAGING_MARKER).unlink(missing_ok=True)
    staging.rmdir()


def _replace_text(staged: Path, text: str, target: Path) -> None:
    staged.write_text(text, encoding="utf-8")
    with staged.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staged, target)


def _is_staging(folder: Path) -> bool:
    """A staging folder kgen made: a real folder holding kgen's marker, and nothing else
    than what kgen puts there."""
    marker = folder / STAGING_MARKER
    try:
        if folder.is_symlink() or not folder.is_dir() or marker.is_symlink():
            return False
        return marker.read_text(encoding="utf-8") == _MARKER_TEXT
    except (OSError, UnicodeDecodeError):
        return False


@contextmanager
def folder_lock(root: Path, *, create: bool = True) -> Iterator[None]:
    """Hold an exclusive lock for writing ``root`` (its real location, whatever path names
    it), so that two renders into one folder run one after the other; also clears the
    staging folders an interrupted render left behind. Without ``create`` (``--check``)
    nothing is created: a folder whose parent does not exist needs no lock."""
    real = root.resolve()
    parent = real.parent
    if not create and not parent.is_dir():
        yield
        return
    try:
        if create:
            parent.mkdir(parents=True, exist_ok=True)
        handle = _locked(parent, real)
    except OSError as exc:
        raise OutputError(path=parent, reason=exc.strerror or str(exc)) from exc
    try:
        if create:
            for leftover in parent.glob(f"{_staging_prefix(real)}*"):
                if _is_staging(leftover):
                    _remove_staging(leftover)
                elif leftover.is_dir() and not leftover.is_symlink():
                    with suppress(OSError):
                        leftover.rmdir()  # only when empty: a staging folder, all but gone
            if _is_staging(real):  # a new folder moved into place, its marker still in it
                (real / STAGING_MARKER).unlink()
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _locked(parent: Path, real: Path) -> int:
    """A handle that holds the lock of the folders beside ``real``, waiting for it: the
    parent folder itself where ``flock`` exists (Linux, macOS), else (Windows) a lock file
    ``.<name>.kgen-lock`` beside the folder, the one file kgen makes outside it there."""
    if fcntl is not None:
        handle = os.open(parent, os.O_RDONLY)
        fcntl.flock(handle, fcntl.LOCK_EX)
        return handle
    import msvcrt

    handle = os.open(parent / f".{real.name}.kgen-lock", os.O_RDWR | os.O_CREAT, 0o644)
    while True:
        try:
            msvcrt.locking(handle, msvcrt.LK_LOCK, 1)
            return handle
        except OSError as exc:  # LK_LOCK gives up after ten tries a second apart
            if exc.errno != errno.EDEADLK:
                os.close(handle)
                raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
