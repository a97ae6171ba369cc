"""The docs run as written, and the field reference is what the schemas say.

Each page of ``docs/`` runs in a sandbox folder of its own, block by block, in order
(conventions in ``tests/docs.py``):

- a ```yaml block that is a blueprint (``apiVersion: kgen.dev/...``) validates with kgen, unless
  a ``<!-- file: PATH -->`` marker makes it a file of the sandbox, which the page's commands
  then use (the mistakes shown in the guides are such files);
- ``<!-- file: PATH -->`` writes any block (kgen.toml, a CI workflow, a pre-commit config);
- a ```console block runs: ``$ kgen ...`` in the sandbox, checked against the output shown
  (``...`` for any lines) and exit status 0 unless ``$ echo $?`` after it shows another;
- ``<!-- output: kgen ... -->`` checks a block as an excerpt of that command's stdout;
- every ``kgen`` command in a ```sh block, in a CI workflow's ``run:`` steps and in a
  pre-commit config's hooks runs too, and must succeed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from kgen.cli import app
from kgen.kinds import kind_names
from kgen.reference import COMMAND, reference
from kgen.resources import KINDS_DIR
from tests.conftest import REPO, RunKgen
from tests.docs import Block, blocks, matches, session

DOCS = REPO / "docs"
PAGES = sorted(path.name for path in DOCS.glob("*.md"))
GUIDES = [page for page in PAGES if page != "reference.md"]


def test_reference_is_what_the_schemas_say() -> None:
    written = (DOCS / "reference.md").read_text(encoding="utf-8")
    assert written == reference(), f"docs/reference.md is stale: run `{COMMAND}`"


def test_the_reference_names_every_field_explain_knows() -> None:
    """Spot checks of paths through lists, maps and choices, with defaults and bounds."""
    text = reference()
    for row in (
        "| `spec.autoscaling.maxReplicas` | integer |",
        "| `spec.ports[].servicePort` | integer |",
        "| `spec.processes.<key>.ports[].name` | string: port name (required) |",
        "| `spec.dependsOn[].port` |",
        "| `spec.egress[].ports[].protocol` |",
        "| `spec.storage[].accessMode` |",
        "| `spec.nodeGroups[].taints[].effect` |",
    ):
        assert row in text, row
    assert "Default: `2`. At least 0. At most 2147483647." in text
    assert text == reference(), "deterministic"


def test_the_regeneration_command_writes_the_reference(tmp_path: Path) -> None:
    """What the README and the reference's own header say to run."""
    assert COMMAND == "python -m kgen.reference > docs/reference.md"
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "ascii"}
    done = subprocess.run(
        [sys.executable, "-m", "kgen.reference"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.decode("utf-8") == reference()


def test_every_page_is_linked_from_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Documentation\n", 1)[1].split("\n## ", 1)[0]
    linked = re.findall(r"\]\(docs/([a-z-]+\.md)\)", section)
    assert sorted(linked) == PAGES
    assert f"`{COMMAND}`" in section


@pytest.mark.parametrize("kind", kind_names())
def test_each_kind_has_a_guide_with_what_the_readme_promises(kind: str) -> None:
    text = (DOCS / f"{kind.lower()}.md").read_text(encoding="utf-8")
    for heading in ("## What it renders", "## A worked example", "## Common mistakes"):
        assert f"\n{heading}\n" in text, (kind, heading)
    assert f"(reference.md#{kind.lower()})" in text
    mistakes = text.split("\n## Common mistakes\n", 1)[1]
    assert ": error: " in mistakes and "$ echo $?\n1\n" in mistakes


@pytest.mark.parametrize("page", PAGES)
def test_links_between_pages_resolve(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (DOCS / target).exists(), f"{page}: broken link {target}"


_SHORT = {"HPA": "HorizontalPodAutoscaler", "VPA": "VerticalPodAutoscaler"}


def _rendered_kinds(table_text: str) -> set[str]:
    """The resource kinds a guide's "What it renders" table names in its first column."""
    section = table_text.split("\n## What it renders\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    kinds: set[str] = set()
    for row in rows:
        cell = re.sub(r"\(.*?\)|`.*?`", "", row.split("|")[1])
        for name in re.findall(r"\b[A-Z][A-Za-z0-9]+\b", cell):
            kinds.add(_SHORT.get(name, name))
    return kinds


def test_the_guides_name_the_resources_kgen_renders(kgen: RunKgen) -> None:
    """Each guide's table names only kinds kgen's templates write, and every kind the
    example blueprints of that kind render."""
    templates = "".join(p.read_text(encoding="utf-8") for p in KINDS_DIR.rglob("*.j2"))
    known = set(re.findall(r"^kind: ([A-Z][A-Za-z0-9]+)$", templates, re.MULTILINE))
    known.add("EC2NodeClass")
    rendered: dict[str, set[str]] = {}
    for flag in ((), ("--eksctl",)):
        stream = kgen("render", "blueprints", *flag, cwd=REPO).stdout
        for source, kind in re.findall(r"^# Source: .* \((\w+) .*\)\n.*\nkind: (\w+)$",
                                       stream, re.MULTILINE):  # fmt: skip
            rendered.setdefault(source, set()).add(kind)
    for blueprint_kind in kind_names():
        named = _rendered_kinds((DOCS / f"{blueprint_kind.lower()}.md").read_text("utf-8"))
        assert named <= known, (blueprint_kind, named - known)
        assert rendered[blueprint_kind] <= named, (blueprint_kind, rendered[blueprint_kind] - named)


@dataclass
class Sandbox:
    """A page's folder and the last command's exit status."""

    root: Path
    monkeypatch: pytest.MonkeyPatch
    status: int | None = None
    ran: list[str] = field(default_factory=list)

    def kgen(self, command: str) -> tuple[int, str, str]:
        """Run a ``kgen ...`` (or ``python3 -m kgen ...``) command line here."""
        argv = shlex.split(command)
        if argv[:3] in (["python3", "-m", "kgen"], ["python", "-m", "kgen"]):
            argv = ["kgen", *argv[3:]]
        assert argv[0] == "kgen", command
        self.monkeypatch.chdir(self.root)
        result = CliRunner().invoke(app, argv[1:], catch_exceptions=False)
        self.status = result.exit_code
        self.ran.append(command)
        return result.exit_code, result.output, result.stdout


@pytest.mark.parametrize("page", GUIDES)
def test_examples_run_as_written(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Sandbox(tmp_path / "sandbox", monkeypatch)
    sandbox.root.mkdir()
    found = blocks(DOCS / page)
    for index, block in enumerate(found):
        _run_block(sandbox, block, index, tmp_path)
    assert sandbox.ran, f"{page}: no command of the page ran"
    named = {token.rstrip("/") for command in sandbox.ran for token in shlex.split(command)}
    for block in found:
        if block.is_blueprint and block.marker and block.marker[0] == "file":
            path = block.marker[1]
            parts = path.split("/")
            folders = {"/".join(parts[:i]) for i in range(1, len(parts) + 1)}
            assert folders & named, f"{block.where}: no command of the page reads {path}"


def _run_block(sandbox: Sandbox, block: Block, index: int, tmp_path: Path) -> None:
    kind, value = block.marker or ("", "")
    if kind == "file":
        path = sandbox.root / value
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block.text, encoding="utf-8")
        if value == ".pre-commit-config.yaml":
            _run_pre_commit_config(sandbox, block)
        elif value.startswith(".github/workflows/"):
            _run_workflow(sandbox, block)
    elif kind == "output":
        status, _, stdout = sandbox.kgen(value)
        assert status == 0, f"{block.where}: {value} exited {status}"
        assert matches(block.text.splitlines(), stdout.splitlines()), (
            f"{block.where}: not what `{value}` prints:\n{stdout}"
        )
    elif block.is_blueprint:
        alone = tmp_path / f"block-{index}"
        alone.mkdir()
        (alone / "blueprint.yaml").write_text(block.text, encoding="utf-8")
        status, output, _ = Sandbox(alone, sandbox.monkeypatch).kgen("kgen validate .")
        assert status == 0, f"{block.where}: the blueprint does not validate:\n{output}"
    elif block.language == "console":
        _run_session(sandbox, block)
    elif block.language == "sh":
        for command in _kgen_commands(block.text):
            status, output, _ = sandbox.kgen(command)
            assert status == 0, f"{block.where}: `{command}` exited {status}:\n{output}"


def _run_session(sandbox: Sandbox, block: Block) -> None:
    for step in session(block):
        if step.command == "echo $?":
            actual = [str(sandbox.status)]
        elif step.command.startswith("cat "):
            path = sandbox.root / step.command.removeprefix("cat ")
            actual = path.read_text(encoding="utf-8").splitlines()
        else:
            if sandbox.status not in (None, 0):
                raise AssertionError(f"{block.where}: a failing command needs `$ echo $?` after it")
            output = sandbox.kgen(step.command)[1]
            actual = output.splitlines()
        assert matches(step.shown, actual), (
            f"{block.where}: `$ {step.command}` prints:\n" + "\n".join(actual)
        )
        if step.command == "echo $?" or step.command.startswith("cat "):
            sandbox.status = None
    if sandbox.status not in (None, 0):
        raise AssertionError(f"{block.where}: a failing command needs `$ echo $?` after it")


def _kgen_commands(script: str) -> Iterator[str]:
    """The kgen commands of a shell script, each up to a pipe, redirect or `&&`."""
    for written in script.splitlines():
        line = written.split(" #", 1)[0].strip()
        command = re.split(r"\s(?:\||>|&&|2>)\s?", line, maxsplit=1)[0].strip()
        if command.startswith(("kgen ", "python3 -m kgen ", "python -m kgen ")):
            yield command


def _run_workflow(sandbox: Sandbox, block: Block) -> None:
    workflow: dict[str, Any] = yaml.safe_load(block.text)
    ran = 0
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for command in _kgen_commands(str(step.get("run", ""))):
                status, output, _ = sandbox.kgen(command)
                assert status == 0, f"{block.where}: `{command}` exited {status}:\n{output}"
                ran += 1
    assert ran, f"{block.where}: the workflow runs no kgen command"


def _run_pre_commit_config(sandbox: Sandbox, block: Block) -> None:
    """Each hook the config uses is one of kgen's, run with the config's args."""
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    config: dict[str, Any] = yaml.safe_load(block.text)
    used = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert used, f"{block.where}: no hooks"
    for hook in used:
        assert hook["id"] in hooks, f"{block.where}: kgen has no hook {hook['id']!r}"
        known = hooks[hook["id"]]
        args = hook.get("args", known.get("args", []))
        command = shlex.join([*shlex.split(known["entry"]), *args])
        status, output, _ = sandbox.kgen(command)
        assert status == 0, f"{block.where}: hook {hook['id']} `{command}` failed:\n{output}"
