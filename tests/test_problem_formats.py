"""``kgen validate --format json|sarif``: the same problems as the text lines, on stdout,
for CI and editors (SARIF 2.1.0 is what code scanning reads)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.conftest import REPO, RunKgen

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
