"""What the ``kgen`` commands do, without the option parser: the error boundary that maps
outcomes to exit codes (0 ok, 1 invalid input or failed check, 2 usage error, 3 bug), the
project's settings and inputs, and ``render``. ``kgen.cli`` parses options with typer
and calls these; ``kgen.entry`` calls ``render`` straight for the plain forms a
pre-commit hook or an editor runs, so a cold render does not load the parser. Exits are
``SystemExit``, which both ways turn into the process's status.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kgen import api
from kgen.config import Config, load_config
from kgen.errors import InternalError, InvalidInput, KgenError, TemplateBug, UsageError
from kgen.folder import FolderPlan, folder_diff, refused_in
from kgen.model import Problem
from kgen.progress import on_terminal
from kgen.report import clean, format_bug, format_problems


def render(
    paths: list[str] | None,
    output: str | None,
    env: str | None,
    kube_version: str | None,
    *,
    eksctl: bool = False,
    check: bool = False,
    all_envs: bool = False,
    explain_value: str | None = None,
    problem_format: str = "text",
    jobs: int | None = None,
) -> None:
    """``kgen render``: blueprints to one YAML stream on stdout, or to a folder with -o
    (-o - for stdout when kgen.toml names an output folder)."""
    with error_boundary(problem_format):
        if explain_value is not None:
            if check or all_envs or eksctl or output is not None:
                raise UsageError(
                    message="--explain-value renders nothing: drop -o, --check, --all-envs "
                    "and --eksctl"
                )
            if problem_format != "text":
                raise UsageError(message="--explain-value prints text: drop --format")
            listed = config().environments
            explained = api.explain_value(
                inputs(paths), explain_value, env=env, environments=listed
            )
            write_stdout(explained)
            return
        settings = config()
        if output is None and not eksctl and settings.output is not None:
            refuse_one_environment(settings, env, "render")
            output = settings.output
        if output == "-":
            output = None
        kube_version = kube_version or settings.kube_version
        if all_envs or (settings.all_envs and output is not None and env is None and not eksctl):
            _render_all(
                inputs(paths), output, env, kube_version, eksctl=eksctl, check=check, jobs=jobs
            )
            return
        _render(inputs(paths), output, env, kube_version, eksctl=eksctl, check=check, jobs=jobs)


def _render_all(
    paths: list[Path],
    output: str | None,
    env: str | None,
    kube_version: str | None,
    *,
    eksctl: bool,
    check: bool,
    jobs: int | None = None,
) -> None:
    """Every declared environment into DIR/<env>/, each a complete kustomize root."""
    if output is None or output == "":
        raise UsageError(message="--all-envs needs -o DIR: each environment gets DIR/<env>/")
    if env is not None or eksctl:
        raise UsageError(message="--all-envs renders every environment: drop --env and --eksctl")
    if Path(output).exists() and not Path(output).is_dir():
        raise UsageError(message=f"{clean(output, 300)}: exists and is not a folder")
    drifted = False
    shown = clean(output, 300)
    with on_terminal(sys.stderr) as progress:
        built = api.build_each_environment(
            paths, kube_version=kube_version, environments=config().environments,
            progress=progress, jobs=jobs,
        )  # fmt: skip
    for name, result in built:
        plan = api.to_folder(result, Path(output) / name, check=check)
        drifted |= report(plan, f"{shown}/{name}", check=check, prefix=f"{name}/")
    for folder in api.other_environment_folders(Path(output), [name for name, _ in built]):
        echo(
            f"kgen: {shown}/{clean(folder, 100)} holds a render of an environment no blueprint "
            "declares any more: remove it when nothing deploys it"
        )
    if drifted:
        raise SystemExit(1)


def refuse_one_environment(settings: Config, env: str | None, verb: str) -> None:
    """With all-envs, the settings' output folder holds a folder per environment: one
    environment's render would write over them, and its diff compare with the wrong tree."""
    if settings.all_envs and env is not None and settings.output not in (None, "", "-"):
        raise UsageError(
            message=f"--env {env}: kgen.toml writes every environment into "
            f"{settings.output}/<env>/ (all-envs); {verb} them all, or name another folder "
            "with -o"
        )


def config() -> Config:
    """The project's settings (kgen.toml, or [tool.kgen] in pyproject.toml), here."""
    return load_config(Path.cwd())


def inputs(paths: list[str] | None) -> list[Path]:
    """The paths named, else the ones kgen.toml names; one of them there must be."""
    if paths:
        return as_paths(paths)
    settings = config()
    if not settings.paths:
        raise UsageError(
            message="name the blueprint files or folders (PATH...), or set paths in kgen.toml"
        )
    return as_paths(list(settings.paths))


def as_paths(paths: list[str]) -> list[Path]:
    """The paths named; an empty one is refused (Path('') would read the working folder,
    as an unset $VAR in a script would ask for by accident)."""
    if any(path == "" for path in paths):
        raise UsageError(message="'': an empty path; name a blueprint file or folder")
    return [Path(path) for path in paths]


def _render(
    paths: list[Path],
    output: str | None,
    env: str | None,
    kube_version: str | None,
    *,
    eksctl: bool,
    check: bool,
    jobs: int | None = None,
) -> None:
    if check and output is None:
        raise UsageError(message="--check needs -o DIR: it compares a folder with the render")
    if eksctl and output is not None:
        raise UsageError(
            message="--eksctl prints to stdout; with -o the ClusterConfigs go to DIR/_eksctl/"
        )
    if output == "":
        raise UsageError(message="-o '': name the output folder, e.g. -o out")
    listed = config().environments
    with on_terminal(sys.stderr) as progress:
        result = api.build(
            paths, env=env, kube_version=kube_version, environments=listed, progress=progress,
            jobs=jobs,
        )  # fmt: skip
    if output is None:
        write_stdout(api.to_stream(result, eksctl=eksctl))
        return
    plan = api.to_folder(result, Path(output), check=check)
    if report(plan, clean(output, 300), check=check):
        raise SystemExit(1)


def report(plan: FolderPlan, output: str, *, check: bool, prefix: str = "") -> bool:
    """Say what a render did to a folder (or, with ``check``, print the diff of what it
    would do), warning of changes Kubernetes will not make in place; whether the folder
    drifted from the render (only ``check`` reports so)."""
    for refused in refused_in(plan):
        echo(f"kgen: warning: {clean(str(refused), 1000)}")
    for path in plan.kept:
        echo(
            f"kgen: left {output}/{path} alone: kgen wrote it once, but it no longer starts "
            "with kgen's header; it is yours now"
        )
    if plan.up_to_date:
        echo(f"kgen: {output} is up to date ({len(plan.files)} files)")
        return False
    if check:
        write_stdout(folder_diff(plan, prefix))
        echo(
            f"kgen: {output} is not what render would write "
            f"({len(plan.changed) + plan.record_changed} to write, {len(plan.stale)} to remove)"
        )
        return True
    echo(
        f"kgen: wrote {output} ({len(plan.changed)} of {len(plan.files)} files changed, "
        f"{len(plan.stale)} removed)"
    )
    return False


def echo(line: str) -> None:
    """A line of kgen's own on stderr."""
    sys.stderr.write(f"{line}\n")
    sys.stderr.flush()


def write_stdout(text: str) -> None:
    """Output is UTF-8 whatever the locale or PYTHONIOENCODING says: the stream's bytes
    never depend on the environment."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def machine_report(problems: list[Problem], problem_format: str) -> str:
    from kgen import __version__
    from kgen.report import problems_json, problems_sarif

    if problem_format == "json":
        return problems_json(problems)
    return problems_sarif(problems, __version__)


@contextmanager
def error_boundary(problem_format: str = "text") -> Iterator[None]:
    """The one place where outcomes become exit codes and messages; no tracebacks.
    Problems with the input go to stderr as text, or to stdout as JSON or SARIF."""
    try:
        yield
    except InvalidInput as exc:
        if problem_format != "text":
            write_stdout(machine_report(list(exc.problems), problem_format))
        sys.stderr.write(format_problems(exc.problems))
        raise SystemExit(exc.exit_code) from None
    except UsageError as exc:
        sys.stderr.write(f"kgen: error: {clean(exc.message, 500)}\n")
        raise SystemExit(exc.exit_code) from None
    except TemplateBug as exc:
        sys.stderr.write(format_bug(exc))
        raise SystemExit(exc.exit_code) from None
    except InternalError as exc:
        sys.stderr.write(f"kgen: internal error: {clean(exc.message, 2000)}; please report this\n")
        raise SystemExit(exc.exit_code) from None
    except KgenError as exc:
        sys.stderr.write(f"kgen: error: {clean(str(exc), 2000)}\n")
        raise SystemExit(exc.exit_code) from None
    except BrokenPipeError:
        # The reader went away (kgen render | head): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None
    except OSError as exc:  # writing the stream: a full disk, a closed pipe
        sys.stderr.write(f"kgen: error: cannot write the output: {exc.strerror or exc}\n")
        raise SystemExit(1) from None
    except Exception as exc:
        if debugging():
            raise
        sys.stderr.write(
            f"kgen: internal error: {type(exc).__name__}: {exc} "
            "(set KGEN_DEBUG=1 for a traceback; please report this)\n"
        )
        raise SystemExit(3) from None


def debugging() -> bool:
    """KGEN_DEBUG=1 (or true, yes, on) shows tracebacks; 0, false, no, off and empty do not."""
    return os.environ.get("KGEN_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def run(command: Callable[[], object]) -> None:
    """Run a whole command as the console script: output that cannot be written is an
    error, never a traceback; the process exits with the command's status."""
    if sys.stdout is None or sys.stderr is None:  # started with a closed stream (>&-)
        if sys.stderr is not None:
            sys.stderr.write("kgen: error: standard output is closed; nothing to write to\n")
            sys.stderr.flush()
        os._exit(1)
    code: int | str | None = 0
    try:
        command()
        sys.stdout.flush()
    except SystemExit as exit_:
        code = _flushed(exit_.code)
    except OSError as exc:  # --help or --version into a full disk, a closed pipe
        code = _write_failed(exc)
    sys.exit(code)


def _flushed(code: int | str | None) -> int | str | None:
    try:
        sys.stdout.flush()
    except OSError as exc:
        return _write_failed(exc)
    return code


def _write_failed(exc: OSError) -> int:
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush
    if isinstance(exc, BrokenPipeError):
        return 0  # the reader went away (kgen render | head): not an error of ours
    sys.stderr.write(f"kgen: error: cannot write the output: {exc.strerror or exc}\n")
    return 1
