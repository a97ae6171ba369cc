"""``kgen render -o DIR --all-envs``: every declared environment in its own folder, each a
complete kustomize root that builds what ``render --env <env>`` prints."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import REPO, RunKgen
from tests.test_kustomize import assert_same_documents, kustomize, parse_stream


def _files(folder: Path) -> dict[str, str]:
    """The folder's files without the Source lines (paths from the folder to the blueprints
    differ with its depth) and the ownership record (which hashes them)."""
    return {
        p.relative_to(folder).as_posix(): "".join(
            line
            for line in p.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith("# Source: ")
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".kgen-owned"
    }


def test_every_environment_gets_its_folder(kgen: RunKgen, tmp_path: Path, kubectl: str) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    result = kgen("render", "blueprints", "-o", "out", "--all-envs", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["prod", "staging"]
    for env in ("prod", "staging"):
        # The same files as a render of that environment alone into a folder of its own.
        alone = kgen("render", "blueprints", "--env", env, "-o", f"alone-{env}", cwd=tmp_path)
        assert alone.exit_code == 0, alone.stderr
        assert _files(tmp_path / "out" / env) == _files(tmp_path / f"alone-{env}")
        stream = kgen("render", "blueprints", "--env", env, cwd=tmp_path).stdout
        assert_same_documents(kustomize(kubectl, tmp_path / "out" / env), parse_stream(stream))
    check = kgen("render", "blueprints", "-o", "out", "--all-envs", "--check", cwd=tmp_path)
    assert check.exit_code == 0, check.stderr
    assert "out/prod is up to date" in check.stderr


def test_check_reports_drift_in_any_environment(kgen: RunKgen, tmp_path: Path) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    assert kgen("render", "blueprints", "-o", "out", "--all-envs", cwd=tmp_path).exit_code == 0
    frontend = tmp_path / "blueprints" / "shop" / "frontend.yaml"
    frontend.write_text(frontend.read_text().replace("maxReplicas: 12", "maxReplicas: 13"))
    check = kgen("render", "blueprints", "-o", "out", "--all-envs", "--check", cwd=tmp_path)
    assert check.exit_code == 1
    assert "out/staging is up to date" in check.stderr
    assert "out/prod is not what render would write" in check.stderr
    assert "maxReplicas: 13" in check.stdout
    # each file of the diff says which environment's folder it is in
    assert "+++ b/prod/shop/horizontalpodautoscaler-frontend.yaml" in check.stdout


def test_an_error_in_one_environment_writes_no_folder(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "apiVersion: kgen.dev/v1alpha1\nkind: Microservice\n"
        "metadata: {name: api, namespace: shop}\n"
        "spec: {image: 'ghcr.io/acme/api:1.0.0', ports: [{name: http, port: 8080}]}\n"
        "environments:\n  dev: {replicas: 1}\n  prod: {replicas: -3}\n"
    )
    result = kgen("render", "api.yaml", "-o", "out", "--all-envs", cwd=tmp_path)
    assert result.exit_code == 1
    assert "spec.replicas: -3 is less than the minimum of 0 (with --env prod)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_all_envs_usage(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        "apiVersion: kgen.dev/v1alpha1\nkind: Microservice\n"
        "metadata: {name: api, namespace: shop}\n"
        "spec: {image: 'ghcr.io/acme/api:1.0.0', ports: [{name: http, port: 8080}]}\n"
    )
    none = kgen("render", "api.yaml", "-o", "out", "--all-envs", cwd=tmp_path)
    assert none.exit_code == 2 and "declares an environment" in none.stderr
    assert kgen("render", "api.yaml", "--all-envs", cwd=tmp_path).exit_code == 2
    with_env = kgen("render", "api.yaml", "-o", "o", "--all-envs", "--env", "x", cwd=tmp_path)
    assert with_env.exit_code == 2
    (tmp_path / "afile").write_text("mine\n")
    on_a_file = kgen("render", "api.yaml", "-o", "afile", "--all-envs", "--check", cwd=tmp_path)
    assert on_a_file.exit_code == 2 and "exists and is not a folder" in on_a_file.stderr


def test_a_folder_of_a_dropped_environment_is_pointed_out(kgen: RunKgen, tmp_path: Path) -> None:
    """kgen does not remove it (something may still deploy it): it says so."""
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    assert kgen("render", "blueprints", "-o", "out", "--all-envs", cwd=tmp_path).exit_code == 0
    (tmp_path / "out" / "prod").rename(tmp_path / "out" / "qa")
    result = kgen("render", "blueprints", "-o", "out", "--all-envs", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "out/qa holds a render of an environment no blueprint declares" in result.stderr
    assert (tmp_path / "out" / "qa" / "kustomization.yaml").is_file()
