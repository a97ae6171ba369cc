"""``kgen import`` of a Monolith: Deployments that run one image with different commands
are its processes, a Job its migration, CronJobs its schedules.

The round trips import a Django app's manifests (as ``helm template`` renders a chart:
web and worker Deployments, a migration Job run as a Helm hook, two CronJobs, settings
files mounted into every workload, secrets as variables), and kgen's own rendering of
blueprints/billing.yaml, render the blueprints, build them with the real ``kubectl
kustomize`` and compare field by field with the input. The smaller cases pin down which
workloads make a Monolith, what they are called, what every workload shares and what a
Job cannot have, and the bad inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from kgen import api
from kgen.errors import InvalidInput
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.yamlio import parse_plain
from tests.conftest import REPO, RunKgen, require_tool
from tests.importing import import_text, mismatches, report, round_trip, unexplained

LEDGER = REPO / "tests" / "import" / "django-ledger.yaml"
BILLING = REPO / "blueprints" / "billing.yaml"


def _blueprint(result: ImportResult, index: int = 0) -> dict[str, Any]:
    (document,) = parse_plain(result.blueprints[index].text)
    found: dict[str, Any] = document
    return found


def _warnings(result: ImportResult, folder: Path) -> list[str]:
    """The warnings but the one per workload that kgen runs its pods differently (the same
    for every workload here: tests/test_import_qa4.py holds it)."""
    return [
        w.replace(str(folder) + "/", "")
        for w in imported.warnings(result)
        if "kgen runs its pods differently" not in w
    ]


def _builds_back(result: ImportResult, folder: Path) -> dict[tuple[str, str], Any]:
    """The imported blueprints rendered (every check of kgen render), by kind and name."""
    imported.to_folder(result, folder / "blueprints")
    built = api.build([folder / "blueprints"])
    return {(d.kind, d.name): d.body for d in built.documents}


def test_django_round_trip(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """One Monolith whose rendered workloads carry the input's names; every mapped value
    comes back where the report says, the migration's included (its Job's name carries
    a hash of the settings); the variable only the migration has, and nothing else, is
    left out; the secrets stay out of the blueprint."""
    kubectl = require_tool("kubectl")
    result = api.import_manifests([LEDGER], secret_store="aws-secrets")
    assert [(b.namespace, b.name) for b in result.blueprints] == [("ledger", "ledger")]
    spec = _blueprint(result)["spec"]
    assert list(spec["processes"]) == ["web", "worker"]
    assert spec["env"] == {
        "DJANGO_SETTINGS_MODULE": "ledger.settings.production",
        "DJANGO_LOG_LEVEL": "info",
    }
    assert spec["processes"]["web"]["env"] == {"GUNICORN_TIMEOUT": "30"}
    assert spec["migrations"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert [s["name"] for s in spec["schedules"]] == ["clearsessions", "send-reminders"]
    assert sorted(spec["configFiles"]) == [
        "/app/ledger/settings/local_settings.py",
        "/app/logging.ini",
    ]
    rendered = round_trip(result, tmp_path, kubectl)
    assert {
        ("Deployment", "ledger-web"),
        ("Deployment", "ledger-worker"),
        ("CronJob", "ledger-clearsessions"),
        ("CronJob", "ledger-send-reminders"),
        ("Service", "ledger-web"),
        ("HorizontalPodAutoscaler", "ledger-worker"),
        ("PodDisruptionBudget", "ledger-web"),
        ("ServiceAccount", "ledger"),
    } <= set(rendered)
    (job,) = [name for kind, name in rendered if kind == "Job"]
    assert job.startswith("ledger-migrate-")
    assert any(  # the report names the Job kgen renders
        line.resource.kind == "Job"
        and line.entry.target is not None
        and line.entry.target.name == job
        for line in result.lines
    )
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []
    warned = _warnings(result, REPO)
    assert [w for w in warned if "left out" in w or ": not " in w] == [
        "tests/import/django-ledger.yaml:250: warning: Job ledger/ledger-migrate: "
        "spec.template.spec.containers[0].env[2]: not what every process, the migration and "
        "the schedules have, and a migration has no env of its own: it gets the app's "
        "(spec.env)"
    ]
    text = imported.to_stream(result)
    assert "s3cret" not in text
    assert "not-so-secret" not in text
    assert report(result) == snapshot(name="report")
    assert warned == snapshot(name="warnings")
    assert text.replace(str(REPO) + "/", "") == snapshot(name="blueprint")


#: What a workload runs, as kgen renders it: compared between renders.
_RUN = ("image", "command", "args", "ports", "env", "resources", "livenessProbe",
        "readinessProbe", "startupProbe")  # fmt: skip


def _runs(documents: dict[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
    """Each workload's main container and its own settings (the Job by kind only: its
    name carries a hash of the blueprint)."""
    found = {}
    for (kind, name), body in documents.items():
        if kind not in ("Deployment", "Job", "CronJob"):
            continue
        spec = body["spec"]
        job = spec["jobTemplate"]["spec"] if kind == "CronJob" else spec
        container = job["template"]["spec"]["containers"][0]
        own = {k: v for k, v in {**spec, **job}.items() if k not in ("template", "jobTemplate")}
        found[(kind, "migrate" if kind == "Job" else name)] = {
            "container": {k: container.get(k) for k in _RUN},
            "spec": {k: v for k, v in own.items() if k != "selector"},
        }
    return found


def test_billing_render_import_render(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    """kgen's own output of blueprints/billing.yaml imports back into a Monolith that
    says the same of what it maps: the same processes, migration and schedules, and
    rendered again every workload runs the same containers with the same settings. What
    import does not map (the shared volume, the egress rules, the store's key) is
    reported."""
    kubectl = require_tool("kubectl")
    run = kgen("render", str(BILLING))
    assert run.exit_code == 0, run.stderr
    source = tmp_path / "billing-rendered.yaml"
    source.write_text(run.stdout, encoding="utf-8")
    result = api.import_manifests([source], secret_store="aws-secrets")
    assert [b.name for b in result.blueprints] == ["billing"]
    (original,) = parse_plain(BILLING.read_text(encoding="utf-8"))
    spec, before = _blueprint(result)["spec"], original["spec"]
    assert spec["image"] == before["image"]
    assert spec["configFiles"] == before["configFiles"]
    assert {name: (p["command"], p.get("args")) for name, p in spec["processes"].items()} == {
        name: (p["command"], p.get("args")) for name, p in before["processes"].items()
    }
    assert spec["migrations"]["command"] == before["migrations"]["command"]
    said = ("name", "schedule", "timeZone", "command")
    assert [{k: v for k, v in s.items() if k in said} for s in spec["schedules"]] == [
        {k: v for k, v in s.items() if k in said}
        for s in sorted(before["schedules"], key=lambda s: str(s["name"]))
    ]
    rendered = round_trip(result, tmp_path, kubectl)
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []
    first = {(d["kind"], d["metadata"]["name"]): d for d in parse_plain(run.stdout)}
    assert _runs(rendered) == _runs(first)
    assert imported.to_stream(result).replace(str(tmp_path) + "/", "") == snapshot


def _deployment(name: str, command: str, *, extra: str = "", labels: str = "") -> str:
    return (
        f"---\napiVersion: apps/v1\nkind: Deployment\n"
        f"metadata: {{name: {name}, namespace: shop{labels}}}\n"
        f"spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: {name}}}}}\n    spec:\n{extra}      containers:\n"
        f"      - name: main\n        image: ghcr.io/acme/shop:1.2.3\n"
        f"        command: {command}\n        ports: [{{name: http, containerPort: 8080}}]\n"
    )


def _job(name: str, command: str, *, kind: str = "Job", annotations: str = "") -> str:
    pod = (
        "      restartPolicy: Never\n      containers:\n      - name: main\n"
        f"        image: ghcr.io/acme/shop:1.2.3\n        command: {command}\n"
    )
    if kind == "CronJob":
        pod = "".join(f"      {line}\n" for line in pod.splitlines())
        template = "  jobTemplate:\n    spec:\n      template:\n        spec:\n"
        spec = f"spec:\n  schedule: '@daily'\n{template}{pod}"
    else:
        spec = f"spec:\n  template:\n    spec:\n{pod}"
    meta = f", annotations: {{{annotations}}}" if annotations else ""
    return (
        f"---\napiVersion: batch/v1\nkind: {kind}\n"
        f"metadata: {{name: {name}, namespace: shop{meta}}}\n{spec}"
    )


def test_one_command_is_no_monolith(tmp_path: Path) -> None:
    """Deployments that run one image with one command are copies of one service: each
    stays a Microservice, and a CronJob that runs their image joins none of them."""
    result = import_text(
        tmp_path,
        _deployment("web-eu", "[serve]")
        + _deployment("web-us", "[serve]")
        + _job("cleanup", "[clean]", kind="CronJob"),
    )
    assert [(b.name, _blueprint(result, i)["kind"]) for i, b in enumerate(result.blueprints)] == [
        ("web-eu", "Microservice"),
        ("web-us", "Microservice"),
    ]
    assert _warnings(result, tmp_path)[-1] == (
        "in.yaml:32: warning: CronJob shop/cleanup: <document>: runs ghcr.io/acme/shop:1.2.3, "
        "as Deployments web-eu, web-us do with one command: copies of one service, not the "
        "processes of a Monolith; kgen has no blueprint for a lone CronJob"
    )


def test_no_command_is_no_process(tmp_path: Path) -> None:
    """A process states its command; a Deployment that runs the image's own entrypoint
    keeps the others from being one Monolith (kgen import never guesses what an image
    runs), and the Jobs that run the image are left out."""
    web = _deployment("shop-web", "[serve]").replace("        command: [serve]\n", "")
    result = import_text(
        tmp_path,
        web + _deployment("shop-worker", "[work]") + _job("shop-migrate", "[migrate]"),
    )
    assert [b.name for b in result.blueprints] == ["shop-web", "shop-worker"]
    assert _warnings(result, tmp_path)[-1] == (
        "in.yaml:31: warning: Job shop/shop-migrate: <document>: runs ghcr.io/acme/shop:1.2.3, "
        "as Deployment shop-web does with the image's own entrypoint (no command): a "
        "Monolith's process states its command; kgen has no blueprint for a lone Job"
    )


def test_one_deployment_and_its_jobs(tmp_path: Path) -> None:
    """A Deployment with a Job and a CronJob that run its image is a Monolith of one
    process (the schema allows one), so that neither is lost. Its Deployment, named as
    the app, becomes the process named after its container (renamed, and reported); the
    Job that migrates is the migration, a second Job and a Helm test hook are left out
    with the reason."""
    result = import_text(
        tmp_path,
        _deployment("shop", "[serve]")
        + _job("shop-seed", "[seed]")
        + _job(
            "shop-db-migrate",
            "[migrate]",
            annotations="helm.sh/hook: 'pre-install,pre-upgrade', helm.sh/hook-weight: '-1'",
        )
        + _job("shop-test", "[test]", annotations="helm.sh/hook: test")
        + _job("shop-cleanup", "[clean]", kind="CronJob"),
    )
    spec = _blueprint(result)["spec"]
    assert list(spec["processes"]) == ["main"]
    assert spec["migrations"]["command"] == ["migrate"]
    assert [s["name"] for s in spec["schedules"]] == ["cleanup"]
    warned = [
        w for w in _warnings(result, tmp_path) if "labels.app" not in w and "selector" not in w
    ]
    assert warned == [
        "in.yaml:4: warning: Deployment shop/shop: metadata.name: kgen names the Deployment "
        "shop-main; applying adds it beside shop (delete shop once shop-main runs)",
        "in.yaml:18: warning: Job shop/shop-seed: <document>: runs ghcr.io/acme/shop:1.2.3 too, "
        "but the app's migration is Job shop-db-migrate: kgen runs one migration per app",
        "in.yaml:42: warning: Job shop/shop-test: <document>: a Helm test hook: kgen runs an "
        "app's migration before its new version, and has no blueprint for other Jobs",
    ]
    hooks = [
        line
        for line in result.lines
        if line.resource.name == "shop-db-migrate" and "helm.sh/hook" in str(line.path)
    ]
    assert len(hooks) == 2
    assert {line.entry.status.value for line in hooks} == {"changed"}
    rendered = _builds_back(result, tmp_path)
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []


def test_names_when_the_deployments_share_no_prefix(tmp_path: Path) -> None:
    """Deployments named web and worker, of the app their part-of label names: the
    Monolith is named after the label, and the Deployments are renamed <app>-<process>
    (reported). A pod setting only spec has and the processes disagree on: the first
    Deployment's wins, the other's is left out naming the conflict."""
    label = ", labels: {app.kubernetes.io/part-of: shop}"
    result = import_text(
        tmp_path,
        _deployment(
            "web", "[serve]", labels=label, extra="      securityContext: {runAsUser: 1000}\n"
        )
        + _deployment(
            "worker", "[work]", labels=label, extra="      securityContext: {runAsUser: 2000}\n"
        ),
    )
    blueprint = _blueprint(result)
    assert blueprint["metadata"]["name"] == "shop"
    assert list(blueprint["spec"]["processes"]) == ["web", "worker"]
    assert blueprint["spec"]["securityContext"] == {"runAsUser": 1000}
    warned = [
        w for w in _warnings(result, tmp_path) if "labels.app" not in w and "selector" not in w
    ]
    assert warned == [
        "in.yaml:4: warning: Deployment shop/web: metadata.name: kgen names the Deployment "
        "shop-web; applying adds it beside web (delete web once shop-web runs)",
        "in.yaml:19: warning: Deployment shop/worker: metadata.name: kgen names the Deployment "
        "shop-worker; applying adds it beside worker (delete worker once shop-worker runs)",
        "in.yaml:25: warning: Deployment shop/worker: spec.template.spec.securityContext"
        ".runAsUser: not Deployment web's securityContext.runAsUser, which kgen gives every "
        "workload of the Monolith (spec.securityContext): the first one's wins",
    ]
    rendered = _builds_back(result, tmp_path)
    assert mismatches(result, rendered) == []


def test_a_name_another_blueprint_has(tmp_path: Path) -> None:
    """A Monolith never takes the name of another blueprint of its namespace (their
    ServiceAccounts, files and NetworkPolicies would clash): it takes the next name it
    can (its image's here), and its Deployments are renamed (reported)."""
    other = _deployment("billing", "[serve]").replace("acme/shop:1.2.3", "acme/other:1.0.0")
    result = import_text(
        tmp_path,
        other + _deployment("billing-web", "[serve]") + _deployment("billing-worker", "[work]"),
    )
    assert [(b.name, _blueprint(result, i)["kind"]) for i, b in enumerate(result.blueprints)] == [
        ("billing", "Microservice"),
        ("shop", "Monolith"),
    ]
    assert list(_blueprint(result, 1)["spec"]["processes"]) == ["web", "worker"]
    assert [w for w in _warnings(result, tmp_path) if "metadata.name" in w] == [
        "in.yaml:18: warning: Deployment shop/billing-web: metadata.name: kgen names the "
        "Deployment shop-web; applying adds it beside billing-web (delete billing-web once "
        "shop-web runs)",
        "in.yaml:32: warning: Deployment shop/billing-worker: metadata.name: kgen names the "
        "Deployment shop-worker; applying adds it beside billing-worker (delete billing-worker "
        "once shop-worker runs)",
    ]


SHARED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/shop:1.2.3
        command: [serve]
        ports: [{name: http, containerPort: 8080}]
        env: [{name: MODE, value: web}, {name: REGION, value: eu}]
      - name: proxy
        image: envoyproxy/envoy:v1.30.1
        ports: [{name: admin, containerPort: 9901}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-worker, namespace: shop}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
      - name: worker
        image: ghcr.io/acme/shop:1.2.3
        command: [work]
        ports: [{name: metrics, containerPort: 9090}]
        env: [{name: MODE, value: worker}, {name: REGION, value: eu}]
      - name: proxy
        image: envoyproxy/envoy:v1.31.0
---
apiVersion: batch/v1
kind: Job
metadata: {name: shop-migrate, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - name: migrate
        image: ghcr.io/acme/shop:1.2.3
        command: [migrate]
        ports: [{name: http, containerPort: 8080}]
        livenessProbe: {httpGet: {path: /, port: 8080}}
        env: [{name: REGION, value: eu}, {name: LOCK, value: "1"}]
      - name: proxy
        image: envoyproxy/envoy:v1.30.1
---
apiVersion: v1
kind: ConfigMap
metadata: {name: nightly, namespace: shop}
data: {BATCH: "500"}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 30
          containers:
          - name: nightly
            image: ghcr.io/acme/shop:1.2.3
            command: [clean]
            env:
            - {name: REGION, value: eu}
            - name: BATCH
              valueFrom: {configMapKeyRef: {name: nightly, key: BATCH}}
"""


def test_what_every_workload_shares(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """A variable every workload has moves to spec; one only some processes have stays
    with them; a migration or a schedule has no variables of its own, so theirs are left
    out (and so is the ConfigMap key inlined into one); a pod setting that a merge patch
    can set alone is kept as a patch instead. Sidecars are the app's: the first
    Deployment's; another one's is left out, and so is a Job's (kgen runs none beside a
    Job), with its ports and probes."""
    result = import_text(tmp_path, SHARED)
    spec = _blueprint(result)["spec"]
    assert spec["env"] == {"REGION": "eu"}
    assert {name: p["env"] for name, p in spec["processes"].items()} == {
        "web": {"MODE": "web"},
        "worker": {"MODE": "worker"},
    }
    assert [s["image"] for s in spec["sidecars"]] == ["envoyproxy/envoy:v1.30.1"]
    assert _warnings(result, tmp_path) == snapshot
    rendered = _builds_back(result, tmp_path)
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []


def test_a_label_of_one_process_stays_with_it(tmp_path: Path) -> None:
    """The labels every process's Deployment has are the app's; a label only one has
    stays a patch on that process's Deployment and never reaches the other's pods (a
    Service selecting it would route to them)."""
    result = import_text(
        tmp_path,
        _deployment("shop-web", "[serve]", labels=", labels: {team: shop, tier: frontend}")
        + _deployment("shop-worker", "[work]", labels=", labels: {team: shop}"),
    )
    assert _blueprint(result)["metadata"]["labels"] == {"team": "shop"}
    rendered = _builds_back(result, tmp_path)
    assert rendered[("Deployment", "shop-web")]["metadata"]["labels"]["tier"] == "frontend"
    for kind, name in rendered:
        if name != "shop-web":
            assert "tier" not in rendered[(kind, name)]["metadata"].get("labels", {}), name
    assert (
        "in.yaml:4: warning: Deployment shop/shop-web: metadata.labels.tier: no blueprint "
        "field; kept as a patch on Deployment shop-web" in _warnings(result, tmp_path)
    )
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []


def test_a_worker_kgen_cannot_probe_stays_out(tmp_path: Path) -> None:
    """kgen probes every process: a worker without a TCP port and probes of its own is
    not one of the Monolith's processes (it stays a Deployment, which kgen refuses with
    its reason), and the rest of the app is still imported."""
    worker = _deployment("shop-worker", "[work]").replace(
        "        ports: [{name: http, containerPort: 8080}]\n", ""
    )
    result = import_text(
        tmp_path,
        _deployment("shop-web", "[serve]")
        + worker
        + _job("shop-cleanup", "[clean]", kind="CronJob"),
    )
    assert [b.name for b in result.blueprints] == ["shop"]
    assert list(_blueprint(result)["spec"]["processes"]) == ["web"]
    assert any(
        "Deployment shop/shop-worker: <document>: kgen cannot import Deployment "
        "shop/shop-worker: it has no TCP port and no livenessProbe and no readinessProbe" in w
        for w in _warnings(result, tmp_path)
    )
    alone = import_text(tmp_path, worker + _job("shop-cleanup", "[clean]", kind="CronJob"))
    assert alone.blueprints == ()
    assert _warnings(alone, tmp_path)[-1] == (
        "in.yaml:17: warning: CronJob shop/shop-cleanup: <document>: runs "
        "ghcr.io/acme/shop:1.2.3, as Deployment shop-worker does, which kgen cannot probe (no "
        "TCP port, and no liveness and readiness probes of its own); kgen has no blueprint for "
        "a lone CronJob"
    )


#: Bad input: exit 1 with the message at its line, nothing written.
BAD: dict[str, str] = {
    "job-without-containers.yaml": (
        _deployment("shop-web", "[serve]")
        + "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: shop-migrate, namespace: shop}\n"
        "spec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: []\n"
    ),
    "cronjob-without-schedule.yaml": _job("shop-cleanup", "[clean]", kind="CronJob").replace(
        "  schedule: '@daily'\n", ""
    ),
    "cronjob-schedule-list.yaml": _job("shop-cleanup", "[clean]", kind="CronJob").replace(
        "'@daily'", "['@daily']"
    ),
    "cronjob-schedule-kgen-refuses.yaml": (
        _deployment("shop-web", "[serve]")
        + _job("shop-cleanup", "[clean]", kind="CronJob").replace(
            "'@daily'", "'CRON_TZ=Europe/Berlin 0 3 * * *'"
        )
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input(name: str, kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    (tmp_path / name).write_text(BAD[name], encoding="utf-8")
    run = kgen("import", name, "-o", "out", cwd=tmp_path)
    assert run.exit_code == 1
    assert not (tmp_path / "out").exists()
    assert run.stderr == snapshot


def test_a_lone_cronjob_is_listed_and_left_out(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    """kgen has no blueprint for a lone Job or CronJob: listed, left out, never guessed."""
    lone = _job("report", "[report]", kind="CronJob").replace(
        "ghcr.io/acme/shop:1.2.3", "ghcr.io/acme/reports:2.0.0"
    )
    (tmp_path / "lone.yaml").write_text(lone + _deployment("shop", "[serve]"), encoding="utf-8")
    run = kgen("import", "lone.yaml", cwd=tmp_path)
    assert run.exit_code == 0
    assert "kind: Microservice" in run.stdout
    assert run.stderr == snapshot


#: Odd values in a Monolith's workloads (each replaces the first match): never a crash.
ODD: dict[str, tuple[str, str]] = {
    "command as a string": ("command: [work]", "command: 'work --hard'"),
    "image as a number": ("image: ghcr.io/acme/shop:1.2.3", "image: 12"),
    "containers as a number": ("containers:\n", "containers: 7\n      other:\n"),
    "annotations as a list": ("annotations: {helm.sh/hook: 'pre-install'}", "annotations: [a]"),
    "a hook as a number": ("helm.sh/hook: 'pre-install'", "helm.sh/hook: 5"),
    "a time zone as a number": ("schedule: '@daily'", "schedule: '@daily'\n  timeZone: 12"),
    "jobTemplate as a list": ("  jobTemplate:\n    spec:", "  jobTemplate: []\n  x:\n    spec:"),
    "labels as a list": ("namespace: shop}", "namespace: shop, labels: [a, b]}"),
    "a schedule as a number": ("schedule: '@daily'", "schedule: 5"),
    "a backoff beyond kgen's": (
        "spec:\n  template:\n    spec:\n      restartPolicy",
        "spec:\n  backoffLimit: 100000000000000000000\n  template:\n    spec:\n      restartPolicy",
    ),
}
_ODD_BASE = (
    _deployment("shop-web", "[serve]")
    + _deployment("shop-worker", "[work]")
    + _job("shop-migrate", "[migrate]", annotations="helm.sh/hook: 'pre-install'")
    + _job("shop-cleanup", "[clean]", kind="CronJob")
)


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_values_never_crash(name: str, tmp_path: Path) -> None:
    old, new = ODD[name]
    assert old in _ODD_BASE
    try:
        result = import_text(tmp_path, _ODD_BASE.replace(old, new, 1))
    except InvalidInput as exc:
        assert exc.problems  # a message at the input's line, exit 1
        return
    assert unexplained(result) == []
    assert mismatches(result, _builds_back(result, tmp_path)) == []
