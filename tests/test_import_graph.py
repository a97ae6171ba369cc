"""``kgen import`` of NetworkPolicies: a policy that admits one workload's pods to
another becomes the caller's ``dependsOn``, an ``ipBlock`` with ports an ``egress`` block;
a deny-all policy and DNS egress are what kgen writes anyway; what a blueprint cannot say
is left out with its reason.

The round-trip proof reads the input's policies and the rendered ones with
``tests/netpol.py`` (a reader of NetworkPolicy semantics that knows nothing of kgen): every
flow the input's policies declare between imported workloads is admitted by the rendered
policies of all imported blueprints rendered together; what kgen admits beyond it is
listed, each with its documented reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from kgen import api
from kgen.errors import InvalidInput
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.importer.account import Status
from kgen.importer.additions import DOCUMENTED
from kgen.yamlio import parse_plain
from tests.conftest import REPO, RunKgen
from tests.importing import import_text, mismatches, unexplained
from tests.netpol import Policies, pods_of, reachability

BOUTIQUE = REPO / "tests" / "import" / "online-boutique.yaml"
POLICIES = REPO / "tests" / "import" / "online-boutique-policies.yaml"
Flow = tuple[str, str, int, str]


def _workload(name: str, *, kind: str = "Deployment", ns: str = "shop", ports: str = "") -> str:
    ports = ports or "[{name: http, containerPort: 8080}]"
    extra = f"  serviceName: {name}\n" if kind == "StatefulSet" else ""
    return (
        f"---\napiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: {ns}}}\n"
        f"spec:\n{extra}  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n"
        f"    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n"
        f"      - name: {name}\n        image: ghcr.io/acme/{name}:1.0.0\n"
        f"        ports: {ports}\n"
    )


def _policy(name: str, spec: str, *, ns: str = "shop") -> str:
    return (
        f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        f"metadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}"
    )


CHAIN = (
    _workload("frontend")
    + _workload(
        "api", ports="[{name: http, containerPort: 8080}, {name: admin, containerPort: 9090}]"
    )
    + _workload("db", kind="StatefulSet", ports="[{name: pg, containerPort: 5432}]")
    + _policy(
        "api-from-frontend",
        "  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n"
        "  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: http}]\n",
    )
    + _policy(
        "db",
        "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n  ingress:\n"
        "  - from: [{podSelector: {matchLabels: {app: api}}}]\n"
        "    ports: [{port: 5432, protocol: TCP}]\n",
    )
    + _policy(
        "api-out",
        "  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n"
        "  - to: [{podSelector: {matchLabels: {app: db}}}]\n    ports: [{port: 5432}]\n"
        "  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n"
        "    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n",
    )
    + _policy(
        "frontend-out",
        "  podSelector: {matchLabels: {app: frontend}}\n  policyTypes: [Egress]\n  egress:\n"
        "  - to: [{podSelector: {matchLabels: {app: api}}}]\n    ports: [{port: 8080}]\n"
        "  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n"
        "    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n",
    )
)


def _rendered(result: ImportResult, tmp_path: Path) -> list[Mapping[str, Any]]:
    """Every imported blueprint rendered together (every check of kgen render)."""
    imported.to_folder(result, tmp_path / "blueprints")
    return [d.body for d in api.build([tmp_path / "blueprints"]).documents]


def _flows(documents: Sequence[Mapping[str, Any]], *, declared: bool = False) -> set[Flow]:
    """The flows the policies admit between the workloads (``declared``: only where the
    source's egress or the destination's ingress is isolated: what a policy says, not
    what no policy selects)."""
    policies = Policies.of(documents)
    return {
        (source.workload, destination.workload, port, protocol)
        for source, destination, port, protocol, allowed in reachability(documents)
        if allowed
        and (
            not declared
            or policies.selecting(source, "Egress")
            or policies.selecting(destination, "Ingress")
        )
    }


def _in_namespace(documents: list[Any], namespace: str) -> list[Any]:
    for document in documents:
        document.setdefault("metadata", {}).setdefault("namespace", namespace)
    return documents


def _blueprint(result: ImportResult, name: str) -> dict[str, Any]:
    (found,) = [b for b in result.blueprints if b.name == name]
    (document,) = parse_plain(found.text)
    spec: dict[str, Any] = document["spec"]
    return spec


def _lines(result: ImportResult, policy: str) -> dict[str, tuple[str, str]]:
    return {
        ".".join(map(str, line.path)): (line.entry.status.value, line.entry.note)
        for line in result.lines
        if line.resource.kind == "NetworkPolicy" and line.resource.name == policy
    }


def test_a_chain_becomes_depends_on_and_renders_the_same_flows(tmp_path: Path) -> None:
    """frontend -> api (one of its two ports) -> db: each caller depends on what it
    calls; rendered together, the blueprints admit every flow the input declared, and
    beyond it only the StatefulApp's pods reaching each other (kgen writes that)."""
    result = import_text(tmp_path, CHAIN)
    assert _blueprint(result, "frontend")["dependsOn"] == [{"app": "api", "port": "http"}]
    assert _blueprint(result, "api")["dependsOn"] == ["db"]
    assert "dependsOn" not in _blueprint(result, "db")
    rendered = _rendered(result, tmp_path)
    before = _flows(parse_plain(CHAIN), declared=True)
    after = _flows(rendered)
    assert before == {
        ("Deployment/shop/frontend", "Deployment/shop/api", 8080, "TCP"),
        ("Deployment/shop/api", "StatefulSet/shop/db", 5432, "TCP"),
    }
    assert before <= after
    assert after - before == {("StatefulSet/shop/db", "StatefulSet/shop/db", 5432, "TCP")}
    lines = _lines(result, "api-out")
    assert lines["spec.egress.0.to.0.podSelector.matchLabels.app"] == (
        "changed",
        "api calls db: dependsOn db in Microservice shop/api",
    )
    assert lines["spec.egress.1.ports.0.port"][1].startswith("kgen writes the same")
    assert mismatches(result, {(d["kind"], d["metadata"]["name"]): d for d in rendered}) == []
    assert unexplained(result) == []


def test_across_namespaces(tmp_path: Path) -> None:
    """A peer in another namespace, named by kubernetes.io/metadata.name: dependsOn says
    the namespace; a namespace picked by another label is left out."""
    text = (
        _workload("web", ns="front")
        + _workload("api", ns="back")
        + _workload("jobs", ns="batch")
        + _policy(
            "api",
            "  podSelector: {matchLabels: {app: api}}\n  ingress:\n"
            "  - from:\n"
            "    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: front}}\n"
            "      podSelector: {matchLabels: {app: web}}\n"
            "    - namespaceSelector: {matchLabels: {team: batch}}\n"
            "      podSelector: {matchLabels: {app: jobs}}\n",
            ns="back",
        )
    )
    result = import_text(tmp_path, text)
    assert _blueprint(result, "web")["dependsOn"] == [{"app": "api", "namespace": "back"}]
    assert "dependsOn" not in _blueprint(result, "jobs")
    lines = _lines(result, "api")
    assert lines["spec.ingress.0.from.1.namespaceSelector.matchLabels.team"] == (
        "left out",
        "selects namespaces by other labels than kubernetes.io/metadata.name: kgen names one "
        "namespace per dependsOn",
    )
    after = _flows(_rendered(result, tmp_path))
    assert ("Deployment/front/web", "Deployment/back/api", 8080, "TCP") in after
    assert ("Deployment/batch/jobs", "Deployment/back/api", 8080, "TCP") not in after
    assert unexplained(result) == []


EGRESS = _workload("api") + _policy(
    "api-out",
    "  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n"
    "  - to: [{ipBlock: {cidr: 10.20.0.0/16}}]\n"
    "    ports: [{port: 5432}, {port: 8125, protocol: UDP}]\n"
    "  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]\n    ports: [{port: 443}]\n",
)


def test_an_ip_block_with_ports_becomes_egress(tmp_path: Path) -> None:
    """An ipBlock with ports is an egress block; one with ``except`` is left out, and so
    are the ports only it had."""
    result = import_text(tmp_path, EGRESS)
    assert _blueprint(result, "api")["egress"] == [
        {"cidr": "10.20.0.0/16", "ports": [5432, {"port": 8125, "protocol": "UDP"}]}
    ]
    lines = _lines(result, "api-out")
    why = "an ipBlock with except: kgen's egress admits whole CIDR blocks"
    assert lines["spec.egress.1.to.0.ipBlock.except.0"] == ("left out", why)
    assert lines["spec.egress.1.ports.0.port"] == (
        "left out",
        "its peers are left out; so kgen's policy now denies traffic from api to those peers",
    )
    (policy,) = [d for d in _rendered(result, tmp_path) if d["kind"] == "NetworkPolicy"]
    assert {
        "to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}],
        "ports": [{"port": 5432, "protocol": "TCP"}, {"port": 8125, "protocol": "UDP"}],
    } in policy["spec"]["egress"]
    assert unexplained(result) == []


def test_deny_all_and_dns_are_what_kgen_writes(tmp_path: Path) -> None:
    """A default deny and DNS egress to kube-dns, of every workload: recorded as what kgen
    writes anyway, and nothing is added to the blueprints."""
    text = (
        _workload("api")
        + _workload("web")
        + _policy("default-deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n")
        + _policy(
            "dns",
            "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
            "  - to:\n    - namespaceSelector:\n"
            "        matchLabels: {kubernetes.io/metadata.name: kube-system}\n"
            "      podSelector: {matchLabels: {k8s-app: kube-dns}}\n"
            "    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n",
        )
    )
    result = import_text(tmp_path, text)
    plain = import_text(tmp_path, _workload("api") + _workload("web"))
    assert [b.text for b in result.blueprints] == [b.text for b in plain.blueprints]
    statuses = {line.entry.status for line in result.lines if line.resource.kind == "NetworkPolicy"}
    assert statuses == {Status.CHANGED}
    assert _lines(result, "dns")["spec.egress.0.ports.1.protocol"][1].startswith(
        "kgen writes the same: every app may reach cluster DNS"
    )
    assert _lines(result, "default-deny")["spec.podSelector"][0] == "changed"
    rendered = _rendered(result, tmp_path)
    assert _flows(rendered) == _flows(parse_plain(text)) == set()


def test_a_peer_of_two_workloads_is_left_out(tmp_path: Path) -> None:
    """A peer that selects two workloads, or a policy of two workloads: never guessed."""
    text = (
        _workload("api")
        + _workload("web").replace("labels: {app: web}", "labels: {app: web, tier: edge}")
        + _workload("admin").replace("labels: {app: admin}", "labels: {app: admin, tier: edge}")
        + _policy(
            "api",
            "  podSelector: {matchLabels: {app: api}}\n  ingress:\n"
            "  - from: [{podSelector: {matchLabels: {tier: edge}}}]\n",
        )
        + _policy(
            "edge",
            "  podSelector: {matchLabels: {tier: edge}}\n  ingress:\n"
            "  - from: [{podSelector: {matchLabels: {app: api}}}]\n",
        )
    )
    result = import_text(tmp_path, text)
    assert all("dependsOn" not in _blueprint(result, n) for n in ("api", "web", "admin"))
    assert _lines(result, "api")["spec.ingress.0.from.0.podSelector.matchLabels.tier"] == (
        "left out",
        "selects several workloads (Deployment admin, Deployment web): kgen import does not "
        "guess which one it means",
    )
    assert _lines(result, "edge")["spec.ingress.0.from.0.podSelector.matchLabels.app"] == (
        "left out",
        "the policy selects several workloads (admin, web): kgen import does not guess whose "
        "rule it is, and kgen's NetworkPolicies deny what it admitted until the callers' "
        "dependsOn says it",
    )
    assert unexplained(result) == []


def test_online_boutique_with_its_policies(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """Online Boutique with per-service policies in the style of the ones Google publishes
    for it (hand-written: tests/import/SOURCES.md): every declared flow comes back."""
    result = api.import_manifests([BOUTIQUE, POLICIES], namespace="shop")
    rendered = _rendered(result, tmp_path)
    text = "---\n".join(p.read_text(encoding="utf-8") for p in (BOUTIQUE, POLICIES))
    before = _flows(_in_namespace(parse_plain(text), "shop"), declared=True)
    after = _flows(rendered)
    assert len(before) >= 15
    # lost: the frontend admits every pod (ingress: [{}]), which no blueprint field says;
    # that rule is left out with its reason
    assert {d for _, d, _, _ in before - after} == {"Deployment/shop/frontend"}
    assert _lines(result, "frontend")["spec.ingress.0"] == (
        "left out",
        "admits every peer: kgen opens a port to everyone only for a NodePort or "
        "LoadBalancer Service or an Ingress (service.type, ingress)",
    )
    before = {flow for flow in before if flow[1] != "Deployment/shop/frontend"}
    assert before <= after
    # beyond the input: Redis' pods reach each other (kgen writes a StatefulApp's peers)
    extra = after - before
    assert {(s, d) for s, d, _, _ in extra} <= {
        ("StatefulSet/shop/redis-cart", "StatefulSet/shop/redis-cart"),
        ("Deployment/shop/redis-cart", "Deployment/shop/redis-cart"),
    }
    assert mismatches(result, {(d["kind"], d["metadata"]["name"]): d for d in rendered}) == []
    assert unexplained(result) == []
    depends = {b.name: _blueprint(result, b.name).get("dependsOn") for b in result.blueprints}
    assert depends == snapshot(name="dependsOn")
    assert [
        w.replace(str(REPO) + "/", "") for w in imported.warnings(result) if "NetworkPolicy" in w
    ] == snapshot(name="warnings")


BAD: dict[str, str] = {
    "policy-from-as-map.yaml": _workload("api")
    + _policy(
        "api",
        "  podSelector: {matchLabels: {app: api}}\n  ingress:\n"
        "  - from: {podSelector: {matchLabels: {app: web}}}\n",
    ),
    "policy-port-as-list.yaml": _workload("api")
    + _policy(
        "api",
        "  podSelector: {matchLabels: {app: api}}\n  egress:\n  - ports: [{port: [443]}]\n",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input(name: str, kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    (tmp_path / name).write_text(BAD[name], encoding="utf-8")
    run = kgen("import", name, "-o", "out", cwd=tmp_path)
    assert run.exit_code == 1
    assert not (tmp_path / "out").exists()
    assert run.stderr == snapshot


#: Odd policies (each replaces the first match in ODD_BASE): never a crash, every leaf
#: accounted for with a reason.
ODD: dict[str, tuple[str, str]] = {
    "a named port the target lacks": ("ports: [{port: http}]", "ports: [{port: grpc}]"),
    "a port range": ("ports: [{port: http}]", "ports: [{port: 8000, endPort: 9000}]"),
    "matchExpressions": (
        "from: [{podSelector: {matchLabels: {app: web}}}]",
        "from: [{podSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}}]",
    ),
    "a peer of no workload": ("{app: web}}}]", "{app: nobody}}}]"),
    "every peer": (
        "  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: http}]\n",
        "  - ports: [{port: http}]\n",
    ),
    "a namespace without pods": (
        "from: [{podSelector: {matchLabels: {app: web}}}]",
        "from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}}]",
    ),
    "itself": ("{app: web}}}]", "{app: api}}}]"),
    "an ipBlock ingress": (
        "from: [{podSelector: {matchLabels: {app: web}}}]",
        "from: [{ipBlock: {cidr: 10.0.0.0/8}}]",
    ),
    "a cidr kgen refuses": ("cidr: 10.9.0.0/16", "cidr: 10.9.0.1/33"),
    "egress without ports": ("    ports: [{port: 443}]\n", ""),
    "a named egress port": ("ports: [{port: 443}]", "ports: [{port: https}]"),
    "rules outside policyTypes": ("policyTypes: [Ingress, Egress]", "policyTypes: [Ingress]"),
}
ODD_BASE = (
    _workload("api")
    + _workload("web")
    + _policy(
        "api",
        "  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress, Egress]\n"
        "  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n"
        "    ports: [{port: http}]\n"
        "  egress:\n  - to: [{ipBlock: {cidr: 10.9.0.0/16}}]\n    ports: [{port: 443}]\n",
    )
)


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_policies_never_crash(name: str, tmp_path: Path) -> None:
    old, new = ODD[name]
    assert old in ODD_BASE
    try:
        result = import_text(tmp_path, ODD_BASE.replace(old, new, 1))
    except InvalidInput as exc:
        assert exc.problems
        return
    assert unexplained(result) == []
    documents = _rendered(result, tmp_path)
    assert mismatches(result, {(d["kind"], d["metadata"]["name"]): d for d in documents}) == []
    assert {p.workload for p in pods_of(documents)} == {
        "Deployment/shop/api",
        "Deployment/shop/web",
    }
    left = [
        line
        for line in result.lines
        if line.resource.kind == "NetworkPolicy" and line.entry.status is Status.LEFT_OUT
    ]
    assert left, "something of each odd policy is left out, with its reason"
    assert all(line.entry.note for line in left)


def test_the_guide_has_a_row_for_network_policies() -> None:
    guide = (REPO / "docs" / "import.md").read_text(encoding="utf-8")
    assert "| NetworkPolicy |" in guide
    assert any(kind == "NetworkPolicy" for kind, _, _ in DOCUMENTED)


DENIED = (
    _workload("web")
    + _workload("api")
    + _workload("db", kind="StatefulSet", ports="[{name: pg, containerPort: 5432}]")
    + _policy(
        "api-in",
        "  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n  ingress:\n"
        "  - from: [{podSelector: {matchLabels: {app: web}}}]\n    ports: [{port: http}]\n",
    )
    + _policy(
        "web-out",
        "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress:\n"
        "  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n"
        "    ports: [{port: 53, protocol: UDP}]\n",
    )
    + _policy(
        "api-out",
        "  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress:\n"
        "  - to: [{podSelector: {matchLabels: {app: db}}}]\n    ports: [{port: 5432}]\n",
    )
    + _policy("db-in", "  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Ingress]\n")
)


def _warned(result: ImportResult, tmp_path: Path) -> list[str]:
    return [w.replace(f"{tmp_path}/in.yaml:", "") for w in imported.warnings(result)]


def test_a_depends_on_the_input_denied_at_one_end_is_warned_of(tmp_path: Path) -> None:
    """web -> api is admitted by api's ingress, but web's egress was isolated (DNS only):
    the dependsOn opens it, and a warning says so at the peer; api -> db is admitted by
    api's egress, but db denied all ingress: likewise. Where the input admitted both ends
    (the chain) nothing is said."""
    result = import_text(tmp_path, DENIED)
    assert _blueprint(result, "web")["dependsOn"] == ["api"]
    assert _blueprint(result, "api")["dependsOn"] == ["db"]
    warned = [w for w in _warned(result, tmp_path) if "the input denied" in w]
    assert warned == [
        "49: warning: NetworkPolicy shop/api-in: spec.ingress[0].from[0]: kgen now admits "
        "egress the input denied: web -> api on 8080/TCP (a dependsOn opens both ends; the "
        "input's NetworkPolicies isolate web's egress and none of their rules admits this)",
        "69: warning: NetworkPolicy shop/api-out: spec.egress[0].to[0]: kgen now admits "
        "ingress the input denied: api -> db on 5432/TCP (a dependsOn opens both ends; the "
        "input's NetworkPolicies isolate db's ingress and none of their rules admits this)",
    ]
    lines = DENIED.splitlines()
    assert "app: web" in lines[48] and "app: db" in lines[68]
    assert "spec.ingress[0].from[0]: changed (kgen now admits egress" in imported.report(result)
    chain = import_text(tmp_path, CHAIN)
    assert not [w for w in _warned(chain, tmp_path) if "the input denied" in w]


def test_a_workload_no_input_policy_isolated_is_warned_of(tmp_path: Path, kgen: RunKgen) -> None:
    """kgen's NetworkPolicy denies what no dependsOn names: where the input has policies
    but none isolated a workload's direction, a warning at the workload's name; without
    any policy in the input, one warning for the whole import."""
    result = import_text(tmp_path, DENIED)
    open_ = [w for w in _warned(result, tmp_path) if "no NetworkPolicy of the input" in w]
    assert open_ == [
        "4: warning: Deployment shop/web: metadata.name: no NetworkPolicy of the input "
        "isolates its ingress: every pod could reach it; kgen's NetworkPolicy now admits "
        "only the apps whose dependsOn names it",
        "30: warning: StatefulSet shop/db: metadata.name: no NetworkPolicy of the input "
        "isolates its egress: it could reach every pod and address; kgen's NetworkPolicy "
        "now admits only what its dependsOn and egress name (and DNS)",
    ]
    assert result.remarks == ()
    (tmp_path / "plain.yaml").write_text(_workload("api") + _workload("web"), encoding="utf-8")
    run = kgen("import", "plain.yaml", "-o", "out", "--report", "report.txt", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    remark = (
        "the input has no NetworkPolicy: every pod could reach every workload; kgen writes a "
        "NetworkPolicy for each imported workload, which denies the traffic no dependsOn (or "
        "egress block) names: say each app's callers with dependsOn"
    )
    assert "NetworkPolicy" not in "".join(run.stderr.splitlines(keepends=True)[:-2])
    assert run.stderr.splitlines()[-2:-1] == [f"kgen: warning: {remark}"]
    report = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert report.splitlines()[-1] == f"warning: {remark}"


def test_the_flows_kgen_adds_have_their_reasons(tmp_path: Path) -> None:
    """Each rule kgen renders beyond the input has the reason of what it admits (DNS, a
    StatefulApp's peers, dependsOn at both ends, egress blocks), not the catch-all."""
    chain = import_text(tmp_path, CHAIN)
    egress = import_text(tmp_path, EGRESS)
    rules = {
        (a.name, a.reason)
        for result in (chain, egress)
        for a in result.additions
        if a.kind == "NetworkPolicy" and {"spec.ingress[]", "spec.egress[]"} & set(a.paths)
    }
    dns = "every app may reach cluster DNS (kube-dns in kube-system, UDP and TCP 53)"
    peers = (
        "a StatefulApp's pods reach each other on their ports (peer traffic, through the "
        "headless Service)"
    )
    assert rules == {
        *((name, dns) for name in ("frontend", "api", "db")),
        ("db", peers),
        ("api", "an app admits the apps whose dependsOn names it, on the ports they call"),
        ("db", "an app admits the apps whose dependsOn names it, on the ports they call"),
        ("frontend", "an app may call what its dependsOn names"),
        ("api", "an app may call what its dependsOn names"),
        ("api", "an app may reach the IP blocks its egress names"),
    }
    catch_all = "every app gets a NetworkPolicy: the service graph, DNS, egress"
    assert all(not a.paths for r in (chain, egress) for a in r.additions if a.reason == catch_all)


def test_a_port_kgen_opens_to_everyone_is_warned_of(tmp_path: Path) -> None:
    """web's port 8080 is behind an Ingress, and the input admitted it only from the
    ingress controller's namespace and from one CIDR: kgen's NetworkPolicy opens it to
    every source, and a warning says so plainly at the rule. The admin port 9090, which
    nothing exposes, is not open to all: nothing is said of it."""
    ingress = (
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        "metadata: {name: web, namespace: shop}\nspec:\n  ingressClassName: nginx\n  rules:\n"
        "  - host: shop.example.com\n    http:\n      paths:\n"
        "      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n"
    )
    text = (
        _workload(
            "web", ports="[{name: http, containerPort: 8080}, {name: admin, containerPort: 9090}]"
        )
        + ingress
        + _policy(
            "web-in",
            "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress:\n"
            "  - from:\n"
            "    - namespaceSelector:\n"
            "        matchLabels: {kubernetes.io/metadata.name: ingress-nginx}\n"
            "    - ipBlock: {cidr: 10.0.0.0/16}\n"
            "    ports: [{port: http}]\n"
            "  - from: [{ipBlock: {cidr: 10.1.0.0/16}}]\n"
            "    ports: [{port: 9090}]\n",
        )
    )
    result = import_text(tmp_path, text)
    warned = [w for w in _warned(result, tmp_path) if "open to every source" in w]
    assert warned == [
        "40: warning: NetworkPolicy shop/web-in: spec.ingress[0]: now open to every source: "
        "8080/TCP of web. The input admitted it only from this rule's peers, but kgen's "
        "NetworkPolicy opens the ports an Ingress, a NodePort or LoadBalancer Service, or the "
        "metrics scrape reaches to everyone"
    ]
