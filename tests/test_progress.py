"""The progress line of long runs: on a real terminal (a pseudo-terminal from ``pty``) it
appears and is wiped at the end; in a pipe, on stdout, and in a small run it never does."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from kgen import progress
from tests.conftest import REPO
from tests.helpers import microservice

#: kgen's command line with the line's delay and redraw interval set to ``DELAY``, as a
#: long run of many blueprints would reach them.
MAIN = (
    "import sys; import kgen.progress as p; p.DELAY = p.INTERVAL = float(sys.argv[1]); "
    "from kgen.cli import main; sys.argv = ['kgen', *sys.argv[2:]]; main()"
)


def _blueprints(folder: Path, count: int) -> None:
    for index in range(count):
        text = microservice().replace("name: api", f"name: api{index}")
        (folder / f"api{index}.yaml").write_text(text + "environments:\n  prod: {replicas: 3}\n")


def _run(folder: Path, delay: float, *args: str, terminal: bool) -> tuple[int, bytes, bytes]:
    """Run kgen in ``folder``: exit status, stdout (a pipe) and stderr (a terminal of 100
    columns, or a pipe)."""
    command = [sys.executable, "-c", MAIN, str(delay), *args]
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    if not terminal:
        done = subprocess.run(
            command, cwd=folder, env=env, capture_output=True, timeout=300, check=False
        )
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    attributes = termios.tcgetattr(follower)
    attributes[1] &= ~termios.ONLCR  # bytes as kgen wrote them, no \r added before \n
    termios.tcsetattr(follower, termios.TCSANOW, attributes)
    with subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=follower
    ) as process:
        os.close(follower)
        assert process.stdout is not None
        written = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed
                break
            if not chunk:
                break
            written += chunk
        stdout = process.stdout.read()
        status = process.wait(timeout=300)
    os.close(leader)
    return status, stdout, written


def _screen(written: str) -> str:
    """What a terminal shows after ``written``: a carriage return goes back to the start
    of the line, and what follows overwrites it."""
    lines = []
    for line in written.split("\n"):
        shown: list[str] = []
        column = 0
        for char in line:
            if char == "\r":
                column = 0
                continue
            shown[column : column + 1] = [char]
            column += 1
        lines.append("".join(shown).rstrip(" "))
    return "\n".join(lines)


@pytest.mark.parametrize(
    "command",
    [("render", ".", "-o", "../out"), ("render", "."), ("validate", ".")],
)
def test_a_terminal_sees_the_line_and_then_not(tmp_path: Path, command: tuple[str, ...]) -> None:
    folder = tmp_path / "blueprints"
    folder.mkdir()
    _blueprints(folder, 6)
    status, stdout, shown = _run(folder, 0.0, *command, terminal=True)
    assert status == 0, shown
    text = shown.decode()
    assert "\rkgen: rendering 6/6 blueprints (as written)" in text
    assert "\rkgen: rendering 6/6 blueprints (prod)" in text
    assert "kgen: rendering" not in _screen(text)  # wiped, with nothing else lost
    if "-o" in command:  # a second render finds the folder as it is
        (tmp_path / "out").rename(tmp_path / "first")
    piped = _run(folder, 0.0, *command, terminal=False)
    assert _screen(text) == piped[2].decode().replace("first", "out")
    assert stdout == piped[1]  # never on stdout
    assert b"kgen: rendering" not in piped[1] + piped[2]


def test_a_pipe_never_sees_it(tmp_path: Path) -> None:
    _blueprints(tmp_path, 3)
    status, stdout, stderr = _run(tmp_path, 0.0, "render", ".", terminal=False)
    assert status == 0 and stderr == b""
    assert stdout.startswith(b"---\n# Source: ")


def test_a_small_run_prints_nothing_on_a_terminal(tmp_path: Path) -> None:
    _blueprints(tmp_path, 1)
    status, _, shown = _run(tmp_path, progress.DELAY, "validate", ".", terminal=True)
    assert status == 0
    assert shown.startswith(b"kgen: ok: 1 blueprint")


def test_a_failing_run_wipes_the_line_before_its_errors(tmp_path: Path) -> None:
    _blueprints(tmp_path, 3)
    (tmp_path / "api1.yaml").write_text(microservice(replicas="two"))
    status, _, shown = _run(tmp_path, 0.0, "render", ".", terminal=True)
    assert status == 1
    screen = _screen(shown.decode())
    assert screen.startswith("api1.yaml:11:13: error: spec.replicas: 'two' is not of type")
    assert "kgen: rendering" in shown.decode() and "kgen: rendering" not in screen


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_waits_for_the_delay_and_redraws_at_intervals() -> None:
    now = [0.0]
    stream = _Terminal()
    line = progress.TerminalProgress(stream, clock=lambda: now[0])
    line("as written", 1, 100)
    assert stream.getvalue() == ""  # not yet: a small run ends before the delay
    now[0] = progress.DELAY
    line("as written", 2, 100)
    now[0] += progress.INTERVAL / 2
    line("as written", 3, 100)  # too soon to redraw
    line("as written", 100, 100)  # the last one always is
    assert stream.getvalue() == (
        "\rkgen: rendering 2/100 blueprints (as written)"
        "\rkgen: rendering 100/100 blueprints (as written)"
    )
    line.clear()
    width = len("kgen: rendering 100/100 blueprints (as written)")
    assert stream.getvalue().endswith("\r" + " " * width + "\r")
    with progress.on_terminal(io.StringIO()) as none:
        assert none is None
