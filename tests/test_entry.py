"""The console script's fast path: a plain ``kgen render`` goes to ``kgen.commands`` without
loading typer. Its command lines are read as the CLI reads them (anything else goes to the
CLI), and it answers byte for byte as the CLI does: the same exit status, output, messages
and files, on the whole bad-input corpus, on the shipped examples and on usage errors."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kgen import entry
from kgen.cli import app
from kgen.entry import PlainRender, plain_render
from tests.conftest import REPO
from tests.test_bad_inputs import CORPUS, EXTRA_ARGS


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["render"], PlainRender()),
        (["render", "a.yaml", "b"], PlainRender(["a.yaml", "b"])),
        (["render", "-"], PlainRender(["-"])),
        (["render", "bp", "-o", "out"], PlainRender(["bp"], output="out")),
        (["render", "bp", "--output=out", "--check"], PlainRender(["bp"], "out", check=True)),
        (["render", "-o", "", "bp"], PlainRender(["bp"], output="")),
        (["render", "--output=", "bp"], PlainRender(["bp"], output="")),
        (
            ["render", "--env", "prod", "--kube-version=1.30", "bp"],
            PlainRender(["bp"], env="prod", kube_version="1.30"),
        ),
        (["render", "--env=-x", "bp"], PlainRender(["bp"], env="-x")),
        (["render", "-o", "-", "bp"], PlainRender(["bp"], output="-")),
    ],
)
def test_plain_render_lines_are_read_as_the_cli_reads_them(
    args: list[str], expected: PlainRender
) -> None:
    assert plain_render(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["validate", "bp"],
        ["render", "--help"],
        ["render", "bp", "--format", "json"],
        ["render", "bp", "--jobs", "2"],
        ["render", "bp", "--all-envs", "-o", "out"],
        ["render", "bp", "--eksctl"],
        ["render", "bp", "-o"],  # no value: the parser says so
        ["render", "bp", "-o", "--check"],  # a value that looks like an option
        ["render", "bp", "-o", "a", "-o", "b"],  # twice
        ["render", "bp", "--check", "--check"],
        ["render", "--", "bp"],
        ["render", "-oout", "bp"],
        ["render", "--out", "x", "bp"],  # the parser's prefix matching, or an error
        ["--version"],
    ],
)
def test_any_other_line_goes_to_the_cli(args: list[str]) -> None:
    assert plain_render(args) is None


@dataclass(frozen=True)
class Answer:
    code: int | str | None
    stdout: bytes
    stderr: str


def _fast(args: list[str]) -> Answer:
    """The console script's answer, run in this process with its streams captured."""
    out, err = io.BytesIO(), io.StringIO()
    text = io.TextIOWrapper(out, encoding="utf-8")
    saved = sys.argv, sys.stdout, sys.stderr
    sys.argv, sys.stdout, sys.stderr = ["kgen", *args], text, err
    code: int | str | None = 0
    try:
        entry.main()
    except SystemExit as exit_:
        code = exit_.code
    finally:
        text.flush()
        sys.argv, sys.stdout, sys.stderr = saved
    written = out.getvalue()
    text.detach()
    return Answer(code, written, err.getvalue())


def _cli(args: list[str]) -> Answer:
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    return Answer(result.exit_code, result.stdout_bytes, result.stderr)


@pytest.mark.parametrize("name", CORPUS)
def test_the_corpus_gets_the_same_answer(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    args = ["render", f"tests/bad/{name}", *EXTRA_ARGS.get(name, ())]
    assert plain_render(args) is not None
    fast = _fast(args)
    assert fast == _cli(args)
    assert fast.code == 1


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_folder_render_a_check_and_its_drift_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    monkeypatch.chdir(tmp_path)
    answers = []
    for run in (_cli, _fast):
        monkeypatch.chdir(tmp_path)
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        wrote = run(["render", "blueprints", "-o", "out", "--env", "prod"])
        files = _files(tmp_path / "out")
        same = run(["render", "blueprints", "-o", "out", "--env", "prod", "--check"])
        (tmp_path / "out" / "shop" / "deployment-frontend.yaml").write_text("changed\n")
        drift = run(["render", "blueprints", "-o", "out", "--check", "--env", "prod"])
        stream = run(["render", "blueprints", "--kube-version", "1.31"])
        usage = [run(["render", "blueprints", *extra]) for extra in (["--check"], ["-o", ""])]
        answers.append((wrote, files, same, drift, stream, usage))
    assert answers[0] == answers[1]
    wrote, files, same, drift, stream, usage = answers[1]
    assert (wrote.code, same.code, drift.code, stream.code) == (0, 0, 1, 0)
    assert b"-changed" in drift.stdout and len(files) > 100
    assert [answer.code for answer in usage] == [2, 2]


#: Runs ``python -m kgen`` as the console script does, and says on stderr, as the process
#: leaves through os._exit, whether typer was loaded and with what status it left.
PROBE = (
    "import os, sys, runpy; sys.argv = ['kgen', *sys.argv[1:]]\n"
    "leave = os._exit\n"
    "def report(status):\n"
    "    loaded = 'typer loaded ' if 'typer' in sys.modules else ''\n"
    "    sys.stderr.write(f'{loaded}left {status}\\n'); sys.stderr.flush(); leave(status)\n"
    "os._exit = report\n"
    "runpy.run_module('kgen', run_name='__main__')\n"
)


def _probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False
    )


def test_the_console_script_renders_through_the_fast_path(tmp_path: Path) -> None:
    """``python -m kgen`` (as the ``kgen`` script) renders without importing typer, and
    gives anything else to the CLI; both leave without tearing the interpreter down."""
    blueprint = REPO / "blueprints" / "shop" / "cart.yaml"
    done = _probe("render", str(blueprint), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "typer loaded" not in done.stderr and "kgen: wrote" in done.stderr
    assert done.stderr.endswith("left 0\n")
    other = _probe("validate", str(blueprint))
    assert other.returncode == 0, other.stderr
    assert other.stderr.endswith("typer loaded left 0\n")


def test_the_console_script_writes_all_its_output_before_it_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Leaving by os._exit loses nothing: the whole stream, the errors and the status are
    those of the in-process command."""
    monkeypatch.chdir(REPO)
    for args in (["render", "blueprints"], ["render", "tests/bad/alias-bomb.yaml"]):
        done = subprocess.run(
            [sys.executable, "-m", "kgen", *args], capture_output=True, check=False
        )
        here = _fast(args)
        assert (done.returncode, done.stdout, done.stderr.decode()) == (
            here.code,
            here.stdout,
            here.stderr,
        )
    assert len(_fast(["render", "blueprints"]).stdout) > 100_000


def test_the_console_script_stops_quietly_when_its_reader_goes(tmp_path: Path) -> None:
    """``kgen render | head``: the reader closing the pipe is no error of kgen's."""
    reading = subprocess.Popen(
        [sys.executable, "-m", "kgen", "render", str(REPO / "blueprints")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert reading.stdout is not None and reading.stderr is not None
    reading.stdout.read(100)
    reading.stdout.close()
    errors = reading.stderr.read()
    assert reading.wait() == 0
    assert errors == b""


class _Left(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


@pytest.mark.parametrize(
    ("code", "status", "printed"),
    [(None, 0, ""), (0, 0, ""), (1, 1, ""), (3, 3, ""), ("kgen: stopped", 1, "kgen: stopped\n")],
)
def test_the_console_script_leaves_with_the_status_sys_exit_would_give(
    code: object, status: int, printed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stop() -> None:
        raise SystemExit(code)

    def leave(status: int) -> None:
        raise _Left(status)

    err = io.StringIO()
    monkeypatch.setattr(entry, "main", stop)
    monkeypatch.setattr(os, "_exit", leave)
    monkeypatch.setattr(sys, "stderr", err)
    with pytest.raises(_Left) as left:
        entry.console()
    assert left.value.status == status
    assert err.getvalue() == printed


def test_the_package_loads_its_api_on_first_use() -> None:
    """``import kgen.entry`` loads no stage of kgen; the public names load when used."""
    probe = (
        "import sys, kgen.entry\n"
        "print(sorted(m for m in sys.modules if m.startswith('kgen')))\n"
        "import kgen\n"
        "from kgen import *\n"
        "print(sorted(kgen.__all__) == sorted({*kgen._PUBLIC, '__version__'}))\n"
        "print(all(name in dir(kgen) for name in kgen.__all__), build is kgen.api.build)\n"
        "try:\n    kgen.nothing\nexcept AttributeError as error:\n    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        "['kgen', 'kgen.entry', 'kgen.record']",
        "True",
        "True True",
        "module 'kgen' has no attribute 'nothing'",
    ]


def test_the_console_script_collects_garbage_once_kgen_is_loaded(tmp_path: Path) -> None:
    """The collector is off while the console script loads kgen, then on, with what the
    imports made set aside (frozen)."""
    probe = PROBE.replace(
        "loaded = 'typer loaded ' if 'typer' in sys.modules else ''",
        "import gc; loaded = f'gc {gc.isenabled()} {gc.get_freeze_count() > 1000} "
        "{gc.get_threshold()[0]} '",
    )
    blueprint = REPO / "blueprints" / "shop" / "cart.yaml"
    for args in (["render", str(blueprint)], ["validate", str(blueprint)]):
        done = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=False
        )
        assert done.stderr.endswith("gc True True 10000 left 0\n"), done.stderr
