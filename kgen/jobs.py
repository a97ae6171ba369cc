"""Rendering the blueprints of a set on several cores, and from the cache of earlier runs.

Once the set is validated and assembled, each blueprint renders on its own: its templates,
its patches and the checks of its documents (``render_one``). That is the work ``--jobs N``
shares among N processes, and what the render cache (``kgen.cache``) keeps for the next
run, keyed on everything it reads: the blueprint with the place of every value, its view
of the set, the Kubernetes version and kgen itself. What spans the set (its validation,
resources rendered twice, tolerations) stays in the main process.

Both give back exactly what rendering in order gives: the same documents in the same
order, the same problems, and the run's output budget (``kgen.budget``) spent blueprint by
blueprint in that order (``replay``), so a run over its budget stops at the same blueprint
with the same message. An error a worker meets is raised at its blueprint's turn.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kgen.assemble import SetView
from kgen.budget import OutputBudget
from kgen.check import document_problems_of
from kgen.errors import KgenError
from kgen.model import Blueprint, Document, JsonPath, Problem
from kgen.patch import apply_patches
from kgen.record import dataclass
from kgen.render import render_blueprint
from kgen.validate import Checked, Memo, check_blueprint
from kgen.yamlio import dump_document

#: Fewer blueprints to render than this per process, and one process is faster than
#: starting more.
MIN_PER_JOB = 24


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Rendered:
    """What one blueprint renders to, apart from the blueprint itself: each document's
    body, template, patched paths and YAML text; the problems of its documents; what it
    spent of the output budget, in order; and the error that stopped it, if one did."""

    documents: tuple[tuple[dict[str, Any], str, dict[JsonPath, JsonPath], str], ...]
    problems: tuple[Problem, ...]
    spends: tuple[tuple[int, str], ...]
    error: KgenError | None = None


class _Recording(OutputBudget):
    """A budget that notes each amount spent (and still stops at its limit)."""

    def __init__(self) -> None:
        super().__init__()
        self.spent: list[tuple[int, str]] = []

    def spend(self, blueprint: Blueprint, amount: int, what: str) -> None:
        self.spent.append((amount, what))
        super().spend(blueprint, amount, what)


def render_one(blueprint: Blueprint, view: SetView, version: str) -> Rendered:
    """Render, patch and check one blueprint of ``view``."""
    budget = _Recording()
    try:
        own, patching = apply_patches(blueprint, render_blueprint(blueprint, view, budget), budget)
        problems = (*patching, *document_problems_of(own, version))
        documents = tuple(
            (dict(d.body), d.template, dict(d.patched), dump_document(d.body)) for d in own
        )
    except KgenError as error:
        return Rendered((), (), tuple(budget.spent), error)
    return Rendered(documents, problems, tuple(budget.spent))


def replay(
    rendered: Rendered, blueprint: Blueprint, budget: OutputBudget
) -> tuple[list[Document], list[Problem]]:
    """The documents and problems of ``rendered``, as ``blueprint``'s, once its spending
    fits ``budget`` (``InvalidInput`` where it does not, as rendering would raise it)."""
    for amount, what in rendered.spends:
        budget.spend(blueprint, amount, what)
    if rendered.error is not None:
        raise rendered.error
    documents = [
        Document(body, blueprint, template, patched, text)
        for body, template, patched, text in rendered.documents
    ]
    return documents, list(rendered.problems)


#: The work the forked processes inherit: a function of a range of item numbers.
_TASK: Callable[[int, int], list[Any]] | None = None


def _run_range(start: int, stop: int) -> list[Any]:
    assert _TASK is not None
    return _TASK(start, stop)


def _in_pool(
    count: int,
    task: Callable[[int, int], list[Any]],
    jobs: int,
    done: Callable[[int], None] | None = None,
) -> list[Any] | None:
    """``task`` over the items ``0..count-1`` on ``jobs`` forked processes, in small
    slices handed out in order, the results in item order; None when one process is
    faster (few items) or there is no fork: the caller then works in order itself."""
    jobs = min(jobs, count // MIN_PER_JOB)
    if jobs <= 1:
        return None
    import multiprocessing  # only when there is work to share: it costs a cold start
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return None
    global _TASK  # noqa: PLW0603 - what the forked processes inherit
    _TASK = task
    try:
        # small slices, handed out in order: cores that finish early take the next
        size = max(1, min(MIN_PER_JOB, count // (jobs * 4)))
        ranges = [(i, min(i + size, count)) for i in range(0, count, size)]
        context = multiprocessing.get_context("fork")
        made: list[Any] = []
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for part in [pool.submit(_run_range, *r) for r in ranges]:
                results = part.result()
                made.extend(results)
                if done is not None:
                    done(len(results))
        return made
    finally:
        _TASK = None


def check_all(blueprints: Sequence[Blueprint], memo: Memo, *, jobs: int = 1) -> None:
    """``check_blueprint`` of each blueprint ``memo`` lacks, on ``jobs`` processes, into
    ``memo`` (``validate_blueprints`` then finds each checked, in order; with few to
    check, it checks them itself)."""
    todo = list({id(b): b for b in blueprints if id(b) not in memo}.values())

    def task(start: int, stop: int) -> list[Checked]:
        return [check_blueprint(todo[i]) for i in range(start, stop)]

    made = _in_pool(len(todo), task, jobs)
    for blueprint, checked in zip(todo, made or [], strict=False):
        memo[id(blueprint)] = (blueprint, checked)


def render_all(
    blueprints: Sequence[Blueprint],
    view: SetView,
    version: str,
    *,
    jobs: int = 1,
    cache: RenderCache | None = None,
    done: Callable[[int], None] | None = None,
) -> list[Rendered]:
    """``render_one`` of each blueprint, in order: from ``cache`` where it has it, the rest
    on ``jobs`` processes (one when there are few); ``done`` hears how many are ready."""
    results: list[Rendered | None] = [None] * len(blueprints)
    keys = [cache.key(b, view, version) for b in blueprints] if cache is not None else []
    if cache is not None:
        for i, key in enumerate(keys):
            results[i] = cache.get(key)
    missing = [i for i, found in enumerate(results) if found is None]
    if done is not None and len(missing) < len(blueprints):
        done(len(blueprints) - len(missing))
    todo = [blueprints[i] for i in missing]
    made = _render_many(todo, view, version, jobs, done)
    for i, rendered in zip(missing, made, strict=True):
        results[i] = rendered
        if cache is not None and rendered.error is None:
            cache.put(keys[i], rendered)
    return [r for r in results if r is not None]


def _render_many(
    blueprints: Sequence[Blueprint],
    view: SetView,
    version: str,
    jobs: int,
    done: Callable[[int], None] | None,
) -> list[Rendered]:
    def task(start: int, stop: int) -> list[Rendered]:
        return [render_one(blueprints[i], view, version) for i in range(start, stop)]

    made = _in_pool(len(blueprints), task, jobs, done)
    return made if made is not None else _in_order(blueprints, view, version, done)


def _in_order(
    blueprints: Sequence[Blueprint],
    view: SetView,
    version: str,
    done: Callable[[int], None] | None,
) -> list[Rendered]:
    made = []
    for blueprint in blueprints:
        made.append(render_one(blueprint, view, version))
        if done is not None:
            done(1)
    return made


class RenderCache:
    """What earlier runs made (``Rendered`` results, blueprint checks, files read), under
    kgen's cache folder.

    A key is the digest of everything the entry depends on (``key``); kgen itself is in
    the folder's name (``fingerprint``), so another kgen, or a change to its templates,
    schemas or code, starts afresh. An entry that cannot be read is a miss.

    Entries are packed: a run that keeps anything writes one pack (its entries, pickled)
    and names its keys in the index. Creating a file is the dearest thing kgen does on
    some filesystems (a millisecond each in a sandboxed one), and a run of 200 blueprints
    keeps 600 entries.
    """

    #: Entries kept; past this, the oldest packs go.
    MAX_ENTRIES = 20_000
    INDEX = "index.pickle"
    #: A pack no index names is removed once this old (a run may be about to name it).
    ORPHAN_SECONDS = 600
    #: One flush in this many (at random) looks through the folder for packs no index
    #: names (a run killed between writing its pack and naming it, or one whose index
    #: another run replaced); the others only write. Looking costs a status of every
    #: pack, and a cache used for months holds thousands.
    SWEEP_ONE_IN = 64

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fresh: dict[str, bytes] = {}  # kept by this run, written by ``flush``
        self._index: dict[str, str] | None = None  # key -> pack
        self._stamp: tuple[int, int, int] | None = None  # the index file read, as it was
        self._packs: dict[str, dict[str, bytes]] = {}
        self._digests: dict[int, tuple[Blueprint, bytes]] = {}

    @classmethod
    def open(cls) -> RenderCache | None:
        from kgen.cache import cache_folder

        folder = cache_folder("renders", fingerprint())
        return cls(folder) if folder is not None else None

    def key(self, blueprint: Blueprint, view: SetView, version: str) -> str:
        digest = hashlib.sha256(version.encode())
        digest.update(self._digest(blueprint))
        digest.update(str(view.render_key(blueprint)).encode())
        return digest.hexdigest()

    def _digest(self, blueprint: Blueprint) -> bytes:
        """The hash of the blueprint with the place of every value, which its checks' and
        renders' keys both take: pickled once a run, not once a key."""
        found = self._digests.get(id(blueprint))
        if found is None or found[0] is not blueprint:
            digest = hashlib.sha256(pickle.dumps(blueprint, protocol=5)).digest()
            found = self._digests[id(blueprint)] = (blueprint, digest)
        return found[1]

    def recall(self, key: str) -> object:
        """Whatever was kept under ``key`` (``kgen.load``'s files read), or None."""
        return self._load(key)

    def keep(self, key: str, value: object) -> None:
        self.put(key, value)

    def get(self, key: str) -> Rendered | None:
        found = self._load(key)
        return found if isinstance(found, Rendered) else None

    @property
    def index(self) -> dict[str, str]:
        if self._index is None:
            self._index = self._read_index()
        return self._index

    def _read_index(self) -> dict[str, str]:
        """The index as it is now; the one read last when its file has not changed since."""
        stamp = _stamp(self.folder / self.INDEX)
        if self._index is not None and stamp is not None and stamp == self._stamp:
            return dict(self._index)
        found = _unpickled(self.folder / self.INDEX)
        self._stamp = stamp
        return found if isinstance(found, dict) else {}

    def _load(self, key: str) -> object:
        data = self.fresh.get(key)
        if data is None:
            pack = self.index.get(key)
            if pack is None:
                return None
            entries = self._packs.get(pack)
            if entries is None:
                found = _unpickled(self.folder / pack)
                entries = self._packs[pack] = found if isinstance(found, dict) else {}
            data = entries.get(key)
        try:
            return pickle.loads(data) if isinstance(data, bytes) else None
        except Exception:  # cut short, or from another kgen: a miss
            return None

    def recall_checks(self, blueprints: Sequence[Blueprint], memo: Memo) -> list[str]:
        """Fill ``memo`` (``kgen.validate``) with the checks earlier runs made of these
        blueprints; returns the key of each blueprint, for ``keep_checks``."""
        keys = []
        for blueprint in blueprints:
            key = hashlib.sha256(b"checked\0" + self._digest(blueprint)).hexdigest()
            keys.append(key)
            if id(blueprint) not in memo:
                found = self._load(key)
                if isinstance(found, Checked):
                    memo[id(blueprint)] = (blueprint, found)
        return keys

    def keep_checks(self, blueprints: Sequence[Blueprint], keys: Sequence[str], memo: Memo) -> None:
        """Keep the checks this run made of ``blueprints`` that the cache did not have."""
        for blueprint, key in zip(blueprints, keys, strict=True):
            entry = memo.get(id(blueprint))
            if entry is not None and key not in self.fresh and key not in self.index:
                self.put(key, entry[1])

    def put(self, key: str, value: object) -> None:
        self.fresh[key] = pickle.dumps(value, protocol=5)

    def flush(self) -> None:
        """Write what this run kept as one pack and name its keys in the index; past
        ``MAX_ENTRIES`` keys, the oldest packs go. A full disk or a folder gone: the next
        run renders again."""
        if not self.fresh:
            return
        name = f"{os.urandom(8).hex()}.pack"
        try:
            with (self.folder / name).open("xb") as pack:
                pickle.dump(self.fresh, pack, protocol=5)
            index = self._read_index()  # as it is now: another run may have added to it
            index.update(dict.fromkeys(self.fresh, name))
            if len(index) > self.MAX_ENTRIES or os.urandom(1)[0] % self.SWEEP_ONE_IN == 0:
                index = self._pruned(index)
            with tempfile.NamedTemporaryFile(dir=self.folder, delete=False) as file:
                pickle.dump(index, file, protocol=5)
            os.replace(file.name, self.folder / self.INDEX)
        except OSError:
            return
        self._index = index
        self._stamp = _stamp(self.folder / self.INDEX)
        self.fresh = {}

    def _pruned(self, index: dict[str, str]) -> dict[str, str]:
        """``index`` without the oldest packs past ``MAX_ENTRIES`` keys, and the folder
        without the packs no index names."""
        ages = {}
        for entry in os.scandir(self.folder):
            if entry.name.endswith(".pack"):
                with contextlib.suppress(OSError):
                    ages[entry.name] = entry.stat().st_mtime
        counts: dict[str, int] = {}
        for pack in index.values():
            counts[pack] = counts.get(pack, 0) + 1
        total = len(index)
        gone = set()
        for pack in sorted(counts, key=lambda p: ages.get(p, 0.0)):
            if total <= self.MAX_ENTRIES:
                break
            gone.add(pack)
            total -= counts[pack]
        index = {key: pack for key, pack in index.items() if pack not in gone and pack in ages}
        named = set(index.values())
        now = time.time()
        for pack, age in ages.items():
            if pack not in named and (pack in gone or now - age > self.ORPHAN_SECONDS):
                with contextlib.suppress(OSError):
                    os.unlink(self.folder / pack)
        return index


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells a file apart from the one read before: its inode, size and time."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


def _unpickled(path: Path) -> object:
    try:
        with path.open("rb") as file:
            return pickle.load(file)  # kgen's private folder (kgen.cache)
    except Exception:  # missing, cut short, or from another kgen: a miss
        return None


@functools.cache
def fingerprint() -> str:
    """What kgen is made of, cheaply: the size and time of every file of the package and
    its schemas, and the versions of the libraries that shape its output."""
    import jinja2
    import yaml

    from kgen import __version__
    from kgen.resources import PACKAGE_DIR, schemas_dir

    digest = hashlib.sha256(f"{__version__} {jinja2.__version__} {yaml.__version__}".encode())
    for root in (PACKAGE_DIR, schemas_dir()):
        for folder, folders, files in os.walk(root):
            folders[:] = sorted(f for f in folders if f != "__pycache__")
            for name in sorted(files):
                try:
                    status = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                digest.update(f"{folder}/{name} {status.st_size} {status.st_mtime_ns}\n".encode())
    return digest.hexdigest()
