"""The corpus of bad blueprints under ``tests/bad/``: one scenario per file, with the exact
messages kgen prints for it (syrupy snapshot in ``__snapshots__/test_bad_inputs.ambr``).

Every file must make ``kgen render`` fail with exit status 1, write nothing, and print only
``FILE:LINE:COL: error: PATH: message`` lines (then one summary line), sorted by position.
``kgen validate`` must print the same errors. To add a scenario, drop a file into
``tests/bad/`` and run ``pytest tests/test_bad_inputs.py --snapshot-update``; then read the new
snapshot: does it point at the right line and column, and would a user know what to do?
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from kgen.yamlio import parse_plain
from tests.conftest import REPO, RunKgen, write_blueprint

BAD = REPO / "tests" / "bad"
CORPUS = sorted(p.name for p in BAD.iterdir() if p.suffix in (".yaml", ".yml"))

#: Scenarios that only fail under an environment: render needs the option to see them.
EXTRA_ARGS: dict[str, tuple[str, ...]] = {
    "environment-prod-invalid.yaml": ("--env", "prod"),
    "access-mode-too-new.yaml": ("--kube-version", "1.26"),
}

#: Scenarios that end the whole run (it read more than a run may): left out of the test that
#: reads the whole corpus at once.
ENDS_THE_RUN = {"run-over-its-node-budget.yaml", "environments-too-many.yaml"}

#: Corpus files kgen still gets wrong, with why: they run as strict xfails, so a fix makes
#: them XPASS and fail; then delete the entry and run --snapshot-update.
KNOWN_BUGS: dict[str, str] = {}


def _cases() -> list[object]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
        if name in KNOWN_BUGS
        else name
        for name in CORPUS
    ]


ERROR_LINE = re.compile(r"^tests/bad/[^:]+:\d+:\d+: error: \S.*: .+")
POSITION = re.compile(r"^[^:]+:(\d+):(\d+): ")
SUMMARY = re.compile(r"^kgen: \d+ errors? in 1 file; nothing written$")


def _error_lines(stderr: str) -> list[str]:
    *errors, summary = stderr.splitlines()
    assert SUMMARY.match(summary), summary
    return errors


def test_corpus_is_big_enough() -> None:
    assert len(set(CORPUS) - set(KNOWN_BUGS)) >= 30
    assert set(EXTRA_ARGS) | set(KNOWN_BUGS) | ENDS_THE_RUN <= set(CORPUS)


@pytest.mark.parametrize("name", _cases())
def test_render_refuses(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion, name: str
) -> None:
    out = tmp_path / "out"
    result = kgen(
        "render", f"tests/bad/{name}", *EXTRA_ARGS.get(name, ()), "-o", str(out), cwd=REPO
    )

    assert result.exit_code == 1, result.stderr
    assert not out.exists(), "nothing is written when anything fails"
    assert not list(tmp_path.iterdir()), "not even a temporary folder is left behind"
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = _error_lines(result.stderr)
    assert errors
    for line in errors:
        assert ERROR_LINE.match(line), line
        assert line.startswith(f"tests/bad/{name}:"), "the error names the file it is in"
    positions = [_position(line) for line in errors]
    assert positions == sorted(positions), "errors are sorted by line and column"
    assert result.stderr == snapshot


def _position(line: str) -> tuple[int, int]:
    match = POSITION.match(line)
    assert match, line
    return int(match[1]), int(match[2])


@pytest.mark.parametrize("name", _cases())
def test_validate_reports_the_same(kgen: RunKgen, name: str) -> None:
    rendered = kgen("render", f"tests/bad/{name}", *EXTRA_ARGS.get(name, ()), cwd=REPO)
    option, value = EXTRA_ARGS.get(name, ("", ""))
    version = (option, value) if option == "--kube-version" else ()
    validated = kgen("validate", f"tests/bad/{name}", *version, cwd=REPO)
    assert validated.exit_code == 1
    assert validated.stdout == ""
    # validate checks every environment at once and says which one a problem needs.
    assert validated.stderr.replace(f" (with --env {value})", "") == rendered.stderr


def test_several_errors_are_all_reported(kgen: RunKgen) -> None:
    result = kgen("validate", "tests/bad/several-errors.yaml", cwd=REPO)
    errors = _error_lines(result.stderr)
    assert len(errors) >= 3
    assert [_position(line)[0] for line in errors] == [8, 9, 13, 14, 17]


def test_whole_corpus_at_once(kgen: RunKgen) -> None:
    """One run reports the problems of every file, not only of the first bad one."""
    paths = [
        f"tests/bad/{name}"
        for name in CORPUS
        if name not in set(KNOWN_BUGS) | ENDS_THE_RUN
        and EXTRA_ARGS.get(name, ("",))[0] != "--kube-version"
    ]
    result = kgen("validate", *paths, cwd=REPO)
    assert result.exit_code == 1
    files = {line.split(":", 1)[0] for line in result.stderr.splitlines()[:-1]}
    assert files == set(paths)
    assert result.stderr.splitlines()[-1].endswith(f"in {len(paths)} files; nothing written")


def test_a_bad_file_leaves_an_existing_output_folder_alone(
    kgen: RunKgen, repo: Path, tmp_path: Path
) -> None:
    blueprints = tmp_path / "blueprints"
    shutil.copytree(repo / "blueprints", blueprints)
    out = tmp_path / "out"
    assert kgen("render", str(blueprints), "-o", str(out), cwd=repo).exit_code == 0
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    shutil.copy(BAD / "image-latest.yaml", blueprints / "shop" / "broken.yaml")

    result = kgen("render", str(blueprints), "-o", str(out), cwd=repo)

    assert result.exit_code == 1
    assert "nothing written" in result.stderr
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blueprints", "out"]


# --- inputs that look odd but are harmless -------------------------------------------------


@pytest.mark.parametrize(
    "text", ["", "\n", "# a blueprint will go here\n"], ids=["empty", "newline", "comment"]
)
def test_a_file_without_documents_is_harmless(kgen: RunKgen, tmp_path: Path, text: str) -> None:
    """A file with no YAML document holds no blueprint: nothing to render, nothing wrong."""
    write_blueprint(tmp_path, "todo.yaml", text)
    write_blueprint(tmp_path, "api.yaml", VALID)
    alone = kgen("render", "api.yaml", cwd=tmp_path)
    rendered = kgen("render", "todo.yaml", "api.yaml", cwd=tmp_path)
    assert (rendered.exit_code, rendered.stdout, rendered.stderr) == (0, alone.stdout, "")
    validated = kgen("validate", "todo.yaml", "api.yaml", cwd=tmp_path)
    assert validated.exit_code == 0


def test_no_blueprint_at_all_is_a_usage_error(kgen: RunKgen, tmp_path: Path) -> None:
    """Rendering nothing into a folder would delete everything kgen wrote there."""
    write_blueprint(tmp_path, "api.yaml", VALID)
    assert kgen("render", "api.yaml", "-o", "out", cwd=tmp_path).exit_code == 0
    write_blueprint(tmp_path, "api.yaml", "# moved elsewhere\n")
    result = kgen("render", "api.yaml", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no blueprints in api.yaml" in result.stderr
    assert (tmp_path / "out" / "shop" / "deployment-api.yaml").is_file()


VALID = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: api
  namespace: shop
spec:
  image: ghcr.io/example/api:1.4.2
  ports:
    - name: http
      port: 8080
"""


@pytest.mark.parametrize(
    "text",
    [
        VALID + "---\n",
        "---\n" + VALID + "---\n",
        "---\n# the api\n---\n" + VALID,
        VALID + "---\n# more to come\n",
    ],
    ids=["trailing", "both-ends", "leading-comment-document", "trailing-comment-document"],
)
def test_empty_documents_between_separators_are_harmless(
    kgen: RunKgen, tmp_path: Path, text: str
) -> None:
    write_blueprint(tmp_path, "api.yaml", text)
    single = kgen("render", "api.yaml", cwd=tmp_path)
    assert single.exit_code == 0, single.stderr
    write_blueprint(tmp_path, "api.yaml", VALID)
    assert single.stdout == kgen("render", "api.yaml", cwd=tmp_path).stdout


ENV_NUMBERS = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: api
  namespace: shop
spec:
  image: ghcr.io/example/api:1.4.2
  ports:
    - name: http
      port: 8080
  env:
    VERSION: 1.10
    UMASK: 0755
    ZIP: 01234
    OFFSET: 1:30
"""


def test_env_numbers_are_not_silently_changed(kgen: RunKgen, tmp_path: Path) -> None:
    """SPEC: numbers are written as strings. The string must be the one the user wrote
    (YAML 1.1 would read these as 1.1, 493, 668 and 90); refusing the value with a 'quote it'
    hint would be fine too."""
    write_blueprint(tmp_path, "api.yaml", ENV_NUMBERS)
    result = kgen("render", "api.yaml", cwd=tmp_path)
    if result.exit_code == 1:
        assert "quote" in result.stderr
        return
    assert result.exit_code == 0, result.stderr
    (deployment,) = [d for d in parse_plain(result.stdout) if d["kind"] == "Deployment"]
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {e["name"]: e["value"] for e in env} == {
        "OFFSET": "1:30",
        "UMASK": "0755",
        "VERSION": "1.10",
        "ZIP": "01234",
    }
