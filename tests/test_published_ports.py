"""``ports[].published: false``: a port kept on the pod. The Service (and so its load
balancer) leaves it out, the NetworkPolicy opens it to no caller and no load balancer,
monitoring scrapes it with a PodMonitor, and a StatefulApp's pods still reach each other on
it through their headless Service."""

from __future__ import annotations

from typing import Any

from kgen.model import Document
from tests.helpers import microservice, rendered_documents, statefulapp

ADMIN = [{"name": "http", "port": 8080}, {"name": "admin", "port": 9901, "published": False}]


def _one(documents: list[Document], kind: str, name: str | None = None) -> dict[str, Any]:
    [found] = [d for d in documents if d.kind == kind and name in (None, d.name)]
    return dict(found.body)


def _service_ports(service: dict[str, Any]) -> list[tuple[str, int]]:
    return [(port["name"], port["port"]) for port in service["spec"]["ports"]]


def test_a_load_balancer_leaves_an_unpublished_port_out() -> None:
    documents = rendered_documents(
        microservice(
            ports=ADMIN,
            service={"type": "LoadBalancer"},
            probes={"readiness": {"http": {"path": "/ready", "port": "admin"}}},
        )
    )
    assert _service_ports(_one(documents, "Service")) == [("http", 8080)]
    # the pod still declares it, and the kubelet probes it
    deployment = _one(documents, "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert [p["containerPort"] for p in container["ports"]] == [8080, 9901]
    assert container["readinessProbe"]["httpGet"]["port"] == "admin"
    # the load balancer's rule (no from: any source) opens only the published port
    policy = _one(documents, "NetworkPolicy")["spec"]
    assert policy["ingress"] == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]


def test_monitoring_an_unpublished_port_is_a_pod_monitor() -> None:
    documents = rendered_documents(
        microservice(ports=ADMIN, monitoring={"port": "admin", "path": "/stats/prometheus"})
    )
    assert not [d for d in documents if d.kind == "ServiceMonitor"]
    monitor = _one(documents, "PodMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["spec"] == {
        "selector": {
            "matchLabels": {"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "api"}
        },
        "podMetricsEndpoints": [{"port": "admin", "path": "/stats/prometheus", "interval": "30s"}],
    }
    assert _service_ports(_one(documents, "Service")) == [("http", 8080)]
    prometheus = _one(documents, "NetworkPolicy")["spec"]["ingress"][-1]
    assert prometheus["ports"] == [{"port": 9901, "protocol": "TCP"}]
    assert prometheus["from"][0]["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": "prometheus"}
    }


def test_an_app_with_only_unpublished_ports_has_no_service() -> None:
    only = [{"name": "admin", "port": 9901, "published": False}]
    documents = rendered_documents(microservice(ports=only, monitoring={"port": "admin"}))
    assert not [d for d in documents if d.kind == "Service"]
    assert _one(documents, "PodMonitor")["spec"]["podMetricsEndpoints"][0]["port"] == "admin"


def test_a_statefulapps_members_keep_their_unpublished_ports() -> None:
    ports = [
        {"name": "client", "port": 2181},
        {"name": "server", "port": 2888, "published": False},
    ]
    documents = rendered_documents(statefulapp(ports=ports))
    assert _service_ports(_one(documents, "Service", "db")) == [("client", 2181)]
    headless = _one(documents, "Service", "db-headless")
    assert _service_ports(headless) == [("client", 2181), ("server", 2888)]
    policy = _one(documents, "NetworkPolicy")["spec"]
    itself = {"podSelector": policy["podSelector"]}
    members = [rule for rule in policy["ingress"] if rule.get("from") == [itself]]
    assert members == [
        {
            "from": [itself],
            "ports": [{"port": 2181, "protocol": "TCP"}, {"port": 2888, "protocol": "TCP"}],
        }
    ]


def test_a_caller_of_a_monolith_reaches_only_the_published_ports() -> None:
    text = """\
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata: {name: shop, namespace: shop}
spec:
  image: ghcr.io/example/shop:3.1.0
  processes:
    web:
      command: [serve]
      ports:
        - {name: http, port: 3000}
        - {name: debug, port: 6060, published: false}
---
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: api, namespace: shop}
spec:
  image: nginx:1.27.3
  ports: [{name: http, port: 8080}]
  dependsOn: [shop]
"""
    documents = rendered_documents(text)
    assert _service_ports(_one(documents, "Service", "shop-web")) == [("http", 3000)]
    egress = _one(documents, "NetworkPolicy", "api")["spec"]["egress"]
    assert egress[-1]["ports"] == [{"port": 3000, "protocol": "TCP"}]
