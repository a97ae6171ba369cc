"""NetworkPolicies proven by reachability: a reader of NetworkPolicy semantics
(tests/netpol.py, which knows nothing of kgen) computes from the rendered YAML alone, for
every ordered pair of workloads and every port of the destination, whether traffic is
allowed; that must be exactly what the blueprints declare."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from tests.helpers import rendered_documents
from tests.netpol import Address, Pod, Policies, pods_of, reachability

#: A pod where cluster DNS runs.
KUBE_DNS = Pod("Deployment/kube-system/coredns", "kube-system", {"k8s-app": "kube-dns"})


def _bodies(text: str) -> list[Mapping[str, Any]]:
    return [dict(document.body) for document in rendered_documents(text)]


def _key(pod: Pod) -> tuple[str, str, str | None]:
    labels = pod.labels
    return (
        pod.namespace,
        labels["app.kubernetes.io/name"],
        labels.get("app.kubernetes.io/component"),
    )


def declared(blueprints: Iterable[Mapping[str, Any]]) -> set[tuple[Any, ...]]:
    """(caller, target, container port, protocol) the blueprints declare, read from them
    directly: callers and targets as (namespace, app, component)."""
    allowed: set[tuple[Any, ...]] = set()
    apps: dict[tuple[str, str], list[tuple[str | None, list[Mapping[str, Any]]]]] = {}
    callers: list[tuple[tuple[str, str, str | None], list[Any]]] = []
    for blueprint in blueprints:
        if blueprint["kind"] == "Cluster":
            continue  # its default-deny policies allow nothing
        meta, spec = blueprint["metadata"], blueprint["spec"]
        namespace, app = meta["namespace"], meta["name"]
        if blueprint["kind"] == "Monolith":
            units = [(name, {**spec, **p}) for name, p in spec["processes"].items()]
            if "migrations" in spec:
                units.append(("migrate", {**spec, **spec["migrations"]}))
            units += [(s["name"], {**spec, **s}) for s in spec.get("schedules", [])]
        else:
            units = [(None, spec)]
        for component, settings_ in units:
            ports = settings_.get("ports", []) if component != "migrate" else []
            apps.setdefault((namespace, app), []).append((component, ports))
            callers.append(((namespace, app, component), settings_.get("dependsOn", [])))
            if blueprint["kind"] == "StatefulApp":  # its pods reach each other
                for port in ports:
                    me = (namespace, app, component)
                    allowed.add((me, me, port["port"], port.get("protocol", "TCP")))
    for caller, references in callers:
        for reference in references:
            ref = reference if isinstance(reference, dict) else {"app": reference}
            target = (ref.get("namespace", caller[0]), ref["app"])
            for component, ports in apps[target]:
                if (*target, component) == caller:
                    continue  # a process calls its app's other processes, never itself
                published = [p for p in ports if p.get("published", True)]
                for port in _chosen(published, ref.get("port")):
                    allowed.add(
                        (caller, (*target, component), port["port"], port.get("protocol", "TCP"))
                    )
    return allowed


def _chosen(ports: list[Mapping[str, Any]], wanted: Any) -> list[Mapping[str, Any]]:
    """The ports a reference opens: all, or the one named (a number: Service port first)."""
    if wanted is None:
        return ports
    if isinstance(wanted, str):
        return [p for p in ports if p["name"] == wanted]
    by_service = [p for p in ports if p.get("servicePort", p["port"]) == wanted]
    return by_service or [p for p in ports if p["port"] == wanted]


def _matrix(documents: list[Mapping[str, Any]]) -> set[tuple[Any, ...]]:
    return {
        (_key(source), _key(target), port, protocol)
        for source, target, port, protocol, ok in reachability(documents)
        if ok
    }


def _main_ports_only(
    documents: list[Mapping[str, Any]], found: set[tuple[Any, ...]]
) -> set[tuple[Any, ...]]:
    """Drop sidecar ports: only Prometheus reaches those (checked on its own)."""
    main = {
        (_key(pod), number, protocol)
        for pod, doc in zip(pods_of(documents), _workloads(documents), strict=True)
        for _, number, protocol in _container_ports(doc)
    }
    return {entry for entry in found if (entry[1], entry[2], entry[3]) in main}


def _workloads(documents: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    kinds = ("Deployment", "StatefulSet", "Job", "CronJob", "DaemonSet")
    return [d for d in documents if d.get("kind") in kinds]


def _container_ports(document: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    spec = document["spec"]
    if document["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    first = spec["template"]["spec"]["containers"][0]
    return [
        (p["name"], p["containerPort"], p.get("protocol", "TCP")) for p in first.get("ports", [])
    ]


def _check(texts: Sequence[Mapping[str, Any]], documents: list[Mapping[str, Any]]) -> None:
    expected = declared(texts)
    assert _main_ports_only(documents, _matrix(documents)) == expected
    policies = Policies.of(documents)
    for pod in pods_of(documents):
        # every workload has its policy, and reaches cluster DNS
        assert policies.selecting(pod, "Ingress") and policies.selecting(pod, "Egress"), pod
        assert policies.allows(pod, KUBE_DNS, 53, "UDP") and policies.allows(
            pod, KUBE_DNS, 53, "TCP"
        )
        # nothing else outside the cluster but what egress declares
        assert not policies.allows(pod, Address("198.51.100.7"), 25, "TCP")


def test_the_example_shop_allows_exactly_what_it_declares() -> None:
    from kgen import api

    built = api.build([REPO / "blueprints"])  # as kgen reads them: shared defaults merged
    texts = [dict(blueprint.data) for blueprint in built.blueprints]
    documents: list[Mapping[str, Any]] = [dict(d.body) for d in built.documents]
    _check(texts, documents)
    pods = {_key(pod): pod for pod in pods_of(documents)}
    policies = Policies.of(documents)
    outside = Address("203.0.113.9")
    # the storefront stays reachable from its ALB, on its container port only
    frontend = pods[("shop", "frontend", None)]
    assert policies.allows(outside, frontend, 8080, "TCP")
    assert not policies.allows(outside, pods[("shop", "cartservice", None)], 7070, "TCP")
    # the queue worker reaches AWS over HTTPS, and nothing else outside
    worker = pods[("shop", "order-worker", None)]
    assert policies.allows(worker, outside, 443, "TCP")
    assert not policies.allows(worker, outside, 80, "TCP")
    # Prometheus scrapes the database's exporter sidecar
    prometheus = Pod(
        "StatefulSet/monitoring/prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}
    )
    database = pods[("data", "orders-db", None)]
    assert policies.allows(prometheus, database, 9187, "TCP")
    assert not policies.allows(prometheus, database, 5432, "TCP")
    # ZooKeeper's members reach each other on their unpublished ports; nothing else does
    zookeeper = pods[("data", "zk", None)]
    assert policies.allows(zookeeper, zookeeper, 2888, "TCP")
    assert not policies.allows(database, zookeeper, 2888, "TCP")


_NAMES = st.sampled_from(["a", "b", "c", "d", "e"])


@st.composite
def _service_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    names = draw(st.lists(_NAMES, min_size=2, max_size=5, unique=True))
    namespaces = {name: draw(st.sampled_from(["one", "two"])) for name in names}
    blueprints: list[dict[str, Any]] = []
    for name in names:
        numbers = draw(st.lists(st.integers(1024, 1100), min_size=0, max_size=3, unique=True))
        ports = [
            {
                "name": f"p{index}",
                "port": number,
                **draw(st.sampled_from([{}, {"servicePort": 80 + index}, {"published": False}])),
            }
            for index, number in enumerate(numbers)
        ]
        stateful = draw(st.booleans()) and bool(ports)
        blueprints.append(
            {
                "apiVersion": "kgen.dev/v1alpha1",
                "kind": "StatefulApp" if stateful else "Microservice",
                "metadata": {"name": name, "namespace": namespaces[name]},
                "spec": {
                    "image": "ghcr.io/example/app:1.0.0",
                    "ports": ports,
                    "probes": {"liveness": {"exec": ["true"]}, "readiness": {"exec": ["true"]}},
                },
            }
        )
    for blueprint in blueprints:
        me = blueprint["metadata"]["name"]
        others = [b for b in blueprints if b["metadata"]["name"] != me and _published(b)]
        chosen = (
            draw(
                st.lists(
                    st.sampled_from(others), unique_by=lambda b: b["metadata"]["name"], max_size=3
                )
            )
            if others
            else []
        )
        references: list[Any] = []
        for target in chosen:
            name, namespace = target["metadata"]["name"], target["metadata"]["namespace"]
            port = draw(st.sampled_from([None, *[p["name"] for p in _published(target)]]))
            if (
                namespace == blueprint["metadata"]["namespace"]
                and port is None
                and draw(st.booleans())
            ):
                references.append(name)
            else:
                references.append(
                    {"app": name, "namespace": namespace, **({"port": port} if port else {})}
                )
        if references:
            blueprint["spec"]["dependsOn"] = references
    return blueprints


def _published(blueprint: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ports a blueprint's Service publishes: the ones callers may name."""
    return [p for p in blueprint["spec"]["ports"] if p.get("published", True)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_service_sets())
def test_generated_graphs_allow_exactly_what_they_declare(blueprints: list[dict[str, Any]]) -> None:
    text = "\n---\n".join(yaml.safe_dump(b, sort_keys=False) for b in blueprints)
    _check(blueprints, _bodies(text))


def test_the_reader_follows_the_kubernetes_rules() -> None:
    """The reader itself, on policies written by hand after the Kubernetes documentation."""
    a = Pod("Deployment/x/a", "x", {"app": "a"}, (("http", 8080, "TCP"),))
    b = Pod("Deployment/y/b", "y", {"app": "b"}, (("http", 9090, "TCP"),))
    none = Policies.of([])
    assert none.allows(a, b, 9090, "TCP")  # nothing selects either: all allowed
    deny_b = Policies.of(
        [{"kind": "NetworkPolicy", "metadata": {"namespace": "y"}, "spec": {"podSelector": {}}}]
    )
    assert not deny_b.allows(a, b, 9090, "TCP")  # Ingress isolation by default type
    assert deny_b.allows(b, a, 8080, "TCP")  # egress of b is not isolated
    named = Policies.of(
        [
            {
                "kind": "NetworkPolicy",
                "metadata": {"namespace": "y"},
                "spec": {
                    "podSelector": {"matchLabels": {"app": "b"}},
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {"kubernetes.io/metadata.name": "x"}
                                    },
                                    "podSelector": {"matchLabels": {"app": "a"}},
                                }
                            ],
                            "ports": [{"port": "http"}],
                        }
                    ],
                },
            }
        ]
    )
    assert named.allows(a, b, 9090, "TCP")  # the named port resolves on b
    assert not named.allows(a, b, 9091, "TCP")
    assert not named.allows(a, b, 9090, "UDP")
    # a podSelector alone means the policy's own namespace
    same_namespace_only = Policies.of(
        [
            {
                "kind": "NetworkPolicy",
                "metadata": {"namespace": "y"},
                "spec": {
                    "podSelector": {},
                    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}]}],
                },
            }
        ]
    )
    assert not same_namespace_only.allows(a, b, 9090, "TCP")


MONOLITHS = """\
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata: {name: billing, namespace: billing}
spec:
  image: ghcr.io/example/billing:1.0.0
  dependsOn: [{app: ledger, namespace: money, port: grpc}]
  migrations: {command: [migrate]}
  schedules: [{name: nightly, schedule: "0 3 * * *", command: [report], dependsOn: []}]
  processes:
    web: {command: [web], ports: [{name: http, port: 3000}]}
    admin: {command: [admin], ports: [{name: http, port: 3001}], dependsOn: [api, billing]}
    worker:
      command: [work]
      probes: {liveness: {exec: [alive]}, readiness: {exec: [alive]}}
---
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata: {name: ledger, namespace: money}
spec:
  image: ghcr.io/example/ledger:1.0.0
  processes:
    api: {command: [api], ports: [{name: grpc, port: 9000}, {name: http, port: 8000}]}
    jobs: {command: [jobs], ports: [{name: http, port: 8001}]}
---
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: api, namespace: billing}
spec:
  image: ghcr.io/example/api:1.0.0
  ports: [{name: http, port: 8080}]
  dependsOn: [{app: billing, port: http}]
"""


def test_monolith_processes_call_and_are_called_one_by_one() -> None:
    """Processes inherit the app's dependsOn or replace it; a reference to a Monolith reaches
    the processes that publish the port; peers name processes by component."""
    texts = list(yaml.safe_load_all(MONOLITHS))
    documents = _bodies(MONOLITHS)
    _check(texts, documents)
    pods = {_key(pod): pod for pod in pods_of(documents)}
    policies = Policies.of(documents)
    ledger_api = pods[("money", "ledger", "api")]
    assert policies.allows(pods[("billing", "billing", "migrate")], ledger_api, 9000, "TCP")
    assert not policies.allows(pods[("billing", "billing", "nightly")], ledger_api, 9000, "TCP")
    assert not policies.allows(pods[("billing", "billing", "admin")], ledger_api, 9000, "TCP")
    api = pods[("billing", "api", None)]
    assert policies.allows(api, pods[("billing", "billing", "web")], 3000, "TCP")
    assert policies.allows(api, pods[("billing", "billing", "admin")], 3001, "TCP")
    # a process may name its own app: it calls the other processes, not itself
    admin = pods[("billing", "billing", "admin")]
    assert policies.allows(admin, pods[("billing", "billing", "web")], 3000, "TCP")
    assert not policies.allows(admin, admin, 3001, "TCP")
