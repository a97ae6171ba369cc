"""``kgen import`` on manifests its authors had not seen (a second QA pass): duplicate
variables, optional and whole-Secret variables, workloads kgen cannot probe, traffic a
left-out policy rule no longer admits, out-of-range numbers, misspelt kinds and the reasons
given. Each value is accounted for as what it became, and each change in behaviour warned of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgen.importer import output as imported
from kgen.importer.account import Status
from tests.conftest import RunKgen
from tests.importing import import_text, renders_back, statuses

POD = "spec.template.spec"


def _deployment(pod: str, *, name: str = "api", kind: str = "Deployment") -> str:
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: shop}}\n"
        f"spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n"
        f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n{pod}"
    )


def _main(extra: str = "") -> str:
    return (
        "      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.4.0\n"
        "        ports: [{name: http, containerPort: 8080}]\n"
        "        readinessProbe: {httpGet: {path: /ready, port: http}}\n" + extra
    )


def test_a_variable_set_twice_keeps_the_last_entry(tmp_path: Path) -> None:
    """Kubernetes sets a variable named twice from its last entry: the first is left out
    with a warning (never reported as mapped), the blueprint has the last value."""
    env = '        env:\n        - {name: A, value: "1"}\n        - {name: A, value: "2"}\n'
    result = import_text(tmp_path, _deployment(_main(env)))
    found = statuses(result)
    first = found[f"Deployment api: {POD}.containers[0].env[0].value"]
    assert first == (
        Status.LEFT_OUT,
        "a later entry of the same name overrides it: env[1] sets A",
    )
    assert found[f"Deployment api: {POD}.containers[0].env[1].value"][0] is Status.MAPPED
    assert "A: '2'" in result.blueprints[0].text
    assert any(":15: warning:" in w and "env[0]" in w for w in imported.warnings(result))
    renders_back(result, tmp_path)


OPTIONAL = """\
        env:
        - {name: KEY, valueFrom: {secretKeyRef: {name: psp, key: api-key, optional: true}}}
        - {name: PIN, valueFrom: {secretKeyRef: {name: psp, key: pin, optional: false}}}
        - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode, optional: true}}}
---
apiVersion: v1
kind: Secret
metadata: {name: psp, namespace: shop}
data: {api-key: eA==, pin: eA==}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: fast}
"""


def test_an_optional_secret_variable_becomes_required_with_a_warning(tmp_path: Path) -> None:
    """``secretKeyRef.optional: true`` has no blueprint field: left out with a warning that
    the variable becomes required (never filed as the secret's value); ``optional: false``
    is Kubernetes' default; an optional ConfigMap value is inlined, so always set."""
    result = import_text(tmp_path, _deployment(_main(OPTIONAL)), secret_store="aws")
    found = statuses(result)
    env = f"Deployment api: {POD}.containers[0].env"
    status, note = found[f"{env}[0].valueFrom.secretKeyRef.optional"]
    assert status is Status.LEFT_OUT
    assert "KEY becomes required" in note
    assert found[f"{env}[0].valueFrom.secretKeyRef.key"][0] is Status.SECRET
    assert found[f"{env}[1].valueFrom.secretKeyRef.optional"] == (
        Status.DEFAULT,
        "Kubernetes' default",
    )
    status, note = found[f"{env}[2].valueFrom.configMapKeyRef.optional"]
    assert status is Status.CHANGED
    assert "always set" in note
    warned = "\n".join(imported.warnings(result))
    assert ":15: warning:" in warned
    assert "secretKeyRef.optional: kgen's secrets have no optional" in warned
    renders_back(result, tmp_path)


WHOLE = """\
        env:
        - {name: LEVEL, value: debug}
        envFrom:
        - secretRef: {name: creds, optional: true}
        - prefix: CFG_
          configMapRef: {name: settings}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
data: {DATABASE_URL: eA==, LEVEL: eA==}
stringData: {SECRET_KEY: hidden-value}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {MODE: fast}
"""


def _env_of(rendered: dict[tuple[str, str], Any], kind: str, name: str) -> dict[str, Any]:
    pod = rendered[(kind, name)]["spec"]
    pod = pod["jobTemplate"]["spec"] if kind == "CronJob" else pod
    env = pod["template"]["spec"]["containers"][0].get("env", [])
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in env}


def test_every_key_of_a_secret_becomes_a_variable_read_from_the_store(tmp_path: Path) -> None:
    """``envFrom: secretRef`` is the blueprint's ``secrets`` entry for that Secret, each of
    its keys (names from the input, never values) a variable of its name; a variable the
    container sets itself wins; ``optional`` is left out (the variables become required);
    a ConfigMap's prefix goes into each inlined variable's name."""
    result = import_text(tmp_path, _deployment(_main(WHOLE)), secret_store="aws")
    text = result.blueprints[0].text
    assert "hidden-value" not in text
    assert "key: shop/creds" in text
    found = statuses(result)
    source = f"Deployment api: {POD}.containers[0].envFrom"
    status, note = found[f"{source}[0].secretRef.name"]
    assert status is Status.SECRET
    assert "every key of Secret creds (DATABASE_URL, SECRET_KEY)" in note
    assert "LEVEL set otherwise" in note
    status, note = found[f"{source}[0].secretRef.optional"]
    assert status is Status.LEFT_OUT
    assert "every variable of Secret creds becomes required" in note
    assert found[f"{source}[1].prefix"][0] is Status.CHANGED
    assert found["ConfigMap settings: data.MODE"][0] is Status.MAPPED
    status, note = found["Secret creds: data.DATABASE_URL"]
    assert status is Status.SECRET
    assert "secret store aws at key shop/creds" in note
    rendered = renders_back(result, tmp_path)
    env = _env_of(rendered, "Deployment", "api")
    assert env["LEVEL"] == "debug"
    assert env["CFG_MODE"] == "fast"
    for key in ("DATABASE_URL", "SECRET_KEY"):
        assert env[key]["secretKeyRef"]["key"] == key, env


BILLING = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: billing-web, namespace: billing}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: ghcr.io/acme/billing:5.2.0
        command: [gunicorn, billing.wsgi]
        ports: [{name: http, containerPort: 8000}]
        envFrom: [{secretRef: {name: billing-env}}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: billing-migrate, namespace: billing}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: ghcr.io/acme/billing:5.2.0
        command: [python, manage.py, migrate]
        envFrom: [{secretRef: {name: billing-env}}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: billing-backup, namespace: billing}
spec:
  schedule: "15 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: backup
            image: ghcr.io/acme/billing:5.2.0
            command: [python, manage.py, dbbackup]
            envFrom: [{secretRef: {name: billing-env}}]
---
apiVersion: v1
kind: Secret
metadata: {name: billing-env, namespace: billing}
stringData: {DATABASE_URL: "postgres://x", SECRET_KEY: abc}
"""


def test_a_monolith_s_processes_migration_and_schedules_keep_a_whole_secret(
    tmp_path: Path,
) -> None:
    """The process, the migration and the schedule each read every key of the Secret:
    the Monolith's ``secrets`` entry gives them all every key, as the input did."""
    result = import_text(tmp_path, BILLING, secret_store="vault")
    assert [b.name for b in result.blueprints] == ["billing"]
    found = statuses(result)
    for path in (
        f"Deployment billing-web: {POD}.containers[0].envFrom[0].secretRef.name",
        f"Job billing-migrate: {POD}.containers[0].envFrom[0].secretRef.name",
        "CronJob billing-backup: spec.jobTemplate.spec.template.spec.containers[0]"
        ".envFrom[0].secretRef.name",
    ):
        assert found[path][0] is Status.SECRET, path
    rendered = renders_back(result, tmp_path)
    jobs = [name for kind, name in rendered if kind == "Job"]
    for kind, name in (
        ("Deployment", "billing-web"),
        ("Job", jobs[0]),
        ("CronJob", "billing-backup"),
    ):
        env = _env_of(rendered, kind, name)
        assert {"DATABASE_URL", "SECRET_KEY"} <= set(env), (kind, env)


def test_a_secret_no_imported_use_reads_is_left_out(tmp_path: Path) -> None:
    """A Secret read only by a sidecar's ``envFrom`` (which kgen cannot say): the entry is
    left out, and so is the Secret, saying that nothing imported reads it (not that the
    store now serves it); no secret store is needed then."""
    sidecar = (
        "      - name: proxy\n        image: envoyproxy/envoy:v1.30.0\n"
        "        ports: [{name: admin, containerPort: 9901}]\n"
        "        envFrom: [{secretRef: {name: proxy-env}}]\n"
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: proxy-env, namespace: shop}\n"
        "data: {TOKEN: eA==}\n"
    )
    result = import_text(tmp_path, _deployment(_main() + sidecar))
    found = statuses(result)
    status, note = found[f"Deployment api: {POD}.containers[1].envFrom[0].secretRef.name"]
    assert status is Status.LEFT_OUT
    assert "sidecar" in note
    status, note = found["Secret proxy-env: data.TOKEN"]
    assert status is Status.LEFT_OUT
    assert "no use of it is imported" in note
    renders_back(result, tmp_path)


def _process(name: str, command: str, container: str) -> str:
    return (
        f"---\napiVersion: apps/v1\nkind: Deployment\n"
        f"metadata:\n  name: {name}\n  namespace: shop\n"
        f"spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n"
        f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n"
        f"      containers:\n      - name: app\n        image: ghcr.io/acme/shop:1.2.3\n"
        f"        command: {command}\n{container}"
    )


def test_a_worker_with_a_liveness_probe_only_is_left_out_loudly(tmp_path: Path) -> None:
    """kgen probes every container, and one without a TCP port needs a liveness and a
    readiness probe of its own: a worker with only an exec liveness probe is left out
    whole, warned at its metadata.name line with the probe to add (its liveness
    command), and the summary counts it."""
    web = "        ports: [{name: http, containerPort: 8000}]\n"
    worker = "        livenessProbe:\n          exec: {command: [celery, inspect, ping]}\n"
    result = import_text(
        tmp_path,
        _process("shop-web", "[gunicorn]", web) + _process("shop-worker", "[celery]", worker),
    )
    assert [b.name for b in result.blueprints] == ["shop-web"]
    warned = [w for w in imported.warnings(result) if "shop-worker: <document>" in w]
    assert len(warned) == 1
    assert "in.yaml:21: warning: Deployment shop/shop-worker" in warned[0]  # at its name
    assert "it has no TCP port and no readinessProbe" in warned[0]
    assert "the whole workload is left out" in warned[0]
    assert 'readinessProbe: {exec: {command: ["celery", "inspect", "ping"]}}' in warned[0]
    assert "left out 1 workload whole (Deployment shop/shop-worker)" in imported.summary(result)


def test_a_misspelt_built_in_kind_is_left_out_with_a_did_you_mean(tmp_path: Path) -> None:
    """``kind: Servce`` at v1 is no kind Kubernetes serves: listed and left out (never
    guessed), with the kind it likely meant; a served kind kgen has no blueprint for
    keeps its plain reason."""
    others = (
        "---\napiVersion: v1\nkind: Servce\nmetadata: {name: api, namespace: shop}\n"
        "spec: {ports: [{port: 80}]}\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: one, namespace: shop}\n"
        "spec: {containers: [{name: a, image: busybox:1.36}]}\n"
    )
    result = import_text(tmp_path, _deployment(_main()) + others)
    found = statuses(result)
    status, note = found["Servce api: kind"]
    assert status is Status.LEFT_OUT
    assert note == (
        "Kubernetes 1.33 serves no kind 'Servce' at v1 (a typo? did you mean 'Service'?): "
        "left out, never guessed"
    )
    assert found["Pod one: kind"] == (Status.LEFT_OUT, "kgen has no blueprint for a Pod")


def test_a_cronjob_without_backoff_limit_keeps_kubernetes_default(tmp_path: Path) -> None:
    """A CronJob without backoffLimit retries six times (Kubernetes' default): the
    schedule writes 6 out, and the report gives that reason, not kgen's job defaults."""
    cronjob = (
        "---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: shop-backup, namespace: shop}\n"
        "spec:\n  schedule: '15 2 * * *'\n  jobTemplate:\n    spec:\n      template:\n"
        "        spec:\n          restartPolicy: Never\n          containers:\n"
        "          - name: backup\n            image: ghcr.io/acme/shop:1.2.3\n"
        "            command: [backup]\n"
    )
    web = "        ports: [{name: http, containerPort: 8000}]\n"
    result = import_text(tmp_path, _process("shop-web", "[serve]", web) + cronjob)
    assert "backoffLimit: 6" in result.blueprints[0].text
    reasons = {a.reason for a in result.additions if a.kind == "CronJob"}
    assert (
        "Kubernetes' default (6 retries), which the input had by leaving backoffLimit out: "
        "written out, as kgen's own default is fewer"
    ) in reasons
    assert not any("kgen's job defaults: a few retries" in r for r in reasons)


def test_a_manifest_over_the_node_limit_says_the_limit_is_per_manifest(
    tmp_path: Path, kgen: RunKgen
) -> None:
    """A 5,000-variable Deployment is over the node limit of one document: the error
    calls it a manifest and says no single resource may exceed the limit (splitting the
    input into runs would not help)."""
    env = "".join(f"        - {{name: V{i}, value: x}}\n" for i in range(5000))
    source = tmp_path / "big.yaml"
    source.write_text(_deployment(_main("        env:\n" + env)), encoding="utf-8")
    done = kgen("import", str(source), "-o", str(tmp_path / "out"))
    assert done.exit_code == 1
    assert "one manifest (document) expands to more than 10,000 nodes" in done.stderr
    assert "no single resource may exceed it" in done.stderr
    assert "blueprint" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_numbers_the_api_server_refuses_are_errors_at_their_line(
    tmp_path: Path, kgen: RunKgen
) -> None:
    """A port above 65535, a negative number of replicas and ``replicas: 2.0`` pass the
    upstream schema but not the API server: each is an error at its line, exit 1, and
    nothing is written."""
    cases = {
        "port": ("containerPort: 8080", "containerPort: 70000", ":12:", "70000 is not a port"),
        "negative": ("name: api, namespace: shop}\nspec:\n", "name: api, namespace: shop}\n"
                     "spec:\n  replicas: -1\n", ":5:", "-1 is not a number of replicas"),
        "float": ("name: api, namespace: shop}\nspec:\n", "name: api, namespace: shop}\n"
                  "spec:\n  replicas: 2.0\n", ":5:", "2.0 is not of type 'integer'"),
        "service": ("", "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: "
                    "shop}\nspec:\n  selector: {app: api}\n  ports: [{port: 0}]\n", ":20:",
                    "0 is not a port number"),
    }  # fmt: skip
    for name, (old, new, line, message) in cases.items():
        text = _deployment(_main())
        text = text.replace(old, new, 1) if old else text + new
        source = tmp_path / f"{name}.yaml"
        source.write_text(text, encoding="utf-8")
        done = kgen("import", str(source), "-o", str(tmp_path / name))
        assert done.exit_code == 1, (name, done.stderr)
        assert f"{name}.yaml{line}" in done.stderr, (name, done.stderr)
        assert message in done.stderr, (name, done.stderr)
        assert not (tmp_path / name).exists()


def test_a_left_out_rule_from_another_namespace_says_its_traffic_is_denied(
    tmp_path: Path,
) -> None:
    """A NetworkPolicy rule admitting every pod of namespace ingress-nginx has no
    blueprint field: left out, with a warning that kgen's policy now denies that traffic
    (as the opposite case warns that kgen admits what the input denied)."""
    policy = (
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: api, namespace: shop}\n"
        "spec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n"
        "  ingress:\n  - from:\n    - namespaceSelector:\n"
        "        matchLabels: {kubernetes.io/metadata.name: ingress-nginx}\n"
        "    ports: [{port: 8080}]\n"
    )
    result = import_text(tmp_path, _deployment(_main()) + policy)
    found = statuses(result)
    status, note = found["NetworkPolicy api: spec.ingress[0].from[0].namespaceSelector"
                         ".matchLabels[\"kubernetes.io/metadata.name\"]"]  # fmt: skip
    assert status is Status.LEFT_OUT
    assert "now denies traffic from namespace ingress-nginx to api" in note
    status, note = found["NetworkPolicy api: spec.ingress[0].ports[0].port"]
    assert status is Status.LEFT_OUT
    assert "now denies traffic from those peers to api" in note
