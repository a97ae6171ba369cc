"""Deployments sharing one image -> Monolith (``processes.plan`` decides which): each
Deployment a process, a Job the migration, each CronJob a schedule.

Each workload is mapped as a unit of its own (``map_workload``) at its place in the
blueprint; ``one_app`` then makes the units one app (what every unit shares, and what
each keeps). The Jobs are mapped first, so that a value a Job and a process both read (a
ConfigMap key inlined as a variable) is accounted to the process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kgen.formats import cron_problem
from kgen.importer.account import Status, Target
from kgen.importer.index import Group, Index, main_container, pod_path, pod_spec
from kgen.importer.mappers.base import TOOL_ANNOTATIONS, Build, Unit, target
from kgen.importer.mappers.one_app import Stash, hoist, one_for_all, stash
from kgen.importer.mappers.parts import service_account
from kgen.importer.mappers.workload import (
    Top,
    deployment,
    map_workload,
    no_containers,
    own_labels,
    start,
)
from kgen.importer.processes import JOBS, MIGRATION, Run, unit_names
from kgen.importer.read import Resource
from kgen.importer.settle import rendered_alone
from kgen.model import JsonPath, Problem
from kgen.record import replace
from kgen.workloads import migration_annotations

#: What kgen writes on every CronJob, whatever the blueprint says.
_CRONJOB = {
    "concurrencyPolicy": "Forbid",
    "startingDeadlineSeconds": 600,
    "successfulJobsHistoryLimit": 3,
    "failedJobsHistoryLimit": 3,
}
#: Job settings an input may write as Kubernetes defaults them.
_JOB_DEFAULTS = {
    "completions": 1,
    "parallelism": 1,
    "suspend": False,
    "completionMode": "NonIndexed",
}
#: Kubernetes retries a failed Job's pod six times; kgen's default is two.
_BACKOFF = 6
_HOOK_PREFIXES = ("helm.sh/hook", "argocd.argoproj.io/hook", "argocd.argoproj.io/sync-wave")
_HOOK = (
    "kgen runs the migration before the new version as an Argo CD Sync hook in the wave "
    "before the Deployments (argocd.argoproj.io/hook: Sync, sync-wave -1)"
)


def map_monolith(group: Group, index: Index, build: Build) -> None:
    """Fill ``build.blueprint`` with a Monolith made of ``group``'s Deployments, Job and
    CronJobs; problems go to ``build.problems``."""
    start(build)
    # the labels every process's Deployment has (a Job's need not be): a label of one
    # process stays a patch on its resources, never spread to the other processes' pods
    deployments = [own_labels(w) for w in group.workloads if w.kind == "Deployment"]
    labels = {k: v for k, v in deployments[0].items() if all(d.get(k) == v for d in deployments)}
    build.blueprint["metadata"]["labels"] = labels
    runs = [Run(w, build.namespace, main_container(w)) for w in group.workloads]
    names = unit_names(build.app, runs)
    units = [_unit(build.app, w, name) for w, name in zip(group.workloads, names, strict=True)]
    shared: list[Stash] = []  # a ServiceAccount the workloads share comes first
    for account in _shared_accounts(group, index):
        service_account(build, account)
        shared.append(stash(build, f"ServiceAccount {account.name}", "Deployment", ()))
    own: dict[int, Stash] = {}
    for unit in sorted(units, key=lambda u: u.kind == "Deployment"):
        if unit.kind == "Job":
            _hooks(build, unit, others=True)
        map_workload(build, index, unit, _TOPS[unit.kind])
        if unit.kind == "Job":
            _hooks(build, unit, others=False)  # over what it says of tools' annotations
            _named_by_kgen(build, unit)
        source = f"{unit.resource.kind} {unit.resource.name}"
        own[id(unit)] = stash(build, source, unit.kind, unit.pod)
    if not labels:
        del build.blueprint["metadata"]["labels"]
    if build.problems:
        return
    one_for_all(build, [*shared, *(own[id(unit)] for unit in units)])
    hoist(build, units)
    _schedules_listed(build)
    _migration_patches(build)


def _unit(app: str, workload: Resource, name: str) -> Unit:
    """The unit a workload of the Monolith is: a process, the migration or a schedule."""
    where: JsonPath = {
        "Deployment": ("spec", "processes", name),
        "Job": ("spec", "migrations"),
        # a map while mapping (build.here makes maps); a list once every unit is mapped
        "CronJob": ("spec", "schedules", name),
    }[workload.kind]
    return Unit(workload, workload.kind, f"{app}-{name}", pod_path(workload), name, where)


def _shared_accounts(group: Group, index: Index) -> list[Resource]:
    """The ServiceAccounts several of the Monolith's workloads run as (and no other)."""
    members = {id(w) for w in group.workloads}
    return [
        part
        for part in index.resources
        if part.kind == "ServiceAccount"
        and len(index.owners.get(id(part), [])) > 1
        and all(id(w) in members for w in index.owners[id(part)])
    ]


def _get(node: Any, *path: str | int) -> Any:
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _job(build: Build, unit: Unit, spec: Mapping[str, Any], at: JsonPath) -> None:
    """What every Job's spec (``at``) and pod say that kgen writes alike or Kubernetes
    defaults; its backoffLimit as Kubernetes would have it when the input has none."""
    workload = unit.resource
    if "backoffLimit" not in spec:
        build.here["backoffLimit"] = _BACKOFF
    for key, value in _JOB_DEFAULTS.items():
        if key in spec and spec[key] == value:
            build.record(workload, (*at, key), Status.DEFAULT, "Kubernetes' default")
    for key in ("selector", "manualSelector"):
        if key in spec:
            build.left_out(workload, (*at, key), "written by the cluster")
    policy = pod_spec(workload, unit.pod).get("restartPolicy")
    where = (*unit.pod, "restartPolicy")
    if policy == "Never":
        build.record(workload, where, Status.MAPPED, "", target(unit.kind, unit.name, *where))
    elif policy == "OnFailure":
        build.record(
            workload, where, Status.CHANGED,
            "kgen's Jobs restart no container in place (Never): backoffLimit retries the pod",
        )  # fmt: skip


def _put_each(
    build: Build, unit: Unit, node: Mapping[str, Any], at: JsonPath, keys: tuple[str, ...]
) -> None:
    for key in keys:
        if key in node:
            build.put(
                (*unit.where, key),
                node[key],
                unit.resource,
                (*at, key),
                target(unit.kind, unit.name, *at, key),
            )


def migration(build: Build, unit: Unit, top: Mapping[str, Any]) -> None:
    """What only the migration's Job has: its retries, deadline and time to live."""
    _put_each(
        build,
        unit,
        top,
        ("spec",),
        ("backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"),
    )
    _job(build, unit, top, ("spec",))


def schedule(build: Build, unit: Unit, top: Mapping[str, Any]) -> None:
    """What only a schedule's CronJob has: when it runs, and its Jobs' retries and deadline."""
    workload = unit.resource
    _put_each(build, unit, top, ("spec",), ("schedule", "timeZone"))
    for key, value in _CRONJOB.items():
        if key in top and top[key] == value:
            build.record(
                workload, ("spec", key), Status.MAPPED, "kgen writes the same",
                target(unit.kind, unit.name, "spec", key),
            )  # fmt: skip
    if top.get("suspend") is False:
        build.record(workload, ("spec", "suspend"), Status.DEFAULT, "Kubernetes' default")
    job = _get(top, "jobTemplate", "spec")
    job = job if isinstance(job, Mapping) else {}
    at: JsonPath = ("spec", "jobTemplate", "spec")
    _put_each(build, unit, job, at, ("backoffLimit", "activeDeadlineSeconds"))
    _job(build, unit, job, at)


_TOPS: dict[str, Top] = {"Deployment": deployment, "Job": migration, "CronJob": schedule}


def _hooks(build: Build, unit: Unit, *, others: bool) -> None:
    """The migration's hook annotations: kgen writes its own (an Argo CD Sync hook);
    ``others``: each other annotation a patch of its own (the hooks are not patched)."""
    workload = unit.resource
    annotations = _get(workload.body, "metadata", "annotations")
    ours = migration_annotations()
    for key, value in (annotations if isinstance(annotations, Mapping) else {}).items():
        at = ("metadata", "annotations", key)
        if ours.get(key) == value:
            build.record(workload, at, Status.MAPPED, "", target(unit.kind, unit.name, *at))
        elif str(key).startswith(_HOOK_PREFIXES):
            build.record(workload, at, Status.CHANGED, _HOOK)
        elif others and not str(key).startswith(TOOL_ANNOTATIONS):
            build.patch(unit.kind, unit.name, at, value, workload, at)


def _named_by_kgen(build: Build, unit: Unit) -> None:
    build.record(
        unit.resource, ("metadata", "name"), Status.CHANGED,
        f"kgen names the migration's Job {unit.name}-<hash of its settings>: a new Job, "
        "run once, whenever the image or a setting changes",
    )  # fmt: skip


def _schedules_listed(build: Build) -> None:
    """The schedules, mapped as a map by name, as the list the schema has."""
    schedules = build.spec.get("schedules")
    if not isinstance(schedules, dict):
        return
    build.spec["schedules"] = [{"name": name, **node} for name, node in schedules.items()]
    places = {name: i for i, name in enumerate(schedules)}
    for path in [p for p in build.origins if p[:2] == ("spec", "schedules") and len(p) > 2]:
        moved = ("spec", "schedules", places[str(path[2])], *path[3:])
        build.origins.setdefault(moved, []).extend(build.origins.pop(path))


def _migration_patches(build: Build) -> None:
    """A patch on the migration's Job names no Job: its name carries a hash of the
    blueprint, and the Monolith has one Job."""
    name = f"{build.app}-{MIGRATION}"
    for patch in build.spec.get("patches", []):
        if patch["target"] == {"kind": "Job", "name": name}:
            del patch["target"]["name"]


def name_migration(build: Build) -> None:
    """Once kgen accepts the blueprint: the migration's Job is named after a hash of its
    settings; what the ledger says went to ``<app>-migrate`` went to that Job."""
    if "migrations" not in build.spec:
        return
    documents = rendered_alone(build)
    jobs = [d.name for d in documents if d.kind == "Job"]
    if len(jobs) != 1:
        return
    mapped = ("Job", f"{build.app}-{MIGRATION}")
    for key, entry in list(build.ledger.entries.items()):
        found = entry.target
        if entry.blueprint == build.ref and found and (found.kind, found.name) == mapped:
            build.ledger.entries[key] = replace(entry, target=Target("Job", jobs[0], found.path))


def malformed(index: Index) -> list[Problem]:
    """Jobs and CronJobs kgen import cannot read: without a container, a CronJob without
    a schedule (or, in a Monolith, with one kgen refuses)."""
    problems: list[Problem] = []
    for workload in index.resources:
        if workload.kind not in JOBS:
            continue
        namespace = index.namespace(workload)
        problem = no_containers(workload, pod_path(workload), namespace)
        if problem is not None:
            problems.append(problem)
        if workload.kind != "CronJob":
            continue
        found = str(_get(workload.body, "spec", "schedule"))  # a string: shape.py checked
        if found.strip():
            why = None if id(workload) in index.lone else cron_problem(found)
            message = f"schedule {found!r} {why}" if why else ""
        else:
            message = "a CronJob with an empty schedule"
        if message:
            at: JsonPath = ("spec", "schedule")
            problems.append(Problem(
                workload.pos(at), at, message,
                "spec.schedule says when it runs: five fields, e.g. '0 3 * * *', or @daily "
                "(a time zone goes in spec.timeZone)",
                subject=f"CronJob {namespace}/{workload.name}",
            ))  # fmt: skip
    return problems
