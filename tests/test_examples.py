"""Golden tests: the example blueprints, one small blueprint per kind, the committed ``out/``
folder, determinism and environments.

Snapshots are plain YAML files under ``__snapshots__/test_examples/``; review them like any
other manifest. Update with ``pytest tests/test_examples.py --snapshot-update``, and after a
change to kgen or to ``blueprints/`` also run ``kgen render blueprints -o out`` from the repo
root (``test_committed_out_folder_is_current`` fails until you do).
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from kgen.load import load_paths
from tests.conftest import RunKgen, write_blueprint


class YamlSnapshot(SingleFileSnapshotExtension):
    """One readable ``.yaml`` file per snapshot, byte for byte what kgen printed."""

    _write_mode = WriteMode.TEXT
    file_extension = "yaml"


@pytest.fixture
def yaml_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(YamlSnapshot)


# --- the example blueprints ----------------------------------------------------------------


def test_example_blueprints_render(
    kgen: RunKgen, repo: Path, yaml_snapshot: SnapshotAssertion
) -> None:
    result = kgen("render", "blueprints", cwd=repo)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == yaml_snapshot


def test_example_blueprints_validate(kgen: RunKgen, repo: Path) -> None:
    result = kgen("validate", "blueprints", cwd=repo)
    assert result.exit_code == 0, result.stderr
    # as written, plus each declared environment (prod, staging)
    assert (
        result.stderr
        == "kgen: ok: 16 blueprints, as written and in every environment (prod, staging)\n"
    )


def test_examples_cover_every_kind_and_teach_what_they_claim(repo: Path) -> None:
    """The examples are documentation: keep the features the README points at."""
    blueprints = list(_load_blueprints(repo / "blueprints"))
    kinds = {b["kind"] for b in blueprints}
    assert kinds == {"Microservice", "StatefulApp", "Monolith", "Cluster"}
    [cluster] = [b["spec"] for b in blueprints if b["kind"] == "Cluster"]
    assert len(cluster["availabilityZones"]) == 3
    groups = {g["name"]: g for g in cluster["nodeGroups"]}
    assert not groups["system"].get("spot") and not groups["system"].get("taints")
    assert groups["batch"]["spot"] and groups["batch"]["taints"][0]["effect"] == "NoSchedule"
    assert {c["preset"] for c in cluster["storageClasses"]} == {"ebs-gp3", "efs"}
    assert [s["provider"] for s in cluster["secretStores"]] == ["aws-secrets-manager"]
    assert "acme" in cluster["issuers"][0]
    workloads = [b for b in blueprints if b["kind"] != "Cluster"]
    assert {n["name"] for n in cluster["namespaces"] if "quota" in n} == {
        b["metadata"]["namespace"] for b in workloads
    }, "a quota for every example namespace"
    services = [b for b in blueprints if b["kind"] == "Microservice"]
    assert len(services) >= 8, "an Online-Boutique-sized shop"
    assert any("ingress" in b["spec"] for b in blueprints)
    assert any(
        b["kind"] == "StatefulApp" and "backup" in b["spec"] and "secrets" in b["spec"]
        for b in blueprints
    ), "a database with backups and external secrets"
    assert any(
        any("queue" in m for m in b["spec"].get("autoscaling", {}).get("metrics", []))
        and "awsPolicies" in b["spec"].get("serviceAccount", {})
        and b["spec"].get("placement", {}).get("nodeGroup") == "batch"
        for b in services
    ), "a KEDA queue worker with IRSA from the Cluster, on the spot group"
    assert any(
        b["kind"] == "Monolith"
        and {"migrations", "schedules", "sharedStorage"} <= set(b["spec"])
        and len(b["spec"]["processes"]) > 1
        for b in blueprints
    ), "the Monolith with processes, migrations, schedules and shared storage"
    assert all(b["metadata"]["namespace"] != "default" for b in workloads)
    assert any("@sha256:" in b["spec"]["image"] for b in workloads)
    assert any("environments" in b for b in blueprints)
    files = sorted(p.relative_to(repo / "blueprints").as_posix() for p in _yaml_files(repo))
    assert any("/" in f for f in files), "a subfolder shows that folders are read recursively"
    assert any(
        (repo / "blueprints" / f).read_text(encoding="utf-8").count("\n---\n") for f in files
    ), "one file holds several blueprints"


def _yaml_files(repo: Path) -> list[Path]:
    return [p for p in (repo / "blueprints").rglob("*") if p.suffix in (".yaml", ".yml")]


def _load_blueprints(folder: Path) -> Iterator[dict[str, Any]]:
    """The blueprints as kgen reads them (shared defaults merged in)."""
    blueprints, problems = load_paths([folder])
    assert problems == []
    for blueprint in blueprints:
        yield dict(blueprint.data)


# --- one small blueprint per kind, every core field ----------------------------------------

MINIMAL_MICROSERVICE = """\
# Nothing but the required fields: shows every default kgen fills in.
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: hello
  namespace: demo
spec:
  image: ghcr.io/example/hello:1.0.0
  ports:
    - name: http
      port: 8080
"""

MICROSERVICE = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: api
  namespace: shop
  labels:
    team: checkout
    example.com/tier: backend
  annotations:
    example.com/owner: checkout@example.com
spec:
  image: ghcr.io/example/api:2.3.1
  command: [/app/api]
  args: [--config, /etc/api/config.yaml, --verbose]
  replicas: 3
  ports:
    - name: http
      port: 8080
      servicePort: 80
    - name: grpc
      port: 9090
    - name: stats
      port: 8125
      protocol: UDP
  service:
    type: LoadBalancer
    internal: true
    annotations:
      service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled: "true"
  env:
    LOG_LEVEL: info
    WORKERS: 4
    RATIO: 0.75
    FEATURE_X: true
    DEBUG: false
    GREETING: "yes"
  resources:
    cpu: 250m
    memory: 256Mi
    limits:
      cpu: 1
      memory: 512Mi
  probes:
    startup:
      http: {path: /startup, port: http}
      initialDelaySeconds: 5
      periodSeconds: 2
      timeoutSeconds: 1
      failureThreshold: 60
    liveness:
      tcp: {port: 8080}
    readiness:
      grpc: {port: grpc, service: api.v1.Api}
      periodSeconds: 5
"""

#: Every field that shapes configuration, identity, the pod and exposure.
MICROSERVICE_COMPLETE = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: storefront
  namespace: shop
spec:
  image: ghcr.io/example/storefront@<DIGEST>
  ports:
    - {name: http, port: 8080}
  env:
    DATABASE_URL: postgres://storefront:$(DB_PASSWORD)@db.data:5432/shop
  configFiles:
    /etc/nginx/conf.d/default.conf: |
      server {
        listen 8080;
        location / { proxy_pass http://127.0.0.1:3000; }
      }
    /etc/storefront/features.json: '{"checkout": true}'
  secrets:
    - name: db
      store: aws-secrets
      key: prod/shop/storefront-db
      env: {DB_PASSWORD: password}
    - name: signing
      store: vault
      key: kv/data/shop/signing
      mountPath: /etc/storefront/keys
      refreshInterval: 15m
  serviceAccount:
    awsRoleArn: arn:aws:iam::123456789012:role/storefront
  podAnnotations:
    example.com/profile: "true"
  terminationGracePeriodSeconds: 45
  securityContext: {runAsUser: 101, runAsGroup: 101, fsGroup: 101}
  writablePaths: [/var/cache/nginx, /var/run]
  initContainers:
    - name: assets
      image: ghcr.io/example/storefront-assets:1.4.0
      command: [cp, -r, /assets, /tmp/assets]
      resources: {cpu: 50m, memory: 32Mi}
  sidecars:
    - name: statsd
      image: ghcr.io/example/statsd-exporter:0.27.1
      ports: [{name: metrics, port: 9102}]
      env: {STATSD_LISTEN: ":9125"}
      resources: {cpu: 50m, memory: 64Mi}
  probes:
    readiness:
      http:
        path: /healthz
        port: http
        httpHeaders: [{name: Host, value: shop.example.com}]
  ingress:
    host: shop.example.com
    tls: {certificateArn: "<CERTIFICATE>"}
  autoscaling:
    minReplicas: 3
    maxReplicas: 12
    cpu: 70
    metrics: [{pods: {name: http_requests_per_second, averageValue: 50}}]
  disruptionBudget: {minAvailable: "50%"}
  rollout: {maxSurge: "25%", maxUnavailable: 0}
  minReadySeconds: 5
  priorityClassName: shop-critical
  placement: {nodeGroup: general}
""".replace("<DIGEST>", "sha256:" + "0123456789abcdef" * 4).replace(
    "<CERTIFICATE>",
    "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
)

STATEFULAPP = """\
apiVersion: kgen.dev/v1alpha1
kind: StatefulApp
metadata:
  name: queue
  namespace: data
spec:
  image: ghcr.io/acme/queue@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  replicas: 3
  podManagementPolicy: Parallel
  ports:
    - name: amqp
      port: 5672
      nodePort: 30672
    - name: cluster
      port: 25672
  service:
    type: NodePort
  env:
    CLUSTER_SIZE: 3
  resources:
    cpu: "0.5"
    memory: 1Gi
    limits:
      memory: 2Gi
  probes:
    liveness:
      grpc: {port: 5672}
      failureThreshold: 6
    readiness:
      exec: [queue-ctl, ping]
      timeoutSeconds: 10
  rollout: {partition: 2}
  disruptionBudget: {maxUnavailable: 1}
  storage:
    - name: data
      size: 20Gi
      class: gp3
      accessMode: ReadWriteOncePod
      mountPath: /var/lib/queue
    - name: shared
      size: 500Mi
      class: efs.example.com
      accessMode: ReadWriteMany
      mountPath: /shared
"""

MONOLITH = """\
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata:
  name: shopapp
  namespace: shop
spec:
  image: registry.example.com/shop/app:7.2.0
  env:
    APP_ENV: production
    WEB_CONCURRENCY: 2
    SHARED_FLAG: true
  resources:
    cpu: 200m
    memory: 384Mi
    limits:
      memory: 768Mi
  processes:
    web:
      command: [bin/web]
      args: [--port, "3000"]
      replicas: 4
      ports:
        - name: http
          port: 3000
          servicePort: 80
      env:
        WEB_CONCURRENCY: 4
    cluster:
      command: [bin/cluster-node]
      replicas: 3
      ports:
        - name: gossip
          port: 7946
      service:
        type: None
    worker:
      command: [bin/worker]
      replicas: 1
      resources:
        cpu: 1
        limits:
          cpu: 2
      env:
        QUEUES: default,mailers
      probes:
        liveness:
          exec: [bin/worker-alive]
          periodSeconds: 30
        readiness:
          exec: [bin/worker-alive]
"""


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("microservice-minimal", MINIMAL_MICROSERVICE, id="microservice-minimal"),
        pytest.param("microservice", MICROSERVICE, id="microservice"),
        pytest.param("microservice-complete", MICROSERVICE_COMPLETE, id="microservice-complete"),
        pytest.param("statefulapp", STATEFULAPP, id="statefulapp"),
        pytest.param("monolith", MONOLITH, id="monolith"),
    ],
)
def test_kind_renders(
    kgen: RunKgen, tmp_path: Path, yaml_snapshot: SnapshotAssertion, name: str, text: str
) -> None:
    write_blueprint(tmp_path, f"{name}.yaml", text)
    result = kgen("render", f"{name}.yaml", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == yaml_snapshot


def test_microservice_fields_reach_the_output(kgen: RunKgen, tmp_path: Path) -> None:
    """Spot checks on the snapshot above, so a wrong snapshot cannot be accepted blindly."""
    write_blueprint(tmp_path, "api.yaml", MICROSERVICE)
    docs = _by_kind(kgen("render", "api.yaml", cwd=tmp_path).stdout)
    service = docs["Service"]
    annotations = service["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
    assert service["spec"]["type"] == "LoadBalancer"
    assert [(p["name"], p["port"], p["protocol"]) for p in service["spec"]["ports"]] == [
        ("http", 80, "TCP"),
        ("grpc", 9090, "TCP"),
        ("stats", 8125, "UDP"),
    ]
    container = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "DEBUG": "false",
        "FEATURE_X": "true",
        "GREETING": "yes",
        "LOG_LEVEL": "info",
        "RATIO": "0.75",
        "WORKERS": "4",
    }
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "512Mi"},
    }
    assert container["startupProbe"]["httpGet"] == {"path": "/startup", "port": "http"}
    assert container["livenessProbe"] == {"tcpSocket": {"port": 8080}}
    # Kubernetes wants a number for a gRPC probe port: kgen resolves the name.
    assert container["readinessProbe"]["grpc"] == {"port": 9090, "service": "api.v1.Api"}


def test_statefulapp_fields_reach_the_output(kgen: RunKgen, tmp_path: Path) -> None:
    write_blueprint(tmp_path, "queue.yaml", STATEFULAPP)
    stdout = kgen("render", "queue.yaml", cwd=tmp_path).stdout
    services = {
        d["metadata"]["name"]: d for d in yaml.safe_load_all(stdout) if d and d["kind"] == "Service"
    }
    assert services["queue"]["spec"]["type"] == "NodePort"
    assert services["queue"]["spec"]["ports"][0]["nodePort"] == 30672
    assert services["queue-headless"]["spec"]["clusterIP"] == "None"
    assert all("nodePort" not in p for p in services["queue-headless"]["spec"]["ports"])
    (statefulset,) = [d for d in yaml.safe_load_all(stdout) if d and d["kind"] == "StatefulSet"]
    claims = statefulset["spec"]["volumeClaimTemplates"]
    assert [
        (c["metadata"]["name"], c["spec"]["accessModes"], c["spec"].get("storageClassName"))
        for c in claims
    ] == [("data", ["ReadWriteOncePod"], "gp3"), ("shared", ["ReadWriteMany"], "efs.example.com")]
    assert statefulset["spec"]["podManagementPolicy"] == "Parallel"
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"  # pinned by digest
    assert {"name": "data", "mountPath": "/var/lib/queue"} in container["volumeMounts"]


def test_monolith_fields_reach_the_output(kgen: RunKgen, tmp_path: Path) -> None:
    write_blueprint(tmp_path, "shopapp.yaml", MONOLITH)
    documents = [d for d in yaml.safe_load_all(kgen("render", "shopapp.yaml", cwd=tmp_path).stdout)]
    names = sorted((d["kind"], d["metadata"]["name"]) for d in documents if d)
    assert names == [
        ("Deployment", "shopapp-cluster"),
        ("Deployment", "shopapp-web"),
        ("Deployment", "shopapp-worker"),
        ("NetworkPolicy", "shopapp-cluster"),
        ("NetworkPolicy", "shopapp-web"),
        ("NetworkPolicy", "shopapp-worker"),
        ("PodDisruptionBudget", "shopapp-cluster"),
        ("PodDisruptionBudget", "shopapp-web"),
        ("Service", "shopapp-cluster"),
        ("Service", "shopapp-web"),
        ("ServiceAccount", "shopapp"),
    ]
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in documents if d}
    assert by_name[("Service", "shopapp-cluster")]["spec"]["clusterIP"] == "None"
    worker = by_name[("Deployment", "shopapp-worker")]["spec"]["template"]["spec"]
    container = worker["containers"][0]
    assert {e["name"]: e["value"] for e in container["env"]} == {
        "APP_ENV": "production",
        "QUEUES": "default,mailers",
        "SHARED_FLAG": "true",
        "WEB_CONCURRENCY": "2",
    }
    assert container["resources"] == {
        "requests": {"cpu": "1", "memory": "384Mi"},
        "limits": {"cpu": "2", "memory": "768Mi"},
    }
    web = by_name[("Deployment", "shopapp-web")]["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "WEB_CONCURRENCY", "value": "4"} in web["env"]


def _by_kind(stream: str) -> dict[str, Any]:
    documents = [d for d in yaml.safe_load_all(stream) if d]
    by_kind = {d["kind"]: d for d in documents}
    assert len(by_kind) == len(documents), "one document per kind expected"
    return by_kind


# --- the committed out/ folder -------------------------------------------------------------


def test_committed_out_folder_is_current(kgen: RunKgen, repo: Path) -> None:
    """out/ is what `kgen render blueprints -o out` writes; re-run it after any change."""
    result = kgen("render", "blueprints", "-o", "out", "--check", cwd=repo)
    assert result.exit_code == 0, (
        "out/ is stale: run `kgen render blueprints -o out` from the repo root\n"
        + result.stdout
        + result.stderr
    )
    assert result.stdout == ""


def test_committed_environment_folders_are_current(kgen: RunKgen, repo: Path) -> None:
    """envs/ is what `kgen render blueprints -o envs --all-envs` writes: the example as a
    GitOps repository holds it, one folder per environment (gitops/ points Argo CD and
    Flux at them)."""
    result = kgen("render", "blueprints", "-o", "envs", "--all-envs", "--check", cwd=repo)
    assert result.exit_code == 0, (
        "envs/ is stale: run `kgen render blueprints -o envs --all-envs` from the repo root\n"
        + result.stdout
        + result.stderr
    )
    assert sorted(p.name for p in (repo / "envs").iterdir()) == ["prod", "staging"]


def _workspace(repo: Path, tmp_path: Path) -> Path:
    """A copy of the repository's blueprints/ and out/ side by side, as in a user's repo."""
    shutil.copytree(repo / "blueprints", tmp_path / "blueprints")
    shutil.copytree(repo / "out", tmp_path / "out")
    return tmp_path / "out"


def test_check_reports_drift(kgen: RunKgen, repo: Path, tmp_path: Path) -> None:
    out = _workspace(repo, tmp_path)
    edited = out / "shop" / "deployment-frontend.yaml"
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("replicas: 2", "replicas: 7"), encoding="utf-8"
    )
    (out / "data" / "service-zk-headless.yaml").unlink()
    # A file kgen wrote earlier (it is in the ownership record) that render no longer makes.
    (out / "shop" / "deployment-legacy.yaml").write_text(
        "# Generated by kgen; do not edit: change the blueprint and run kgen render.\n"
        "kind: Deployment\n",
        encoding="utf-8",
    )
    with (out / ".kgen-owned").open("a", encoding="utf-8") as record:
        record.write("shop/deployment-legacy.yaml\n")
    # A file somebody else keeps there: never kgen's business.
    (out / "README.md").write_text("Deployed by Argo CD.\n", encoding="utf-8")
    before = _snapshot_tree(out)

    result = kgen("render", "blueprints", "-o", "out", "--check", cwd=tmp_path)

    assert result.exit_code == 1
    diff = result.stdout
    assert "--- a/shop/deployment-frontend.yaml\n+++ b/shop/deployment-frontend.yaml\n" in diff
    assert "-  replicas: 7\n+  replicas: 2\n" in diff
    assert "--- /dev/null\n+++ b/data/service-zk-headless.yaml\n" in diff
    assert "--- a/shop/deployment-legacy.yaml\n+++ /dev/null\n" in diff
    assert "README.md" not in diff
    assert result.stderr.endswith("is not what render would write (3 to write, 1 to remove)\n")
    assert _snapshot_tree(out) == before, "--check writes nothing"


def test_render_into_copy_restores_it(kgen: RunKgen, repo: Path, tmp_path: Path) -> None:
    """After drift, a plain render brings the folder back to the committed out/."""
    out = _workspace(repo, tmp_path)
    (out / "data" / "statefulset-zk.yaml").unlink()
    (out / "README.md").write_text("kept\n", encoding="utf-8")
    result = kgen("render", "blueprints", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    (out / "README.md").unlink()
    assert _snapshot_tree(out) == _snapshot_tree(repo / "out")


def _snapshot_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- determinism ---------------------------------------------------------------------------


def test_render_twice_gives_identical_folders(kgen: RunKgen, repo: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert kgen("render", "blueprints", "-o", str(first), cwd=repo).exit_code == 0
    assert kgen("render", "blueprints", "-o", str(second), cwd=repo).exit_code == 0
    assert _snapshot_tree(first) == _snapshot_tree(second)
    comparison = filecmp.dircmp(first, second)
    assert not comparison.left_only and not comparison.right_only


def test_render_is_independent_of_hash_seed(repo: Path, tmp_path: Path) -> None:
    """Separate processes with different hash seeds (set and dict order of str) agree."""
    trees = []
    _workspace(repo, tmp_path)
    for seed in ("1", "2"):
        out = tmp_path / f"seed-{seed}"
        environ = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, "-c", "from kgen.cli import main; main()"]
        subprocess.run(
            [*command, "render", "blueprints", "-o", str(out)],
            cwd=tmp_path,
            env=environ,
            check=True,
            capture_output=True,
        )
        trees.append(_snapshot_tree(out))
    assert trees[0] == trees[1]
    assert trees[0] == _snapshot_tree(repo / "out")


# --- environments --------------------------------------------------------------------------


def _documents(stream: str) -> dict[tuple[str, str, str], Any]:
    return {
        (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d
        for d in yaml.safe_load_all(stream)
        if d
    }


def _changed(
    before: dict[tuple[str, str, str], Any], after: dict[tuple[str, str, str], Any]
) -> set[tuple[str, str, str]]:
    """The documents that differ, appear or go."""
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def _container(document: Any) -> Any:
    return document["spec"]["template"]["spec"]["containers"][0]


def test_env_prod_applies_the_prod_overrides(kgen: RunKgen, repo: Path) -> None:
    base = _documents(kgen("render", "blueprints", cwd=repo).stdout)
    result = kgen("render", "blueprints", "--env", "prod", cwd=repo)
    assert result.exit_code == 0, result.stderr
    prod = _documents(result.stdout)
    frontend = ("Deployment", "shop", "frontend")
    autoscaler = ("HorizontalPodAutoscaler", "shop", "frontend")
    assert _changed(base, prod) == {
        frontend,
        autoscaler,
        ("Deployment", "shop", "cartservice"),
        ("Deployment", "billing", "billing-web"),
        ("Deployment", "billing", "billing-worker"),
    }
    assert base[frontend]["spec"]["replicas"] == 2
    # In prod an autoscaler sets the number of frontend pods: the Deployment leaves it.
    assert "replicas" not in prod[frontend]["spec"]
    assert prod[autoscaler]["spec"]["minReplicas"] == 4
    # maps merge: the prod limit replaces one value and keeps the rest of resources
    assert _container(prod[frontend])["resources"] == {
        "requests": {"cpu": "100m", "memory": "64Mi"},
        "limits": {"cpu": "500m", "memory": "128Mi"},
    }
    assert prod[("Deployment", "shop", "cartservice")]["spec"]["replicas"] == 3
    assert prod[("Deployment", "billing", "billing-web")]["spec"]["replicas"] == 6
    assert prod[("Deployment", "billing", "billing-worker")]["spec"]["replicas"] == 4


def test_env_staging_replaces_lists(kgen: RunKgen, repo: Path) -> None:
    base = _documents(kgen("render", "blueprints", cwd=repo).stdout)
    staging = _documents(kgen("render", "blueprints", "--env", "staging", cwd=repo).stdout)
    redis = ("StatefulSet", "shop", "redis-cart")
    # One frontend pod in staging: no disruption budget, no zone spread.
    budget = ("PodDisruptionBudget", "shop", "frontend")
    assert _changed(base, staging) == {("Deployment", "shop", "frontend"), redis, budget}
    assert budget not in staging
    (claim,) = staging[redis]["spec"]["volumeClaimTemplates"]
    # `$patch: replace` replaced the whole storage list: no class, the smaller size
    assert claim["spec"]["resources"]["requests"]["storage"] == "256Mi"
    assert "storageClassName" not in claim["spec"]
    assert base[redis]["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "gp3"


def test_env_unknown_is_a_usage_error(kgen: RunKgen, repo: Path, tmp_path: Path) -> None:
    result = kgen("render", "blueprints", "--env", "prd", "-o", str(tmp_path / "out"), cwd=repo)
    assert result.exit_code == 2
    assert "'prd'" in result.stderr and "prod" in result.stderr
    assert not (tmp_path / "out").exists()
