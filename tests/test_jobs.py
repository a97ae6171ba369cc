"""``--jobs N`` and the render cache change how fast kgen is, never what it says: at any
number of processes, and with a cold, warm or no cache, a render writes the same bytes and
prints the same messages, on a service graph, on the bad-input corpus read at once, and on
a run over its output budget (which stops at the same blueprint with the same message)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benches.hostile import patch_on_many_resources
from benches.repo import blueprint, edges, write_repo
from kgen import jobs, validate
from tests.conftest import REPO, RunKgen
from tests.test_bad_inputs import CORPUS, ENDS_THE_RUN, EXTRA_ARGS, KNOWN_BUGS


@pytest.fixture(autouse=True)
def every_set_is_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Share out even small sets, so that the tests run the processes users' large sets
    get."""
    monkeypatch.setattr(jobs, "MIN_PER_JOB", 1)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _render(kgen: RunKgen, cwd: Path, out: str, *args: str) -> tuple[int, str, dict[str, bytes]]:
    done = kgen("render", "blueprints", "-o", out, *args, cwd=cwd)
    return done.exit_code, done.stderr, _files(cwd / out) if (cwd / out).exists() else {}


def test_any_number_of_jobs_writes_the_same_bytes(
    kgen: RunKgen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KGEN_CACHE_DIR", "off")
    write_repo(tmp_path, 30)
    one = _render(kgen, tmp_path, "one", "--jobs", "1")
    assert one[0] == 0, one[1]
    assert len(one[2]) > 180
    for count in ("2", "3", "7"):
        code, stderr, files = _render(kgen, tmp_path, f"j{count}", "--jobs", count)
        assert (code, stderr.replace(f"j{count}", "one"), files) == one
    shutil.rmtree(tmp_path / "blueprints")
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    every = kgen("render", "blueprints", "-o", "all", "--all-envs", "-j", "3", cwd=tmp_path)
    alone = kgen("render", "blueprints", "-o", "all1", "--all-envs", "-j", "1", cwd=tmp_path)
    assert every.exit_code == alone.exit_code == 0
    assert _files(tmp_path / "all") == _files(tmp_path / "all1")
    assert kgen("validate", "blueprints", "-j", "2", cwd=tmp_path).exit_code == 0


def test_the_bad_input_corpus_read_at_once_says_the_same_at_any_jobs(
    kgen: RunKgen, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KGEN_CACHE_DIR", "off")
    paths = [
        f"tests/bad/{name}"
        for name in CORPUS
        if name not in set(KNOWN_BUGS) | ENDS_THE_RUN
        and EXTRA_ARGS.get(name, ("",))[0] != "--kube-version"
    ]
    one = kgen("validate", *paths, "-j", "1", cwd=REPO)
    assert one.exit_code == 1
    for count in ("2", "5"):
        shared = kgen("validate", *paths, "-j", count, cwd=REPO)
        assert (shared.exit_code, shared.stderr) == (one.exit_code, one.stderr)


def test_a_run_over_its_budget_stops_at_the_same_blueprint_at_any_jobs(
    kgen: RunKgen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KGEN_CACHE_DIR", "off")
    (tmp_path / "blueprints").mkdir()
    (tmp_path / "blueprints" / "big.yaml").write_text(patch_on_many_resources())
    one = _render(kgen, tmp_path, "one", "-j", "1")
    assert one[0] == 1 and "the run would render more than" in one[1]
    assert _render(kgen, tmp_path, "two", "-j", "2") == one


def _never(*args: object) -> jobs.Rendered:
    raise AssertionError("checked or rendered again, though the cache has it")


def test_a_warm_cache_and_one_changed_blueprint_render_what_a_clean_run_does(
    kgen: RunKgen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / "cache"))
    write_repo(tmp_path, 12)
    cold = _render(kgen, tmp_path, "out")
    assert cold[0] == 0
    assert any((tmp_path / "cache").glob("renders-*/*.pack"))
    with monkeypatch.context() as warm:  # nothing is checked or rendered again
        warm.setattr(jobs, "render_one", _never)
        warm.setattr(validate, "schema_problems", _never)
        assert _render(kgen, tmp_path, "warm") == (
            cold[0], cold[1].replace("out", "warm"), cold[2]
        )  # fmt: skip
    # one blueprint changes, and a defaults file moves every blueprint's values down a line
    graph = edges(12)
    (tmp_path / "blueprints" / "svc-0005.yaml").write_text(blueprint(5, graph[5], tag="2.0.0"))
    (tmp_path / "blueprints" / "svc-0007.yaml").write_text(
        "# a comment: every position below moves\n" + blueprint(7, graph[7])
    )
    (tmp_path / "blueprints" / "kgen.defaults.yaml").write_text(
        "apiVersion: kgen.dev/v1alpha1\nkind: Defaults\nspec:\n  replicas: 3\n"
    )
    incremental = _render(kgen, tmp_path, "out")
    monkeypatch.setenv("KGEN_CACHE_DIR", "off")
    clean = _render(kgen, tmp_path, "clean")
    assert incremental[0] == clean[0] == 0, clean[1]
    assert incremental[2] == clean[2]
    assert b"svc-0005:2.0.0" in clean[2]["bench/deployment-svc-0005.yaml"]


def test_a_warm_cache_reports_the_same_problems(
    kgen: RunKgen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An output problem (a patch that breaks the schema) comes back from the cache with its
    place in the blueprint, and moves with it."""
    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path / "cache"))
    write_repo(tmp_path, 3)
    bad = tmp_path / "blueprints" / "svc-0001.yaml"
    patch = "  patches:\n    - target: {kind: Deployment}\n      patch: {spec: {replicas: many}}\n"
    bad.write_text(blueprint(1, [0]) + patch)
    first = _render(kgen, tmp_path, "out")
    assert first[0] == 1 and "replicas" in first[1], first[1]
    assert _render(kgen, tmp_path, "out") == first
    bad.write_text("\n\n" + blueprint(1, [0]) + patch)
    moved = _render(kgen, tmp_path, "out")
    monkeypatch.setenv("KGEN_CACHE_DIR", "off")
    assert moved == _render(kgen, tmp_path, "out") != first


@pytest.mark.parametrize("count", ["0", "65", "-1", "two"])
def test_jobs_out_of_range_is_a_usage_error(kgen: RunKgen, tmp_path: Path, count: str) -> None:
    write_repo(tmp_path, 1)
    done = kgen("render", "blueprints", "--jobs", count, cwd=tmp_path)
    assert done.exit_code == 2 and "--jobs" in done.stderr
    assert not (tmp_path / "out").exists()


def test_many_files_render_with_few_file_handles(tmp_path: Path) -> None:
    """kgen holds no file open per blueprint or per output file (a folder of 5,000
    blueprint files is benches/compare.py's): 300 files render under a limit of 64 open
    files, on two processes."""
    import os
    import resource
    import subprocess
    import sys

    write_repo(tmp_path, 300)

    def few_handles() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    done = subprocess.run(
        [sys.executable, "-m", "kgen", "render", "blueprints", "-o", "out", "-j", "2"],
        cwd=tmp_path, capture_output=True, text=True, preexec_fn=few_handles, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "out" / "bench").glob("*.yaml"))) == 300 * 6 + 1
