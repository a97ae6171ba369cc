"""``kgen import`` of StatefulSets: a StatefulSet, its headless and client Services and its
claim templates become one StatefulApp.

The round trips import the StatefulSet examples of the Kubernetes documentation (nginx
``web``, a ZooKeeper ensemble), render the blueprints, build them with the real
``kubectl kustomize`` and compare field by field with the input, as tests/test_import.py
does for Deployments.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from kgen import api
from kgen.errors import InvalidInput
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.yamlio import parse_plain
from tests.conftest import REPO, RunKgen, require_tool
from tests.importing import mismatches, report, round_trip, unexplained

EXAMPLES = REPO / "tests" / "import"


def _warnings(result: ImportResult, folder: Path = REPO) -> list[str]:
    return [w.replace(str(folder) + "/", "") for w in imported.warnings(result)]


def _blueprints(result: ImportResult, folder: Path = REPO) -> str:
    return imported.to_stream(result).replace(str(folder) + "/", "")


@pytest.mark.parametrize(("example", "namespace"), [("web", "web"), ("zookeeper", "data")])
def test_kubernetes_examples_round_trip(
    example: str, namespace: str, tmp_path: Path, snapshot: SnapshotAssertion
) -> None:
    """The examples of the Kubernetes StatefulSet tutorials: each one StatefulApp whose
    mapped values render back where the report says."""
    kubectl = require_tool("kubectl")
    result = api.import_manifests([EXAMPLES / f"{example}.yaml"], namespace=namespace)
    assert [(b.namespace, b.name) for b in result.blueprints] == [
        (namespace, "web" if example == "web" else "zk")
    ]
    rendered = round_trip(result, tmp_path, kubectl)
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []
    assert report(result) == snapshot(name="report")
    assert _warnings(result) == snapshot(name="warnings")
    assert _blueprints(result) == snapshot(name="blueprints")


def test_only_a_headless_service(tmp_path: Path) -> None:
    """web.yaml has a headless Service and no client one: the StatefulApp says
    ``service.type: None``, so kgen renders only its headless Service (web-headless), with
    the port of the input's; the StatefulSet names it."""
    kubectl = require_tool("kubectl")
    result = api.import_manifests([EXAMPLES / "web.yaml"], namespace="web")
    (blueprint,) = parse_plain(result.blueprints[0].text)
    assert blueprint["spec"]["service"] == {"type": "None"}
    rendered = round_trip(result, tmp_path, kubectl)
    assert sorted(name for kind, name in rendered if kind == "Service") == ["web-headless"]
    headless = rendered["Service", "web-headless"]["spec"]
    assert (headless["clusterIP"], headless["ports"][0]["port"]) == ("None", 80)
    assert rendered["StatefulSet", "web"]["spec"]["serviceName"] == "web-headless"


def test_zookeeper_keeps_both_services(tmp_path: Path) -> None:
    """zk-hs (headless, the serviceName) becomes zk-headless and zk-cs (client) zk; the
    ports of both fold into the app's ports; the client one publishes only its own (the
    members' ports are published: false), the headless one every port."""
    kubectl = require_tool("kubectl")
    result = api.import_manifests([EXAMPLES / "zookeeper.yaml"], namespace="data")
    rendered = round_trip(result, tmp_path, kubectl)
    ports = {
        name: [p["port"] for p in rendered["Service", name]["spec"]["ports"]]
        for name in ("zk", "zk-headless")
    }
    assert ports == {"zk": [2181], "zk-headless": [2181, 2888, 3888]}
    assert rendered["PodDisruptionBudget", "zk"]["spec"]["maxUnavailable"] == 1


STATEFUL = """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data, labels: {team: storage}}
spec:
  serviceName: db-headless
  replicas: 3
  podManagementPolicy: Parallel
  minReadySeconds: 10
  revisionHistoryLimit: 10
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db, team: storage}}
    spec:
      securityContext: {runAsUser: 999, fsGroup: 999}
      containers:
      - name: db
        image: docker.io/library/postgres:17.2
        ports: [{name: pg, containerPort: 5432}]
        volumeMounts:
        - {name: data, mountPath: /var/lib/postgresql/data, readOnly: false}
        - {name: wal, mountPath: /var/lib/postgresql/wal, subPath: wal}
        - {name: run, mountPath: /var/run/postgresql}
      - name: exporter
        image: quay.io/prometheuscommunity/postgres-exporter:v0.16.0
        ports: [{name: metrics, containerPort: 9187}]
        volumeMounts:
        - {name: data, mountPath: /data, readOnly: true}
        - {name: logs, mountPath: /logs}
      volumes:
      - {name: run, emptyDir: {}}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce, ReadOnlyMany]
      storageClassName: gp3
      resources: {requests: {storage: 50Gi}}
  - apiVersion: v1
    kind: PersistentVolumeClaim
    metadata: {name: wal, labels: {tier: wal, app.kubernetes.io/name: db}}
    spec:
      accessModes: [ReadWriteOnce]
      volumeMode: Filesystem
      resources: {requests: {storage: 10Gi}}
    status: {phase: Pending}
  - metadata: {name: logs}
    spec: {resources: {requests: {storage: 1Gi}}}
  - metadata: {name: spare}
    spec: {resources: {requests: {storage: 1Gi}}, selector: {matchLabels: {disk: fast}}}
---
apiVersion: v1
kind: Service
metadata:
  name: db-headless
  namespace: data
  annotations: {example.com/owner: storage}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  selector: {app: db}
  ports: [{name: postgres, port: 5432, targetPort: pg}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: db, namespace: data}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}
  minReplicas: 3
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: data}
spec:
  serviceName: cache-peers
  updateStrategy: {type: OnDelete}
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers:
      - name: redis
        image: docker.io/library/redis:7.4.1
        ports: [{containerPort: 6379}]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOncePod], resources: {requests: {storage: 5Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: cache-peers, namespace: data}
spec:
  clusterIP: None
  publishNotReadyAddresses: false
  selector: {app: cache}
  ports: [{name: redis, port: 6379}]
---
apiVersion: v1
kind: Service
metadata: {name: cache-other, namespace: data}
spec:
  clusterIP: None
  selector: {app: cache}
  ports: [{port: 6380, targetPort: 6379}]
"""


def test_statefulsets_with_claims(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """A staged rollout (partition) and an OnDelete one; several claims: one mounted by the
    app (its second access mode has no field), one at a subPath (the whole volume is
    mounted: a warning), one a sidecar mounts and one nobody mounts (both left out); the
    revision limit and the retention policy kgen has no field for are patches; the HPA
    scales the StatefulSet."""
    kubectl = require_tool("kubectl")
    source = tmp_path / "stateful.yaml"
    source.write_text(STATEFUL, encoding="utf-8")
    result = api.import_manifests([source])
    assert [b.name for b in result.blueprints] == ["cache", "db"]
    text = _blueprints(result, tmp_path)
    assert text == snapshot(name="blueprints")
    warned = _warnings(result, tmp_path)
    assert warned == snapshot(name="warnings")
    rendered = round_trip(result, tmp_path, kubectl)
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []
    db = rendered["StatefulSet", "db"]["spec"]
    assert db["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    assert db["revisionHistoryLimit"] == 10
    assert db["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Delete"}
    assert [c["metadata"]["name"] for c in db["volumeClaimTemplates"]] == ["data", "wal"]
    assert "replicas" not in db  # the HPA sets them
    cache = rendered["StatefulSet", "cache"]["spec"]
    assert cache["updateStrategy"] == {"type": "OnDelete"}
    assert cache["volumeClaimTemplates"][0]["spec"]["accessModes"] == ["ReadWriteOncePod"]
    assert rendered["Service", "cache-headless"]["spec"]["publishNotReadyAddresses"] is False
    assert ("Service", "cache") not in rendered
    for expected in (
        "spec.volumeClaimTemplates[3]: the app's container does not mount the claim spare",
        "spec.template.spec.containers[1].volumeMounts[1]: no blueprint field for a "
        "sidecar's volumes",
        "spec.template.spec.containers[0].volumeMounts[1].subPath: kgen mounts the whole "
        "volume at mountPath",
        "spec.volumeClaimTemplates[0].spec.accessModes[1]: kgen's storage takes one access mode",
        "Service data/cache-other: <document>: a second Service of StatefulSet cache",
    ):
        assert any(expected in w for w in warned), expected
    assert (
        'spec.volumeClaimTemplates[1].metadata.labels["app.kubernetes.io/name"]: changed (kgen '
        "labels each claim with the app's selector labels)"
    ) in report(result)


BAD: dict[str, str] = {
    "no-containers.yaml": (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: data}\n"
        "spec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n"
        "  template:\n    metadata: {labels: {app: db}}\n"
        "    spec:\n      containers: []\n"
    ),
    "claim-without-size.yaml": (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: data}\n"
        "spec:\n  selector: {matchLabels: {app: db}}\n"
        "  template:\n    metadata: {labels: {app: db}}\n"
        "    spec:\n      containers:\n      - name: db\n        image: nginx:1.27.3\n"
        "        ports: [{containerPort: 80}]\n"
        "        volumeMounts: [{name: data, mountPath: /data}]\n"
        "  volumeClaimTemplates:\n  - metadata: {name: data}\n"
        "    spec: {accessModes: [ReadWriteOnce]}\n"
    ),
    "claim-without-name.yaml": (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: data}\n"
        "spec:\n  selector: {matchLabels: {app: db}}\n"
        "  template:\n    metadata: {labels: {app: db}}\n"
        "    spec:\n      containers:\n      - name: db\n        image: nginx:1.27.3\n"
        "        ports: [{containerPort: 80}]\n"
        "  volumeClaimTemplates:\n  - spec: {resources: {requests: {storage: 1Gi}}}\n"
    ),
    "same-name.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: api}}\n"
        "  template:\n    metadata: {labels: {app: api}}\n"
        "    spec:\n      containers: [{name: api, image: 'nginx:1.27.3'}]\n"
        "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: api-db}}\n"
        "  template:\n    metadata: {labels: {app: api-db}}\n"
        "    spec:\n      containers: [{name: db, image: 'redis:7.4.1'}]\n"
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input(name: str, kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    (tmp_path / name).write_text(BAD[name], encoding="utf-8")
    run = kgen("import", name, "-o", "out", cwd=tmp_path)
    assert run.exit_code == 1
    assert not (tmp_path / "out").exists()
    assert run.stderr == snapshot


ODD = {
    "claims a map": "  volumeClaimTemplates: {data: {}}\n",
    "claim a string": "  volumeClaimTemplates: [data]\n",
    "claim name a number": "  volumeClaimTemplates: [{metadata: {name: 7}}]\n",
    "size a map": (
        "  volumeClaimTemplates:\n  - metadata: {name: data}\n"
        "    spec: {resources: {requests: {storage: {a: 1}}}, accessModes: ReadWriteOnce}\n"
    ),
    "size huge": (
        "  volumeClaimTemplates:\n  - metadata: {name: data}\n"
        "    spec: {resources: {requests: {storage: 99999999999999999999999999999Ei}}}\n"
    ),
    "odd access modes": (
        "  volumeClaimTemplates:\n  - metadata: {name: data}\n"
        "    spec: {accessModes: [7, null], storageClassName: '', "
        "resources: {requests: {storage: 1Gi}}}\n"
    ),
    "strategy a list": "  updateStrategy: [OnDelete]\n",
    "strategy Recreate": "  updateStrategy: {type: Recreate, rollingUpdate: 3}\n",
    "partition a word": "  updateStrategy: {rollingUpdate: {partition: half}}\n",
    "partition huge": "  updateStrategy: {rollingUpdate: {partition: 99999999999999999999}}\n",
    "service name a list": "  serviceName: [db]\n",
    "replicas a word": "  replicas: three\n",
    "policy odd": "  podManagementPolicy: Sometimes\n  persistentVolumeClaimRetentionPolicy: 5\n",
    "retention odd": "  persistentVolumeClaimRetentionPolicy: {whenDeleted: Never, x: [1]}\n",
}


@pytest.mark.parametrize("odd", sorted(ODD))
def test_odd_values_never_crash(odd: str, tmp_path: Path) -> None:
    """Odd values are refused with a message, left out or kept as kgen accepts them: the
    import never crashes, and what it makes renders."""
    source = tmp_path / "odd.yaml"
    mount = "        volumeMounts: [{name: data, mountPath: /data}]\n"
    source.write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: data}\n"
        "spec:\n  selector: {matchLabels: {app: db}}\n"
        "  template:\n    metadata: {labels: {app: db}}\n"
        "    spec:\n      containers:\n      - name: db\n        image: nginx:1.27.3\n"
        "        ports: [{containerPort: 80}]\n" + mount + ODD[odd],
        encoding="utf-8",
    )
    try:
        result = api.import_manifests([source])
    except InvalidInput as error:
        assert error.problems
        return
    assert unexplained(result) == []
    imported.to_folder(result, tmp_path / "bp")
    assert api.build([tmp_path / "bp"]).documents
