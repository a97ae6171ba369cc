"""What kgen writes that the input did not say: its hardening, labels, defaults and the
resources it adds, each with the documented reason.

The import renders its blueprints once more at the end; every rendered value that no
mapped input value accounts for, and that the input did not already hold at the same
place, is an addition. ``DOCUMENTED`` says why kgen writes each: the report lists them
under their reason, and a value it does not explain is listed as undocumented (a test
keeps that list empty on every round trip).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from kgen.helpers import HEADLESS_LABEL
from kgen.importer.account import Line, Selections, Status, TargetPath, resolved, value_at
from kgen.importer.read import Resource
from kgen.model import Document
from kgen.record import dataclass

_POD = "*spec.template.spec"
_CONTAINER = f"{_POD}.*ontainers[]"

#: Why kgen adds what changes how a workload's pods run (each is warned of, once).
HARDENED_PODS = "hardening: pods run as non-root with the runtime's seccomp profile"
HARDENED_CONTAINERS = (
    "hardening: containers run as non-root, unprivileged, without capabilities, with a "
    "read-only root filesystem"
)
DEFAULT_RESOURCES = "kgen's default requests and limits"

#: (kind, path) patterns of what kgen writes beyond the input, and why. A path is dotted,
#: with ``[]`` for a list item: ``spec.template.spec.containers[].securityContext.privileged``.
DOCUMENTED: tuple[tuple[str, str, str], ...] = (
    ("*", "metadata.namespace", "every resource names its namespace"),
    (
        "PrometheusRule",
        "spec.groups[]*",
        "kgen puts an app's alerts in one group, <namespace>.<app>, each labelled with its "
        "severity (warning unless said), namespace and app",
    ),
    ("*", "*labels.app.kubernetes.io/*", "kgen's recommended app.kubernetes.io/ labels"),
    ("*", "*selector.*app.kubernetes.io/*", "kgen selects pods by app.kubernetes.io/ labels"),
    (
        "Service",
        "metadata.labels.kgen.dev/headless",
        "kgen marks a StatefulApp's own headless Service, which its ServiceMonitor leaves out",
    ),
    ("*", "*.labels.app", "the blueprint's labels are on every resource"),
    ("*", "*.labels.*", "the blueprint's labels are on every resource"),
    ("*", "*annotations.argocd.argoproj.io/*", "Argo CD sync waves and hooks order a sync"),
    ("*", "*annotations.kgen.dev/config-hash", "a change of config files rolls the pods"),
    (
        "*",
        "*annotations.checkov.io/skip*",
        "Checkov is told of the one finding kgen allows: secrets as environment variables",
    ),
    (
        "*",
        f"{_CONTAINER}.env[].valueFrom.secretKeyRef.*",
        "secret variables read the Secret that kgen's ExternalSecret writes",
    ),
    (
        "*",
        f"{_CONTAINER}.env[].name",
        "kgen writes each variable by name: a ConfigMap's (envFrom) inlined one by one, a "
        "Monolith's secrets given to every process, migration and schedule",
    ),
    ("*", f"{_POD}.securityContext.*", HARDENED_PODS),
    ("*", f"{_CONTAINER}.securityContext.*", HARDENED_CONTAINERS),
    (
        "*",
        f"{_POD}.automountServiceAccountToken",
        "hardening: no Kubernetes API token unless the app asks for one",
    ),
    ("*", f"{_POD}.enableServiceLinks", "hardening: no service variables in the environment"),
    (
        "*",
        f"{_POD}.volumes[].secret.*",
        "a mounted secret is read from the Secret kgen's ExternalSecret writes (a Monolith's "
        "in every process, migration and schedule)",
    ),
    ("*", f"{_POD}.volumes[].*", "a writable /tmp on every container (root filesystem read-only)"),
    (
        "*",
        f"{_CONTAINER}.volumeMounts[].*",
        "a writable /tmp on every container (root filesystem read-only)",
    ),
    ("*", f"{_CONTAINER}.resources.*", DEFAULT_RESOURCES),
    ("*", f"{_CONTAINER}.*Probe.*", "kgen probes every container"),
    ("*", f"{_CONTAINER}.imagePullPolicy", "a tag is pulled Always, a digest IfNotPresent"),
    ("*", f"{_CONTAINER}.name", "kgen names the main container after the app or process"),
    ("*", f"{_CONTAINER}.ports[].*", "kgen names every port, with its protocol"),
    ("*", f"{_POD}.topologySpreadConstraints*", "replicas spread across availability zones"),
    (
        "*",
        f"{_POD}.affinity.*.labelSelector.matchExpressions[]*",
        "a pod affinity of the app's own pods selects them by kgen's labels",
    ),
    ("*", f"{_POD}.serviceAccountName", "every app runs as its own ServiceAccount"),
    ("*", "spec.revisionHistoryLimit", "kgen keeps a few old revisions, not Kubernetes' ten"),
    ("*", "spec.replicas", "kgen's default replicas"),
    ("*", "metadata.name", "kgen names each resource after its app (or the app's process)"),
    (
        "Service",
        "spec.ports(monitored)",
        "kgen's Service publishes the sidecar port monitoring.port names, for Prometheus, "
        "where the input's left it out",
    ),
    (
        "Service",
        "spec.ports(published)",
        "kgen's headless Service lists every port of the main container (the pods' names "
        "for each other) and a monitored sidecar's, where the input's left some out",
    ),
    (
        "ServiceMonitor",
        "kind",
        "kgen scrapes a port its Service publishes with a ServiceMonitor, where the input's "
        "PodMonitor scraped the pods",
    ),
    ("Service", "spec.ports[].*", "Service ports target the container port by name"),
    ("Service", "spec.type", "kgen writes the Service's type"),
    (
        "Service",
        "spec.publishNotReadyAddresses",
        "a StatefulApp's headless Service lists members before they are ready, so they "
        "can find each other",
    ),
    (
        "StatefulSet",
        "spec.serviceName",
        "the StatefulSet names its headless Service <app>-headless",
    ),
    ("StatefulSet", "spec.podManagementPolicy", "Kubernetes' default (OrderedReady), written out"),
    (
        "Service",
        "metadata.annotations.service.beta.kubernetes.io/aws-load-balancer-*",
        "kgen derives the AWS load balancer annotations (an NLB with IP targets)",
    ),
    (
        "Service",
        "",
        "an app with ports gets a Service (a StatefulApp a headless one and a client one)",
    ),
    (
        "Ingress",
        "metadata.annotations.alb.ingress.kubernetes.io/*",
        "kgen derives the AWS Load Balancer Controller's annotations from ingress: scheme, "
        "IP targets, a shared group, listeners, the health check path",
    ),
    (
        "Ingress",
        "spec.ingressClassName",
        "an Ingress names its class in spec.ingressClassName (alb unless ingress.className "
        "says another)",
    ),
    (
        "Ingress",
        "spec.rules[].http.paths[].*",
        "kgen's Ingress routes ingress.path as a prefix to the app's Service port, by name",
    ),
    (
        "Ingress",
        "spec.tls[].*",
        "TLS for ingress.host: the Secret of tls.secretName or of the Certificate kgen "
        "renders (ALB: the ACM certificate for the host)",
    ),
    (
        "Certificate",
        "*",
        "a cert-manager Certificate for ingress.tls.issuer, where cert-manager's "
        "ingress-shim made one from an annotation",
    ),
    (
        "ServiceMonitor",
        "spec.*",
        "kgen's ServiceMonitor selects the app's Service by its labels and scrapes "
        "monitoring.port at its path (/metrics) and interval (30s)",
    ),
    (
        "PodMonitor",
        "spec.*",
        "kgen's PodMonitor selects the app's pods by their labels and scrapes monitoring.port "
        "by its name at its path (/metrics) and interval (30s)",
    ),
    ("*", "*annotations.*", "the blueprint's annotations are on every resource"),
    (
        "CronJob",
        "spec.[csf]*",
        "kgen's schedule defaults: runs never overlap, a missed run starts within its "
        "deadline, a few finished jobs are kept",
    ),
    (
        "*",
        "*backoffLimit(kubernetes)",
        "Kubernetes' default (6 retries), which the input had by leaving backoffLimit out: "
        "written out, as kgen's own default is fewer",
    ),
    ("*", "*backoffLimit", "kgen's job defaults: a few retries, then the job fails"),
    (
        "HorizontalPodAutoscaler",
        "spec.minReplicas(kubernetes)",
        "Kubernetes' default (1), which the input had by leaving minReplicas out: written "
        "out, as kgen's own default is the workload's replicas",
    ),
    (
        "HorizontalPodAutoscaler",
        "spec.metrics[]*",
        "kgen's HPA scales on CPU at 80% of the request when no metric it renders is given, "
        "as Kubernetes' does",
    ),
    ("*", "*activeDeadlineSeconds", "kgen's job defaults: a deadline for a run"),
    ("*", f"{_POD}.restartPolicy", "a job's pods are not restarted in place"),
    (
        "*",
        f"{_CONTAINER}.env[].value",
        "a Monolith's env applies to every process, migration and schedule",
    ),
    (
        "*",
        f"{_CONTAINER}.image",
        "a Monolith runs its one image in every process, migration and schedule",
    ),
    (
        "*",
        f"{_POD}.terminationGracePeriodSeconds",
        "a Monolith's pod settings apply to every process, migration and schedule",
    ),
    ("NetworkPolicy", "spec.podSelector.*", "kgen selects pods by app.kubernetes.io/ labels"),
    (
        "NetworkPolicy",
        "spec.policyTypes*",
        "kgen's NetworkPolicy isolates the app's pods both ways: what it does not admit is denied",
    ),
    (
        "NetworkPolicy",
        "spec.egress(dns)",
        "every app may reach cluster DNS (kube-dns in kube-system, UDP and TCP 53)",
    ),
    (
        "NetworkPolicy",
        "spec.*(peers)",
        "a StatefulApp's pods reach each other on their ports (peer traffic, through the "
        "headless Service)",
    ),
    (
        "NetworkPolicy",
        "spec.ingress(callers)",
        "an app admits the apps whose dependsOn names it, on the ports they call",
    ),
    ("NetworkPolicy", "spec.egress(calls)", "an app may call what its dependsOn names"),
    ("NetworkPolicy", "spec.egress(cidr)", "an app may reach the IP blocks its egress names"),
    (
        "NetworkPolicy",
        "spec.ingress(exposed)",
        "the ports a NodePort or LoadBalancer Service or an Ingress exposes take traffic "
        "from outside the pod network",
    ),
    (
        "NetworkPolicy",
        "spec.ingress(prometheus)",
        "Prometheus may scrape a monitored app's metrics port",
    ),
    ("NetworkPolicy", "*", "every app gets a NetworkPolicy: the service graph, DNS, egress"),
    ("ServiceAccount", "*", "every app runs as its own ServiceAccount, without a token"),
    ("PodDisruptionBudget", "*", "a disruption budget when there is more than one replica"),
    ("ConfigMap", "*", "config files live in kgen's ConfigMap <app>-files"),
    ("ExternalSecret", "*", "secrets are read from the secret store"),
)
UNDOCUMENTED = "not a documented addition: please report it"


@dataclass(frozen=True)
class Addition:
    """What kgen writes in one rendered resource beyond the input, for one reason: the
    paths, or none when kgen adds the whole resource."""

    kind: str
    namespace: str
    name: str
    reason: str
    paths: tuple[str, ...]


#: A Job's retries when its spec sets none (Kubernetes' default).
#: Kubernetes' defaults that kgen writes out where the input left the field out and
#: kgen's own default differs: a Job's retries, an autoscaler's fewest pods.
_KUBERNETES_DEFAULTS = {"backoffLimit": 6, "minReplicas": 1}


def additions(
    documents: Iterable[Document], lines: Iterable[Line], namespaces: Mapping[int, str]
) -> list[Addition]:
    """Every rendered value that no mapped input value accounts for and that the input did
    not hold already, grouped by resource and reason."""
    targets: dict[tuple[str, str], list[TargetPath]] = {}
    inputs: dict[tuple[str, str, str], Resource] = {}
    for line in lines:
        resource = line.resource
        inputs.setdefault((resource.kind, namespaces[id(resource)], resource.name), resource)
        if line.entry.status is Status.MAPPED:
            for target in line.entry.targets:
                targets.setdefault((target.kind, target.name), []).append(target.path)
    found: list[Addition] = []
    for document in documents:
        body = document.body
        kind, name = str(body.get("kind")), str(_dig(body, ("metadata", "name")))
        namespace = str(_dig(body, ("metadata", "namespace")))
        source = inputs.get((kind, namespace, name))
        mapped = targets.get((kind, name), [])
        own = source is None and not mapped  # a resource of kgen's own
        if own:
            found.append(Addition(kind, namespace, name, reason_of(kind, ""), ()))
            if kind != "NetworkPolicy":
                continue
        grouped: dict[str, list[str]] = {}
        # each mapped target found once in the document: a leaf is mapped when one of
        # them is a prefix of its path (a leaf against every target, each resolving its
        # list items again, was cubic in a long env list)
        lists: Selections = {}
        at = {spot for target in mapped if (spot := resolved(body, target, lists)) is not None}
        ported = {spot[:3] for spot in at if spot[:2] == ("spec", "ports")}  # Service ports
        for path, value in _leaves(body):
            if any(path[:depth] in at for depth in range(len(path) + 1)):
                continue
            if source is not None and value_at(source.body, path) == (True, value):
                continue  # the input held it already
            flow = _flow(body, path) if kind == "NetworkPolicy" else None
            if own and flow is None:
                continue  # said by the resource's own line
            shown, looked_up = flow or (_shown(path), _shown(path))
            if kind == "Service" and path[:2] == ("spec", "ports") and path[:3] not in ported:
                # a port the input's Service left out: a headless one lists every port of
                # the main container; a client Service publishes only a monitored sidecar's
                labels = _dig(body, ("metadata", "labels"))
                headless = isinstance(labels, Mapping) and HEADLESS_LABEL in labels
                looked_up = f"spec.ports({'published' if headless else 'monitored'})"
            if source is not None and _KUBERNETES_DEFAULTS.get(str(path[-1])) == value:
                looked_up += "(kubernetes)"  # the input's object did as Kubernetes does
            grouped.setdefault(reason_of(kind, looked_up), []).append(shown)
        for reason, paths in grouped.items():
            found.append(Addition(kind, namespace, name, reason, tuple(dict.fromkeys(paths))))
    return found


def reason_of(kind: str, path: str) -> str:
    """Why kgen writes ``path`` of a ``kind``: the first documented pattern that matches."""
    for kinds, pattern, why in DOCUMENTED:
        if fnmatchcase(kind, kinds) and fnmatchcase(path, pattern.replace("[]", "[[]]")):
            return why
    return UNDOCUMENTED


def _flow(body: Mapping[str, Any], path: tuple[str | int, ...]) -> tuple[str, str] | None:
    """For a leaf in a rule of a rendered NetworkPolicy: the rule as shown
    (``spec.egress[]``) and as looked up in ``DOCUMENTED``, by what the rule admits
    (``spec.egress(dns)``)."""
    if len(path) < 3 or path[0] != "spec" or path[1] not in ("ingress", "egress"):
        return None
    direction = str(path[1])
    rule = _dig(body, ("spec", direction))
    rule = rule[path[2]] if isinstance(rule, list) and isinstance(path[2], int) else None
    if not isinstance(rule, Mapping):
        return None
    peers = rule.get("from" if direction == "ingress" else "to") or []
    own = {"podSelector": _dig(body, ("spec", "podSelector"))}
    ports = [p.get("port") for p in rule.get("ports") or [] if isinstance(p, Mapping)]
    if not peers:
        role = "exposed"
    elif own in peers:
        role = "peers"
    elif any(isinstance(p, Mapping) and "ipBlock" in p for p in peers):
        role = "cidr"
    elif direction == "egress" and ports and set(ports) == {53}:
        role = "dns"
    elif direction == "ingress" and any(
        _dig(p, ("podSelector", "matchLabels", "app.kubernetes.io/name")) == "prometheus"
        and _dig(p, ("namespaceSelector",)) == {}
        for p in peers
    ):
        role = "prometheus"
    else:
        role = "callers" if direction == "ingress" else "calls"
    return f"spec.{direction}[]", f"spec.{direction}({role})"


def _shown(path: tuple[str | int, ...]) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return re.sub(r"\[\d+\]", "[]", text)


def _dig(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _leaves(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[Any, Any]]:
    if isinstance(node, Mapping) and node:
        for key, child in node.items():
            yield from _leaves(child, (*path, str(key)))
    elif isinstance(node, list) and node:
        for index, child in enumerate(node):
            yield from _leaves(child, (*path, index))
    else:
        yield path, node
