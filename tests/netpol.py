"""A reader of NetworkPolicy semantics, for tests: which traffic do rendered policies allow?

It knows nothing of kgen. It reads rendered documents (plain dicts, as ``yaml.safe_load``
gives them): the pod templates of Deployments, StatefulSets, Jobs and CronJobs, and every
``networking.k8s.io/v1`` NetworkPolicy; and it answers, as the Kubernetes documentation
defines it, whether a connection from one endpoint to another on a port is allowed:

- A pod is isolated for ingress (egress) once any policy of its namespace selects it with
  ``Ingress`` (``Egress``) among its policy types; an isolated pod takes only what the
  union of those policies' rules allows. ``policyTypes`` left out means ``Ingress``, plus
  ``Egress`` when the policy has egress rules.
- A rule with no ``from`` (``to``) matches every peer; with no ``ports``, every port. A
  peer is a ``podSelector`` (pods of the policy's namespace), a ``namespaceSelector`` (all
  pods of those namespaces), both (those pods of those namespaces), or an ``ipBlock``
  (addresses outside the pod network here: an ipBlock never matches a pod, as on most
  network plugins, which see pod traffic by pod identity).
- A port is a number or a container port's name (resolved on the destination pod), with a
  protocol (TCP unless said) and an optional ``endPort``.
- A connection is allowed when the source may send it (egress) and the destination may
  take it (ingress).

Selectors take ``matchLabels`` and ``matchExpressions`` (In, NotIn, Exists, DoesNotExist);
an empty selector matches everything. Namespaces carry ``kubernetes.io/metadata.name``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob", "DaemonSet")


@dataclass(frozen=True)
class Pod:
    """The pods of one workload: where they run, their labels and their container ports."""

    workload: str  # "<Kind>/<namespace>/<name>"
    namespace: str
    labels: Mapping[str, str]
    #: (name or "", number, protocol) of every container port
    ports: tuple[tuple[str, int, str], ...] = ()
    namespace_labels: Mapping[str, str] = field(default_factory=dict)

    def ns_labels(self) -> Mapping[str, str]:
        return {"kubernetes.io/metadata.name": self.namespace, **self.namespace_labels}


@dataclass(frozen=True)
class Address:
    """An endpoint outside the pod network: a load balancer, a VPC address, the internet."""

    ip: str


Endpoint = Pod | Address


def selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a label selector matches ``labels`` (an empty selector matches all)."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def pods_of(documents: Iterable[Mapping[str, Any]]) -> list[Pod]:
    """The pods each workload document runs (one entry per workload)."""
    pods = []
    for document in documents:
        kind = document.get("kind")
        if kind not in WORKLOAD_KINDS:
            continue
        spec = document["spec"]
        if kind == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        template = spec["template"]
        pod_spec = template["spec"]
        ports = tuple(
            (port.get("name", ""), int(port["containerPort"]), port.get("protocol", "TCP"))
            for container in pod_spec.get("containers", [])
            for port in container.get("ports", []) or []
        )
        namespace = document["metadata"]["namespace"]
        pods.append(
            Pod(
                f"{kind}/{namespace}/{document['metadata']['name']}",
                namespace,
                dict(template["metadata"].get("labels", {})),
                ports,
            )
        )
    return pods


@dataclass(frozen=True)
class Policies:
    """Every NetworkPolicy of a rendered set, by namespace."""

    by_namespace: Mapping[str, tuple[Mapping[str, Any], ...]]

    @classmethod
    def of(cls, documents: Iterable[Mapping[str, Any]]) -> Policies:
        found: dict[str, list[Mapping[str, Any]]] = {}
        for document in documents:
            if document.get("kind") == "NetworkPolicy":
                namespace = document["metadata"]["namespace"]
                found.setdefault(namespace, []).append(document)
        return cls({ns: tuple(policies) for ns, policies in found.items()})

    def selecting(self, pod: Pod, direction: str) -> list[Mapping[str, Any]]:
        """The policies that select ``pod`` for ``direction`` (Ingress or Egress)."""
        return [
            policy
            for policy in self.by_namespace.get(pod.namespace, ())
            if selects(policy["spec"].get("podSelector", {}), pod.labels)
            and direction in _policy_types(policy["spec"])
        ]

    def allows(self, source: Endpoint, destination: Endpoint, port: int, protocol: str) -> bool:
        """Whether a connection from ``source`` to ``destination``'s ``port`` is allowed."""
        return self._egress(source, destination, port, protocol) and self._ingress(
            source, destination, port, protocol
        )

    def _egress(self, source: Endpoint, destination: Endpoint, port: int, protocol: str) -> bool:
        if isinstance(source, Address):
            return True  # the outside is not policed here
        policies = self.selecting(source, "Egress")
        if not policies:
            return True
        return any(
            _peers_match(rule.get("to"), destination, policy)
            and _ports_match(rule.get("ports"), destination, port, protocol)
            for policy in policies
            for rule in policy["spec"].get("egress") or []
        )

    def _ingress(self, source: Endpoint, destination: Endpoint, port: int, protocol: str) -> bool:
        if isinstance(destination, Address):
            return True
        policies = self.selecting(destination, "Ingress")
        if not policies:
            return True
        return any(
            _peers_match(rule.get("from"), source, policy)
            and _ports_match(rule.get("ports"), destination, port, protocol)
            for policy in policies
            for rule in policy["spec"].get("ingress") or []
        )


def _policy_types(spec: Mapping[str, Any]) -> Sequence[str]:
    types = spec.get("policyTypes")
    if types:
        return list(types)
    return ["Ingress", *(["Egress"] if spec.get("egress") else [])]


def _peers_match(peers: Any, endpoint: Endpoint, policy: Mapping[str, Any]) -> bool:
    if not peers:
        return True
    return any(_peer_matches(peer, endpoint, policy) for peer in peers)


def _peer_matches(peer: Mapping[str, Any], endpoint: Endpoint, policy: Mapping[str, Any]) -> bool:
    if "ipBlock" in peer:
        if not isinstance(endpoint, Address):
            return False
        address = ipaddress.ip_address(endpoint.ip)
        block = peer["ipBlock"]
        if address not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(address in ipaddress.ip_network(e) for e in block.get("except") or [])
    if isinstance(endpoint, Address):
        return False
    pod_selector = peer.get("podSelector")
    namespace_selector = peer.get("namespaceSelector")
    if namespace_selector is None:
        in_namespace = endpoint.namespace == policy["metadata"]["namespace"]
    else:
        in_namespace = selects(namespace_selector, endpoint.ns_labels())
    if not in_namespace:
        return False
    return pod_selector is None or selects(pod_selector, endpoint.labels)


def _ports_match(ports: Any, destination: Endpoint, port: int, protocol: str) -> bool:
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):  # a named port: the destination pod's
            if not isinstance(destination, Pod):
                continue
            numbers = [n for name, n, p in destination.ports if name == wanted and p == protocol]
            if port in numbers:
                return True
            continue
        if wanted == port or wanted <= port <= entry.get("endPort", wanted):
            return True
    return False


def reachability(
    documents: Sequence[Mapping[str, Any]],
) -> Iterator[tuple[Pod, Pod, int, str, bool]]:
    """For every ordered pair of workloads (a workload with itself too: its pods talk to
    each other) and every container port of the destination: whether it is allowed."""
    pods = pods_of(documents)
    policies = Policies.of(documents)
    for source in pods:
        for destination in pods:
            for _, number, protocol in sorted(set(destination.ports), key=lambda p: p[1:]):
                yield (
                    source,
                    destination,
                    number,
                    protocol,
                    policies.allows(source, destination, number, protocol),
                )
