"""Where ``kgen import`` writes: nothing at all when anything is in the way of ``-o`` or
``--report``, and the notes of what it skipped even when the import fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgen import api
from kgen.errors import UsageError
from kgen.importer import ImportFailed
from kgen.importer import output as imported
from tests.conftest import RunKgen
from tests.importing import import_text

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: api{namespace}}}
spec:
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers:
      - name: api
        image: ghcr.io/acme/api:1.0.0
        ports: [{{name: http, containerPort: 8080}}]
"""
TWO_NAMESPACES = "---\n".join(
    DEPLOYMENT.format(namespace=f", namespace: {ns}") for ns in ("shop", "staging")
)


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    source = tmp_path / "in.yaml"
    source.write_text(TWO_NAMESPACES, encoding="utf-8")
    return source


def test_a_file_where_a_namespace_folder_goes_stops_the_import_before_any_write(
    kgen: RunKgen, tmp_path: Path, manifests: Path
) -> None:
    """part/staging is a file: part/shop/api.yaml is not written either."""
    (tmp_path / "part").mkdir()
    (tmp_path / "part" / "staging").write_text("x\n", encoding="utf-8")
    run = kgen("import", str(manifests), "-o", "part", cwd=tmp_path)
    assert run.exit_code == 2, run.stderr
    assert (
        "kgen: error: part/staging: is a file, where -o writes the folder of namespace "
        "staging; kgen import never writes over a file, nor through a link (move it, or "
        "import into another folder)\n"
    ) in run.stderr
    assert _files(tmp_path / "part") == ["staging"]


@pytest.mark.parametrize(
    ("output", "said"),
    [
        ("afile.txt", "-o afile.txt: is a file, not a folder"),
        ("afile.txt/sub", "-o afile.txt/sub: afile.txt is a file, not a folder"),
        ("link.txt", "-o link.txt: is a link to a file, not a folder"),
    ],
)
def test_an_output_folder_that_is_a_file_is_a_usage_error(
    kgen: RunKgen, tmp_path: Path, manifests: Path, output: str, said: str
) -> None:
    (tmp_path / "afile.txt").write_text("mine\n", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to("afile.txt")
    run = kgen("import", str(manifests), "-o", output, cwd=tmp_path)
    assert run.exit_code == 2, run.stderr
    assert f"kgen: error: {said}; name a folder, e.g. -o blueprints\n" in run.stderr
    assert (tmp_path / "afile.txt").read_text(encoding="utf-8") == "mine\n"
    assert _files(tmp_path) == ["afile.txt", "in.yaml", "link.txt"]


def test_kgen_never_writes_through_a_link_where_a_namespace_folder_goes(
    kgen: RunKgen, tmp_path: Path, manifests: Path
) -> None:
    """A link to a folder, or a broken one, is refused; the folder named by -o may be a
    link (it is the user's own)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "shop").symlink_to(elsewhere)
    (out / "staging").symlink_to(tmp_path / "nowhere")
    run = kgen("import", str(manifests), "-o", "out", cwd=tmp_path)
    assert run.exit_code == 2, run.stderr
    assert (
        "kgen: error: out/shop: is a link to a folder, where -o writes the folder of "
        "namespace shop; out/staging: is a broken link, where -o writes the folder of "
        "namespace staging; kgen import never writes over a file, nor through a link (move "
        "them, or import into another folder)\n"
    ) in run.stderr
    assert _files(elsewhere) == []
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "named").symlink_to(elsewhere)
    run = kgen("import", str(manifests), "-o", "named", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    assert _files(elsewhere) == ["shop", "shop/api.yaml", "staging", "staging/api.yaml"]


def test_to_folder_checks_every_folder_before_writing_any(tmp_path: Path) -> None:
    result = import_text(tmp_path, TWO_NAMESPACES)
    (tmp_path / "bp").mkdir()
    (tmp_path / "bp" / "staging").write_text("x\n", encoding="utf-8")
    with pytest.raises(UsageError, match="bp/staging: is a file"):
        imported.to_folder(result, tmp_path / "bp")
    assert _files(tmp_path / "bp") == ["staging"]


def test_a_report_path_that_is_a_link_is_refused_as_a_link(
    kgen: RunKgen, tmp_path: Path, manifests: Path
) -> None:
    """Even a link to an earlier report: kgen never writes through a link."""
    run = kgen("import", str(manifests), "--report", "report.txt", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    first = (tmp_path / "report.txt").read_text(encoding="utf-8")
    (tmp_path / "link.txt").symlink_to("report.txt")
    run = kgen("import", str(manifests), "-o", "bp", "--report", "link.txt", cwd=tmp_path)
    assert run.exit_code == 2, run.stderr
    assert (
        "kgen: error: --report link.txt: is a link; kgen never writes through a link (name "
        "the file it points at, or a new file)\n"
    ) in run.stderr
    assert "is not a kgen import report" not in run.stderr
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == first
    assert not (tmp_path / "bp").exists()


def _kustomized(tmp_path: Path) -> Path:
    """A folder whose kustomization sets the namespace its Deployment lacks."""
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "api.yaml").write_text(DEPLOYMENT.format(namespace=""), encoding="utf-8")
    (folder / "kustomization.yaml").write_text(
        "namespace: shop\nresources: [api.yaml]\n", encoding="utf-8"
    )
    return folder


def test_a_failing_import_prints_the_skipped_kustomization_before_its_errors(
    kgen: RunKgen, tmp_path: Path
) -> None:
    _kustomized(tmp_path)
    run = kgen("import", "app", cwd=tmp_path)
    assert run.exit_code == 1, run.stderr
    assert run.stderr.splitlines() == [
        "app/kustomization.yaml:1: note: a kustomization, not a resource: skipped (hint: "
        "import what it builds: kubectl kustomize DIR | kgen import -)",
        "app/api.yaml:3:11: error: Deployment api: metadata: no namespace, and no --namespace "
        "(hint: name the namespace of resources that have none: --namespace NS)",
        "kgen: 1 error in 1 file; nothing written",
    ]


def test_a_failing_import_carries_its_notes(tmp_path: Path) -> None:
    folder = _kustomized(tmp_path)
    with pytest.raises(ImportFailed) as failed:
        api.import_manifests([folder])
    assert [note.message for note in failed.value.notes] == [
        "a kustomization, not a resource: skipped"
    ]
    assert [problem.severity for problem in failed.value.problems] == ["error"]
