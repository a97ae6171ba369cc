"""Which workloads share one image and make a Monolith, and what its parts are called.

In one namespace, Deployments whose main containers run the same image (the same
repository and tag or digest) and differ in what they run (``command`` or ``args``) are
the processes of one Monolith. A Job and the CronJobs that run that image join it as its
migration and its schedules; a single Deployment with such a Job or CronJob makes a
Monolith of one process, so that they are not lost.

What stays as it is: Deployments that run one image with one command are copies of one
service (a canary, one per zone or tenant, blue and green), not different programs of one
codebase, so each stays a Microservice. A Deployment that runs the image's own
entrypoint (no ``command``) cannot be a process, which states its command, and kgen
import never guesses what an image runs. A Job or CronJob that joins no Monolith is left
out with the reason: kgen has no blueprint for a lone Job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kgen.formats import DNS_LABEL
from kgen.importer.read import Resource
from kgen.record import dataclass

#: The kinds that join a Monolith of Deployments: its migration and its schedules.
JOBS = ("Job", "CronJob")
#: The name the migration's unit takes (kgen renders its Job as ``<app>-migrate-<hash>``).
MIGRATION = "migrate"
#: Hook annotations, and the values that run a Job before a new version.
BEFORE_HOOKS: Mapping[str, frozenset[str]] = {
    "helm.sh/hook": frozenset({"pre-install", "pre-upgrade"}),
    "argocd.argoproj.io/hook": frozenset({"PreSync", "Sync"}),
}
_PART_OF, _NAME = "app.kubernetes.io/part-of", "app.kubernetes.io/name"
#: Rendered names: a CronJob's at most 52 characters (its Jobs add 11), a Job's
#: ``<app>-migrate-`` and a 10-character hash at most 63.
_CRONJOB_NAME, _APP_NAME = 52, 63 - len(f"-{MIGRATION}-") - 10


@dataclass(frozen=True)
class Run:
    """A workload and its main container (its first; ``{}`` when it has none)."""

    workload: Resource
    namespace: str
    container: Mapping[str, Any]

    @property
    def image(self) -> str | None:
        image = self.container.get("image")
        return image if isinstance(image, str) and image else None

    @property
    def command(self) -> list[str] | None:
        """The command, when it is one kgen can say (a list of strings)."""
        command = self.container.get("command")
        ok = isinstance(command, list) and command and all(isinstance(a, str) for a in command)
        return command if ok else None

    @property
    def without_command(self) -> str:
        """How it runs when ``command`` is None: what a message says of it."""
        if "command" in self.container:
            return "with a command that is not a list of strings"
        return "with the image's own entrypoint (no command)"

    @property
    def probed(self) -> bool:
        """Whether kgen can probe it: a TCP port, or a liveness and a readiness probe of
        its own (kgen refuses a process it cannot probe: such a Deployment stays one)."""
        ports = self.container.get("ports")
        tcp = isinstance(ports, list) and any(
            isinstance(p, Mapping)
            and p.get("protocol", "TCP") == "TCP"
            and isinstance(p.get("containerPort"), int)
            for p in ports
        )
        probes = ("livenessProbe", "readinessProbe")
        return tcp or all(isinstance(self.container.get(k), Mapping) for k in probes)

    @property
    def argv(self) -> tuple[Any, Any]:
        return self.container.get("command"), self.container.get("args")


@dataclass(frozen=True)
class Shared:
    """One Monolith: its name, and its Deployments, migration Job and CronJobs in that
    order (each in input order)."""

    app: str
    namespace: str
    workloads: tuple[Resource, ...]


@dataclass(frozen=True)
class Plan:
    monoliths: tuple[Shared, ...]
    #: The Jobs and CronJobs that join no Monolith, and why.
    lone: tuple[tuple[Resource, str], ...]


def plan(runs: Sequence[Run]) -> Plan:
    """Which workloads make a Monolith (``runs``: every workload of the input)."""
    by_image: dict[tuple[str, str], list[Run]] = {}
    lone: list[tuple[Resource, str]] = []
    for run in runs:
        if run.image is not None:
            by_image.setdefault((run.namespace, run.image), []).append(run)
        elif run.workload.kind in JOBS:
            lone.append((run.workload, f"a {run.workload.kind} without containers"))
    taken = {(run.namespace, run.workload.name) for run in runs}
    monoliths: list[Shared] = []
    for (namespace, image), members in by_image.items():
        deployments = [r for r in members if r.workload.kind == "Deployment"]
        jobs = [r for r in members if r.workload.kind in JOBS]
        why = _not_processes(deployments, image)
        deployments = [r for r in deployments if r.probed]
        if why is not None:
            lone.extend(
                (r.workload, f"{why}; kgen has no blueprint for a lone {r.workload.kind}")
                for r in jobs
            )
            continue
        joined, left = _jobs(jobs, image)
        lone.extend(left)
        if not joined and len(deployments) < 2:
            continue  # a Microservice
        names = {name for ns, name in taken if ns == namespace} - {
            r.workload.name for r in deployments
        }
        app = _app(deployments, joined, image, names)
        taken.add((namespace, app))
        workloads = tuple(r.workload for r in (*deployments, *joined))
        monoliths.append(Shared(app, namespace, workloads))
    order = {id(run.workload): i for i, run in enumerate(runs)}
    lone.sort(key=lambda pair: order[id(pair[0])])
    return Plan(tuple(monoliths), tuple(lone))


def _not_processes(deployments: list[Run], image: str) -> str | None:
    """Why the Deployments that run ``image`` are no Monolith's processes (None: those
    kgen can probe are)."""
    if not deployments:
        return f"runs {image}, which no Deployment of the input runs"
    if not any(r.probed for r in deployments):
        return (
            f"runs {image}, as Deployment {deployments[0].workload.name} does, which kgen "
            "cannot probe (no TCP port, and no liveness and readiness probes of its own)"
        )
    deployments = [r for r in deployments if r.probed]
    names = ", ".join(r.workload.name for r in deployments)
    entry = next((r for r in deployments if r.command is None), None)
    if entry is not None:
        return (
            f"runs {image}, as Deployment {entry.workload.name} does {entry.without_command}: "
            "a Monolith's process states its command"
        )
    if len(deployments) > 1 and all(r.argv == deployments[0].argv for r in deployments):
        return (
            f"runs {image}, as Deployments {names} do with one command: copies of one "
            "service, not the processes of a Monolith"
        )
    return None


def _jobs(jobs: list[Run], image: str) -> tuple[list[Run], list[tuple[Resource, str]]]:
    """The Jobs and CronJobs that join the Monolith (one migration Job first, then the
    CronJobs), and the others with the reason."""
    joined: list[Run] = []
    left: list[tuple[Resource, str]] = []
    candidates: list[Run] = []
    for run in jobs:
        kind = run.workload.kind
        hook = _other_hook(run.workload)
        if run.command is None:
            role = "migration" if kind == "Job" else "schedule"
            why = f"runs {run.without_command}: kgen's {role} states its command"
            left.append((run.workload, why))
        elif kind == "Job" and hook is not None:
            why = (
                f"a {hook} hook: kgen runs an app's migration before its new version, and "
                "has no blueprint for other Jobs"
            )
            left.append((run.workload, why))
        elif kind == "Job":
            candidates.append(run)
        else:
            joined.append(run)
    if candidates:
        chosen = min(candidates, key=lambda r: (not _before(r.workload), not _migrates(r)))
        for run in candidates:
            if run is not chosen:
                why = (
                    f"runs {image} too, but the app's migration is Job {chosen.workload.name}: "
                    "kgen runs one migration per app"
                )
                left.append((run.workload, why))
        joined.insert(0, chosen)
    return joined, left


def _annotations(workload: Resource) -> Mapping[str, Any]:
    metadata = workload.body.get("metadata")
    found = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _hooks(workload: Resource) -> dict[str, set[str]]:
    annotations = _annotations(workload)
    return {
        key: {part.strip() for part in str(annotations[key]).split(",")}
        for key in BEFORE_HOOKS
        if key in annotations
    }


def _before(workload: Resource) -> bool:
    """Whether a hook annotation runs the Job before a new version."""
    return any(values & BEFORE_HOOKS[key] for key, values in _hooks(workload).items())


def _other_hook(workload: Resource) -> str | None:
    """The hook a Job is, when it is one that does not run before a new version (a Helm
    test, a post-install hook): such a Job is no migration."""
    for key, values in _hooks(workload).items():
        if not values & BEFORE_HOOKS[key]:
            tool = "Helm" if key.startswith("helm.sh/") else "Argo CD"
            return f"{tool} {','.join(sorted(values))}"
    return None


def _migrates(run: Run) -> bool:
    return "migrat" in run.workload.name or any("migrat" in a for a in run.command or [])


def _labels(workload: Resource) -> Mapping[str, Any]:
    metadata = workload.body.get("metadata")
    found = metadata.get("labels") if isinstance(metadata, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _common_label(deployments: list[Run], key: str) -> str:
    values = {str(_labels(r.workload).get(key, "")) for r in deployments}
    return values.pop() if len(values) == 1 else ""


def _prefix(names: list[str]) -> str:
    """The longest common prefix of ``names`` in whole dash-separated words."""
    words = [name.split("-") for name in names]
    common: list[str] = []
    for parts in zip(*words, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "-".join(common)


def _basename(image: str) -> str:
    """The image's repository, without registry, path, tag or digest."""
    repository = image.split("@", maxsplit=1)[0].rsplit("/", 1)[-1].split(":", maxsplit=1)[0]
    return label(repository)


def label(text: str, limit: int = 63) -> str:
    """``text`` as a DNS-1123 label of at most ``limit`` characters ("" when nothing is left)."""
    cleaned = re.sub("[^a-z0-9-]+", "-", text.lower())[:limit]
    return cleaned.strip("-")


def _is_label(text: str, limit: int = 63) -> bool:
    return 0 < len(text) <= limit and bool(DNS_LABEL.fullmatch(text))


def rest(app: str, name: str) -> str | None:
    """The part of ``name`` after ``<app>-``, when it is a name of its own."""
    if not name.startswith(f"{app}-"):
        return None
    found = name[len(app) + 1 :]
    return found if _is_label(found) else None


def _app(deployments: list[Run], joined: list[Run], image: str, taken: set[str]) -> str:
    """The Monolith's name: the first candidate that every Deployment is named after
    (``<app>-<process>``, so the rendered names are the input's), else the first one
    that can be a name at all. Candidates: the Deployments' app.kubernetes.io/part-of or
    name label, their longest common dash prefix (with the Jobs' names too), the image's
    repository name."""
    names = [r.workload.name for r in deployments]
    candidates = (
        _common_label(deployments, _PART_OF),
        _common_label(deployments, _NAME),
        _prefix(names),
        _prefix([*names, *(r.workload.name for r in joined)]),
        _basename(image),
    )
    usable = [c for c in dict.fromkeys(candidates) if _is_label(c, _APP_NAME) and c not in taken]
    fitting = [c for c in usable if all(rest(c, name) for name in names)]
    if fitting or usable:
        return (fitting or usable)[0]
    return _unique(label(_basename(image), _APP_NAME) or "app", taken, _APP_NAME)


def _unique(name: str, taken: set[str], limit: int = 63) -> str:
    found, count = name, 2
    while found in taken:
        suffix = f"-{count}"
        found, count = f"{name[: limit - len(suffix)].rstrip('-')}{suffix}", count + 1
    return found


def unit_names(app: str, runs: Sequence[Run]) -> list[str]:
    """What each workload of a Monolith is called in it: a Deployment's process, the Job
    ``migrate``, a CronJob's schedule; the part of its name after ``<app>-`` (or after
    the Deployments' common prefix, when the app could not be named so), else its name
    (a Deployment named as the app: its main container's, else ``web``). Unique, and
    short enough that ``<app>-<name>`` is a name kgen can render."""
    taken = {MIGRATION} if any(r.workload.kind == "Job" for r in runs) else set()
    common = _prefix([r.workload.name for r in runs if r.workload.kind == "Deployment"])
    names: list[str] = []
    for run in runs:
        workload = run.workload
        if workload.kind == "Job":
            names.append(MIGRATION)
            continue
        total = _CRONJOB_NAME if workload.kind == "CronJob" else 63
        limit = total - len(app) - 1
        wanted = rest(app, workload.name) or rest(common, workload.name)
        if wanted is None or len(wanted) > limit:
            own = label(workload.name, limit)
            container = label(str(run.container.get("name", "")), limit)
            wanted = next((n for n in (own, container) if n and n != app), "web")
        name = _unique(wanted[:limit].rstrip("-"), taken, limit)
        taken.add(name)
        names.append(name)
    return names
