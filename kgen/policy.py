"""A NetworkPolicy for every workload unit, from the service graph: default deny in both
directions, then exactly the traffic the blueprints declare.

Ingress:
- from each unit that depends on this one, on the container ports it calls;
- from outside the pod network (load balancers, NodePorts, the ALB's IP targets) on the
  ports a NodePort or LoadBalancer Service or an Ingress exposes: from anywhere, on those
  ports only (a Cluster blueprint's VPC CIDR narrows this once that kind exists);
- from Prometheus (pods labelled ``app.kubernetes.io/name: prometheus``, any namespace)
  on the metrics port, when the unit is monitored;
- a StatefulApp's pods from each other, on their container ports, published or not
  (replicas of a database or an ensemble talk to their peers through the headless
  Service).

Egress: cluster DNS (kube-dns in kube-system, UDP and TCP 53); each unit this one depends
on, on the container ports it calls; the declared ``egress`` blocks and ports; a
StatefulApp's peers.

Peers are selected by the labels that never change and namespaces by
``kubernetes.io/metadata.name``. Rules are merged per peer and sorted: the same graph
gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kgen.graph import Port, ServiceGraph, container_ports, published_ports
from kgen.helpers import selector_labels
from kgen.units import Unit
from kgen.workloads import ingress_port, metrics_port

COMPONENT_LABEL = "app.kubernetes.io/component"
#: Cluster DNS as EKS (and most clusters) run it.
DNS_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
#: Prometheus as the prometheus-operator labels its pods, in whatever namespace it runs.
PROMETHEUS_PEER = {
    "namespaceSelector": {},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
}


def network_policy(unit: Unit, graph: ServiceGraph) -> dict[str, Any]:
    """The spec of the unit's NetworkPolicy."""
    ingress: list[dict[str, Any]] = [
        {"from": peers, "ports": ports}
        for peers, ports in _rules(((e.caller, e.ports) for e in graph.callers(unit)), graph)
    ]
    exposed = _exposed(unit)
    if exposed:
        ingress.append({"ports": _ports(exposed)})
    scraped = metrics_port(unit)
    if scraped is not None:
        port = {"port": int(scraped["port"]), "protocol": "TCP"}
        ingress.append({"from": [PROMETHEUS_PEER], "ports": [port]})
    own = container_ports(unit) if unit.workload == "StatefulSet" else ()
    itself = {"podSelector": {"matchLabels": unit.selector}}
    if own:
        ingress.append({"from": [itself], "ports": _ports(own)})
    egress: list[dict[str, Any]] = [{"to": [DNS_PEER], "ports": DNS_PORTS}]
    egress += [
        {"to": peers, "ports": ports}
        for peers, ports in _rules(((e.target, e.ports) for e in graph.targets(unit)), graph)
    ]
    if own:
        egress.append({"to": [itself], "ports": _ports(own)})
    for block in unit.get("egress", []):
        egress.append({"to": [{"ipBlock": {"cidr": block["cidr"]}}], "ports": _egress_ports(block)})
    return {
        "podSelector": {"matchLabels": unit.selector},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": ingress,
        "egress": egress,
    }


def _rules(
    ends: Iterable[tuple[Unit, Iterable[Port]]], graph: ServiceGraph
) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """The rules for the other ends of some edges: one per set of ports, each with one peer
    per app. A peer names the app's units by component, or the whole app when every unit
    of it is there: a policy grows with the apps it names, not with their processes."""
    ports_of: dict[Unit, set[tuple[int, str]]] = {}
    for other, found in ends:
        ports_of.setdefault(other, set()).update((p.number, p.protocol) for p in found)
    grouped: dict[tuple[tuple[int, str], ...], dict[tuple[str, str], list[Unit]]] = {}
    for other, numbers in ports_of.items():
        key = tuple(sorted(numbers))
        grouped.setdefault(key, {}).setdefault((other.namespace, other.app), []).append(other)
    rules = []
    for key in sorted(grouped):
        peers = [
            _peer(namespace, app, units, graph)
            for (namespace, app), units in sorted(grouped[key].items())
        ]
        rules.append((peers, [{"port": number, "protocol": proto} for number, proto in key]))
    return rules


def _peer(namespace: str, app: str, units: list[Unit], graph: ServiceGraph) -> dict[str, Any]:
    """The pods of ``units`` (all of one app), as a peer of a policy."""
    selector: dict[str, Any] = {"matchLabels": selector_labels(app)}
    components = sorted(str(unit.component) for unit in units if unit.component)
    if components and len(units) < len(graph.units_of_app(namespace, app)):
        selector["matchExpressions"] = [
            {"key": COMPONENT_LABEL, "operator": "In", "values": components}
        ]
    return {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
        "podSelector": selector,
    }


def _ports(ports: Iterable[Port]) -> list[dict[str, Any]]:
    """Container ports by number and protocol, once each, sorted."""
    unique = sorted({(port.number, port.protocol) for port in ports})
    return [{"port": number, "protocol": protocol} for number, protocol in unique]


def _exposed(unit: Unit) -> list[Port]:
    """The container ports traffic from outside the pod network reaches: every port of a
    NodePort or LoadBalancer Service, and the port an Ingress sends to."""
    ports = list(published_ports(unit))
    exposed: list[Port] = []
    service = unit.get("service", {})
    if service.get("type") in ("NodePort", "LoadBalancer"):
        exposed.extend(ports)
    if "ingress" in unit:
        target = ingress_port(unit)
        exposed.extend(p for p in ports if p.name == target["name"])
    return exposed


def _egress_ports(block: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = set()
    for port in block["ports"]:
        if isinstance(port, Mapping):
            found.add((int(port["port"]), str(port.get("protocol", "TCP"))))
        else:
            found.add((int(port), "TCP"))
    return [{"port": number, "protocol": protocol} for number, protocol in sorted(found)]
