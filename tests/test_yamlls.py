"""The schema for editors in the real yaml-language-server (the server behind VS Code's YAML
extension), pinned by tests/yamlls/package-lock.json and spoken to over LSP.

What tests/test_editor.py shows with the plain ``jsonschema`` package, shown again where it
counts: a starter from ``kgen init`` and every example blueprint open with no diagnostic,
the common mistakes are flagged on their line, and the bad-input corpus gets the verdicts
the plain count gives, but for the few this module explains.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from tests.conftest import REPO, RunKgen, require_tool
from tests.lsp import Diagnostic, LanguageServer
from tests.test_editor import BAD, _editor_verdict, exported
from tests.tools import YAMLLS, yamlls_version

pytestmark = pytest.mark.slow

#: The folder of the starter; the schema is found by its modeline only.
STARTER = "starter"
#: The README's ``yaml.schemas`` setting, plus the corpus: blueprints without a modeline.
CORPUS = "bad"


def _readme_settings() -> dict[str, list[str]]:
    """The ``yaml.schemas`` setting the README shows for blueprints without a modeline."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Editors\n", 1)[1].split("\n## ", 1)[0]
    block = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    schemas: dict[str, list[str]] = block["yaml.schemas"]
    return schemas


def _settings() -> dict[str, Any]:
    schemas = {path: [*globs, f"{CORPUS}/*.yaml"] for path, globs in _readme_settings().items()}
    return {
        "yaml": {
            "validate": True,
            "schemas": schemas,
            # Nothing is fetched: no schema catalogue, no custom resource schemas.
            "schemaStore": {"enable": False},
            "kubernetesCRDStore": {"enable": False},
        }
    }


class Editor:
    """A workspace as an editor has it open, and the real server checking its files."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.root = server.root

    def check(self, files: dict[str, str | None]) -> dict[str, list[Diagnostic]]:
        """The diagnostics of each file (a path in the workspace; its text, or None to read
        it as an editor does), all opened together."""
        found = self.server.diagnose({self.root / name: text for name, text in files.items()})
        return {path.relative_to(self.root).as_posix(): d for path, d in found.items()}


@pytest.fixture(scope="module")
def editor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Editor]:
    """One server for the module, on a workspace with the repository's blueprints and
    corpus (mapped to the schema by the settings) and a starter folder (by its modeline)."""
    server = require_tool(YAMLLS)
    root = tmp_path_factory.mktemp("workspace")
    shutil.copytree(REPO / "blueprints", root / "blueprints")
    shutil.copytree(BAD, root / CORPUS)
    for schema in _readme_settings():
        (root / schema).write_text(json.dumps(exported(), indent=2) + "\n", encoding="utf-8")
    (root / STARTER).mkdir()
    with LanguageServer([server, "--stdio"], root) as client:
        info = client.initialize(_settings())
        assert info["serverInfo"] == {"name": YAMLLS, "version": yamlls_version()}
        yield Editor(client)


def _read(path: Path) -> str:
    """A file's text as an editor gives it to the server: decoded as UTF-8, a byte that is
    not UTF-8 shown as U+FFFD (the server gets text, never bytes)."""
    return path.read_bytes().decode("utf-8", errors="replace")


# --- no false positives --------------------------------------------------------------------


def test_starters_open_with_no_diagnostics(editor: Editor, kgen: RunKgen) -> None:
    """A starter of every kind, its schema found by the modeline ``kgen init`` writes."""
    folder = editor.root / STARTER
    names = {"Microservice": "api", "Monolith": "billing", "StatefulApp": "db", "Cluster": "prod"}
    for kind, name in names.items():
        result = kgen("init", kind, name, cwd=folder)
        assert result.exit_code == 0, result.stderr
        first = (folder / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=kgen.schema.json"
    slip = _starter(folder, {12: "  replcas: 2"})  # the modeline is in force
    files: dict[str, str | None] = {f"{STARTER}/{name}.yaml": None for name in names.values()}
    found = editor.check({**files, f"{STARTER}/slip.yaml": slip})
    assert [d.line for d in found.pop(f"{STARTER}/slip.yaml")] == [12]
    assert found == {name: [] for name in files}


def test_every_example_opens_with_no_diagnostics(editor: Editor) -> None:
    """Every example blueprint and the shop's shared defaults, mapped to the schema by the
    README's ``yaml.schemas`` setting (they have no modeline)."""
    examples = sorted(p.relative_to(editor.root) for p in editor.root.glob("blueprints/**/*.yaml"))
    assert Path("blueprints/shop/kgen.defaults.yaml") in examples
    canary = "blueprints/shop/canary.yaml"
    text = (editor.root / "blueprints/shop/cart.yaml").read_text(encoding="utf-8")
    files: dict[str, str | None] = {p.as_posix(): None for p in examples}
    found = editor.check({**files, canary: text.replace("replicas:", "replcas:", 1)})
    assert found.pop(canary), "the setting maps the schema to blueprints/"
    assert found == {name: [] for name in files}


# --- the common mistakes, on their line ----------------------------------------------------


def _starter(folder: Path, lines: dict[int, str]) -> str:
    """The starter ``api.yaml`` of ``folder`` with some lines (counted from 1) replaced."""
    text = (folder / "api.yaml").read_text(encoding="utf-8").splitlines()
    for number, line in lines.items():
        text[number - 1] = line
    return "\n".join(text) + "\n"


#: A mistake -> the starter's line (as ``kgen init Microservice api`` writes it) written
#: wrong; the diagnostic belongs on that line.
MISTAKES = {
    "misspelt field": (12, "  replcas: 2"),
    "latest tag": (11, "  image: nginx:latest"),
    "default namespace": (9, "  namespace: default"),
    "bad CPU quantity": (17, "  resources: {cpu: 2 cores, memory: 128Mi}"),
    "unknown kind": (6, "kind: Microservise"),
    "misspelt field in an environment": (22, "  prod: {replcas: 3}"),
    "wrong type": (12, '  replicas: "two"'),
    "port out of range": (15, "      port: 70000"),
    "port name too long": (14, "    - name: http-metrics-port"),
}


def test_common_mistakes_are_flagged_on_their_line(editor: Editor, kgen: RunKgen) -> None:
    folder = editor.root / "mistakes"
    folder.mkdir()
    assert kgen("init", "Microservice", "api", cwd=folder).exit_code == 0
    files = {f"mistakes/{name.replace(' ', '-')}.yaml": _starter(folder, {number: line})
             for name, (number, line) in MISTAKES.items()}  # fmt: skip
    found = editor.check(dict(files))
    lines = {
        name: sorted({d.line for d in found[path]})
        for name, path in zip(MISTAKES, files, strict=True)
    }
    assert lines == {name: [number] for name, (number, _) in MISTAKES.items()}
    # A pattern's message is kgen's words for the format, not the regular expression.
    latest = [d.message for d in found["mistakes/latest-tag.yaml"]]
    assert any("not a valid image reference" in message for message in latest), latest
    assert not any("^" in message for message in latest), latest
    for path, text in files.items():  # kgen refuses each one too
        (editor.root / path).write_text(text, encoding="utf-8")
        assert kgen("validate", path, cwd=editor.root).exit_code != 0, path


DEFAULTS = """\
apiVersion: kgen.dev/v1alpha1
kind: Defaults
metadata:
  namespace: shop
image:
  registry: ghcr.io/example
  tag: 1.4.2
spec:
  replicas: 2
environments:
  prod:
    spec: {replicas: 3}
"""

#: A slip in a shared defaults file -> (line, its text).
DEFAULTS_MISTAKES = {
    "latest tag": (7, "  tag: latest"),
    "misspelt spec field": (9, "  replcas: 2"),
    "misspelt environment field": (12, "    spec: {replcas: 3}"),
}


def test_slips_in_shared_defaults_are_flagged_on_their_line(editor: Editor) -> None:
    def written(number: int, line: str) -> str:
        lines = DEFAULTS.splitlines()
        lines[number - 1] = line
        return "\n".join(lines) + "\n"

    files: dict[str, str | None] = {"blueprints/slips/kgen.defaults.yaml": DEFAULTS}
    for name, (number, line) in DEFAULTS_MISTAKES.items():
        files[f"blueprints/slips/{name.replace(' ', '-')}/kgen.defaults.yaml"] = written(
            number, line
        )
    found = editor.check(files)
    assert [sorted({d.line for d in diagnostics}) for diagnostics in found.values()] == [
        [],
        *([number] for number, _ in DEFAULTS_MISTAKES.values()),
    ]


# --- the bad-input corpus ------------------------------------------------------------------

#: Where the real server's verdict is not the plain count's (test_editor.py), and why:
#: file -> (plain verdict, real verdict, why).
DISAGREEMENTS = {
    "duplicate-key.yaml": (
        "missed",
        "yaml",
        "the server's parser refuses a key given twice ('Map keys must be unique'); PyYAML, "
        "which the plain count reads with, keeps the last (kgen refuses it itself)",
    ),
    "yaml-merge-key-twice.yaml": (
        "missed",
        "yaml",
        "two '<<' merge keys in one mapping: the server's parser refuses the repeated key",
    ),
    "values-ending-in-a-newline.yaml": (
        "missed",
        "schema",
        "ECMAScript's '$' does not match before a final line break, Python's does: the real "
        "server's patterns refuse the values, as kgen does",
    ),
    "nesting-too-deep.yaml": (
        "yaml",
        "schema",
        "PyYAML gives up on the nesting; the server's parser reads it and the schema flags the "
        "nested value: flagged either way",
    ),
    "number-too-long.yaml": (
        "yaml",
        "schema",
        "Python will not read an integer of that many digits; the server reads the number "
        "and the schema flags it as above the maximum: flagged either way",
    ),
    "run-over-its-node-budget.yaml": (
        "yaml",
        "schema",
        "the plain count takes a document of more than 100 aliases as refused by the parser "
        "(eemeli/yaml's maxAliasCount); the server never converts the document to plain data, "
        "so the limit does not apply there, and the schema flags the values: flagged either way",
    ),
    "raw-control-character.yaml": (
        "yaml",
        "missed",
        "the server's parser takes a raw U+0001, which YAML does not allow in a file and "
        "PyYAML refuses; only kgen flags it",
    ),
    "not-utf8.yaml": (
        "yaml",
        "missed",
        "the server gets text, not bytes: the editor decodes the file and shows the byte that "
        "is not UTF-8 as U+FFFD, which nothing flags; only kgen refuses the file",
    ),
}

#: Diagnostics of the server's YAML parser that are advice, not a refusal.
_ADVICE = ("Unused anchor",)


def _verdict(diagnostics: list[Diagnostic]) -> str:
    """'yaml' (the server's YAML parser refuses the file), 'schema' (the schema flags it)
    or 'missed', as test_editor.py's plain count says them."""
    if any(d.source == "YAML" and not d.message.startswith(_ADVICE) for d in diagnostics):
        return "yaml"
    if any(d.source.startswith("yaml-schema:") for d in diagnostics):
        return "schema"
    assert diagnostics == [], diagnostics
    return "missed"


@pytest.fixture(scope="module")
def corpus(editor: Editor) -> dict[str, str]:
    """The real server's verdict on each file of the corpus."""
    paths = sorted(BAD.glob("*.yaml"))
    found = editor.check({f"{CORPUS}/{p.name}": _read(p) for p in paths})
    return {p.name: _verdict(found[f"{CORPUS}/{p.name}"]) for p in paths}


def test_the_corpus_in_the_real_server(corpus: dict[str, str], snapshot: SnapshotAssertion) -> None:
    real = corpus
    paths = sorted(BAD.glob("*.yaml"))
    caught = sum(verdict != "missed" for verdict in real.values())
    assert {
        "server": f"{YAMLLS} {yamlls_version()}",
        "verdicts": real,
        "total": f"caught {caught} of {len(real)}",
    } == snapshot
    plain = {p.name: _editor_verdict(p) for p in paths}
    differ = {name: (plain[name], real[name]) for name in real if plain[name] != real[name]}
    assert differ == {name: (p, r) for name, (p, r, _) in DISAGREEMENTS.items()}


def test_the_readme_says_what_the_real_server_flags(corpus: dict[str, str]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Editors\n", 1)[1].split("\n## ", 1)[0]
    said = " ".join(section.split())
    caught = sum(verdict != "missed" for verdict in corpus.values())
    assert f"the real yaml-language-server {yamlls_version()} flags {caught} of them" in said
