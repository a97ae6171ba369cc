"""kgen against ``helm template``, side by side in one run.

    python benches/compare.py                       # every case, 5 repetitions
    python benches/compare.py --cases single,batch --repeat 9
    python benches/compare.py --growth 10,100,1000  # the growth table's sizes

Each case times kgen and Helm alternately (kgen, Helm, kgen, Helm, ...) so that both see
the same machine load, and reports the median of each and their ratio. Every kgen run is a
fresh process of the ``kgen`` console script beside the interpreter, as a user, a
pre-commit hook or CI runs it (``python -m kgen`` when there is none); peak memory is the
child process's maximum resident set size. The repositories come from benches/repo.py, the
Helm releases render benches/chart (the same resources: tests/test_benches.py checks it).

Cases:

- single: one Microservice, cold (a fresh process), against one ``helm template``; and
  the floor under it, a fresh interpreter importing PyYAML, Jinja and jsonschema-rs.
- batch: 200 Microservices into a folder, against the 200 releases rendered one after
  another into files.
- incremental: the 200-service folder re-rendered after one blueprint changed, against
  the full render into an empty folder.

kgen's cache (``KGEN_CACHE_DIR``) is a folder of this run: compiled templates stay in it,
as for any user after the first run; every blueprint the single, batch and growth cases
render is new to it (a new image tag each time), so what they measure is rendering, not
the cache. Bytecode is compiled once first (``PYTHONDONTWRITEBYTECODE`` is dropped), as
an installed kgen has it.
- validation: kgen's document validation against ``kubernetes_validate.validate``, per
  document, in this process.
- growth: kgen render and kgen validate from 10 to 2,000 blueprints, with peak memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benches.repo import blueprint, edges, name, write_repo

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "benches" / "chart"


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float


def run(command: Sequence[str], *, cwd: Path | None = None, stdout: Path | None = None) -> Run:
    """Run ``command`` to completion; its wall time and peak resident memory."""
    out = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
    try:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors = process.stderr.read() if process.stderr else b""
    finally:
        if stdout is not None and not isinstance(out, int):
            out.close()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{errors.decode()}")
    return Run(seconds, usage.ru_maxrss / 1024)


def helm() -> str:
    found = os.environ.get("KGEN_HELM") or shutil.which("helm")
    bundled = ROOT / ".tools" / "bin" / "helm"
    if found is None and bundled.is_file():
        found = str(bundled)
    if found is None:
        raise SystemExit("helm not found: run `python -m tests.tools` or set KGEN_HELM")
    return found


def kgen(*arguments: str | Path) -> list[str]:
    script = Path(sys.executable).with_name("kgen")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "kgen"]
    return [*command, *map(str, arguments)]


def helm_releases(values: Path, out: Path, count: int) -> Run:
    """``helm template`` of ``count`` releases one after another, each into its own file."""
    out.mkdir(parents=True, exist_ok=True)
    total, peak = 0.0, 0.0
    binary = helm()
    for i in range(count):
        release = name(i)
        result = run(
            [binary, "template", release, str(CHART), "-f", str(values / f"{release}.yaml")],
            stdout=out / f"{release}.yaml",
        )
        total += result.seconds
        peak = max(peak, result.peak_mb)
    return Run(total, peak)


@dataclass(frozen=True)
class Row:
    case: str
    kgen: list[Run]
    other: list[Run]
    other_name: str

    @property
    def kgen_median(self) -> float:
        return statistics.median(r.seconds for r in self.kgen)

    @property
    def other_median(self) -> float:
        return statistics.median(r.seconds for r in self.other)

    def line(self) -> str:
        ratio = self.kgen_median / self.other_median
        peak = max(r.peak_mb for r in self.kgen)
        return (
            f"| {self.case} | {self.kgen_median:.3f} s | {self.other_name} "
            f"{self.other_median:.3f} s | {ratio:.2f}x | {peak:.0f} MB |"
        )


def alternate(
    repeat: int, first: Callable[[], Run], second: Callable[[], Run]
) -> tuple[list[Run], list[Run]]:
    ones, twos = [], []
    for _ in range(repeat):
        ones.append(first())
        twos.append(second())
    return ones, twos


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    return folder


#: What any cold render pays before kgen's own code runs: the interpreter and the three
#: libraries every render uses (YAML, templates, the compiled validator).
FLOOR = "import yaml, jinja2, jsonschema_rs"


def case_single(work: Path, repeat: int) -> list[Row]:
    """One Microservice in a fresh process; each run a new image tag, so the render cache
    never has it (compiled templates are kgen's own: those stay cached, as for a user).
    Beside it, the floor: a fresh interpreter importing the libraries a render needs."""
    tags = iter(range(1, 10_000))
    _, values = write_repo(work / "single", 1)
    ours, theirs, floor = [], [], []
    for _ in range(repeat):
        blueprints, _ = write_repo(work / "single", 1, tag=f"1.0.{next(tags)}")
        out = fresh(work / "single-out")
        ours.append(run(kgen("render", blueprints / f"{name(0)}.yaml", "-o", out)))
        theirs.append(
            run(
                [helm(), "template", name(0), str(CHART), "-f", str(values / f"{name(0)}.yaml")],
                stdout=work / "single-helm.yaml",
            )
        )
        floor.append(run([sys.executable, "-c", FLOOR]))
    return [
        Row("single, cold: one Microservice", ours, theirs, "helm template"),
        Row("floor: Python importing PyYAML, Jinja, jsonschema-rs", floor, theirs, "helm template"),
    ]


def case_batch(work: Path, repeat: int, count: int, jobs: str | None) -> Row:
    """Every service changed since the last run (a new tag each time): the render cache
    has none of them."""
    extra = ["--jobs", jobs] if jobs else []
    tags = iter(range(1, 10_000))
    _, values = write_repo(work / f"batch-{count}", count)

    def ours() -> Run:
        blueprints, _ = write_repo(work / f"batch-{count}", count, tag=f"1.0.{next(tags)}")
        return run(kgen("render", blueprints, "-o", fresh(work / "batch-out"), *extra))

    ones, twos = alternate(
        repeat, ours, lambda: helm_releases(values, fresh(work / "batch-helm"), count)
    )
    return Row(f"batch: {count} Microservices", ones, twos, f"{count} x helm template")


def case_incremental(work: Path, repeat: int, count: int) -> Row:
    """One blueprint changed since the last render into the folder, against rendering
    every blueprint changed (a new tag for all) into an empty folder."""
    root = work / f"incremental-{count}"
    blueprints, _ = write_repo(root, count)
    graph = edges(count)
    changed = blueprints / f"{name(count // 2)}.yaml"
    out = work / "incremental-out"
    run(kgen("render", blueprints, "-o", fresh(out)))
    tags = iter(range(2, 10_000))
    full = work / f"incremental-full-{count}"

    def one_change() -> Run:
        tag = f"1.0.{next(tags)}"
        changed.write_text(blueprint(count // 2, graph[count // 2], tag=tag), encoding="utf-8")
        return run(kgen("render", blueprints, "-o", out))

    def everything() -> Run:
        every, _ = write_repo(full, count, tag=f"2.0.{next(tags)}")
        return run(kgen("render", every, "-o", fresh(work / "full")))

    ones, twos = alternate(repeat, one_change, everything)
    return Row(f"incremental: one of {count} changed", ones, twos, "full render")


def case_validation(repeat: int) -> Row:
    """Per document, in this process: kgen's checks of the rendered documents against
    ``kubernetes_validate.validate`` of the same documents."""
    import kubernetes_validate

    from kgen.api import render_text
    from kgen.check import DEFAULT_KUBE_VERSION, document_problems_of

    text = "".join(f"---\n{blueprint(i, calls)}" for i, calls in edges(20).items())
    documents, _ = render_text(text, "<bench>", check_output=False)
    version = f"{DEFAULT_KUBE_VERSION}.0"

    def ours() -> Run:
        started = time.perf_counter()
        assert not document_problems_of(documents, DEFAULT_KUBE_VERSION)
        return Run((time.perf_counter() - started) / len(documents), 0.0)

    def theirs() -> Run:
        started = time.perf_counter()
        for document in documents:
            kubernetes_validate.validate(document.body, version, strict=True)
        return Run((time.perf_counter() - started) / len(documents), 0.0)

    ours()  # validators are built once per kind and run: that is what a render pays once
    ones, twos = alternate(repeat, ours, theirs)
    return Row("validation, per document", ones, twos, "kubernetes_validate")


def growth(work: Path, sizes: Sequence[int], repeat: int) -> list[str]:
    lines = [
        "| blueprints | render | per blueprint | peak MB | validate | per blueprint | peak MB |",
        "|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    tags = iter(range(1, 100_000))

    def changed(count: int) -> Path:  # every blueprint new to kgen's cache
        return write_repo(work / f"growth-{count}", count, tag=f"1.0.{next(tags)}")[0]

    for count in sizes:
        rendered = [
            run(kgen("render", changed(count), "-o", fresh(work / "growth-out")))
            for _ in range(repeat)
        ]
        validated = [run(kgen("validate", changed(count))) for _ in range(repeat)]
        r = statistics.median(x.seconds for x in rendered)
        v = statistics.median(x.seconds for x in validated)
        lines.append(
            f"| {count:,} | {r:.2f} s | {r / count * 1000:.1f} ms | "
            f"{max(x.peak_mb for x in rendered):.0f} | {v:.2f} s | "
            f"{v / count * 1000:.1f} ms | {max(x.peak_mb for x in validated):.0f} |"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="single,batch,incremental,validation,growth,files")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--count", type=int, default=200, help="services of the batch")
    parser.add_argument("--jobs", help="kgen render --jobs for the batch (default: kgen's)")
    parser.add_argument("--growth", default="10,50,200,500,1000,2000")
    parser.add_argument(
        "--files", type=int, default=5000, help="blueprint files of the last check (0: none)"
    )
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.repeat}")
    print("| case | kgen | baseline | ratio | kgen peak |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="kgen-bench-") as temporary:
        work = Path(temporary)
        # kgen's cache of this run only; compiled bytecode as an installed kgen has it
        os.environ["KGEN_CACHE_DIR"] = str(work / "cache")
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        warm_up, _ = write_repo(work / "warm-up", 2)
        run(kgen("render", warm_up, "-o", work / "warm-up-out"))
        if "single" in cases:
            for row in case_single(work, args.repeat):
                print(row.line(), flush=True)
        if "batch" in cases:
            print(case_batch(work, args.repeat, args.count, args.jobs).line(), flush=True)
        if "incremental" in cases:
            print(case_incremental(work, args.repeat, args.count).line(), flush=True)
        if "validation" in cases:
            row = case_validation(args.repeat)
            ratio = row.other_median / row.kgen_median
            print(
                f"| {row.case} | {row.kgen_median * 1000:.3f} ms | {row.other_name} "
                f"{row.other_median * 1000:.3f} ms | {ratio:.0f}x faster | - |",
                flush=True,
            )
        if "growth" in cases:
            print()
            growth(work, [int(s) for s in args.growth.split(",")], max(1, args.repeat // 2))
        if "files" in cases and args.files:
            blueprints, _ = write_repo(work / "files", args.files)
            done = run(kgen("render", blueprints, "-o", work / "files-out"))
            written = sum(1 for _ in (work / "files-out").rglob("*.yaml"))
            print(
                f"\n{args.files:,} blueprint files: rendered in {done.seconds:.1f} s, "
                f"{written:,} files written, peak {done.peak_mb:.0f} MB"
            )


if __name__ == "__main__":
    main()
