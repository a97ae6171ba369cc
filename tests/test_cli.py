"""The command line: exit codes, streams, and that nothing is written on failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kgen import __version__
from kgen.yamlio import parse_plain
from tests.conftest import REPO, RunKgen
from tests.helpers import microservice, statefulapp


def test_render_to_stdout(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    result = kgen("render", "api.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert [d["kind"] for d in parse_plain(result.stdout)] == [
        "NetworkPolicy",
        "PodDisruptionBudget",
        "ServiceAccount",
        "Service",
        "Deployment",
    ]
    assert result.stderr == ""


def test_render_to_folder_then_check(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    assert kgen("render", "api.yaml", "-o", "out", cwd=tmp_path).exit_code == 0
    assert kgen("render", "api.yaml", "-o", "out", "--check", cwd=tmp_path).exit_code == 0
    (tmp_path / "api.yaml").write_text(microservice(replicas=5))
    drift = kgen("render", "api.yaml", "-o", "out", "--check", cwd=tmp_path)
    assert drift.exit_code == 1
    assert "-  replicas: 2\n+  replicas: 5" in drift.stdout
    assert "is not what render would write" in drift.stderr


def test_invalid_input_writes_nothing_and_exits_1(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(microservice().replace("name: api", "name: web"))
    (tmp_path / "bad.yaml").write_text(microservice(replicas="three"))
    result = kgen("render", ".", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 1
    assert not (tmp_path / "out").exists()
    assert result.stdout == ""
    assert result.stderr.startswith("bad.yaml:")
    assert "error: spec.replicas: 'three' is not of type 'integer'" in result.stderr
    assert result.stderr.endswith("kgen: 1 error in 1 file; nothing written\n")


def test_invalid_input_leaves_an_existing_folder_alone(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    kgen("render", "api.yaml", "-o", "out", cwd=tmp_path)
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    (tmp_path / "api.yaml").write_text(microservice(image="nginx"))
    assert kgen("render", "api.yaml", "-o", "out", cwd=tmp_path).exit_code == 1
    after = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert after == before


def test_validate(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    result = kgen("validate", "api.yaml", cwd=tmp_path)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api.yaml"]


def test_validate_checks_every_environment(kgen: RunKgen, tmp_path: Path) -> None:
    text = microservice() + "environments:\n  prod:\n    replicas: many\n"
    (tmp_path / "api.yaml").write_text(text)
    result = kgen("validate", "api.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "api.yaml:13:15: error: spec.replicas: 'many' is not of type 'integer'" in result.stderr


def test_env_merges_the_environment(kgen: RunKgen, tmp_path: Path) -> None:
    text = microservice() + "environments:\n  prod:\n    replicas: 6\n    env: {MODE: prod}\n"
    (tmp_path / "api.yaml").write_text(text)
    result = kgen("render", "api.yaml", "--env", "prod", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    deployment = parse_plain(result.stdout)[-1]
    assert deployment["spec"]["replicas"] == 6
    unknown = kgen("render", "api.yaml", "--env", "prd", cwd=tmp_path)
    assert unknown.exit_code == 2
    assert "no blueprint declares it (prod)" in unknown.stderr


def test_usage_errors_exit_2(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    assert kgen("render", "missing.yaml", cwd=tmp_path).exit_code == 2
    assert kgen("render", "api.yaml", "--kube-version", "1.2", cwd=tmp_path).exit_code == 2
    assert kgen("render", "api.yaml", "--check", cwd=tmp_path).exit_code == 2
    assert kgen("render", cwd=tmp_path).exit_code == 2
    assert kgen("frobnicate", cwd=tmp_path).exit_code == 2


def test_kube_version(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    for version in ("1.25", "1.37"):
        assert kgen("render", "api.yaml", "--kube-version", version, cwd=tmp_path).exit_code == 0


def test_schema_and_version(kgen: RunKgen) -> None:
    schema = kgen("schema", "microservice")
    assert schema.exit_code == 0
    assert '"const": "Microservice"' in schema.stdout
    assert kgen("schema", "Microservise").exit_code == 2
    assert kgen("--version").stdout == f"kgen {__version__}\n"


def test_readme_error_example_is_real(kgen: RunKgen, repo: Path) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    command = "$ kgen render tests/bad/several-errors.yaml\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0]
    result = kgen("render", "tests/bad/several-errors.yaml", cwd=repo)
    assert result.exit_code == 1
    assert result.stderr == shown


def test_output_inside_the_blueprint_folder_is_refused(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "bp").mkdir()
    (tmp_path / "bp" / "api.yaml").write_text(microservice())
    result = kgen("render", "bp", "-o", "bp/out", cwd=tmp_path)
    assert result.exit_code == 2
    assert "inside the blueprint folder" in result.stderr
    assert not (tmp_path / "bp" / "out").exists()


def test_unwritable_output_is_an_error_not_a_crash(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    result = kgen("render", "api.yaml", "-o", "/proc/kgen-out", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("kgen: error: /proc")


def test_folder_content_does_not_depend_on_the_working_directory(
    kgen: RunKgen, tmp_path: Path
) -> None:
    (tmp_path / "bp").mkdir()
    (tmp_path / "bp" / "api.yaml").write_text(microservice())
    assert kgen("render", "bp", "-o", "out", cwd=tmp_path).exit_code == 0
    header = (tmp_path / "out" / "shop" / "service-api.yaml").read_text().splitlines()[1]
    assert header == "# Source: bp/api.yaml (Microservice shop/api)"
    assert kgen("render", ".", "-o", "../out", "--check", cwd=tmp_path / "bp").exit_code == 0


def test_short_help(kgen: RunKgen) -> None:
    result = kgen("render", "-h")
    assert result.exit_code == 0
    assert "--kube-version" in result.stdout


def test_a_field_an_environment_deletes_is_reported_at_its_null(
    kgen: RunKgen, tmp_path: Path
) -> None:
    text = microservice() + "environments:\n  prod:\n    image: null\n"
    (tmp_path / "api.yaml").write_text(text)
    result = kgen("validate", "api.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    line = text.splitlines().index("    image: null") + 1
    assert f"api.yaml:{line}:12: error: spec.image: required field is missing" in result.stderr
    assert "(with --env prod)" in result.stderr


def test_render_with_an_environment_checks_the_blueprint_as_written(
    kgen: RunKgen, tmp_path: Path
) -> None:
    text = microservice(image="nginx:latest") + "environments:\n  prod: {image: 'nginx:1.27.3'}\n"
    (tmp_path / "api.yaml").write_text(text)
    result = kgen("render", "api.yaml", "--env", "prod", cwd=tmp_path)
    assert result.exit_code == 1
    assert "uses ':latest'" in result.stderr


def test_eksctl_without_a_cluster_is_a_usage_error(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    result = kgen("render", "api.yaml", "--eksctl", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no Cluster blueprint" in result.stderr


def test_the_library_api_does_what_the_cli_does(kgen: RunKgen, tmp_path: Path) -> None:
    import kgen as library

    (tmp_path / "api.yaml").write_text(microservice())
    stream = kgen("render", "api.yaml", cwd=tmp_path).stdout  # now in tmp_path
    result = library.build([Path("api.yaml")])
    assert library.to_stream(result) == stream
    plan = library.to_folder(result, tmp_path / "out")
    assert plan.changed and not plan.stale
    assert library.to_folder(result, tmp_path / "out", check=True).up_to_date


# --- output folders in the wrong place ----------------------------------------------------


def test_output_in_the_folder_of_a_blueprint_file_is_refused(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "bp").mkdir()
    (tmp_path / "bp" / "api.yaml").write_text(microservice())
    result = kgen("render", "bp/api.yaml", "-o", "bp", cwd=tmp_path)
    assert result.exit_code == 2
    assert "is the folder of the blueprint file bp/api.yaml" in result.stderr
    assert sorted(p.name for p in (tmp_path / "bp").iterdir()) == ["api.yaml"]


def test_an_empty_output_name_is_refused(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "bp").mkdir()
    (tmp_path / "bp" / "api.yaml").write_text(microservice())
    result = kgen("render", "bp", "-o", "", cwd=tmp_path)
    assert result.exit_code == 2
    assert "-o ''" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bp"]


def test_output_into_the_working_directory_stages_beside_it(kgen: RunKgen, tmp_path: Path) -> None:
    """``-o .`` works, and its staging folder is created beside the folder, never inside."""
    work = tmp_path / "repo"
    (work / "blueprints").mkdir(parents=True)
    (work / "blueprints" / "api.yaml").write_text(microservice())
    result = kgen("render", "blueprints", "-o", ".", cwd=work)
    assert result.exit_code == 0, result.stderr
    assert (work / "shop" / "deployment-api.yaml").is_file()
    assert not [p for p in work.iterdir() if p.name.startswith(".kgen-tmp")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]
    assert kgen("render", "blueprints", "-o", ".", "--check", cwd=work).exit_code == 0


def test_no_output_file_may_land_among_the_blueprints(kgen: RunKgen, tmp_path: Path) -> None:
    """With ``-o .`` a namespace called like the blueprint folder would write into it."""
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "api.yaml").write_text(microservice())
    result = kgen("render", "shop", "-o", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "among the blueprints it reads" in result.stderr
    assert sorted(p.name for p in (tmp_path / "shop").iterdir()) == ["api.yaml"]


def test_the_filesystem_root_is_not_an_output_folder(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    result = kgen("render", "api.yaml", "-o", "/", cwd=tmp_path)
    assert result.exit_code == 2
    assert "filesystem root" in result.stderr


# --- the process and its streams ------------------------------------------------------------


def _kgen_process(
    *args: str, cwd: Path, env: dict[str, str] | None = None, **options: Any
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kgen", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output="stdout" not in options,
        check=False,
        timeout=120,
        **options,
    )


def test_the_stream_is_utf8_whatever_the_locale_says(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice(env={"GREETING": "grüß dich ✓"}))
    plain = _kgen_process("render", "api.yaml", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    for encoding in ("ascii", "latin-1", "utf-16"):
        other = _kgen_process(
            "render", "api.yaml", cwd=tmp_path, env={"PYTHONIOENCODING": encoding}
        )
        assert (other.returncode, other.stdout) == (0, plain.stdout), other.stderr
    assert "grüß dich ✓".encode() in plain.stdout


def test_a_closed_stdout_is_an_error_with_a_message(tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    done = subprocess.run(
        f"'{sys.executable}' -m kgen render api.yaml >&-",
        shell=True,
        cwd=tmp_path,
        capture_output=False,
        stderr=subprocess.PIPE,
        check=False,
    )
    assert done.returncode == 1
    assert b"standard output is closed" in done.stderr


def test_kgen_debug_0_does_not_turn_debugging_on() -> None:
    from kgen.commands import debugging as _debugging

    for value, expected in [("1", True), ("true", True), ("0", False), ("", False), ("no", False)]:
        os.environ["KGEN_DEBUG"] = value
        try:
            assert _debugging() is expected, value
        finally:
            del os.environ["KGEN_DEBUG"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/dev/zero", "not a regular file or folder"),
        ("fifo.yaml", "not a regular file or folder"),
        ("a/" * 3000, "File name too long"),
    ],
    ids=["device", "fifo", "too-long"],
)
def test_inputs_that_are_not_files_are_named_as_such(
    kgen: RunKgen, tmp_path: Path, path: str, message: str
) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    result = kgen("render", path, cwd=tmp_path)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr) < 600


def test_values_echoed_in_messages_are_bounded(kgen: RunKgen, tmp_path: Path) -> None:
    """A 5 MB value gives an error line of a few hundred characters, not 5 MB."""
    (tmp_path / "api.yaml").write_text(microservice(replicas="9" * 4_000_000 + "x"))
    result = kgen("render", "api.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert max(len(line) for line in result.stderr.splitlines()) < 1500


def test_control_characters_never_reach_the_terminal(kgen: RunKgen, tmp_path: Path) -> None:
    """An escape sequence in a value is shown escaped: it cannot recolour or rewrite the
    terminal, nor fake another error line."""
    text = microservice().replace("name: api", 'name: "api\\e[31m\\nfake.yaml:1:1: error"')
    (tmp_path / "api.yaml").write_text(text)
    result = kgen("render", "api.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert "\\x1b[31m" in result.stderr
    assert len(result.stderr.splitlines()) == 2


def test_check_creates_nothing(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(microservice())
    result = kgen("render", "api.yaml", "-o", "a/b/out", "--check", cwd=tmp_path)
    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api.yaml"]


def test_an_output_folder_inside_another_is_refused(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "bp").mkdir()
    (tmp_path / "bp" / "api.yaml").write_text(microservice())
    assert kgen("render", "bp", "-o", "out", cwd=tmp_path).exit_code == 0
    result = kgen("render", "bp", "-o", "out/shop", cwd=tmp_path)
    assert result.exit_code == 2
    assert "lies inside the kgen output folder" in result.stderr
    assert kgen("render", "bp", "-o", "out", "--check", cwd=tmp_path).exit_code == 0


def test_a_blueprint_file_named_alone_keeps_its_folder_free(kgen: RunKgen, tmp_path: Path) -> None:
    """``-o .`` with shop/cart.yaml and a namespace shop would write beside cart.yaml."""
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "cart.yaml").write_text(microservice())
    result = kgen("render", "shop/cart.yaml", "-o", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "among the blueprints it reads" in result.stderr
    assert sorted(p.name for p in (tmp_path / "shop").iterdir()) == ["cart.yaml"]


def test_readme_blueprint_renders_what_the_readme_says(
    kgen: RunKgen, repo: Path, tmp_path: Path
) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    blueprint = readme.split("## A blueprint\n\n```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "checkout.yaml").write_text(blueprint, encoding="utf-8")
    result = kgen("render", "checkout.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    kinds = [line.split(": ", 1)[1] for line in lines if line.startswith("kind:")]
    assert kinds == [
        "NetworkPolicy",
        "PodDisruptionBudget",
        "ServiceAccount",
        "Service",
        "Deployment",
    ]
    said = "prints a NetworkPolicy (no dependsOn: it takes and sends nothing but DNS),\na "
    assert (
        said + "PodDisruptionBudget (three replicas: at most one pod evicted at a time)" in readme
    )


def test_render_checks_the_output_of_every_environment(kgen: RunKgen, tmp_path: Path) -> None:
    """Rendered as written, the blueprint is fine; its prod environment patches in an
    image the checks refuse: render fails too, as validate does, and writes nothing."""
    patch = "{spec: {template: {spec: {containers: [{name: api, image: 'nginx:latest'}]}}}}"
    text = microservice() + (
        f"environments:\n  prod:\n    patches: [{{target: {{kind: Deployment}}, patch: {patch}}}]\n"
    )
    (tmp_path / "api.yaml").write_text(text)
    for command in (("render", "api.yaml", "-o", "out"), ("validate", "api.yaml")):
        result = kgen(*command, cwd=tmp_path)
        assert result.exit_code == 1, command
        assert "uses ':latest'" in result.stderr
        assert "(with --env prod)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_empty_path_is_a_usage_error(kgen: RunKgen, tmp_path: Path) -> None:
    """An unset $VAR in a script gives '': not the working folder."""
    (tmp_path / "api.yaml").write_text(microservice())
    for command in ("render", "validate"):
        result = kgen(command, "", cwd=tmp_path)
        assert result.exit_code == 2
        assert "an empty path" in result.stderr


def test_the_readme_graph_is_the_example_shops(kgen: RunKgen, repo: Path) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```mermaid\n", 1)[1].split("```", 1)[0]
    result = kgen("graph", "blueprints", cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == shown


def test_graph_draws_nodes_edges_and_the_outside_in_both_formats(
    kgen: RunKgen, tmp_path: Path
) -> None:
    text = (
        microservice(
            dependsOn=[{"app": "db", "namespace": "data", "port": "pg"}],
            egress=[{"cidr": "0.0.0.0/0", "ports": [443]}],
            service={"type": "LoadBalancer"},
        )
        + "---\n"
        + statefulapp()
    )
    (tmp_path / "set.yaml").write_text(text)
    mermaid = kgen("graph", "set.yaml", cwd=tmp_path)
    assert mermaid.exit_code == 0, mermaid.stderr
    assert mermaid.stdout.startswith("flowchart LR\n")
    assert '  subgraph ns0["data"]\n    w0[("db")]\n  end\n' in mermaid.stdout
    assert '  subgraph ns1["shop"]\n    w1["api"]\n  end\n' in mermaid.stdout
    assert '  w1 -->|"5432/TCP"| w0\n' in mermaid.stdout
    assert '  out0>"0.0.0.0/0"]\n' in mermaid.stdout
    assert '  w1 -.->|"443/TCP"| out0\n' in mermaid.stdout
    assert '  out1(["LoadBalancer shop/api"])\n' in mermaid.stdout
    dot = kgen("graph", "set.yaml", "--format", "dot", cwd=tmp_path)
    assert dot.exit_code == 0, dot.stderr
    assert dot.stdout.startswith("digraph kgen {\n") and dot.stdout.endswith("}\n")
    assert '    w0 [label="db", shape=cylinder];\n' in dot.stdout
    assert '  w1 -> w0 [label="5432/TCP"];\n' in dot.stdout
    # a broken reference draws nothing: exit 1 at its line
    (tmp_path / "set.yaml").write_text(microservice(dependsOn=["nowhere"]))
    broken = kgen("graph", "set.yaml", cwd=tmp_path)
    assert broken.exit_code == 1
    assert broken.stdout == ""
    assert "no app 'nowhere' in namespace 'shop'" in broken.stderr


def test_standard_input_is_a_blueprint_source(tmp_path: Path) -> None:
    """``-`` reads blueprints from standard input (once, however often named), beside
    files; problems name it <stdin>."""
    text = (REPO / "blueprints" / "billing.yaml").read_text(encoding="utf-8")
    run = [sys.executable, "-m", "kgen"]
    done = subprocess.run(
        [*run, "render", "-", "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "# Source: <stdin> (Monolith billing/billing)" in done.stdout
    assert done.stdout.count("kind: Deployment\n") == 2  # web and worker, read once
    folder = subprocess.run(
        [*run, "render", "-", "-o", "deep/out"],
        input=text,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert folder.returncode == 0, folder.stderr
    written = (tmp_path / "deep/out/billing/deployment-billing-web.yaml").read_text()
    assert "# Source: <stdin> (Monolith billing/billing)" in written  # no path to it
    bad = subprocess.run(
        [*run, "validate", "-"],
        input="kind: Microservice\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("<stdin>:1:1: error: apiVersion: missing")


def test_shell_completion_completes_commands_and_options(tmp_path: Path) -> None:
    """`kgen --install-completion` installs what `--show-completion` prints; the shell
    then asks kgen itself, as here."""

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_KGEN_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split()) - 1)}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", "from kgen.cli import main; main()"],
            env=env, capture_output=True, text=True, check=False, cwd=tmp_path,
        )  # fmt: skip
        return done.stdout.split()

    assert complete("kgen ren") == ["render"]
    assert "--all-envs" in complete("kgen render --al")
    shown = subprocess.run(
        [sys.executable, "-m", "kgen", "--show-completion", "bash"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert shown.returncode == 0 and "_KGEN_COMPLETE" in shown.stdout
