"""kgen's cache across runs: work that depends only on kgen itself (its compiled
templates), kept where a fresh process finds it again.

The cache lives in ``$KGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/kgen``, else
``~/.cache/kgen``; ``KGEN_CACHE_DIR=off`` turns it off. Each entry sits under a folder
named for what it was made from (kgen's version, Python's, the library's, the settings
that shape it), so a new kgen or Python never reads an old entry. What is cached changes
nothing kgen writes: only how fast it gets there. A folder kgen cannot use (not ours, a
link, not writable) means no cache, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

OFF = frozenset({"", "0", "off", "no", "false"})


def cache_root() -> Path | None:
    """The cache folder as the environment names it, or None when it is turned off."""
    named = os.environ.get("KGEN_CACHE_DIR")
    if named is not None:
        return None if named.strip().lower() in OFF else Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "kgen"


def cache_folder(kind: str, *made_from: str) -> Path | None:
    """A private folder for entries of ``kind``, keyed on kgen's and Python's versions and
    ``made_from``; None when there is no usable cache."""
    from kgen import __version__

    root = cache_root()
    if root is None:
        return None
    digest = hashlib.sha256("\0".join((__version__, sys.version, *made_from)).encode()).hexdigest()[
        :16
    ]
    folder = root / f"{kind}-{digest}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid():
        return None  # a link, or someone else's folder: never read or write through it
    if status.st_mode & 0o022 or not os.access(folder, os.W_OK | os.X_OK):
        return None  # others could write entries kgen would load
    return folder


def json_entry(
    folder: Path | None, name: str, keys: frozenset[str], make: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """The JSON object kept in ``folder`` under ``name``, or ``make()``'s, then kept there
    (written aside and moved in). An entry that is missing, cut short or not an object
    of exactly ``keys`` is made again; no cache (``folder`` None): made each time."""
    if folder is not None:
        try:
            found: Any = json.loads((folder / name).read_bytes())
            if isinstance(found, dict) and found.keys() == keys:
                return found
        except (OSError, ValueError):
            pass
    made = make()
    if folder is not None:
        with contextlib.suppress(OSError):
            with tempfile.NamedTemporaryFile("w", dir=folder, delete=False) as file:
                json.dump(made, file)
            os.replace(file.name, folder / name)
    return made
