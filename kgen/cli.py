"""The ``kgen`` command. It parses options and calls the library; ``main`` is the one error
boundary that maps outcomes to exit codes: 0 ok, 1 invalid input or failed check,
2 usage error, 3 bug."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kgen import api, commands
from kgen import gitops as gitops_objects
from kgen.config import Config
from kgen.errors import InvalidInput, UsageError
from kgen.folder import folder_diff, refused_in
from kgen.kinds import kind_names
from kgen.model import Problem
from kgen.progress import on_terminal
from kgen.report import clean
from kgen.schema import bundled

app = typer.Typer(
    name="kgen",
    help="Typed blueprints to validated, Helm-free Kubernetes YAML and eksctl ClusterConfig.",
    add_completion=True,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

Paths = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="PATH",
        help="Blueprint files or folders (read recursively), or - for standard input "
        "(default: paths in kgen.toml).",
        show_default=False,
    ),
]
KubeVersion = Annotated[
    str | None,
    typer.Option(
        "--kube-version",
        help="Kubernetes version (X.Y) whose schemas the output must pass "
        "(default: the set's Cluster's version, else 1.33).",
    ),
]
Env = Annotated[
    str | None,
    typer.Option("--env", help="Merge each blueprint's environments.<NAME> onto its spec."),
]


class ProblemFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


Format = Annotated[
    ProblemFormat,
    typer.Option(
        "--format",
        help="text (FILE:LINE:COL lines on stderr), or json or sarif (SARIF 2.1.0) on "
        "stdout, for CI and editors.",
    ),
]
#: render and diff: stdout is their output; the problems take its place when there is none.
OutputFormat = Annotated[
    ProblemFormat,
    typer.Option(
        "--format",
        help="text (FILE:LINE:COL lines on stderr), or json or sarif (SARIF 2.1.0): an "
        "invalid input's problems also on stdout, where nothing else is written then.",
    ),
]


#: The processes that render; the output is the same bytes at any number.
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        max=64,
        metavar="N",
        help="Render on N processes (default: one per core); the output is the same at any N.",
    ),
]


@app.command()
def render(
    paths: Paths = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", metavar="DIR", help="Write a GitOps folder instead of stdout."
        ),
    ] = None,
    env: Env = None,
    kube_version: KubeVersion = None,
    eksctl: Annotated[
        bool, typer.Option("--eksctl", help="Print the eksctl ClusterConfig documents.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option("--check", help="With -o: write nothing; exit 1 with a diff on drift."),
    ] = False,
    all_envs: Annotated[
        bool,
        typer.Option(
            "--all-envs",
            help="With -o DIR: every environment (kgen.toml's list, else every declared "
            "one) into its own folder DIR/<env>/.",
        ),
    ] = False,
    explain_value: Annotated[
        str | None,
        typer.Option(
            "--explain-value",
            metavar="[NS/]NAME:FIELD",
            help="Render nothing: print where FIELD's value comes from (blueprint, "
            "environment block, shared defaults), e.g. shop/api:spec.image.",
        ),
    ] = None,
    problem_format: OutputFormat = ProblemFormat.text,
    jobs: Jobs = None,
) -> None:
    """Render blueprints to one YAML stream on stdout, or to a folder with -o (-o - for
    stdout when kgen.toml names an output folder)."""
    commands.render(
        paths, output, env, kube_version, eksctl=eksctl, check=check, all_envs=all_envs,
        explain_value=explain_value, problem_format=problem_format.value, jobs=jobs,
    )  # fmt: skip


@app.command()
def diff(
    paths: Paths = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="The folder to compare with (default: kgen.toml's).",
        ),
    ] = None,
    env: Env = None,
    kube_version: KubeVersion = None,
    problem_format: OutputFormat = ProblemFormat.text,
    jobs: Jobs = None,
) -> None:
    """Show what `render -o DIR` would change in DIR, resource by resource (coloured on a
    terminal), and warn of changes Kubernetes will not make in place. Exit 1 when DIR
    differs, as diff does; nothing is written."""
    with commands.error_boundary(problem_format.value):
        config = commands.config()
        if output is None:
            commands.refuse_one_environment(config, env, "diff")
        output = output if output is not None else config.output
        if not output or output == "-":
            raise UsageError(message="-o DIR: name the folder to compare with, e.g. -o out")
        kube_version = kube_version or config.kube_version
        if config.all_envs and env is None:  # each environment's folder, as render writes
            with on_terminal(sys.stderr) as progress:
                built = api.build_each_environment(
                    commands.inputs(paths), kube_version=kube_version,
                    environments=config.environments, progress=progress, jobs=jobs,
                )  # fmt: skip
            plans = [(f"{name}/", api.to_folder(r, Path(output) / name, check=True))
                     for name, r in built]  # fmt: skip
        else:
            with on_terminal(sys.stderr) as progress:
                result = api.build(
                    commands.inputs(paths), env=env, kube_version=kube_version,
                    environments=config.environments, progress=progress, jobs=jobs,
                )  # fmt: skip
            plans = [("", api.to_folder(result, Path(output), check=True))]
        shown = clean(output, 300)
        differs = False
        for prefix, plan in plans:
            for refused in refused_in(plan):
                typer.echo(f"kgen: warning: {clean(str(refused), 1000)}", err=True)
            where = f"{shown}/{prefix.rstrip('/')}" if prefix else shown
            if plan.up_to_date:
                typer.echo(f"kgen: {where} is what render would write", err=True)
                continue
            differs = True
            text = folder_diff(plan, prefix)
            colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
            commands.write_stdout(_coloured(text) if colour else text)
            typer.echo(
                f"kgen: {where}: {len(plan.changed) + plan.record_changed} file(s) to write, "
                f"{len(plan.stale)} to remove",
                err=True,
            )
        if not differs:
            return
    raise SystemExit(1)


def _coloured(diff_text: str) -> str:
    """A unified diff with colour: additions green, removals red, hunks cyan."""
    lines = []
    for line in diff_text.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            lines.append(f"\x1b[1m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("+"):
            lines.append(f"\x1b[32m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("-"):
            lines.append(f"\x1b[31m{line.rstrip(chr(10))}\x1b[0m\n")
        elif line.startswith("@@"):
            lines.append(f"\x1b[36m{line.rstrip(chr(10))}\x1b[0m\n")
        else:
            lines.append(line)
    return "".join(lines)


class GitOpsTool(StrEnum):
    argocd = "argocd"
    argocd_applicationset = "argocd-applicationset"
    flux = "flux"


@app.command()
def gitops(
    paths: Paths = None,
    repo: Annotated[
        str | None, typer.Option("--repo", help="The Git repository Argo CD or Flux reads.")
    ] = None,
    tool: Annotated[
        GitOpsTool | None,
        typer.Option(
            "--tool",
            help="argocd (Applications; default), argocd-applicationset (one ApplicationSet "
            "over the environment folders; needs --all-envs) or flux.",
        ),
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="The branch to follow (default main).")
    ] = None,
    path: Annotated[
        str | None,
        typer.Option("--path", help="The output folder in the repository (default: out)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="The objects' name, -<env> per environment (default kgen)."),
    ] = None,
    all_envs: Annotated[
        bool,
        typer.Option("--all-envs", help="One per environment folder, as render --all-envs writes."),
    ] = False,
    cluster: Annotated[
        list[str] | None,
        typer.Option(
            "--cluster",
            metavar="ENV=TARGET",
            help="Where ENV deploys (repeatable; with --all-envs): for Argo CD an API server "
            "URL (https://...) or a cluster's name, for Flux the Secret holding its kubeconfig.",
        ),
    ] = None,
) -> None:
    """Print the Argo CD Applications (or one ApplicationSet), or the Flux GitRepository
    and Kustomizations, that apply the output folder(s) from the repository; checked
    against their CRDs. Settings not given come from kgen.toml's [gitops] (and its
    output, all-envs and environments)."""
    from kgen import gitops as objects

    with commands.error_boundary():
        config = commands.config()
        settings = config.gitops
        repo = repo if repo is not None else settings.get("repo")
        if not repo:
            raise UsageError(message="--repo URL: the Git repository (or [gitops] repo)")
        tool = tool or GitOpsTool(settings.get("tool", "argocd"))
        branch = branch if branch is not None else settings.get("branch", "main")
        folder = config.output if config.output not in (None, "-") else "out"
        path = path if path is not None else settings.get("path", folder)
        name = name if name is not None else settings.get("name", "kgen")
        objects.check_settings(name, repo, branch, path)
        environments: list[str] = []
        if tool is GitOpsTool.argocd_applicationset and not (all_envs or config.all_envs):
            raise UsageError(
                message="--tool argocd-applicationset generates an Application per "
                "environment folder: add --all-envs (render -o DIR --all-envs writes them)"
            )
        listed = config.environments
        with on_terminal(sys.stderr) as progress:
            if all_envs or config.all_envs:
                built = api.build_each_environment(
                    commands.inputs(paths), environments=listed, progress=progress
                )
                environments = [env for env, _ in built]
            else:
                api.validate_all(commands.inputs(paths), environments=listed, progress=progress)
        flags = _cluster_flags(cluster or [], tool.value, environments)
        clusters = _cluster_settings(config, tool.value, environments) | flags
        here = Path.cwd()
        found = objects.targets(name, objects.in_repository(path, here), environments, clusters)
        documents = objects.documents(tool.value, name, found, repo, branch)
        objects.check_documents(documents)
        commands.write_stdout(objects.stream(documents))
        _gitops_warnings(tool.value, path, environments, found)


def _cluster_flags(given: list[str], tool: str, environments: list[str]) -> dict[str, str]:
    """--cluster ENV=TARGET, each checked: usage errors."""
    from kgen.gitops import cluster_problem
    from kgen.suggest import did_you_mean

    if given and not environments:
        raise UsageError(
            message="--cluster ENV=TARGET sets an environment's destination: add --all-envs"
        )
    found: dict[str, str] = {}
    for item in given:
        env, equals, target = item.partition("=")
        if not equals or not env or not target:
            raise UsageError(
                message=f"--cluster {item!r}: ENV=TARGET, e.g. prod=https://prod.example.com:6443"
            )
        if env not in environments:
            hint = did_you_mean(env, environments)
            raise UsageError(
                message=f"--cluster {item!r}: {env!r} is not an environment here "
                f"({', '.join(environments)})" + (f"; {hint}" if hint else "")
            )
        if env in found:
            raise UsageError(message=f"--cluster {item!r}: {env} is given twice")
        problem = cluster_problem(tool, target)
        if problem:
            raise UsageError(message=f"--cluster {item!r}: {problem}")
        found[env] = target
    return found


def _cluster_settings(config: Config, tool: str, environments: list[str]) -> dict[str, str]:
    """[gitops.clusters], checked against the environments and the tool: errors at their
    lines. A run without environments deploys one folder and takes none of them."""
    from kgen.gitops import cluster_problem
    from kgen.suggest import did_you_mean

    if not environments:
        return {}
    problems = []
    for env, target in config.clusters.items():
        where = config.cluster_positions[env]
        if env not in environments:
            hint = did_you_mean(env, environments) or f"the environments: {', '.join(environments)}"
            message = f"{env!r} is not an environment here"
        else:
            message, hint = cluster_problem(tool, target) or "", None
        if message:
            problems.append(Problem(where, ("gitops", "clusters", env), message, hint))
    if problems:
        raise InvalidInput(problems=problems)
    return dict(config.clusters)


def _gitops_warnings(
    tool: str, path: str, environments: list[str], found: list[gitops_objects.Target]
) -> None:
    """Warnings on stderr: environments sharing a destination, and folders an object
    points at that render has not written (yet)."""
    for where, envs in gitops_objects.shared_clusters(tool, found):
        named = ", ".join(envs[:-1]) + f" and {envs[-1]}"
        typer.echo(
            f"kgen: warning: {named} deploy to the same cluster ({where}), where their "
            "objects of the same names overwrite each other: give each its own with "
            "--cluster ENV=TARGET or [gitops.clusters] in kgen.toml",
            err=True,
        )
    folders = [f"{path.rstrip('/')}/{env}" for env in environments] or [path.rstrip("/")]
    for folder in folders:
        if not (Path(folder) / "kustomization.yaml").is_file():
            missing = "does not exist" if not Path(folder).is_dir() else "has no kustomization.yaml"
            render = "render -o DIR --all-envs" if environments else "render -o DIR"
            typer.echo(
                f"kgen: warning: {folder} {missing}: the objects point at it; write it with "
                f"kgen {render} and commit it",
                err=True,
            )


@app.command(name="import")
def import_(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH",
            help="Kubernetes manifest files or folders (read recursively), or - for standard "
            "input (e.g. helm template ... | kgen import -).",
            show_default=False,
        ),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="Write DIR/<namespace>/<name>.yaml per blueprint (never over a file) "
            "instead of one stream on stdout.",
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="The namespace of resources that name none."),
    ] = None,
    secret_store: Annotated[
        str | None,
        typer.Option(
            "--secret-store",
            metavar="NAME",
            help="The ClusterSecretStore that secrets are read from instead of Secret values.",
        ),
    ] = None,
    report_file: Annotated[
        str | None,
        typer.Option(
            "--report",
            metavar="FILE",
            help="Write the whole accounting to FILE: every input value and what became of "
            "it, and what kgen adds. Never over a file but an earlier report.",
        ),
    ] = None,
) -> None:
    """Turn Kubernetes manifests into blueprints: a Deployment becomes a Microservice, a
    StatefulSet a StatefulApp, Deployments of one image with different commands a
    Monolith (with its Jobs and CronJobs), each with the parts it owns. What no field
    says is kept as a patch or left out, each with a warning at its line."""
    from kgen.importer import ImportFailed
    from kgen.importer import output as imported

    with commands.error_boundary():
        if output == "":
            raise UsageError(message="-o '': name the output folder, e.g. -o blueprints")
        if report_file == "":
            raise UsageError(message="--report '': name the report file, e.g. --report report.txt")
        report = Path(report_file) if report_file is not None else None
        try:
            result = api.import_manifests(
                commands.as_paths(paths), namespace=namespace, secret_store=secret_store
            )
        except ImportFailed as failed:  # a skipped kustomization may be why
            sys.stderr.write(imported.lines_of(imported.notes(failed.notes)))
            raise
        if report is not None:  # before anything is written, knowing what -o writes
            files = [] if output is None else imported.planned(result, Path(output))
            imported.check_report(report, [path for path, _ in files])
        sys.stderr.write(imported.lines_of(imported.warnings(result)))
        if output is None:
            commands.write_stdout(imported.to_stream(result))
            written = None
        else:
            written = imported.to_folder(result, Path(output))
        if report is not None:
            imported.write_report(result, report)
        typer.echo(imported.summary(result, written), err=True)


@app.command()
def validate(
    paths: Paths = None,
    kube_version: KubeVersion = None,
    problem_format: Format = ProblemFormat.text,
    jobs: Jobs = None,
) -> None:
    """Run every check of render, under every declared environment; write nothing."""
    with commands.error_boundary(problem_format.value):
        config = commands.config()
        with on_terminal(sys.stderr) as progress:
            checked = api.validate_all(
                commands.inputs(paths),
                kube_version=kube_version or config.kube_version,
                environments=config.environments,
                progress=progress,
                jobs=jobs,
            )
    if problem_format is not ProblemFormat.text:
        commands.write_stdout(commands.machine_report([], problem_format.value))
    environments = ", ".join(checked.environments) or "none declared"
    typer.echo(
        f"kgen: ok: {checked.blueprints} blueprint{'s' if checked.blueprints != 1 else ''}, "
        f"as written and in every environment ({environments})",
        err=True,
    )


class PictureFormat(StrEnum):
    mermaid = "mermaid"
    dot = "dot"


@app.command()
def graph(
    paths: Paths = None,
    picture_format: Annotated[
        PictureFormat,
        typer.Option("--format", help="mermaid (GitHub and GitLab Markdown) or dot (Graphviz)."),
    ] = PictureFormat.mermaid,
    env: Env = None,
    kube_version: KubeVersion = None,
) -> None:
    """Print the service graph: workloads by namespace, dependsOn edges with their ports,
    entry points and egress blocks. Every check of render runs first."""
    with commands.error_boundary():
        config = commands.config()
        kube_version = kube_version or config.kube_version
        listed = config.environments
        result = api.build(
            commands.inputs(paths), env=env, kube_version=kube_version, environments=listed
        )
        commands.write_stdout(api.to_picture(result, picture_format.value))


@app.command()
def plan(
    paths: Paths = None,
    env: Env = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the plan as JSON (for CI) instead of tables.")
    ] = False,
) -> None:
    """Print the capacity plan of the set's Cluster: per namespace and per node group,
    pods, requests and limits at the fewest and the most replicas against quotas and node
    capacity, with suggested node group sizes and their monthly on-demand cost."""
    from kgen.plan import to_json, to_table

    with commands.error_boundary():
        found = api.plan(
            commands.inputs(paths), env=env, environments=commands.config().environments
        )
        if as_json:
            commands.write_stdout(json.dumps(to_json(found), indent=2) + "\n")
        else:
            colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
            commands.write_stdout(to_table(found, colour=colour))


@app.command()
def explain(
    field: Annotated[
        str,
        typer.Argument(
            metavar="KIND[.FIELD...]",
            help="A kind, or a field path in it, e.g. Microservice.spec.autoscaling.",
        ),
    ],
) -> None:
    """Print what a blueprint field is: description, type, default, and its fields."""
    from kgen.explain import explain as explained

    with commands.error_boundary():
        commands.write_stdout(explained(field))


def _complete_kind(incomplete: str) -> list[str]:
    """Shell completion of a KIND argument: the kinds that start so, in any case (completed
    in the case typed: the shell keeps only words that start with what was typed)."""
    return [
        incomplete + name[len(incomplete) :]
        for name in kind_names()
        if name.lower().startswith(incomplete.lower())
    ]


@app.command()
def schema(
    kind: Annotated[
        str | None,
        typer.Argument(
            help=f"One of: {', '.join(kind_names())}, Defaults; none: every kind in one schema, "
            "picked by 'kind' (JSON Schema draft-07, for editors).",
            autocompletion=_complete_kind,
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the schema to FILE instead of stdout (never over a file kgen did "
            "not write).",
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of a blueprint kind (2020-12, as kgen validates with), or with
    no KIND the schema for editors: every kind in one draft-07 schema that
    yaml-language-server and plain validators enforce, formats as patterns, environments
    typed as partial specs."""
    from kgen.editor import editor_schema, marked, schema_text
    from kgen.starter import known_kind, write_schema

    with commands.error_boundary():
        if kind is None:
            document = editor_schema()
        else:
            name = known_kind(kind, documents=True)
            document = bundled(name) if output is None else marked(bundled(name), name)
        if output is None or output == "-":
            commands.write_stdout(schema_text(document))
            return
        if output == "":
            raise UsageError(message="-o '': an empty path; name the schema file")
        if output.endswith(("/", os.sep)):
            raise UsageError(message=f"-o {clean(output, 300)}: a folder; name the schema file")
        wrote = write_schema(Path(output), schema_text(document))
        shown = clean(output, 300)
        typer.echo(f"kgen: {'wrote' if wrote else 'up to date:'} {shown}", err=True)


@app.command()
def init(
    kind: Annotated[
        str,
        typer.Argument(help=f"One of: {', '.join(kind_names())}.", autocompletion=_complete_kind),
    ],
    name: Annotated[str, typer.Argument(help="The blueprint's metadata.name (a DNS-1123 label).")],
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="A workload's namespace (default: NAME)."),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="The file to write, or a folder for NAME.yaml (default: NAME.yaml here).",
        ),
    ] = None,
    schema_file: Annotated[
        str | None,
        typer.Option(
            "--schema",
            metavar="FILE",
            help="The schema file the modeline names, written when missing and refreshed "
            "when kgen wrote it (default: kgen.schema.json here).",
        ),
    ] = None,
) -> None:
    """Write a commented starter blueprint that validates and renders as written, with a
    yaml-language-server modeline naming the schema for editors (written beside it).
    Never overwrites a file."""
    from kgen.starter import init as start

    with commands.error_boundary():
        written = start(kind, name, namespace=namespace, output=output, schema=schema_file)
        schema_note = "wrote" if written.schema_written else "up to date:"
        typer.echo(
            f"kgen: wrote {clean(written.blueprint.as_posix(), 300)} "
            f"({schema_note} {clean(written.schema.as_posix(), 300)})",
            err=True,
        )


def _version(value: bool) -> None:
    if value:
        from kgen import __version__

        typer.echo(f"kgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """kgen: typed blueprints in, validated Kubernetes YAML out."""


def main() -> None:
    """The console script of every command (``kgen.entry`` sends all but the plain render
    here)."""
    commands.run(lambda: app(prog_name="kgen"))
