"""What a ninth round of new-user trials of ``kgen import`` found: a Monolith process's
callers widened to its sibling processes, a false reason for replicas calling each other,
ports and probe values the API server refuses, and additions of a monitored sidecar port
and of kgen's PodMonitor without their documented reasons."""

from __future__ import annotations

from pathlib import Path

from kgen.importer import output as imported
from tests.conftest import RunKgen
from tests.importing import blueprint_of, import_text, renders_back

_PROCESS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger-NAME, namespace: fleet}
spec:
  selector: {matchLabels: {app: ledger, proc: NAME}}
  template:
    metadata: {labels: {app: ledger, proc: NAME}}
    spec:
      containers:
        - name: NAME
          image: ghcr.io/example/ledger:2.0.0
          command: [NAME]
          PORTS
          livenessProbe: {exec: {command: ['true']}}
          readinessProbe: {exec: {command: ['true']}}
"""

FLEET = "---\n".join(
    [
        _PROCESS.replace("NAME", "api").replace(
            "PORTS", "ports: [{name: http, containerPort: 8000}]"
        ),
        _PROCESS.replace("NAME", "worker").replace("          PORTS\n", ""),
        _PROCESS.replace("NAME", "reconciler").replace(
            "PORTS", "ports: [{name: metrics, containerPort: 9100}]"
        ),
        """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: fleet}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: worker-to-api, namespace: fleet}
spec:
  podSelector: {matchLabels: {proc: api}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {proc: worker}}}]
      ports: [{port: 8000}]
""",
    ]
)


def test_a_call_to_one_process_names_its_port_not_the_whole_app(tmp_path: Path) -> None:
    """The worker may call the api process on 8000: ``dependsOn: [ledger]`` would admit it
    to the reconciler's 9100 too, which the input denied."""
    result = import_text(tmp_path, FLEET)
    processes = blueprint_of(result)["spec"]["processes"]
    assert processes["worker"]["dependsOn"] == [{"app": "ledger", "port": "http"}]
    rendered = renders_back(result, tmp_path)
    egress = rendered[("NetworkPolicy", "ledger-worker")]["spec"]["egress"]
    assert [rule["ports"] for rule in egress[1:]] == [[{"port": 8000, "protocol": "TCP"}]]
    reconciler = rendered[("NetworkPolicy", "ledger-reconciler")]["spec"].get("ingress", [])
    assert all("from" not in rule or rule["ports"] != [{"port": 9100}] for rule in reconciler)


def test_a_port_name_other_processes_share_is_warned_of(tmp_path: Path) -> None:
    text = FLEET.replace(
        "{name: metrics, containerPort: 9100}", "{name: http, containerPort: 9100}"
    )
    result = import_text(tmp_path, text)
    said = [w for w in imported.warnings(result) if "also admits" in w]
    assert [w.split(": warning: ", 1)[1].split(": ", 2)[2] for w in said] == [
        "kgen also admits ledger-worker -> ledger-reconciler on http: dependsOn names an app "
        "and a port, and other processes of ledger publish a port of that name"
    ]


CLUSTERED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: keycloak, namespace: idp}
spec:
  replicas: 2
  selector: {matchLabels: {app: keycloak}}
  template:
    metadata: {labels: {app: keycloak}}
    spec:
      containers:
        - name: keycloak
          image: quay.io/keycloak/keycloak:26.0.0
          ports: [{name: http, containerPort: 8080}, {name: jgroups, containerPort: 7800}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: keycloak, namespace: idp}
spec:
  podSelector: {matchLabels: {app: keycloak}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: keycloak}}}]
      ports: [{port: 7800}]
"""


def test_replicas_calling_each_other_are_said_to_be_denied(tmp_path: Path) -> None:
    result = import_text(tmp_path, CLUSTERED)
    [said] = [w for w in imported.warnings(result) if "calling each other" in w]
    assert said.split(": warning: ", 1)[1] == (
        "NetworkPolicy idp/keycloak: spec.ingress[0].from[0]: keycloak's pods calling each "
        "other: kgen has no field for it (a pod reaches itself over localhost, and only a "
        "StatefulApp's pods reach each other); so kgen's policy now denies traffic from the "
        "other pods of keycloak to keycloak (but on a port kgen opens anyway: an ingress's, a "
        "NodePort or LoadBalancer Service's, the monitored metrics port)"
    )


def test_a_port_kgen_does_not_publish_says_the_traffic_is_denied(tmp_path: Path) -> None:
    text = CLUSTERED.replace(
        "from: [{podSelector: {matchLabels: {app: keycloak}}}]",
        "from: [{podSelector: {matchLabels: {app: ops}}}]",
    ) + (
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: keycloak, namespace: idp}\n"
        "spec:\n  selector: {app: keycloak}\n  ports: [{name: http, port: 80, targetPort: http}]\n"
        "---\n"
        + CLUSTERED.split("---", 1)[0]
        .replace("keycloak", "ops")
        .replace("replicas: 2", "replicas: 1")
        .replace("quay.io/ops/ops:26.0.0", "ghcr.io/example/ops:1.0.0")
    )
    result = import_text(tmp_path, text)
    [said] = [
        w for w in imported.warnings(result) if "no port kgen publishes" in w and "from[0]" in w
    ]
    assert said.endswith(
        "port 7800 (TCP) is no port kgen publishes for keycloak; so kgen's policy now denies "
        "traffic from ops to keycloak (but on a port kgen opens anyway: an ingress's, a "
        "NodePort or LoadBalancer Service's, the monitored metrics port)"
    )


REFUSED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.0.0
          ports: [{name: http, containerPort: 8080}]
          livenessProbe:
            {httpGet: {port: "8080"}, initialDelaySeconds: -1, terminationGracePeriodSeconds: 0}
          readinessProbe: {tcpSocket: {port: HTTP_PORT}, timeoutSeconds: -3}
"""


def test_probe_values_the_api_server_refuses_are_errors(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(REFUSED)
    result = kgen("import", "in.yaml", "-o", "bp", cwd=tmp_path)
    assert result.exit_code == 1
    found = [
        line.split(": error: ", 1)[1].split(" (in the input)")[0]
        for line in result.stderr.splitlines()[:-1]
    ]
    container = "Deployment web: spec.template.spec.containers[0]"
    name = (
        "the API server takes a name of at most 15 lowercase letters, digits and '-', with a letter"
    )
    assert found == [
        f"{container}.livenessProbe.httpGet.port: '8080' is neither a port number nor a port "
        f"name: {name}",
        f"{container}.livenessProbe.initialDelaySeconds: -1 is not a probe's count or seconds: "
        "the API server allows 0 to 2,147,483,647",
        f"{container}.livenessProbe.terminationGracePeriodSeconds: 0 is not a probe's grace "
        "period: the API server allows 1 to 9,223,372,036,854,775,807",
        f"{container}.readinessProbe.tcpSocket.port: 'HTTP_PORT' is neither a port number nor "
        f"a port name: {name}",
        f"{container}.readinessProbe.timeoutSeconds: -3 is not a probe's count or seconds: the "
        "API server allows 0 to 2,147,483,647",
    ]
    assert not (tmp_path / "bp").exists()


MONITORED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: broker, namespace: data}
spec:
  selector: {matchLabels: {app: broker}}
  template:
    metadata: {labels: {app: broker}}
    spec:
      containers:
        - name: broker
          image: ghcr.io/example/broker:1.0.0
          ports: [{name: client, containerPort: 9092}, {name: admin, containerPort: 9901}]
        - name: exporter
          image: ghcr.io/example/exporter:1.0.0
          ports: [{name: jmx, containerPort: 5556}]
          livenessProbe: {tcpSocket: {port: 5556}}
          readinessProbe: {tcpSocket: {port: 5556}}
---
apiVersion: v1
kind: Service
metadata: {name: broker, namespace: data}
spec:
  selector: {app: broker}
  ports: [{name: client, port: 9092, targetPort: client}]
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata: {name: broker, namespace: data}
spec:
  selector: {matchLabels: {app: broker}}
  podMetricsEndpoints: [{port: PORT}]
"""


def test_what_kgen_adds_for_a_pod_monitor_has_its_reasons(tmp_path: Path) -> None:
    """A PodMonitor of an unpublished port without a path (kgen's defaults added), and one
    of a sidecar's port (which kgen's Service publishes for Prometheus): each addition has
    its documented reason."""
    for port, kind, reason in (
        ("admin", "PodMonitor", "scrapes monitoring.port by its name at its path (/metrics)"),
        ("jmx", "Service", "publishes the sidecar port monitoring.port names, for Prometheus"),
    ):
        result = import_text(tmp_path, MONITORED.replace("PORT", port))
        reasons = [a.reason for a in result.additions]
        assert not [r for r in reasons if "please report" in r], reasons
        assert [r for r in reasons if reason in r], (kind, reasons)
        renders_back(result, tmp_path / port)
