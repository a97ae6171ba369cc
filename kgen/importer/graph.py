"""NetworkPolicies -> the service graph: ``dependsOn`` and ``egress``.

kgen writes one NetworkPolicy per workload that denies both directions but cluster DNS,
then admits what the blueprints declare: each ``dependsOn`` edge (egress from the caller,
ingress on the target's ports) and each ``egress`` block. The import reads the input's
policies the other way round, once the blueprints are built and kgen accepts them:

- a policy belongs to the workloads its ``podSelector`` selects (same namespace);
- an ingress peer that selects the pods of exactly one imported workload S (in the
  policy's namespace, or in the one a ``namespaceSelector`` names by
  ``kubernetes.io/metadata.name``) makes S depend on the policy's workload, on the rule's
  ports; an egress peer likewise makes the policy's workload depend on S;
- an egress ``ipBlock`` with ports becomes an ``egress`` block;
- a rule that denies everything, and DNS egress to kube-dns, are what kgen writes anyway.

Anything a blueprint cannot say (an ``except``, a namespace chosen by other labels,
``matchExpressions``, a peer that selects no imported workload or several, a policy of
several workloads, a port the target does not publish) is left out with its reason, one
ledger line each, never guessed. Ports are named as kgen names the target's ports.

Where kgen's policies admit what the input's denied (a ``dependsOn`` opens both ends) or
deny what they admitted (a workload no input policy isolated), a note in the ledger warns
of it at the peer or the workload (``unpoliced``: once, for an input without policies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kgen.importer.account import Ledger, Status, value_at
from kgen.importer.index import Group, Index, main_container, pod_labels, pod_spec, selects
from kgen.importer.mappers.base import Build, reserved_label
from kgen.importer.processes import Run, unit_names
from kgen.importer.read import Resource
from kgen.importer.settle import rendered_alone
from kgen.model import JsonPath
from kgen.record import dataclass

#: The kinds this step folds into the blueprints.
KINDS = ("NetworkPolicy",)
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
_DNS = (
    "kgen writes the same: every app may reach cluster DNS (kube-dns in kube-system, UDP and "
    "TCP 53)"
)
_DENY = "kgen writes the same: every app's NetworkPolicy denies all traffic but what it declares"
_OWN = "kgen writes one NetworkPolicy per workload, named after it"


@dataclass(frozen=True)
class Member:
    """An imported workload as the graph sees it: its blueprint, where its ``dependsOn``
    and ``egress`` go (None: it takes its Monolith's), its rendered name and ports."""

    resource: Resource
    build: Build
    namespace: str
    where: JsonPath | None
    rendered: str
    #: (name, number, protocol) of the rendered main container's ports its Service publishes
    ports: tuple[tuple[str, int, str], ...]

    @property
    def labels(self) -> Mapping[str, Any]:
        return pod_labels(self.resource)


@dataclass(frozen=True)
class Peer:
    """A dependsOn edge a policy leaf declares."""

    caller: Member
    target: Member
    port: str | None  # the rendered port's name; None: every port


def fold_policies(
    index: Index, plans: Sequence[Group], builds: Sequence[Build], ledger: Ledger
) -> None:
    """Fold every NetworkPolicy of the input into the blueprints of ``builds`` (the ones
    kgen accepts), recording each of its leaves in ``ledger``."""
    members = _members(plans, builds)
    inputs = _Inputs(index)
    for policy in index.resources:
        if policy.kind in KINDS:
            _Policy(index, members, policy, ledger, inputs).fold()
    _open_workloads(members, inputs, ledger)


def _open_workloads(members: Sequence[Member], inputs: _Inputs, ledger: Ledger) -> None:
    """A workload no input policy isolated was open; kgen's NetworkPolicy denies what no
    ``dependsOn`` names: a warning at each such workload (when the input has none at
    all, ``unpoliced`` says so once)."""
    if not inputs.policies:
        return  # said once for the whole input: see ``unpoliced``
    for member in members:
        open_ = [
            direction
            for direction in ("Ingress", "Egress")
            if not inputs.isolating(member.resource, member.namespace, direction)
        ]
        if not open_:
            continue
        why = {
            ("Ingress",): "isolates its ingress: every pod could reach it; kgen's "
            "NetworkPolicy now admits only the apps whose dependsOn names it",
            ("Egress",): "isolates its egress: it could reach every pod and address; kgen's "
            "NetworkPolicy now admits only what its dependsOn and egress name (and DNS)",
            ("Ingress", "Egress"): "selects it: it was open both ways; kgen's NetworkPolicy "
            "now denies the traffic no dependsOn (or egress block) names",
        }[tuple(open_)]
        ledger.note(
            member.resource, ("metadata", "name"),
            f"no NetworkPolicy of the input {why}", member.build.ref,
        )  # fmt: skip


def unpoliced(index: Index, builds: Sequence[Build]) -> tuple[str, ...]:
    """What the import changes for the input as a whole: with no NetworkPolicy in it,
    every pod could reach every workload, and kgen's policies deny by default."""
    if not builds or any(r.kind in KINDS for r in index.resources):
        return ()
    return (
        "the input has no NetworkPolicy: every pod could reach every workload; kgen writes "
        "a NetworkPolicy for each imported workload, which denies the traffic no dependsOn "
        "(or egress block) names: say each app's callers with dependsOn",
    )


class _Inputs:
    """The input's NetworkPolicies as Kubernetes reads them: which isolate a pod, and
    whether their rules admit a connection (a namespace picked by labels kgen import
    cannot see counts as admitting: it warns only of what the input surely denied)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.policies = [
            (r, index.namespace(r), r.body["spec"])
            for r in index.resources
            if r.kind in KINDS and isinstance(r.body.get("spec"), Mapping)
        ]

    def isolating(
        self, workload: Resource, namespace: str, direction: str
    ) -> list[tuple[Resource, str, Mapping[str, Any]]]:
        """The input policies that isolate ``workload``'s pods for ``direction``."""
        labels = pod_labels(workload)
        return [
            (policy, where, spec)
            for policy, where, spec in self.policies
            if where == namespace
            and selects(spec.get("podSelector"), labels)
            and direction in _types(spec)
        ]

    def admits(
        self, source: Member, destination: Member, number: int, protocol: str, direction: str
    ) -> bool:
        """Whether a rule of a policy that isolates ``direction`` (the source's Egress, the
        destination's Ingress) admits the connection."""
        own, other = (source, destination) if direction == "Egress" else (destination, source)
        key, peers_key = direction.lower(), "to" if direction == "Egress" else "from"
        for _, where, spec in self.isolating(own.resource, own.namespace, direction):
            for rule in spec.get(key) or []:
                if not isinstance(rule, Mapping):
                    continue
                peers = rule.get(peers_key)
                if peers and not any(_peer_admits(p, other, where) for p in peers):
                    continue
                if _ports_admit(rule.get("ports"), destination, number, protocol):
                    return True
        return False


def _types(spec: Mapping[str, Any]) -> list[str]:
    types = spec.get("policyTypes")
    if isinstance(types, list) and types:
        return [str(t) for t in types]
    return ["Ingress", *(["Egress"] if spec.get("egress") else [])]


def _peer_admits(peer: Any, member: Member, namespace: str) -> bool:
    """Whether an input peer matches ``member``'s pods (a policy of ``namespace``)."""
    if not isinstance(peer, Mapping) or "ipBlock" in peer:
        return False
    namespaces = peer.get("namespaceSelector")
    if namespaces is None:
        if member.namespace != namespace:
            return False
    elif isinstance(namespaces, Mapping):
        labels = namespaces.get("matchLabels") or {}
        known = isinstance(labels, Mapping) and set(labels) <= {NAMESPACE_LABEL}
        named = labels.get(NAMESPACE_LABEL, member.namespace) if known else member.namespace
        if not namespaces.get("matchExpressions") and named != member.namespace:
            return False
    pods = peer.get("podSelector")
    return pods is None or selects(pods, member.labels)


def _ports_admit(ports: Any, destination: Member, number: int, protocol: str) -> bool:
    if not ports:
        return True
    for port in ports if isinstance(ports, list) else []:
        if not isinstance(port, Mapping) or str(port.get("protocol", "TCP")) != protocol:
            continue
        wanted = port.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            named = _input_ports(destination.resource)
            if any(n == wanted and k == number and p == protocol for n, k, p in named):
                return True
            continue
        end = port.get("endPort")
        if wanted == number or (isinstance(end, int) and wanted <= number <= end):
            return True
    return False


def _members(plans: Sequence[Group], builds: Sequence[Build]) -> list[Member]:
    """Every workload of the blueprints kgen accepts."""
    by_first = {id(b.workload): b for b in builds}
    found: list[Member] = []
    for plan in plans:
        build = by_first.get(id(plan.workloads[0]))
        if build is None:
            continue
        rendered = _rendered_ports(build)
        if plan.kind != "Monolith":
            name = build.app
            found.append(
                Member(
                    plan.workloads[0],
                    build,
                    build.namespace,
                    ("spec",),
                    name,
                    _published(rendered.get(name, ()), build.spec),
                )
            )
            continue
        runs = [Run(w, build.namespace, main_container(w)) for w in plan.workloads]
        processes = build.spec.get("processes") or {}
        schedules = [s.get("name") for s in build.spec.get("schedules") or []]
        for workload, name in zip(plan.workloads, unit_names(build.app, runs), strict=True):
            where: JsonPath | None = None
            if workload.kind == "Deployment":
                if name not in processes:
                    continue  # left out of the Monolith
                where = ("spec", "processes", name)
            elif workload.kind == "CronJob":
                if name not in schedules:
                    continue
                where = ("spec", "schedules", schedules.index(name))
            unit = f"{build.app}-{name}"
            settings = processes.get(name) if workload.kind == "Deployment" else None
            ports = _published(rendered.get(unit, ()), settings or {})
            found.append(Member(workload, build, build.namespace, where, unit, ports))
    return found


def _published(
    ports: tuple[tuple[str, int, str], ...], settings: Mapping[str, Any]
) -> tuple[tuple[str, int, str], ...]:
    """The rendered ports a unit's Service publishes: not those its settings keep off it
    (``published: false``), which no dependsOn may name."""
    kept = {
        port.get("name")
        for port in settings.get("ports") or []
        if isinstance(port, Mapping) and port.get("published") is False
    }
    return tuple(port for port in ports if port[0] not in kept)


def _rendered_ports(build: Build) -> dict[str, tuple[tuple[str, int, str], ...]]:
    """The rendered workloads of a blueprint by name, with their main container's ports."""
    documents = rendered_alone(build)
    found: dict[str, tuple[tuple[str, int, str], ...]] = {}
    for document in documents:
        if document.kind not in ("Deployment", "StatefulSet", "CronJob", "Job"):
            continue
        body = document.body
        spec = body["spec"]["jobTemplate"]["spec"] if document.kind == "CronJob" else body["spec"]
        containers = spec["template"]["spec"].get("containers") or [{}]
        found[document.name] = tuple(
            (str(p.get("name", "")), int(p["containerPort"]), str(p.get("protocol", "TCP")))
            for p in containers[0].get("ports") or []
        )
    return found


class _Policy:
    """One input NetworkPolicy being folded."""

    def __init__(
        self,
        index: Index,
        members: list[Member],
        policy: Resource,
        ledger: Ledger,
        inputs: _Inputs,
    ) -> None:
        self.index = index
        self.inputs = inputs
        self.members = members
        self.policy = policy
        self.namespace = index.namespace(policy)
        spec = policy.body.get("spec")
        self.spec: Mapping[str, Any] = spec if isinstance(spec, Mapping) else {}
        self.ledger = ledger

    def record(self, path: JsonPath, status: Status, note: str, build: Build | None = None) -> None:
        if build is not None:
            build.record(self.policy, path, status, note)
        else:
            self.ledger.record(self.policy, path, status, note)

    def fold(self) -> None:
        self.ledger.forget(self.policy)
        selected = self._selected(self.spec.get("podSelector"), self.namespace)
        if isinstance(selected, str):
            self.record((), Status.LEFT_OUT, selected)
            return
        found, owners = selected
        if not owners:
            why = (
                "selects no workload of the input"
                if not found
                else f"selects {_names(found)}, which kgen does not import"
            )
            self.record((), Status.LEFT_OUT, why)
            return
        names = ", ".join(sorted(m.rendered for m in owners))
        build = owners[0].build if len(owners) == 1 else None
        for path in (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")):
            self.record(path, Status.CHANGED, f"{_OWN}: {names}", build)
        for key in ("labels", "annotations"):
            self.record(
                ("metadata", key), Status.LEFT_OUT,
                "kgen's NetworkPolicy carries the blueprint's labels and annotations",
                build,
            )  # fmt: skip
        labels = self.policy.body.get("metadata", {}).get("labels")
        for key in labels if isinstance(labels, Mapping) else ():
            if reserved_label(str(key)):
                self.record(
                    ("metadata", "labels", key), Status.CHANGED,
                    "kgen writes the recommended app.kubernetes.io/ labels", build,
                )  # fmt: skip
        if build is not None:
            build.cluster_metadata(self.policy)
        self.record(
            ("spec", "podSelector"), Status.CHANGED,
            "kgen selects the workload's pods by its app.kubernetes.io/ labels", build,
        )  # fmt: skip
        types = self._types()
        self.record(
            ("spec", "policyTypes"), Status.CHANGED,
            "kgen's NetworkPolicy isolates both directions (Ingress and Egress)", build,
        )  # fmt: skip
        for direction, peers_key in (("ingress", "from"), ("egress", "to")):
            rules = self.spec.get(direction)
            at: JsonPath = ("spec", direction)
            if direction.capitalize() not in types:
                if rules:
                    self.record(
                        at, Status.LEFT_OUT,
                        f"{direction.capitalize()} is not among its policyTypes: Kubernetes "
                        "ignores these rules", build,
                    )  # fmt: skip
                continue
            if not rules:
                self.record(at, Status.CHANGED, _DENY, build)
                continue
            for i, rule in enumerate(rules):
                self._rule(owners, direction, peers_key, rule, (*at, i))

    def _types(self) -> list[str]:
        types = self.spec.get("policyTypes")
        if isinstance(types, list) and types:
            return [str(t) for t in types]
        return ["Ingress", *(["Egress"] if self.spec.get("egress") else [])]

    def _selected(self, selector: Any, namespace: str) -> tuple[list[Resource], list[Member]] | str:
        """The workloads a pod selector selects in ``namespace`` and the imported ones of
        them, or why kgen import cannot tell."""
        if not isinstance(selector, Mapping):
            return [], []
        if selector.get("matchExpressions"):
            return (
                "selects pods by matchExpressions: kgen import does not guess which workloads "
                "they are"
            )
        wanted = selector.get("matchLabels") or {}
        if not isinstance(wanted, Mapping):
            return [], []
        found = []
        for workload in self.index.resources:
            if workload.kind not in ("Deployment", "StatefulSet", "Job", "CronJob"):
                continue
            if self.index.namespace_of.get(id(workload)) != namespace:
                continue
            labels = pod_labels(workload)
            if all(labels.get(k) == v for k, v in wanted.items()):
                found.append(workload)
        return found, [m for w in found for m in self.members if m.resource is w]

    def _rule(
        self,
        owners: list[Member],
        direction: str,
        peers_key: str,
        rule: Any,
        at: JsonPath,
    ) -> None:
        build = owners[0].build if len(owners) == 1 else None
        if not isinstance(rule, Mapping):
            self.record(at, Status.LEFT_OUT, "not a rule", build)
            return
        if direction == "egress" and _dns(rule):
            note = (
                _DNS
                if rule.get("to")
                else "kgen allows port 53 to cluster DNS only (kube-dns in kube-system)"
            )
            self.record(at, Status.CHANGED, note, build)
            return
        if build is None or any(m.build is None for m in owners):
            shown = ", ".join(sorted(m.rendered for m in owners))
            said = (
                "their dependsOn or egress (a Monolith's spec.egress reaches every process)"
                if direction == "egress"
                else "the callers' dependsOn"
            )
            self.record(
                at, Status.LEFT_OUT,
                f"the policy selects several workloads ({shown}): kgen import does not guess "
                f"whose rule it is, and kgen's NetworkPolicies deny what it admitted until "
                f"{said} says it",
            )  # fmt: skip
            return
        owner = owners[0]
        peers = rule.get(peers_key)
        if not peers:
            why = (
                "admits every peer: kgen opens a port to everyone only for a NodePort or "
                "LoadBalancer Service or an Ingress (service.type, ingress)"
                if direction == "ingress"
                else "admits every destination: kgen says which apps a workload calls "
                "(dependsOn) and which IP blocks it reaches (egress)"
            )
            self.record(at, Status.LEFT_OUT, why, build)
            return
        ports = rule.get("ports")
        used = False
        port_why = ""
        for j, peer in enumerate(peers):
            where = (*at, peers_key, j)
            if not isinstance(peer, Mapping):
                self.record(where, Status.LEFT_OUT, "not a peer", build)
                continue
            if "ipBlock" in peer:
                done, why = self._block(owner, direction, peer, ports, where, at)
            else:
                done, why = self._pods(owner, direction, peer, ports, where, at)
            used = used or done
            if not done and why.startswith("port"):
                port_why = why
        if direction == "ingress":
            self._opened(owner, ports, at)
        if "ports" in rule:
            if used:
                self.record(
                    (*at, "ports"), Status.CHANGED,
                    "the ports of the dependsOn and egress its peers became", build,
                )  # fmt: skip
            else:
                self.record(
                    (*at, "ports"), Status.LEFT_OUT,
                    port_why or "its peers are left out" + _denied(direction, "those peers", owner),
                    build,
                )  # fmt: skip

    def _opened(self, owner: Member, ports: Any, at: JsonPath) -> None:
        """Warn when the ports an ingress rule admits only from its peers are ones kgen's
        NetworkPolicy opens to every source (an Ingress's, a NodePort or LoadBalancer
        Service's, the metrics port): the input's restriction is gone."""
        open_to_all = _open_ports(owner)
        covered = _rule_ports(owner.resource, ports)
        exposed = sorted(
            f"{number}/{protocol}"
            for number, protocol in covered
            if open_to_all is None or (number, protocol) in open_to_all
        )
        if not exposed:
            return
        self.ledger.note(
            self.policy, at,
            f"now open to every source: {', '.join(exposed)} of {owner.rendered}. The input "
            "admitted it only from this rule's peers, but kgen's NetworkPolicy opens the ports "
            "an Ingress, a NodePort or LoadBalancer Service, or the metrics scrape reaches to "
            "everyone",
            owner.build.ref,
        )  # fmt: skip

    def _block(
        self,
        owner: Member,
        direction: str,
        peer: Mapping[str, Any],
        ports: Any,
        where: JsonPath,
        at: JsonPath,
    ) -> tuple[bool, str]:
        build = owner.build
        block = peer.get("ipBlock")
        if direction == "ingress":
            why = (
                "traffic from outside the pod network: kgen admits it only on the ports a "
                "NodePort or LoadBalancer Service or an Ingress exposes"
            )
            self.record(where, Status.LEFT_OUT, why, build)
            return False, why
        if owner.where is None:
            return self._migration(owner, where)
        if not isinstance(block, Mapping) or not isinstance(block.get("cidr"), str):
            self.record(where, Status.LEFT_OUT, "an ipBlock without a cidr", build)
            return False, "an ipBlock without a cidr"
        if block.get("except"):
            why = "an ipBlock with except: kgen's egress admits whole CIDR blocks"
            self.record(where, Status.LEFT_OUT, why, build)
            return False, why
        if not ports:
            why = "to every port: kgen's egress names its ports"
            self.record(where, Status.LEFT_OUT, why, build)
            return False, why
        written: list[Any] = []
        for port in ports:
            number = port.get("port") if isinstance(port, Mapping) else None
            protocol = str(port.get("protocol", "TCP")) if isinstance(port, Mapping) else "TCP"
            if isinstance(port, Mapping) and port.get("endPort") is not None:
                why = "ports as a range (endPort): kgen's egress lists single ports"
            elif not isinstance(number, int) or isinstance(number, bool):
                why = "ports by name to an IP block: kgen's egress takes port numbers"
            else:
                written.append(
                    number if protocol == "TCP" else {"port": number, "protocol": protocol}
                )
                continue
            self.record(where, Status.LEFT_OUT, why, build)
            return False, why
        node = _node(build, owner.where)
        blocks: list[Any] = node.setdefault("egress", [])
        entry = {"cidr": block["cidr"], "ports": list(_hashable(written).values())}
        if entry not in blocks:
            blocks.append(entry)
        index = blocks.index(entry)
        build.origin((*owner.where, "egress", index), self.policy, where)
        build.origin((*owner.where, "egress", index), self.policy, (*at, "ports"))
        build.record(
            self.policy, where, Status.CHANGED,
            f"egress of {owner.rendered} to {block['cidr']} (spec.egress of {build.ref})",
        )  # fmt: skip
        return True, ""

    def _pods(
        self,
        owner: Member,
        direction: str,
        peer: Mapping[str, Any],
        ports: Any,
        where: JsonPath,
        at: JsonPath,
    ) -> tuple[bool, str]:
        build = owner.build
        namespaces = peer.get("namespaceSelector")
        namespace = self.namespace
        if namespaces is not None:
            labels = namespaces.get("matchLabels") if isinstance(namespaces, Mapping) else None
            named = labels.get(NAMESPACE_LABEL) if isinstance(labels, Mapping) else None
            if (
                not isinstance(named, str)
                or len(labels or {}) != 1
                or (isinstance(namespaces, Mapping) and namespaces.get("matchExpressions"))
            ):
                why = (
                    "selects namespaces by other labels than kubernetes.io/metadata.name: "
                    "kgen names one namespace per dependsOn"
                )
                self.record(where, Status.LEFT_OUT, why, build)
                return False, why
            namespace = named
        if peer.get("podSelector") is None:
            why = (
                f"admits every pod of namespace {namespace}: kgen admits the apps that call, "
                "by name (dependsOn)" + _denied(direction, f"namespace {namespace}", owner)
            )
            self.record(where, Status.LEFT_OUT, why, build)
            return False, why
        selected = self._selected(peer.get("podSelector"), namespace)
        if isinstance(selected, str):
            self.record(where, Status.LEFT_OUT, selected, build)
            return False, selected
        found, chosen = selected
        if len(found) != 1 or len(chosen) != 1:
            why = (
                f"selects no workload of the input in namespace {namespace}"
                + _denied(direction, f"those pods of namespace {namespace}", owner)
                if not found
                else f"selects several workloads ({_names(found)}): kgen import does not "
                "guess which one it means"
                if len(found) > 1
                else f"selects {_names(found)}, which kgen does not import"
            )
            self.record(where, Status.LEFT_OUT, why, build)
            return False, why
        other = chosen[0]
        caller, target = (other, owner) if direction == "ingress" else (owner, other)
        if caller.where is None:
            return self._migration(caller, where)
        if caller is target:
            why = (
                "kgen writes the same: a StatefulApp's pods reach each other on their ports"
                if caller.build.kind == "StatefulApp"
                else f"{caller.rendered}'s pods calling each other: kgen has no field for it "
                "(a pod reaches itself over localhost, and only a StatefulApp's pods reach "
                "each other)" + _denied(direction, f"the other pods of {owner.rendered}", owner)
            )
            status = Status.CHANGED if caller.build.kind == "StatefulApp" else Status.LEFT_OUT
            self.record(where, status, why, build)
            return status is Status.CHANGED, why
        return self._depend(caller, target, other, owner, direction, ports, where)

    def _depend(
        self,
        caller: Member,
        target: Member,
        other: Member,
        owner: Member,
        direction: str,
        ports: Any,
        where: JsonPath,
    ) -> tuple[bool, str]:
        """The caller's dependsOn on the target, on the rule's ports."""
        build = owner.build
        names = _port_names(target, ports)
        if isinstance(names, str):
            peers = other.rendered
            why = names + _denied(direction, peers, owner)
            self.record(where, Status.LEFT_OUT, why, build)
            return False, names
        names, wider = self._of_process(caller, target, names)
        shown = []
        for name in names:
            reference: Any = target.build.app
            if target.namespace != caller.namespace or name is not None:
                reference = {"app": target.build.app}
                if target.namespace != caller.namespace:
                    reference["namespace"] = target.namespace
                if name is not None:
                    reference["port"] = name
            assert caller.where is not None
            node = _node(caller.build, caller.where)
            references: list[Any] = node.setdefault("dependsOn", [])
            if reference not in references:
                references.append(reference)
            index = references.index(reference)
            caller.build.origin((*caller.where, "dependsOn", index), self.policy, where)
            shown.append(target.build.app + (f":{name}" if name else ""))
        caller.build.record(
            self.policy, where, Status.CHANGED,
            f"{caller.rendered} calls {target.rendered}: dependsOn {', '.join(shown)} in "
            f"{caller.build.ref}",
        )  # fmt: skip
        self._denied(caller, target, names, direction, where)
        if wider:
            self.ledger.note(
                self.policy, where,
                f"kgen also admits {caller.rendered} -> {', '.join(wider)}: dependsOn names "
                f"an app and a port, and other processes of {target.build.app} publish a port "
                "of that name",
                caller.build.ref,
            )  # fmt: skip
        return True, ""

    def _of_process(
        self, caller: Member, target: Member, names: list[str | None]
    ) -> tuple[list[str | None], list[str]]:
        """dependsOn names an app: one process of a Monolith is named by its ports (every
        port of the app's would admit the others too); and the other processes that
        publish a port of the same name, which kgen admits as well, to warn of."""
        siblings = [m for m in self.members if m.build is target.build and m is not target]
        if None in names and any(m.ports for m in siblings):
            names = [name for name, _, _ in target.ports]
        wider = sorted(
            f"{m.rendered} on {name}"
            for m in siblings
            for name, _, _ in m.ports
            if name in names and m is not caller
        )
        return names, wider

    def _denied(
        self,
        caller: Member,
        target: Member,
        names: list[str | None],
        direction: str,
        where: JsonPath,
    ) -> None:
        """A dependsOn admits both ends: warn where the input isolated the other end's
        direction (the caller's egress for an ingress rule, the target's ingress for an
        egress rule) and none of its rules admitted the call."""
        other = "Egress" if direction == "ingress" else "Ingress"
        end = caller if other == "Egress" else target
        if not self.inputs.isolating(end.resource, end.namespace, other):
            return
        denied = [
            f"{number}/{protocol}"
            for name, number, protocol in target.ports
            if (None in names or name in names)
            and not self.inputs.admits(caller, target, number, protocol, other)
        ]
        if not denied:
            return
        self.ledger.note(
            self.policy, where,
            f"kgen now admits {other.lower()} the input denied: {caller.rendered} -> "
            f"{target.rendered} on {', '.join(denied)} (a dependsOn opens both ends; the "
            f"input's NetworkPolicies isolate {end.rendered}'s {other.lower()} and none of "
            "their rules admits this)",
            caller.build.ref,
        )  # fmt: skip

    def _migration(self, member: Member, where: JsonPath) -> tuple[bool, str]:
        why = (
            f"{member.rendered} is the migration of Monolith {member.build.app}: it takes the "
            "Monolith's dependsOn and egress, which every process inherits"
        )
        self.record(where, Status.LEFT_OUT, why, member.build)
        return False, why


def _names(workloads: Sequence[Resource]) -> str:
    return ", ".join(sorted(f"{w.kind} {w.name}" for w in workloads))


def _dns(rule: Mapping[str, Any]) -> bool:
    """Whether an egress rule admits DNS and nothing else: port 53 only, to kube-dns (or
    to every peer, which kgen narrows to kube-dns)."""
    ports = rule.get("ports")
    if not isinstance(ports, list) or not ports:
        return False
    for port in ports:
        if not isinstance(port, Mapping) or port.get("port") not in (53, "dns", "dns-tcp"):
            return False
        if port.get("protocol", "TCP") not in ("UDP", "TCP") or port.get("endPort"):
            return False
    for peer in rule.get("to") or []:
        if not isinstance(peer, Mapping) or "ipBlock" in peer:
            return False
        pods = peer.get("podSelector")
        labels = pods.get("matchLabels") if isinstance(pods, Mapping) else None
        namespaces = peer.get("namespaceSelector")
        named = namespaces.get("matchLabels") if isinstance(namespaces, Mapping) else None
        if labels != {"k8s-app": "kube-dns"} or (pods or {}).get("matchExpressions"):
            return False
        if named not in (None, {}, {NAMESPACE_LABEL: "kube-system"}):
            return False
    return True


def _port_names(target: Member, ports: Any) -> list[str | None] | str:
    """The rendered names of the target's ports a rule names (``[None]``: every port), or
    why one cannot be said."""
    if not target.ports:
        return f"{target.rendered} publishes no ports, so nothing can call it"
    if not ports:
        return [None]
    declared = _input_ports(target.resource)
    names: list[str | None] = []
    for port in ports:
        wanted = port.get("port") if isinstance(port, Mapping) else None
        protocol = str(port.get("protocol", "TCP")) if isinstance(port, Mapping) else "TCP"
        if isinstance(port, Mapping) and port.get("endPort") is not None:
            return "ports as a range (endPort): dependsOn names single ports"
        if wanted is None:
            return [None]
        if isinstance(wanted, str):
            numbers = [n for name, n, p in declared if name == wanted and p == protocol]
            if not numbers:
                return f"port {wanted!r} is no {protocol} port of {target.rendered}'s containers"
            wanted = numbers[0]
        found = [n for n, number, p in target.ports if number == wanted and p == protocol]
        if not found:
            return f"port {wanted} ({protocol}) is no port kgen publishes for {target.rendered}"
        if found[0] not in names:
            names.append(found[0])
    if len(names) == len(target.ports):
        return [None]
    return names


def _open_ports(owner: Member) -> set[tuple[int, str]] | None:
    """The ports (number, protocol) kgen's NetworkPolicy of ``owner`` admits from every
    source; None for all of them."""
    policy = owner.build.rendered("NetworkPolicy", owner.rendered)
    rules = value_at(policy, ("spec", "ingress"))[1] if policy else None
    found: set[tuple[int, str]] = set()
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, Mapping) or rule.get("from"):
            continue
        if not rule.get("ports"):
            return None
        for port in rule["ports"]:
            if isinstance(port, Mapping) and isinstance(port.get("port"), int):
                found.add((port["port"], str(port.get("protocol", "TCP"))))
    return found


def _rule_ports(workload: Resource, ports: Any) -> set[tuple[int, str]]:
    """The pod ports (number, protocol) an input rule's ``ports`` name: every port of the
    workload's containers when it names none; a name by the containers' ports."""
    declared = _input_ports(workload)
    if not ports:
        return {(number, protocol) for _, number, protocol in declared}
    found: set[tuple[int, str]] = set()
    for port in ports if isinstance(ports, list) else []:
        if not isinstance(port, Mapping) or port.get("endPort") is not None:
            continue
        protocol = str(port.get("protocol", "TCP"))
        value = port.get("port")
        if isinstance(value, int) and not isinstance(value, bool):
            found.add((value, protocol))
        elif isinstance(value, str):
            found.update((n, p) for name, n, p in declared if name == value and p == protocol)
    return found


def _input_ports(workload: Resource) -> list[tuple[str, int, str]]:
    found = []
    for container in pod_spec(workload).get("containers") or []:
        for port in (container.get("ports") or []) if isinstance(container, Mapping) else []:
            if isinstance(port, Mapping) and isinstance(port.get("containerPort"), int):
                found.append(
                    (
                        str(port.get("name", "")),
                        port["containerPort"],
                        str(port.get("protocol", "TCP")),
                    )
                )
    return found


def _node(build: Build, where: JsonPath) -> dict[str, Any]:
    node: Any = build.blueprint
    for part in where:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(str(part), {})
    result: dict[str, Any] = node
    return result


def _hashable(ports: list[Any]) -> dict[str, Any]:
    return {repr(p): p for p in ports}


def _denied(direction: str, peers: str, owner: Member) -> str:
    """What a left-out rule's traffic becomes: kgen's policy denies it (but on the ports
    kgen opens to everyone anyway)."""
    if direction == "ingress":
        return (
            f"; so kgen's policy now denies traffic from {peers} to {owner.rendered} (but on a "
            "port kgen opens anyway: an ingress's, a NodePort or LoadBalancer Service's, the "
            "monitored metrics port)"
        )
    return f"; so kgen's policy now denies traffic from {owner.rendered} to {peers}"
