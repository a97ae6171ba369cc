"""Regular expressions compiled on first use.

kgen's modules declare their patterns at the top, as constants; compiling them all at
import took about a tenth of a cold start, for patterns most runs never use (a Cluster's
instance types, a GitOps repository URL). ``compile`` returns a stand-in that compiles
its pattern the first time one of its methods is used, and behaves as the pattern from
then on.
"""

from __future__ import annotations

import re
from typing import Any, cast


class _Lazy:
    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        # only for what the instance does not hold yet: compile, then keep the attribute
        # (a bound method), so that later uses cost what the pattern's own do
        found = getattr(re.compile(*self._args), name)
        self.__dict__[name] = found
        return found

    def __repr__(self) -> str:
        return f"lazyre.compile({self._args[0]!r}, {self._args[1]})"


def compile(pattern: str, flags: int | re.RegexFlag = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done when the pattern is first used."""
    return cast("re.Pattern[str]", _Lazy(pattern, int(flags)))
