"""Where kgen's data files are: blueprint schemas, vendored upstream schemas, kind templates.

In a wheel the top-level ``schemas/`` folder is packed inside the package as
``kgen/schemas``; in a source checkout it sits beside the package.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
KINDS_DIR = PACKAGE_DIR / "kinds"


@cache
def schemas_dir() -> Path:
    bundled = PACKAGE_DIR / "schemas"
    return bundled if bundled.is_dir() else PACKAGE_DIR.parent / "schemas"


@cache
def load_json(relative: str) -> Any:
    """Read a JSON file under ``schemas/`` once; callers must not mutate the result."""
    with (schemas_dir() / relative).open(encoding="utf-8") as handle:
        return json.load(handle)
