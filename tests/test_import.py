"""``kgen import``: manifests in, blueprints out, and back again.

The round trips import real manifests (Online Boutique's release, the chart ``helm create``
makes, with its Ingress), render the blueprints into a folder, build it with the real
``kubectl kustomize``, and compare field by field with the input: every input value the
import says it mapped comes back unchanged at the place it names, and every other value has
a status and a reason in the report (hardened, changed, a Kubernetes default, a patch, a
secret, left out).
What kgen adds beyond the input (its hardening, labels, probes, NetworkPolicies) is
snapshotted as a list of paths, for review.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from kgen import api
from kgen.importer import output as imported
from kgen.importer.additions import DOCUMENTED
from tests.conftest import REPO, RunKgen, require_tool
from tests.importing import mismatches, report, round_trip, unexplained

BOUTIQUE = REPO / "tests" / "import" / "online-boutique.yaml"


def test_online_boutique_round_trip(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    kubectl = require_tool("kubectl")
    result = api.import_manifests([BOUTIQUE], namespace="shop")
    assert [b.name for b in result.blueprints] == [
        "adservice", "cartservice", "checkoutservice", "currencyservice", "emailservice",
        "frontend", "paymentservice", "productcatalogservice", "recommendationservice",
        "redis-cart", "shippingservice",
    ]  # fmt: skip
    rendered = round_trip(result, tmp_path, kubectl)
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []
    assert report(result) == snapshot(name="report")
    assert [w.replace(str(REPO) + "/", "") for w in imported.warnings(result)] == snapshot(
        name="warnings"
    )
    assert imported.to_stream(result).replace(str(REPO) + "/", "") == snapshot(name="blueprints")


def test_helm_create_round_trip(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    helm, kubectl = require_tool("helm"), require_tool("kubectl")
    subprocess.run([helm, "create", "demo"], cwd=tmp_path, capture_output=True, check=True)
    done = subprocess.run(
        [helm, "template", "demo", "./demo", "--set", "ingress.enabled=true"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    manifests = tmp_path / "demo.yaml"
    manifests.write_text(done.stdout, encoding="utf-8")
    result = api.import_manifests([manifests], namespace="demo")
    assert [b.name for b in result.blueprints] == ["demo"]
    rendered = round_trip(result, tmp_path, kubectl)
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []
    assert report(result).replace(str(tmp_path) + "/", "") == snapshot(name="report")


def test_minimising_costs_little() -> None:
    """Leaving out what kgen would default renders each blueprint a few dozen times, in
    process and without the output checks: well under a second per blueprint."""
    result = api.import_manifests([BOUTIQUE], namespace="shop")
    assert result.renders < 30 * len(result.blueprints)
    assert result.seconds < 1.0 * len(result.blueprints)


def test_import_pipes_into_render(kgen: RunKgen, tmp_path: Path) -> None:
    """Without -o the blueprints are one stream that kgen render - reads; with -o a file
    each, never over a file that is there."""
    run = kgen("import", str(BOUTIQUE), "--namespace", "shop")
    assert run.exit_code == 0, run.stderr
    assert run.stdout.count("kind: Microservice") == 11
    assert "kgen: imported 11 blueprints" in run.stderr
    out = tmp_path / "bp"
    run = kgen("import", str(BOUTIQUE), "-n", "shop", "-o", str(out))
    assert run.exit_code == 0, run.stderr
    assert sorted(p.name for p in (out / "shop").iterdir())[:2] == [
        "adservice.yaml",
        "cartservice.yaml",
    ]
    (out / "shop" / "frontend.yaml").write_text("mine\n", encoding="utf-8")
    run = kgen("import", str(BOUTIQUE), "-n", "shop", "-o", str(out))
    assert run.exit_code == 2
    assert "frontend.yaml: exists; kgen import never writes over a file" in run.stderr
    assert (out / "shop" / "frontend.yaml").read_text(encoding="utf-8") == "mine\n"


BAD: dict[str, str] = {
    "not-yaml.yaml": "kind: Deployment\n  metadata: [\n",
    "not-kubernetes.yaml": "name: api\nimage: nginx:1.27\n",
    "no-containers.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n"
        "  template:\n    metadata: {labels: {app: api}}\n"
        "    spec:\n      containers: []\n"
    ),
    "no-namespace.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n"
    ),
    "default-namespace.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\n"
    ),
    "wrong-shape.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n"
        "  template:\n    metadata: {labels: {app: 5}}\n"
        "    spec:\n      containers:\n      - name: api\n        image: nginx:1.27.3\n"
        "        ports: http\n        env: {LOG: debug}\n"
    ),
    "refused-beyond-schema.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: Api_1, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n"
        "  template:\n    metadata: {labels: {app: web}}\n"
        "    spec:\n      containers:\n      - name: api\n        image: nginx:1.27.3\n"
        "        ports: [{name: http, containerPort: 80}, {name: http, containerPort: 81}]\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: 1api, namespace: shop}\n"
        "spec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"
    ),
    "refused-labels.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\n"
        '  labels: {team: "a\\nb", Example.com/team: web}\n'
        "spec:\n  selector: {matchLabels: {app: api.}}\n"
        "  template:\n    metadata: {labels: {app: api.}}\n"
        "    spec:\n      containers:\n      - name: api\n        image: nginx:1.27.3\n"
        "        ports: [{name: http, containerPort: 80}]\n"
    ),
    "null-item.yaml": (
        "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  selector: {app: api}\n  ports:\n  -\n  - {port: 80}\n"
    ),
    "no-name.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {namespace: shop}\nspec: {}\n"
    ),
    "ingress-wrong-shape.yaml": (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  rules: {host: api.example.com}\n"
        "  defaultBackend: {service: {name: api, port: {number: http}}}\n"
    ),
    "service-monitor-wrong-shape.yaml": (
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
        "metadata: {name: api, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n  endpoints: {port: metrics}\n"
    ),
    "api-version-not-served.yaml": (
        "apiVersion: mohan\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
        "spec: {}\n---\napiVersion: extensions/v1beta1\nkind: Deployment\n"
        "metadata: {name: web, namespace: shop}\nspec: {}\n"
    ),
    "container-names.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n"
        "  template:\n    metadata: {labels: {app: api}}\n    spec:\n"
        "      initContainers:\n      - {name: Init_Step, image: busybox:1.36.1}\n"
        "      containers:\n      - {name: main-, image: nginx:1.27.3}\n"
    ),
    "repeated-parts.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\n"
        "data: {MODE: first}\n---\napiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: cfg, namespace: shop}\ndata: {MODE: second}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
        "spec: {selector: {app: api}, ports: [{port: 80}]}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
        "spec: {selector: {app: api}, ports: [{port: 8080}]}\n"
    ),
    "secret-without-store.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n"
        "  template:\n    metadata: {labels: {app: api}}\n"
        "    spec:\n      containers:\n      - name: api\n        image: nginx:1.27.3\n"
        "        ports: [{containerPort: 8080}]\n"
        "        env:\n        - name: DB_PASSWORD\n"
        "          valueFrom: {secretKeyRef: {name: db, key: password}}\n"
    ),
}

#: Left out with a warning, not errors: unknown kinds, custom resources, kinds a later
#: version imports, a Service that selects nothing.
LISTED = (
    "apiVersion: v1\nkind: Service\nmetadata: {name: orphan, namespace: shop}\n"
    "spec: {selector: {app: nobody}, ports: [{port: 80}]}\n"
    "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\n"
    "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: shop}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n"
    "---\napiVersion: v1\nkind: List\nitems:\n"
    "- {apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: web, namespace: shop}}\n"
)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input(name: str, kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    (tmp_path / name).write_text(BAD[name], encoding="utf-8")
    run = kgen("import", name, "-o", "out", cwd=tmp_path)
    assert run.exit_code == 1
    assert not (tmp_path / "out").exists()
    assert run.stderr == snapshot


def test_unknown_kinds_are_listed_and_left_out(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    (tmp_path / "listed.yaml").write_text(LISTED, encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text("resources: [listed.yaml]\n", encoding="utf-8")
    run = kgen("import", ".", cwd=tmp_path)
    assert run.exit_code == 0
    assert run.stdout == ""
    assert run.stderr == snapshot


def test_default_namespace_flag_is_refused(kgen: RunKgen) -> None:
    run = kgen("import", str(BOUTIQUE), "--namespace", "default")
    assert run.exit_code == 2
    assert "--namespace 'default' is not allowed" in run.stderr


API = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {team: payments}}
spec:
  replicas: 3
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api, team: payments}
      annotations: {prometheus.io/scrape: "true"}
    spec:
      serviceAccountName: api
      dnsPolicy: Default
      hostNetwork: true
      securityContext: {runAsUser: 10002, fsGroup: 10002}
      containers:
      - name: api
        image: ghcr.io/acme/api:1.4.0
        args: [--serve]
        ports: [{name: http, containerPort: 8080}]
        env:
        - {name: LOG_LEVEL, value: info}
        - name: MODE
          valueFrom: {configMapKeyRef: {name: api-settings, key: mode}}
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: api-db, key: password}}
        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5}
        resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {memory: 512Mi}}
        volumeMounts:
        - {name: config, mountPath: /etc/api}
        - {name: cache, mountPath: /var/cache/api}
        - {name: tls, mountPath: /var/run/tls}
      volumes:
      - {name: config, configMap: {name: api-settings}}
      - {name: cache, emptyDir: {}}
      - {name: tls, secret: {secretName: api-tls}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: api-settings, namespace: shop}
data: {mode: fast, app.yaml: "port: 8080\\n"}
---
apiVersion: v1
kind: Secret
metadata: {name: api-db, namespace: shop}
stringData: {password: hunter2}
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
  annotations: {service.beta.kubernetes.io/aws-load-balancer-scheme: internal}
spec:
  type: LoadBalancer
  selector: {app: api}
  ports: [{name: web, port: 80, targetPort: http}]
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: shop
  annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/api"}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: api, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
  minReplicas: 3
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
"""


def test_a_deployment_with_what_it_owns(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """Every part folds into one Microservice; the secret values stay out of it; what no
    field says is a patch (dnsPolicy) or, when kgen's rules refuse the patch (hostNetwork
    undoes the hardening), left out with kgen's reason. Mapped values render back."""
    source = tmp_path / "api.yaml"
    source.write_text(API, encoding="utf-8")
    result = api.import_manifests([source], secret_store="aws-secrets")
    text = imported.to_stream(result).replace(str(tmp_path) + "/", "")
    assert "hunter2" not in text
    assert text == snapshot(name="blueprint")
    warned = [w.replace(str(tmp_path) + "/", "") for w in imported.warnings(result)]
    assert warned == snapshot(name="warnings")
    assert any(
        "dnsPolicy: no blueprint field; kept as a patch on Deployment api" in w for w in warned
    )
    imported.to_folder(result, tmp_path / "bp")
    built = api.build([tmp_path / "bp"])
    rendered = {(d.kind, d.name): d.body for d in built.documents}
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []


def test_report_never_writes_over_a_file_it_did_not_write(kgen: RunKgen, tmp_path: Path) -> None:
    """--report FILE writes a new file or an earlier report, checked before anything is
    written: a user's file, a link, or a missing folder is a usage error, and then no
    blueprint is written either."""
    run = kgen("import", str(BOUTIQUE), "-n", "shop", "--report", "report.txt", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    first = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert first.startswith("# kgen import report")
    assert "kgen adds NetworkPolicy shop/adservice" in first
    run = kgen("import", str(BOUTIQUE), "-n", "shop", "--report", "report.txt", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr  # an earlier report is replaced
    mine = tmp_path / "notes.txt"
    mine.write_text("my notes\n", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "report.txt")
    for name in ("notes.txt", "link.txt", "missing/report.txt"):
        run = kgen(
            "import", str(BOUTIQUE), "-n", "shop", "-o", "bp", "--report", name, cwd=tmp_path
        )
        assert run.exit_code == 2, (name, run.stderr)
        assert f"--report {name}:" in run.stderr
        assert not (tmp_path / "bp").exists()
    assert mine.read_text(encoding="utf-8") == "my notes\n"
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "notes.txt", "report.txt"]


def test_the_guide_lists_every_reason_kgen_adds_for() -> None:
    """docs/import.md gives the reasons of ``additions.DOCUMENTED``, in its order."""
    guide = (REPO / "docs" / "import.md").read_text(encoding="utf-8")
    listed = guide.split("The reasons kgen gives for what it adds:\n\n", 1)[1].split("\n\n")[0]
    reasons = list(dict.fromkeys(why for _, _, why in DOCUMENTED))
    assert [line.removeprefix("- ") for line in listed.splitlines()] == reasons


def test_report_is_never_a_blueprint_nor_a_folder(kgen: RunKgen, tmp_path: Path) -> None:
    """The report path is checked against the files -o is about to write, and for being a
    folder, before anything is written: a usage error, and nothing written at all."""
    (tmp_path / "bp" / "shop").mkdir(parents=True)
    (tmp_path / "reports").mkdir()
    for name, said in (
        ("bp/shop/frontend.yaml", "-o writes the blueprint bp/shop/frontend.yaml there"),
        ("bp/shop/../shop/adservice.yaml", "-o writes the blueprint bp/shop/adservice.yaml"),
        ("reports", "is a folder; name a file"),
    ):
        run = kgen(
            "import", str(BOUTIQUE), "-n", "shop", "-o", "bp", "--report", name, cwd=tmp_path
        )
        assert run.exit_code == 2, (name, run.stderr)
        assert f"--report {name}: {said}" in run.stderr
        assert list((tmp_path / "bp" / "shop").iterdir()) == []
        assert list((tmp_path / "reports").iterdir()) == []
