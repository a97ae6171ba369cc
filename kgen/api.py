"""kgen as a library: the pipeline load -> validate -> assemble -> render -> check -> write.

    result = kgen.build([Path("blueprints")], env="prod", kube_version="1.33")
    print(kgen.to_stream(result))
    plan = kgen.to_folder(result, Path("out"))      # plan.changed, plan.stale: what it did

Every stage collects problems; ``build`` raises one ``InvalidInput`` holding all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kgen import picture
from kgen.assemble import SetView, assemble
from kgen.budget import OutputBudget
from kgen.check import (
    DEFAULT_KUBE_VERSION,
    check_kube_version,
    document_problems_of,
    duplicate_problems,
    kube_versions,
)
from kgen.defaults import merge_problems
from kgen.environments import (
    EnvironmentList,
    environment_count_problems,
    environment_list_problems,
    environment_name_problems,
    run_environments,
    select_environment,
    unlisted_environment_problems,
)
from kgen.errors import InvalidInput, UsageError
from kgen.folder import FolderPlan, folder_lock, plan_folder, refused_in, write_folder
from kgen.jobs import RenderCache, check_all, default_jobs, render_all, replay
from kgen.load import load_paths, load_text
from kgen.model import Blueprint, Document, Problem
from kgen.patch import apply_patches
from kgen.progress import Progress
from kgen.record import dataclass, replace
from kgen.render import render_blueprint
from kgen.rules.against import toleration_problems
from kgen.validate import Memo, validate_blueprints
from kgen.write import OWNERSHIP_FILE, folder_files, render_stream

if TYPE_CHECKING:
    from kgen.importer import ImportResult
    from kgen.plan import Plan


@dataclass(frozen=True)
class BuildResult:
    paths: tuple[Path, ...]
    blueprints: tuple[Blueprint, ...]
    documents: tuple[Document, ...]
    view: SetView


def build(
    paths: Sequence[Path],
    *,
    env: str | None = None,
    kube_version: str | None = None,
    environments: EnvironmentList | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache: bool = True,
) -> BuildResult:
    """Load, validate, assemble the set, render and check; raise ``InvalidInput`` with every
    problem found. ``environments``: the settings' list of the project's environments;
    ``progress``: told of each blueprint rendered (``kgen.progress``); ``jobs``: the
    processes that render (default: one per core, ``kgen.jobs``); ``cache``: reuse what
    earlier runs rendered of unchanged blueprints (``kgen.cache``). Neither changes what
    is built, only how fast.

    The blueprints as written and under every other environment of the run get every check
    too, rendering included, so a broken override never waits for the day its environment
    is rendered (``validate_all`` without the output).
    """
    given = check_kube_version(kube_version) if kube_version is not None else None
    store = RenderCache.open() if cache else None
    loaded, problems = _load(paths, environments, store=store)
    chosen = select_environment(loaded, env, environments)  # the Cluster's version under --env
    version = given or _cluster_version(chosen) or DEFAULT_KUBE_VERSION
    names = run_environments(loaded, environments)
    view, documents, found, _ = _check_environments(
        loaded, env, version, names, environments, progress=progress, jobs=jobs, cache=store
    )
    problems.extend(found)
    if problems:
        raise InvalidInput(problems=problems)
    return BuildResult(tuple(paths), view.blueprints, tuple(documents), view)


def render_text(
    text: str, file: str, *, kube_version: str | None = None, check_output: bool = True
) -> tuple[list[Document], list[Problem]]:
    """The documents the blueprints in ``text`` render to, and every problem, without
    reading files: validate, assemble, render and patch, and with ``check_output`` the
    output checks too (upstream schemas, API server rules, hardening). Without them the
    documents are the ones render would print if they pass; a caller that only compares
    documents (``kgen import`` leaving out what kgen would default) may skip them."""
    blueprints: list[Blueprint] = []
    problems: list[Problem] = []
    for item in load_text(text, file):
        (problems if isinstance(item, Problem) else blueprints).append(item)  # type: ignore[arg-type]
    view, found = _validated_set(blueprints, {})
    problems.extend(found)
    version = kube_version or DEFAULT_KUBE_VERSION
    documents: list[Document] = []
    for blueprint in view.blueprints:
        own, patching = apply_patches(blueprint, render_blueprint(blueprint, view))
        documents.extend(own)
        problems.extend(patching)
        if check_output:
            problems.extend(document_problems_of(own, version))
    if check_output:
        problems.extend(duplicate_problems(documents))
    return documents, problems


def import_manifests(
    paths: Sequence[Path],
    *,
    namespace: str | None = None,
    secret_store: str | None = None,
    kube_version: str | None = None,
) -> ImportResult:
    """Kubernetes manifests to blueprints (``kgen.importer``): one per workload, with the
    accounting of every input value."""
    from kgen.importer import import_manifests as run

    return run(paths, namespace=namespace, secret_store=secret_store, kube_version=kube_version)


def _validated_set(blueprints: Sequence[Blueprint], memo: Memo) -> tuple[SetView, list[Problem]]:
    """Validate (each blueprint once per run, through ``memo``) and assemble the set view."""
    valid, problems = validate_blueprints(blueprints, memo=memo)
    failing = {  # blueprints with problems of their own: references to them are no more
        (b.namespace, b.name)
        for b in blueprints
        if b.namespace is not None and id(b) in memo and memo[id(b)][1].filled is None
    }
    view, more = assemble(valid, failing)
    return view, [*problems, *more]


@dataclass(frozen=True)
class Validated:
    blueprints: int
    environments: tuple[str, ...]


def validate_all(
    paths: Sequence[Path],
    *,
    kube_version: str | None = None,
    environments: EnvironmentList | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache: bool = True,
) -> Validated:
    """Check the blueprints as written and under every environment they declare: every
    check of render, rendering included. Returns what was checked; raises
    ``InvalidInput`` with all problems.

    A blueprint that an environment leaves as it is, and whose view of the set is the
    same, is validated, rendered and checked once: the work grows with the input, not with
    the number of environments times it.
    """
    given = check_kube_version(kube_version) if kube_version is not None else None
    store = RenderCache.open() if cache else None
    loaded, problems = _load(paths, environments, store=store)
    version = given or _cluster_version(loaded) or DEFAULT_KUBE_VERSION
    names = run_environments(loaded, environments)
    checked = _check_environments(
        loaded, None, version, names, environments, progress=progress, jobs=jobs, cache=store
    )
    problems.extend(checked[2])
    if problems:
        raise InvalidInput(problems=problems)
    return Validated(len(loaded), tuple(names))


def build_each_environment(
    paths: Sequence[Path],
    *,
    kube_version: str | None = None,
    environments: EnvironmentList | None = None,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache: bool = True,
) -> list[tuple[str, BuildResult]]:
    """Every environment of the run built (``run_environments``: the settings' list, else
    every one a blueprint declares), as ``build`` builds one: each with every check, its
    output checked against its Kubernetes version (``--kube-version``, else its Cluster's).
    The blueprints are validated and rendered once per environment, not once per
    environment and folder. A usage error when there is no environment."""
    given = check_kube_version(kube_version) if kube_version is not None else None
    store = RenderCache.open() if cache else None
    loaded, problems = _load(paths, environments, store=store)
    names = run_environments(loaded, environments)
    if not names:
        shown = " ".join(str(path) for path in paths)
        raise UsageError(
            message=f"--all-envs: no blueprint in {shown} declares an environment; render "
            "without it"
        )
    versions = {
        env: given
        or _cluster_version(select_environment(loaded, env, environments))
        or DEFAULT_KUBE_VERSION
        for env in names
    }
    built: dict[str, tuple[SetView, list[Document]]] = {}
    for version in sorted(set(versions.values())):
        wanted = [env for env in names if versions[env] == version]
        _, _, found, each = _check_environments(
            loaded, None, version, names, environments, keep_each=True, progress=progress,
            jobs=jobs, cache=store,
        )  # fmt: skip
        problems.extend(p for p in found if p not in problems)
        built.update({env: each[env] for env in wanted})
    if problems:
        raise InvalidInput(problems=problems)
    return [
        (
            env,
            BuildResult(
                tuple(paths), built[env][0].blueprints, tuple(built[env][1]), built[env][0]
            ),
        )
        for env in names
    ]


def _check_environments(
    loaded: Sequence[Blueprint],
    selected: str | None,
    version: str,
    names: Sequence[str],
    listed: EnvironmentList | None,
    *,
    keep_each: bool = False,
    progress: Progress | None = None,
    jobs: int | None = None,
    cache: RenderCache | None = None,
) -> tuple[
    SetView, list[Document], list[Problem], dict[str | None, tuple[SetView, list[Document]]]
]:
    """Validate, render and check the blueprints under ``selected`` (None: as written),
    then as written and under every other environment of the run (``names``): the view and
    documents of ``selected``, every problem (those only another environment has say
    which), and with ``keep_each`` the view and documents of every environment.
    ``progress`` hears of each blueprint as its turn comes, pass by pass. ``cache``: the
    run's cache (``kgen.jobs.RenderCache``), which then keeps what this run made, and what
    loading kept, in one pack.

    A blueprint that an environment leaves as it is, and whose view of the set is the
    same, is validated, rendered and checked once: the work grows with the input, not with
    the number of environments times it.
    """
    memo: Memo = {}
    rendered: dict[tuple[int, Hashable], tuple[list[Document], list[Problem]]] = {}
    budget = OutputBudget()
    problems: list[Problem] = []
    reported: set[Problem] = set()
    result: tuple[SetView, list[Document]] | None = None
    each: dict[str | None, tuple[SetView, list[Document]]] = {}
    others = [env for env in [None, *names] if env != selected]
    for env in [selected, *others]:
        members = select_environment(loaded, env, listed)
        keys = cache.recall_checks(members, memo) if cache is not None else []
        check_all(members, memo, jobs=default_jobs() if jobs is None else jobs)
        view, found = _validated_set(members, memo)
        if cache is not None:
            cache.keep_checks(members, keys, memo)
        chosen = [
            blueprint
            for blueprint in view.blueprints
            # several Clusters: an error already; their manifests would clash
            if view.cluster is not None or not any(blueprint is c for c in view.clusters)
        ]
        render_keys = [(id(blueprint), view.render_key(blueprint)) for blueprint in chosen]
        todo = [(b, key) for b, key in zip(chosen, render_keys, strict=True) if key not in rendered]
        counted = _counter(progress, env or "as written", len(view.blueprints))
        made = dict(
            zip(
                (key for _, key in todo),
                render_all(
                    [b for b, _ in todo],
                    view,
                    version,
                    jobs=default_jobs() if jobs is None else jobs,
                    cache=cache,
                    done=counted,
                ),
                strict=True,
            )
        )
        documents: list[Document] = []
        for blueprint, key in zip(chosen, render_keys, strict=True):
            if key not in rendered:  # in the order rendering spends the budget
                rendered[key] = replay(made[key], blueprint, budget)
            own, own_problems = rendered[key]
            documents.extend(own)
            found.extend(own_problems)
        found.extend(duplicate_problems(documents))
        found.extend(toleration_problems(view, documents))
        if keep_each:
            each[env] = (view, documents)
        if env == selected:
            result = (view, documents)
            reported.update(found)
            problems.extend(found)
        else:
            problems.extend(_needing(env, found, reported))
    assert result is not None
    if cache is not None:
        cache.flush()
    return result[0], result[1], problems, each


def _counter(progress: Progress | None, label: str, total: int) -> Callable[[int], None] | None:
    """A ``done`` callback that tells ``progress`` how many of ``total`` are rendered."""
    if progress is None:
        return None
    count = 0

    def done(more: int) -> None:
        nonlocal count
        count += more
        progress(label, count, total)

    return done


def plan(
    paths: Sequence[Path], *, env: str | None = None, environments: EnvironmentList | None = None
) -> Plan:
    """The capacity plan of the set's Cluster (``kgen.plan``), under ``env``. The set is
    validated as for render, but a quota or node group the workloads outgrow is what the
    plan shows, not a reason to refuse it."""
    from kgen.plan import make_plan
    from kgen.rules.against import node_fit_problems, quota_problems

    loaded, problems = _load(paths, environments)
    view, found = _validated_set(select_environment(loaded, env, environments), {})
    capacity = {*quota_problems(view), *node_fit_problems(view)}
    problems.extend(p for p in found if p not in capacity)
    if problems:
        raise InvalidInput(problems=problems)
    clusters = view.clusters
    if len(clusters) != 1:
        shown = " ".join(str(path) for path in paths)
        what = "no Cluster blueprint" if not clusters else f"{len(clusters)} Cluster blueprints"
        raise UsageError(message=f"kgen plan needs the set's one Cluster, and {shown} has {what}")
    return make_plan(clusters[0], list(view.units), env)


def _needing(env: str | None, found: Iterable[Problem], without: set[Problem]) -> list[Problem]:
    """The problems that only ``env`` has (saying so), or that only the blueprints as
    written have (``env`` None)."""
    fresh = [p for p in found if p not in without]
    if env is None:
        return fresh
    return [replace(p, message=f"{p.message} (with --env {env})") for p in fresh]


def _cluster_version(loaded: Sequence[Blueprint]) -> str | None:
    """The Kubernetes version of the set's one Cluster, when kgen has its schemas: the
    version the output is checked against unless --kube-version says another."""
    clusters = [b for b in loaded if b.kind == "Cluster"]
    if len(clusters) != 1:
        return None
    spec = clusters[0].data.get("spec")
    version = spec.get("version") if isinstance(spec, dict) else None
    return version if isinstance(version, str) and version in kube_versions() else None


def _load(
    paths: Sequence[Path], listed: EnvironmentList | None, *, store: RenderCache | None = None
) -> tuple[list[Blueprint], list[Problem]]:
    """Load, refusing an input without a single blueprint: rendering nothing into a folder
    would delete everything kgen wrote there. An environment name is checked against the
    settings' list when there is one, else against the other names (a slip). ``store``:
    files read before come from the run's cache (``kgen.load``), which keeps the others
    when the run flushes it."""
    loaded, problems = load_paths(paths, store)
    over = list(environment_count_problems(loaded))
    if over:  # validating every environment is what the limit bounds: do none of it
        raise InvalidInput(problems=[*problems, *over])
    if listed is not None:
        problems.extend(unlisted_environment_problems(loaded, listed))
    else:
        problems.extend(environment_name_problems(loaded))
    problems.extend(environment_list_problems(loaded))
    problems.extend(dict.fromkeys(p for b in loaded for p in merge_problems(b)))
    if not loaded and not problems:
        shown = " ".join("<stdin>" if str(path) == "-" else str(path) for path in paths)
        raise UsageError(message=f"no blueprints in {shown}: every file is empty")
    return loaded, problems


def explain_value(
    paths: Sequence[Path],
    selector: str,
    *,
    env: str | None = None,
    environments: EnvironmentList | None = None,
) -> str:
    """Where a field's value comes from, for each blueprint ``selector`` names
    (``[NAMESPACE/]NAME:FIELD``, or ``FIELD`` for all): the blueprint, its environment
    block and the shared defaults it inherits, in merge order. Nothing is validated
    beyond loading: a value kgen refuses is one to explain."""
    from kgen.explain import describe_values

    loaded, problems = _load(paths, environments)
    if problems:
        raise InvalidInput(problems=problems)
    selected = select_environment(loaded, env, environments)  # also checks env's name
    return describe_values(list(zip(loaded, selected, strict=True)), env, selector)


def to_picture(result: BuildResult, picture_format: str) -> str:
    """The service graph of a built set, as Mermaid or DOT."""
    draw = {"mermaid": picture.mermaid, "dot": picture.dot}[picture_format]
    return draw(list(result.view.units), result.view.graph)


def to_stream(result: BuildResult, *, eksctl: bool = False) -> str:
    """The Kubernetes documents as one stream in apply order, or the ClusterConfigs."""
    stream = render_stream(result.documents, eksctl=eksctl)
    if eksctl and not stream:
        raise UsageError(message="--eksctl: no Cluster blueprint in the input, so no ClusterConfig")
    return stream


def to_folder(result: BuildResult, output: Path, *, check: bool = False) -> FolderPlan:
    """Bring ``output`` to what the render makes (or, with ``check``, only compare);
    returns the plan, which says what changed. Renders into one folder take turns, whatever
    path leads to it; ``check`` creates nothing."""
    inputs = _Inputs.of(result.paths)
    root = output_root(output, inputs)
    with folder_lock(root, create=not check):
        plan = plan_folder(root, folder_files(result.documents, root), shown=output)
        _refuse_writing_into_inputs(plan, inputs)
        if not check:
            plan = replace(plan, refused=tuple(refused_in(plan)))
            write_folder(plan)
    return plan


def other_environment_folders(output: Path, environments: Sequence[str]) -> list[str]:
    """The folders of ``output`` that hold a kgen render (an ownership record) but are
    named for no current environment: left from one no blueprint declares any more."""
    if not output.is_dir():
        return []
    return sorted(
        entry.name
        for entry in output.iterdir()
        if entry.is_dir()
        and not entry.is_symlink()
        and entry.name not in environments
        and (entry / OWNERSHIP_FILE).is_file()
    )


@dataclass(frozen=True)
class _Inputs:
    """The folders that hold the blueprints a run reads, by (device, inode), so that no
    other path to them (a link, a bind mount) hides them: the folders named, and the
    folder of each file named; each with the path that named it, for messages."""

    folders: Mapping[tuple[int, int], Path]
    file_folders: Mapping[tuple[int, int], Path]

    @staticmethod
    def of(paths: Sequence[Path]) -> _Inputs:
        folders: dict[tuple[int, int], Path] = {}
        file_folders: dict[tuple[int, int], Path] = {}
        for path in paths:
            if path.is_dir():
                folders.setdefault(_identity(path), path)
            elif path.exists():
                file_folders.setdefault(_identity(path.resolve().parent), path)
        return _Inputs(folders, file_folders)


def _identity(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_dev, status.st_ino


def _existing_ancestors(path: Path) -> list[Path]:
    """``path`` (when it exists) and every folder above it, nearest first."""
    return [folder for folder in (path, *path.parents) if folder.exists()]


def output_root(output: Path, inputs: _Inputs) -> Path:
    """The real location of the output folder, refused where kgen would read its own
    output as blueprints, inside another kgen output folder, or where there is no folder
    beside it to stage in."""
    if str(output) == "":
        raise UsageError(message="-o '': name the output folder, e.g. -o out")
    try:
        root = output.resolve()
    except (OSError, RuntimeError) as exc:
        raise UsageError(message=f"-o {output}: cannot use this path ({exc})") from exc
    if root.parent == root:
        raise UsageError(message=f"-o {output}: the filesystem root cannot be an output folder")
    if root.exists() and not root.is_dir():
        raise UsageError(message=f"{output}: exists and is not a folder")
    ancestors = _existing_ancestors(root)
    for folder in ancestors:
        if _identity(folder) in inputs.folders:
            raise UsageError(
                message=f"-o {output} lies inside the blueprint folder "
                f"{inputs.folders[_identity(folder)]}: kgen would read its own output as "
                "blueprints next time; write it beside the blueprints"
            )
    if ancestors and ancestors[0] == root and _identity(root) in inputs.file_folders:
        raise UsageError(
            message=f"-o {output} is the folder of the blueprint file "
            f"{inputs.file_folders[_identity(root)]}: kgen would write among the blueprints; "
            "write it beside them"
        )
    for folder in ancestors:
        if folder != root and (folder / OWNERSHIP_FILE).is_file():
            raise UsageError(
                message=f"-o {output} lies inside the kgen output folder {folder}: the two "
                "renders would overwrite each other; render each set into a folder of its own"
            )
    return root


def _refuse_writing_into_inputs(plan: FolderPlan, inputs: _Inputs) -> None:
    """No file kgen writes may land among the blueprints it reads: in a blueprint folder,
    below one, or in the folder of a blueprint file (``-o .`` beside a folder ``shop/`` of
    blueprints, with a namespace called ``shop``)."""
    among: dict[Path, bool] = {}  # each folder once: a thousand files share a few
    for path in plan.files:
        folder = (plan.root / path).parent
        if folder not in among:
            ancestors = _existing_ancestors(folder)
            nearest = ancestors[0] if ancestors else None
            among[folder] = any(_identity(a) in inputs.folders for a in ancestors) or (
                nearest == folder and _identity(folder) in inputs.file_folders
            )
        if among[folder]:
            raise UsageError(
                message=f"-o {plan.shown or plan.root}: kgen would write {path} among the "
                "blueprints it reads; choose another output folder"
            )
