"""Reading the runnable parts of the docs: fenced blocks, their markers, console sessions.

The conventions, which tests/test_docs.py applies to every page of docs/:

- ``<!-- file: PATH -->`` on the line before a fenced block: the block is that file of the
  page's sandbox, written when the page reaches it.
- ``<!-- output: kgen ARGS -->`` before a block: the block is an excerpt of what that command
  prints (a line ``...`` or ``# ...`` stands for any lines).
- A ```console block is a shell session: ``$ kgen ...`` runs kgen, ``$ cat PATH`` shows a
  file, ``$ echo $?`` the exit status of the command before; the lines below a command are
  its output (stdout and stderr as a terminal shows them), with ``...`` for any lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"<!-- (file|output): (.+?) -->\n\s*\Z")
ELLIPSIS = frozenset({"...", "# ..."})


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: its language, text, marker and line (1-based)."""

    page: str
    line: int
    language: str
    text: str
    marker: tuple[str, str] | None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def is_blueprint(self) -> bool:
        return self.language == "yaml" and bool(
            re.search(r"^apiVersion: kgen\.dev/", self.text, re.MULTILINE)
        )


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, in order."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()]
        marker = _MARKER.search(before[-300:])
        found.append(
            Block(
                page=path.name,
                line=before.count("\n") + 1,
                language=match[1],
                text=match[2],
                marker=(marker[1], marker[2]) if marker else None,
            )
        )
    return found


@dataclass(frozen=True)
class Step:
    """A command of a console session and the output shown below it."""

    command: str
    shown: tuple[str, ...]


def session(block: Block) -> list[Step]:
    """The commands of a ```console block with the output each shows."""
    steps: list[Step] = []
    command: str | None = None
    shown: list[str] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            if command is not None:
                steps.append(Step(command, tuple(shown)))
            command, shown = line[2:], []
        else:
            assert command is not None, f"{block.where}: output before any '$ ' command"
            shown.append(line)
    if command is not None:
        steps.append(Step(command, tuple(shown)))
    return steps


def matches(shown: tuple[str, ...] | list[str], actual: list[str]) -> bool:
    """Whether ``actual`` lines are ``shown``, where an ellipsis line stands for any lines."""
    parts: list[list[str]] = [[]]
    for line in shown:
        if line.strip() in ELLIPSIS:
            parts.append([])
        else:
            parts[-1].append(line)
    if len(parts) == 1:
        return list(shown) == actual
    head, *middle, tail = parts
    if actual[: len(head)] != head or len(actual) < len(head) + len(tail):
        return False
    end = len(actual) - len(tail)
    if actual[end:] != tail:
        return False
    at = len(head)
    for part in middle:  # each as early as it fits: leftmost is never worse
        found = next(
            (i for i in range(at, end - len(part) + 1) if actual[i : i + len(part)] == part),
            None,
        )
        if found is None:
            return False
        at = found + len(part)
    return True
