"""What an import prints and writes: the blueprints as one stream or a file each, the
warnings as ``FILE:LINE: warning: KIND NS/NAME: PATH: message`` lines, and the report."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from kgen.errors import OutputError, UsageError
from kgen.importer import Imported, ImportResult
from kgen.importer.account import WARNED, Line, Status
from kgen.importer.additions import DEFAULT_RESOURCES, HARDENED_CONTAINERS, HARDENED_PODS
from kgen.importer.index import WORKLOADS
from kgen.model import JsonPath, Problem, SourcePos, format_path
from kgen.record import replace

HEADER = "# Imported by kgen import from {file} ({ref}): review it, then keep it as your own."
#: The first line of a report: what ``--report FILE`` may write over.
REPORT_HEADER = "# kgen import report: every input value and what became of it"


def _text(item: Imported) -> str:
    ref = f"{item.source.kind} {item.namespace}/{item.source.name}"
    return HEADER.format(file=item.source.source.file, ref=ref) + "\n" + item.text


def to_stream(result: ImportResult) -> str:
    """Every blueprint in one YAML stream (``kgen import X | kgen render -``)."""
    return "".join(f"---\n{_text(item)}" for item in result.blueprints)


def planned(result: ImportResult, output: Path) -> list[tuple[Path, str]]:
    """The file of each blueprint under ``output`` (``DIR/<namespace>/<name>.yaml``), with
    its text."""
    return [
        (output / item.namespace / f"{item.name}.yaml", _text(item)) for item in result.blueprints
    ]


def _kind_of(path: Path) -> str:
    """What is at ``path``, as a message names it."""
    if path.is_symlink():
        if not path.exists():
            return "a broken link"
        return f"a link to a {'folder' if path.is_dir() else 'file'}"
    return "a file" if path.is_file() else "a special file"


def check_folders(output: Path, files: Sequence[Path]) -> None:
    """Refuse an ``output`` that is no folder, and anything but a folder where a
    namespace's folder of ``files`` goes: kgen never writes over a file, nor through a
    link it did not make (the folder the user names may be a link)."""
    shown = output.as_posix()
    found = next(p for p in (output, *output.parents) if os.path.lexists(p))
    if not found.is_dir():
        where = "" if found == output else f"{found.as_posix()} "
        raise UsageError(
            message=f"-o {shown}: {where}is {_kind_of(found)}, not a folder; name a folder, "
            "e.g. -o blueprints"
        )
    blocked = [
        f"{folder.as_posix()}: is {_kind_of(folder)}, where -o writes the folder of "
        f"namespace {folder.name}"
        for folder in sorted({file.parent for file in files})
        if os.path.lexists(folder) and (folder.is_symlink() or not folder.is_dir())
    ]
    if blocked:
        raise UsageError(
            message=f"{'; '.join(blocked)}; kgen import never writes over a file, nor through "
            f"a link (move {'it' if len(blocked) == 1 else 'them'}, or import into another "
            "folder)"
        )


def to_folder(result: ImportResult, output: Path) -> list[Path]:
    """One file per blueprint, ``DIR/<namespace>/<name>.yaml``; never over a file that is
    there (a file with the same content is left as it is). Checks every file, and every
    folder it goes in, before writing any."""
    planned_files = planned(result, output)
    check_folders(output, [path for path, _ in planned_files])
    taken = []
    for path, text in planned_files:
        if os.path.lexists(path):
            same = (
                path.is_file()
                and not path.is_symlink()
                and path.read_text(encoding="utf-8") == text
            )
            if not same:
                taken.append(path.as_posix())
    if taken:
        raise UsageError(
            message=f"{', '.join(taken)}: exists; kgen import never writes over a file (move "
            "it, or import into another folder)"
        )
    written = []
    for path, text in planned_files:
        if os.path.lexists(path):
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            raise OutputError(path=path, reason=exc.strerror or str(exc)) from None
        written.append(path)
    return written


def _subject(result: ImportResult, line: Line) -> str:
    resource = line.resource
    namespace = result.namespaces.get(id(resource))
    return (
        f"{resource.kind} {namespace}/{resource.name}"
        if namespace
        else f"{resource.kind} {resource.name}"
    )


def _pos(line: Line, path: JsonPath) -> SourcePos:
    """Where ``path`` of a line's resource was: at its key (``affinity:``, not the block
    on the lines below it); a whole workload at its name."""
    if not path and line.resource.kind in WORKLOADS and not line.entry.warn:
        return line.resource.pos(("metadata", "name"))
    return line.resource.key_pos(path)


def _dropped(result: ImportResult) -> str:
    """The workloads left out whole, as the summary names them ("" for none)."""
    found = {
        id(line.resource): _subject(result, line)
        for line in result.lines
        if not line.entry.path
        and line.entry.status is Status.LEFT_OUT
        and line.resource.kind in WORKLOADS
    }
    if not found:
        return ""
    count = len(found)
    return (
        f"; left out {count} workload{'s' if count != 1 else ''} whole "
        f"({', '.join(sorted(found.values()))}): see the warning{'s' if count != 1 else ''}"
    )


def warnings(result: ImportResult) -> list[str]:
    """One line per input value that the blueprints do not say as the input did: the
    first leaf under each record (a whole left-out resource is one line)."""
    seen: set[tuple[int, tuple[object, ...]]] = set()
    out: list[tuple[tuple[str, int], str]] = []
    for line in result.lines:
        entry = line.entry
        if entry.status not in WARNED and not entry.warn and not entry.loud:
            continue
        key = (id(entry.resource), entry.path)
        if key in seen:
            continue
        seen.add(key)
        pos = _pos(line, entry.path)
        field = format_path(entry.path) if entry.path else "<document>"
        message = entry.note or entry.status.value
        if entry.status is Status.PATCHED and entry.targets:
            shown = " and ".join(sorted(f"{t.kind} {t.name}" for t in entry.targets))
            message = f"no blueprint field; kept as a patch on {shown}"
        out.append(
            (
                (pos.file, pos.line),
                f"{pos.file}:{pos.line}: warning: {_subject(result, line)}: {field}: {message}",
            )
        )
    out.extend(((note.pos.file, note.pos.line), _note(note)) for note in result.notes)
    out.extend(_runtime_changes(result))
    return [text for _, text in sorted(out, key=lambda pair: pair[0])]


#: What kgen adds that changes how an imported workload's pods run, beside what it maps:
#: (the reasons of the addition (``kgen.importer.additions``), the last part of one of its
#: paths, or "" for any) -> what to say.
_RUNS_DIFFERENTLY = (
    (
        (HARDENED_PODS, HARDENED_CONTAINERS),
        "runAsUser",
        "containers run as user 10001, where the input named none (an image that needs its "
        "own user, or root, fails)",
    ),
    (
        (HARDENED_CONTAINERS,),
        "readOnlyRootFilesystem",
        "containers get a read-only root filesystem (an image that writes outside /tmp and "
        "writablePaths fails)",
    ),
    (
        (DEFAULT_RESOURCES,),
        "",
        "containers get kgen's default requests and limits where the input set none (set "
        "resources; a CPU limit is always written)",
    ),
)


def _runtime_changes(result: ImportResult) -> Iterator[tuple[tuple[str, int], str]]:
    """One warning per imported workload whose pods kgen runs differently (hardening,
    default resources), at the workload's name: the report lists each value."""
    # each rendered workload by the input workload whose values it renders (a process or
    # a migration Job has a name of kgen's own)
    workloads = {
        (target.kind, result.namespaces.get(id(line.resource)), target.name): line
        for line in result.lines
        if line.resource.kind in WORKLOADS and line.entry.status is Status.MAPPED
        for target in line.entry.targets
        if target.kind == line.resource.kind
    }
    said: dict[int, tuple[Line, list[str]]] = {}
    for addition in result.additions:
        line = workloads.get((addition.kind, addition.namespace, addition.name))
        if line is None:
            continue
        ends = {path.rsplit(".", 1)[-1] for path in addition.paths}
        if "runAsUser" in ends and _names_a_user(line.resource.body):
            ends.discard("runAsUser")  # said at the pod or a container: kgen keeps it
        for reasons, end, change in _RUNS_DIFFERENTLY:
            if addition.reason in reasons and (not end or end in ends):
                changes = said.setdefault(id(line.resource), (line, []))[1]
                if change not in changes:
                    changes.append(change)
    for line, changes in said.values():
        pos = line.resource.pos(("metadata", "name"))
        yield (
            (pos.file, pos.line),
            f"{pos.file}:{pos.line}: warning: {_subject(result, line)}: kgen runs its pods "
            f'differently: {"; ".join(changes)} (the report\'s "kgen adds" lists '
            "each value)",
        )


def _names_a_user(node: object) -> bool:
    """Whether a workload's pod or one of its containers names a user (``runAsUser``)."""
    if isinstance(node, dict):
        return "runAsUser" in node or any(_names_a_user(child) for child in node.values())
    return isinstance(node, list) and any(_names_a_user(child) for child in node)


def _note(note: Problem) -> str:
    return f"{note.pos.file}:{note.pos.line}: note: {note.message} (hint: {note.hint})"


def notes(found: Sequence[Problem]) -> list[str]:
    """The notes of what was skipped on purpose, as ``warnings`` gives them: printed before
    the errors of an import that fails too, as a skipped kustomization may be why."""
    return [_note(note) for note in sorted(found, key=Problem.sort_key)]


def report(result: ImportResult) -> str:
    """The whole accounting, one line per input leaf (where it was, what became of it),
    then what kgen writes beyond the input, one line per resource and reason."""
    lines = [REPORT_HEADER]
    for line in result.lines:
        entry = line.entry
        where = f"{_pos(line, line.path).file}:{_pos(line, line.path).line}"
        status = entry.status.value
        below = line.path[len(entry.path) :]  # a leaf inside the value the entry maps
        detail = (
            f" -> {', '.join(str(replace(t, path=(*t.path, *below))) for t in entry.targets)}"
            if entry.targets and entry.status is Status.MAPPED
            else ""
        )
        note = f" ({entry.note})" if entry.note else ""
        lines.append(
            f"{where}: {_subject(result, line)}: {format_path(line.path)}: {status}{detail}{note}"
        )
    grouped: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for added in result.additions:
        key = (added.kind, added.reason, added.paths)
        grouped.setdefault(key, []).append(f"{added.namespace}/{added.name}")
    for (kind, reason, paths), names in grouped.items():
        shown = ", ".join(names)
        lines.append(
            f"kgen adds {', '.join(paths)} to {kind} {shown} ({reason})"
            if paths
            else f"kgen adds {kind} {shown} ({reason})"
        )
    lines.extend(f"warning: {remark}" for remark in result.remarks)
    return "\n".join(lines) + "\n"


def check_report(path: Path, blueprints: Sequence[Path] = ()) -> None:
    """Refuse a report path that holds anything but an earlier report (kgen never writes
    over a file it did not write, nor through a link), a folder, or the path of one of the
    ``blueprints`` about to be written."""
    shown = path.as_posix()
    if path.is_dir() and not path.is_symlink():
        raise UsageError(
            message=f"--report {shown}: is a folder; name a file, e.g. {shown}/report.txt"
        )
    clash = next((b for b in blueprints if _same_file(b, path)), None)
    if clash is not None:
        raise UsageError(
            message=f"--report {shown}: -o writes the blueprint {clash.as_posix()} there; name "
            "a report file outside the blueprints, e.g. import-report.txt"
        )
    if not os.path.lexists(path):
        if not path.parent.is_dir():
            raise UsageError(message=f"--report {path.as_posix()}: its folder does not exist")
        return
    if path.is_symlink():
        raise UsageError(
            message=f"--report {shown}: is a link; kgen never writes through a link (name "
            "the file it points at, or a new file)"
        )
    ours = False
    if path.is_file():
        with path.open("rb") as handle:
            ours = handle.read(len(REPORT_HEADER) + 1) == (REPORT_HEADER + "\n").encode()
    if not ours:
        raise UsageError(
            message=f"--report {path.as_posix()}: exists and is not a kgen import report; "
            "kgen never writes over a file it did not write (name a new file)"
        )


def _same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one file (their folders resolved, links in them followed)."""
    return os.path.realpath(one.parent) == os.path.realpath(other.parent) and os.path.normcase(
        one.name
    ) == os.path.normcase(other.name)


def write_report(result: ImportResult, path: Path) -> None:
    """Write the report to ``path`` (checked with ``check_report``) whole or not at all."""
    staged: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="\n", dir=path.parent, prefix=f".{path.name}.",
            suffix=".kgen-tmp", delete=False,
        ) as handle:  # fmt: skip
            staged = Path(handle.name)
            handle.write(report(result))
        os.replace(staged, path)
    except OSError as exc:
        if staged is not None:
            staged.unlink(missing_ok=True)
        raise OutputError(path=path, reason=exc.strerror or str(exc)) from None


def summary(result: ImportResult, written: Sequence[Path] | None = None) -> str:
    counts: dict[str, int] = {}
    for line in result.lines:
        if line.entry.warn:
            continue  # a note, not an input value
        counts[line.entry.status.value] = counts.get(line.entry.status.value, 0) + 1
    shown = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    made = len(result.blueprints)
    if not result.lines:
        return "kgen: warning: nothing imported: the input holds no Kubernetes resource"
    if not made:
        return (
            f"kgen: warning: nothing imported: no workload kgen can make a blueprint of "
            f"({shown} input values; each is listed above)"
        )
    where = (
        f"; wrote {len(written)} file{'s' if len(written) != 1 else ''}"
        if written is not None
        else ""
    )
    remarks = "".join(f"kgen: warning: {remark}\n" for remark in result.remarks)
    return (
        f"{remarks}kgen: imported {made} blueprint{'s' if made != 1 else ''} ({shown} input "
        f"values){_dropped(result)}{where}"
    )


def lines_of(items: Iterable[str]) -> str:
    return "".join(f"{item}\n" for item in items)
