"""Formatting problems for people: one line each, compiler style."""

from __future__ import annotations

from collections.abc import Sequence

from kgen.errors import TemplateBug
from kgen.model import Problem


def format_problem(problem: Problem) -> str:
    """``FILE:LINE:COL: error: PATH: message (hint: fix)``."""
    hint = f" (hint: {problem.hint})" if problem.hint else ""
    return f"{problem.pos}: {problem.severity}: {problem.path}: {problem.message}{hint}"


def format_problems(problems: Sequence[Problem]) -> str:
    """Every problem on its own line, then a summary line."""
    lines = [format_problem(problem) for problem in sorted(problems)]
    files = len({problem.pos.file for problem in problems})
    count = len(problems)
    lines.append(
        f"kgen: {count} error{'s' if count != 1 else ''} in {files} "
        f"file{'s' if files != 1 else ''}; nothing written"
    )
    return "\n".join(lines) + "\n"


def format_bug(bug: TemplateBug) -> str:
    where = f"{bug.template}:{bug.line}" if bug.line else bug.template
    return (
        f"kgen/kinds/{where}: internal error: {bug.message} "
        f"(while rendering {bug.blueprint}); this is a bug in kgen's templates, "
        "please report it\n"
    )
