"""kgen's cache across runs (``kgen.cache``) changes how fast kgen is, never what it
writes: a render with a cold cache, a warm one, a damaged one and none are byte-identical,
and a cache folder kgen cannot trust is not used."""

from __future__ import annotations

import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _render(
    tmp_path: Path, out: str, cache: str, blueprints: Path = REPO / "blueprints"
) -> dict[str, bytes]:
    env = {**os.environ, "KGEN_CACHE_DIR": cache, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "kgen", "render", str(blueprints), "-o", out],
        cwd=tmp_path, env=env, capture_output=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    root = tmp_path / out
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_cold_warm_damaged_and_no_cache_render_the_same_bytes(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = _render(tmp_path, "cold", str(cache))
    entries = sorted(p for p in cache.rglob("*") if p.is_file())
    assert entries, "the templates were not cached"
    assert _render(tmp_path, "warm", str(cache)) == cold
    for entry in entries:  # damaged: cut short, or garbage
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2] if len(entries) % 2 else b"\0" * 64)
    assert _render(tmp_path, "damaged", str(cache)) == cold
    assert _render(tmp_path, "none", "off") == cold


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_folder_others_can_write_or_a_link_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgen.cache import cache_folder

    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path))
    folder = cache_folder("probe", "x")
    assert folder is not None and folder.parent == tmp_path
    folder.chmod(0o777)
    assert cache_folder("probe", "x") is None  # others could plant entries
    folder.rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    folder.symlink_to(elsewhere)
    assert cache_folder("probe", "x") is None  # never through a link
    assert cache_folder("probe", "y") != cache_folder("probe", "x")  # keyed on its inputs
    monkeypatch.setenv("KGEN_CACHE_DIR", "off")
    assert cache_folder("probe", "x") is None


def test_the_cache_lives_where_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgen.cache import cache_root

    monkeypatch.delenv("KGEN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "kgen"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "kgen"
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    for off in ("off", "0", ""):
        monkeypatch.setenv("KGEN_CACHE_DIR", off)
        assert cache_root() is None


def _validate(folder: Path, cache: str, *paths: Path) -> tuple[int, str]:
    env = {**os.environ, "KGEN_CACHE_DIR": cache, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "kgen", "validate", *map(str, paths)],
        cwd=folder, env=env, capture_output=True, check=False, text=True,
    )  # fmt: skip
    return done.returncode, done.stderr


def test_files_read_from_the_cache_spend_the_run_budget_as_read_ones_do(tmp_path: Path) -> None:
    """Blueprint files an earlier run read come from the cache, and charge the run's node
    budget all they spent then: a run over its budget stops at the same node, with the
    same message, as a run without the cache."""
    text = (REPO / "tests" / "bad" / "run-over-its-node-budget.yaml").read_text(encoding="utf-8")
    documents = [d for d in text.split("\n---\n") if "kind:" in d]
    folder = tmp_path / "blueprints"
    folder.mkdir()
    for number, document in enumerate(documents):
        (folder / f"api{number:02}.yaml").write_text(document, encoding="utf-8")
    files = sorted(folder.iterdir())
    cache = str(tmp_path / "cache")
    warm = _validate(tmp_path, cache, *files[:40])  # read and kept: under the budget
    assert warm == _validate(tmp_path, "off", *files[:40])
    packs = [pickle.loads(p.read_bytes()) for p in Path(cache).rglob("*.pack")]
    kept = [pickle.loads(data) for pack in packs for data in pack.values()]
    assert sum(type(entry).__name__ == "_Loaded" for entry in kept) == 40
    every = _validate(tmp_path, "off", folder)
    assert every[0] == 1 and "the input expands to more than 500,000 YAML nodes" in every[1]
    assert _validate(tmp_path, cache, folder) == every
    assert _validate(tmp_path, cache, folder) == every


def test_the_render_cache_keeps_its_newest_packs_and_reads_what_it_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each run that keeps anything writes one pack; past MAX_ENTRIES keys the oldest
    packs go, with their files; a pack no index names is left to a run that may be
    about to name it, then removed; a damaged pack or index is a miss."""
    from kgen.jobs import RenderCache

    monkeypatch.setattr(RenderCache, "MAX_ENTRIES", 5)
    monkeypatch.setattr(RenderCache, "SWEEP_ONE_IN", 1)  # every flush looks for orphans
    for run in range(4):
        cache = RenderCache(tmp_path)
        for key in range(3):
            cache.put(f"{run}-{key}", (run, key))
        cache.flush()
        os.utime(tmp_path / cache.index[f"{run}-0"], (run, run))  # older runs, older packs
    cache = RenderCache(tmp_path)
    assert sorted(cache.index) == ["3-0", "3-1", "3-2"]  # 2 and 3 make six: 2 goes too
    assert cache.recall("3-1") == (3, 1) and cache.recall("0-0") is None
    assert len(list(tmp_path.glob("*.pack"))) == 1
    orphan = tmp_path / "0123456789abcdef.pack"
    orphan.write_bytes(b"\0")
    cache.put("4-0", "four")
    cache.flush()
    assert orphan.exists()  # young: a run may be naming it
    os.utime(orphan, (0, 0))
    cache.put("5-0", "five")
    cache.flush()
    assert not orphan.exists()
    assert RenderCache(tmp_path).recall("5-0") == "five"
    for pack in tmp_path.glob("*.pack"):
        pack.write_bytes(b"\0" * 8)
    assert RenderCache(tmp_path).recall("5-0") is None
    (tmp_path / RenderCache.INDEX).write_bytes(b"garbage")
    assert RenderCache(tmp_path).index == {}


def test_a_run_keeps_what_it_made_in_one_pack(tmp_path: Path) -> None:
    """Reading, checking and rendering a changed blueprint: one new pack a run."""
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    folder = tmp_path / "blueprints" / "shop"
    cache = tmp_path / "cache"
    counts = []
    for tag in ("1.0.1", "1.0.2", "1.0.3"):
        cart = folder / "cart.yaml"
        cart.write_text(
            re.sub(r"(image: [^:\n]+:)[^\s]+", rf"\g<1>{tag}", cart.read_text("utf-8")), "utf-8"
        )
        _render(tmp_path, "out", str(cache), tmp_path / "blueprints")
        counts.append(len(list(cache.rglob("*.pack"))))
    assert counts == [1, 2, 3]


def test_a_flush_reads_the_index_again_only_when_another_run_changed_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kgen import jobs
    from kgen.jobs import RenderCache

    reads: list[Path] = []
    unpickled = jobs._unpickled

    def counted(path: Path) -> object:
        reads.append(path)
        return unpickled(path)

    monkeypatch.setattr(jobs, "_unpickled", counted)
    monkeypatch.setattr(RenderCache, "SWEEP_ONE_IN", 10**9)  # never: not what this tests
    ours = RenderCache(tmp_path)
    ours.put("a", 1)
    ours.flush()
    assert ours.index == {"a": ours.index["a"]}
    reads.clear()
    ours.put("b", 2)
    ours.flush()  # the index is as this run wrote it: not read again
    assert reads == []
    other = RenderCache(tmp_path)
    other.put("c", 3)
    other.flush()
    ours.put("d", 4)
    ours.flush()  # another run wrote it since: read, so its key stays
    assert reads == [tmp_path / RenderCache.INDEX] * 2
    assert sorted(RenderCache(tmp_path).index) == ["a", "b", "c", "d"]
