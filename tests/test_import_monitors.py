"""A PodMonitor of the input: ``monitoring`` of the app whose pods it selects. kgen
renders a PodMonitor for a port its Service keeps off (``published: false``), and a
ServiceMonitor for a port the Service publishes (a sidecar's metrics port too)."""

from __future__ import annotations

from pathlib import Path

from kgen.importer import output as imported
from tests.importing import blueprint_of, import_text, renders_back

EDGE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: edge, namespace: net}
spec:
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec:
      containers:
        - name: edge
          image: envoyproxy/envoy:v1.31.0
          ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 9901}]
---
apiVersion: v1
kind: Service
metadata: {name: edge, namespace: net}
spec:
  selector: {app: edge}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: edge, namespace: net}
spec:
  selector: {matchLabels: {app: edge}}
  podMetricsEndpoints:
    - {port: admin, path: /stats/prometheus, interval: 15s}
"""

SIDECAR = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: net}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/example/api:1.0.0
          ports: [{name: http, containerPort: 8080}]
        - name: exporter
          image: ghcr.io/example/exporter:1.0.0
          ports: [{name: metrics, containerPort: 9121}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: net}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: api, namespace: net}
spec:
  selector: {matchLabels: {app: api}}
  podMetricsEndpoints: [{port: metrics}]
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api, namespace: net}
spec:
  groups: [{name: a, rules: [{alert: ApiDown, expr: up == 0, labels: {severity: critical}}]}]
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: nobody, namespace: net}
spec:
  selector: {matchLabels: {app: nobody}}
  podMetricsEndpoints: [{port: metrics}]
"""


def test_a_pod_monitor_of_an_unpublished_port_stays_a_pod_monitor(tmp_path: Path) -> None:
    result = import_text(tmp_path, EDGE)
    spec = blueprint_of(result)["spec"]
    assert spec["monitoring"] == {"port": "admin", "path": "/stats/prometheus", "interval": "15s"}
    assert spec["ports"][1] == {"name": "admin", "port": 9901, "published": False}
    rendered = renders_back(result, tmp_path)
    monitor = rendered[("PodMonitor", "edge")]
    assert monitor["spec"]["podMetricsEndpoints"] == [
        {"port": "admin", "path": "/stats/prometheus", "interval": "15s"}
    ]
    assert ("ServiceMonitor", "edge") not in rendered
    assert [p["port"] for p in rendered[("Service", "edge")]["spec"]["ports"]] == [80]


def test_a_pod_monitor_of_a_published_port_becomes_a_service_monitor(tmp_path: Path) -> None:
    """A sidecar's metrics port, which kgen's Service publishes for Prometheus: the report
    says the kind changed, and the alerts beside the monitor come along."""
    result = import_text(tmp_path, SIDECAR)
    spec = blueprint_of(result)["spec"]
    assert spec["monitoring"] == {
        "port": "metrics",
        "alerts": [{"name": "ApiDown", "expr": "up == 0", "severity": "critical"}],
    }
    kinds = {
        (line.resource.name, line.path): (line.entry.status.value, line.entry.note)
        for line in result.lines
        if line.resource.kind == "PodMonitor" and line.path == ("kind",)
    }
    assert kinds[("api", ("kind",))][1] == (
        "kgen scrapes a sidecar's port (metrics) with a ServiceMonitor, through the app's "
        "Service, which publishes it for Prometheus"
    )
    said = [w.split(": warning: ", 1)[1] for w in imported.warnings(result)]
    assert (
        "PodMonitor net/nobody: <document>: selects the pods of no workload of the input (by "
        "spec.selector.matchLabels, in a namespace its namespaceSelector names)"
    ) in said
    rendered = renders_back(result, tmp_path)
    assert rendered[("ServiceMonitor", "api")]["spec"]["endpoints"][0]["port"] == "metrics"
    assert ("PrometheusRule", "api") in rendered
