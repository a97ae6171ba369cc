"""Run ``kgen`` with its file operations counted, slowed down or cut short by ``kill -9``.

    python -m tests.interrupt KILL_AT DELAY COUNT_FILE -- render blueprints -o out

Every ``os.replace``, ``os.unlink`` and ``os.rmdir`` (what kgen changes a folder with) counts
one; before operation number KILL_AT (from 1; 0 never) the process kills itself with
SIGKILL, as a power cut or an OOM kill would; each operation first sleeps DELAY seconds.
COUNT_FILE, when not '-', receives the number of operations done. This puts an interruption
at every step of a write, which random kill timings almost never hit.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any


def _counting(operation: Callable[..., Any], kill_at: int, delay: float) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        _COUNT[0] += 1
        if _COUNT[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if delay:
            time.sleep(delay)
        return operation(*args, **kwargs)

    return counted


_COUNT = [0]


def main() -> None:
    kill_at, delay, count_file, separator, *args = sys.argv[1:]
    assert separator == "--", "usage: KILL_AT DELAY COUNT_FILE -- KGEN_ARGS..."
    for name in ("replace", "unlink", "rmdir"):
        setattr(os, name, _counting(getattr(os, name), int(kill_at), float(delay)))
    from kgen.cli import app

    code = 0
    try:
        app(args, prog_name="kgen")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    if count_file != "-":
        with open(count_file, "w", encoding="utf-8") as handle:
            handle.write(str(_COUNT[0]))
    sys.exit(code)


if __name__ == "__main__":
    main()
