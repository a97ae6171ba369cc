"""A progress line for long runs, on a terminal only: ``kgen: rendering 140/2000 blueprints
(prod)`` on stderr, redrawn in place and wiped when the run ends, so that what stays on the
screen is what kgen would print without it. Pipes, CI logs and pre-commit never see it
(stderr is no terminal there), and stdout never does. It appears only once a run has taken
``DELAY`` seconds: a small render prints nothing.

The library reports through a plain callable, ``Progress``; only the command line draws.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

#: What a stage reports: which pass (``as written`` or an environment), and how many of
#: its blueprints are done of how many.
Progress = Callable[[str, int, int], None]

#: Seconds a run takes before the line appears, and between two redraws.
DELAY = 2.0
INTERVAL = 0.1


class TerminalProgress:
    """Draws the progress line on ``stream`` (a terminal), at most every ``INTERVAL``
    seconds once ``DELAY`` seconds have passed; ``clear`` wipes what it drew."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._drawn_at: float | None = None
        self._width = 0

    def __call__(self, label: str, done: int, total: int) -> None:
        now = self._clock()
        if now - self._started < DELAY:
            return
        if self._drawn_at is not None and now - self._drawn_at < INTERVAL and done < total:
            return
        line = f"kgen: rendering {done}/{total} blueprints ({label})"[: self._columns() - 1]
        self._stream.write("\r" + line.ljust(self._width))
        self._stream.flush()
        self._width = max(self._width, len(line))
        self._drawn_at = now

    def clear(self) -> None:
        """Wipe the line, when one was drawn: the cursor is back where it was."""
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0

    def _columns(self) -> int:
        """The terminal's width: a longer line would wrap, and ``\\r`` redraw only its end."""
        try:
            columns = os.get_terminal_size(self._stream.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        return max(columns, 20) if columns else 80  # 0: a terminal that does not say


@contextmanager
def on_terminal(stream: TextIO) -> Iterator[Progress | None]:
    """A ``Progress`` that draws on ``stream`` when it is a terminal (else None), wiped
    when the block ends, whatever ends it: messages that follow start on a clean line."""
    try:
        terminal = stream.isatty()
    except (OSError, ValueError):  # a closed or detached stream
        terminal = False
    if not terminal:
        yield None
        return
    progress = TerminalProgress(stream)
    try:
        yield progress
    finally:
        progress.clear()
