"""``kgen validate --format json|sarif``: the same problems as the text lines, on stdout,
for CI and editors (SARIF 2.1.0 is what code scanning reads)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from tests.conftest import REPO, RunKgen
from tests.helpers import microservice

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): error: (?P<field>.+?): ")


def _bad(tmp_path: Path) -> Path:
    shutil.copy(REPO / "tests" / "bad" / "several-errors.yaml", tmp_path / "bad.yaml")
    return tmp_path


def test_json_has_what_the_text_lines_have(kgen: RunKgen, tmp_path: Path) -> None:
    text = kgen("validate", "bad.yaml", cwd=_bad(tmp_path))
    result = kgen("validate", "bad.yaml", "--format", "json", cwd=tmp_path)
    assert result.exit_code == text.exit_code == 1
    report = json.loads(result.stdout)
    lines = [LINE.match(line) for line in text.stderr.splitlines()[:-1]]
    assert report["errors"] == len(lines) == len(report["problems"]) > 1
    for problem, line in zip(report["problems"], lines, strict=True):
        assert line is not None
        assert (problem["file"], problem["line"], problem["column"]) == (
            line["file"],
            int(line["line"]),
            int(line["column"]),
        )
        assert problem["field"] == line["field"] and problem["severity"] == "error"
        assert problem["message"] and "hint" in problem
    assert result.stderr == text.stderr  # people still read the text


def test_sarif_is_a_sarif_2_1_0_log(kgen: RunKgen, tmp_path: Path) -> None:
    result = kgen("validate", "bad.yaml", "--format", "sarif", cwd=_bad(tmp_path))
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "kgen"
    rules = {rule["id"] for rule in driver["rules"]}
    assert run["results"]
    for entry in run["results"]:
        assert entry["ruleId"] in rules and entry["level"] == "error"
        [location] = entry["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "bad.yaml"
        assert physical["region"]["startLine"] >= 1 and physical["region"]["startColumn"] >= 1
        assert entry["message"]["text"].startswith(
            location["logicalLocations"][0]["fullyQualifiedName"]
        )


def test_a_clean_run_reports_no_problems(kgen: RunKgen) -> None:
    result = kgen("validate", "blueprints", "--format", "sarif", cwd=REPO)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["runs"][0]["results"] == []
    result = kgen("validate", "blueprints", "--format", "json", cwd=REPO)
    assert json.loads(result.stdout) == {"problems": [], "errors": 0}


def test_sarif_locations_are_uris(kgen: RunKgen, tmp_path: Path) -> None:
    folder = tmp_path / "sp ace"
    folder.mkdir()
    shutil.copy(REPO / "tests" / "bad" / "several-errors.yaml", folder / "a#b.yaml")
    result = kgen("validate", "sp ace", "--format", "sarif", cwd=tmp_path)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in json.loads(result.stdout)["runs"][0]["results"]
    }
    assert uris == {"sp%20ace/a%23b.yaml"}


@pytest.mark.parametrize("problem_format", ["json", "sarif"])
def test_a_failing_render_reports_where_validate_does(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion, problem_format: str
) -> None:
    """The report takes the place of the stream (or the folder's diff): nothing else is
    written when the input is invalid; the text lines still go to stderr."""
    _bad(tmp_path)
    render = kgen("render", "bad.yaml", "--format", problem_format, cwd=tmp_path)
    assert render.stdout == snapshot
    validate = kgen("validate", "bad.yaml", "--format", problem_format, cwd=tmp_path)
    commands = [
        ("render", "bad.yaml", "-o", "out", "--check"),
        ("render", "bad.yaml", "-o", "out"),
        ("diff", "bad.yaml", "-o", "out"),
    ]
    for command in commands:
        result = kgen(*command, "--format", problem_format, cwd=tmp_path)
        assert result.exit_code == 1, command
        assert result.stdout == render.stdout == validate.stdout, command
        assert result.stderr == validate.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("problem_format", ["json", "sarif"])
def test_a_render_that_succeeds_prints_what_it_always_prints(
    kgen: RunKgen, tmp_path: Path, problem_format: str
) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    plain = kgen("render", "api.yaml", cwd=tmp_path)
    result = kgen("render", "api.yaml", "--format", problem_format, cwd=tmp_path)
    assert result.exit_code == 0 and result.stdout == plain.stdout
    assert result.stdout.startswith("---\n# Source: ")
    written = kgen("render", "api.yaml", "-o", "out", "--format", problem_format, cwd=tmp_path)
    assert written.exit_code == 0 and written.stdout == ""
    (tmp_path / "api.yaml").write_text(microservice(replicas=5))
    for command in [
        ("render", "api.yaml", "-o", "out", "--check"),
        ("diff", "api.yaml", "-o", "out"),
    ]:
        drift = kgen(*command, "--format", problem_format, cwd=tmp_path)
        assert drift.exit_code == 1
        assert drift.stdout == kgen(*command, cwd=tmp_path).stdout
        assert "+  replicas: 5" in drift.stdout
