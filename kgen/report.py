"""Formatting problems: for people, one line each, compiler style; for machines, JSON or
SARIF 2.1.0 (what GitHub code scanning and many editors read)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from kgen import lazyre
from kgen.errors import TemplateBug
from kgen.model import Problem

#: The longest field path, message and hint shown; a value echoed from a 5 MB line is cut.
_LONGEST = {"path": 300, "message": 1000, "hint": 500}
_UNPRINTABLE = lazyre.compile(r"[^\x20-\x7e\xa0-\U0010ffff]|[\u2028\u2029\ufeff]")


def clean(text: str, limit: int) -> str:
    """``text`` on one line, without control characters (no terminal escapes, no line that
    looks like another problem), shortened in the middle to ``limit`` characters."""
    if len(text) > limit:
        half = limit // 2 - 2
        text = f"{text[:half]} ... {text[-half:]}"
    if text.isprintable():
        return text
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)


def format_problem(problem: Problem) -> str:
    """``FILE:LINE:COL: error: PATH: message (hint: fix)``, one line whatever the input."""
    hint = f" (hint: {clean(problem.hint, _LONGEST['hint'])})" if problem.hint else ""
    path = clean(problem.field, _LONGEST["path"])
    message = clean(problem.message, _LONGEST["message"])
    return f"{problem.pos}: {problem.severity}: {path}: {message}{_inherited(problem)}{hint}"


def _inherited(problem: Problem) -> str:
    """Where a shared default was inherited, when the problem is at one: a defaults file
    serves many blueprints, and the message names the one that has the problem."""
    via = problem.pos.via
    return f" (inherited by {clean(via, _LONGEST['path'])})" if via else ""


def format_problems(problems: Sequence[Problem]) -> str:
    """Every problem on its own line, then a summary line."""
    lines = [format_problem(problem) for problem in sorted(problems, key=Problem.sort_key)]
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


def _entry(problem: Problem) -> dict[str, Any]:
    entry = {
        "file": problem.pos.file,
        "line": problem.pos.line,
        "column": problem.pos.column,
        "severity": problem.severity,
        "field": problem.field,
        "path": list(problem.path),
        "subject": problem.subject,
        "message": problem.message,
        "hint": problem.hint,
    }
    if problem.pos.via:  # a shared default: the blueprint that inherited it
        entry["inheritedBy"] = problem.pos.via
    return entry


def problems_json(problems: Sequence[Problem]) -> str:
    """``{"problems": [...], "errors": N}``: each with file, line, column, severity, field
    (as people read it), path (as data), subject, message and hint."""
    ordered = sorted(problems, key=Problem.sort_key)
    report = {"problems": [_entry(p) for p in ordered], "errors": len(ordered)}
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


#: The rule every kgen finding reports under: SARIF wants one; kgen's problems say the rest.
SARIF_RULE = "kgen/blueprint"


def problems_sarif(problems: Sequence[Problem], version: str) -> str:
    """A SARIF 2.1.0 log of one run: a result per problem at its file, line and column,
    the field as its logical location, the hint after the message."""
    results = []
    for problem in sorted(problems, key=Problem.sort_key):
        hint = f" (hint: {problem.hint})" if problem.hint else ""
        text = problem.message + _inherited(problem) + hint
        results.append(
            {
                "ruleId": SARIF_RULE,
                "level": "error" if problem.severity == "error" else "warning",
                "message": {"text": f"{problem.field}: {text}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": quote(problem.pos.file)},
                            "region": {
                                "startLine": max(problem.pos.line, 1),
                                "startColumn": max(problem.pos.column, 1),
                            },
                        },
                        "logicalLocations": [{"fullyQualifiedName": problem.field}],
                    }
                ],
            }
        )
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kgen",
                        "version": version,
                        "rules": [
                            {
                                "id": SARIF_RULE,
                                "shortDescription": {
                                    "text": "A blueprint kgen cannot render as written"
                                },
                            }
                        ],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
