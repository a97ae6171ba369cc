"""Did-you-mean suggestions for misspelt names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice to ``word``, or None when nothing is close."""
    options = sorted(set(choices))
    lowered = {option.lower(): option for option in options}
    if word.lower() in lowered:
        return f"did you mean {lowered[word.lower()]!r}?"
    import difflib  # a suggestion is for a mistake: not at every start

    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def one_of(choices: Iterable[str]) -> str:
    """``'a', 'b' or 'c'``."""
    quoted = [repr(choice) for choice in choices]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def shown(value: Any) -> str:
    """A value as a YAML user wrote it: null, true, 'text', 3, a list, a mapping."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    written = getattr(value, "written", None)
    if isinstance(written, str):
        return written
    if isinstance(value, str) and len(value) > 120:
        return repr(f"{value[:56]}...{value[-56:]}")
    return repr(value)
