"""``preStop``: a hook the kubelet runs before a container gets SIGTERM (the kubelet's own
sleep, a command, or an HTTP GET), for the main container, sidecars and a Monolith's
processes; checked against the grace period, its container's ports and the target
Kubernetes version; imported from ``lifecycle.preStop``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgen.importer import output as imported
from kgen.model import Document
from tests.conftest import RunKgen
from tests.helpers import microservice, rendered_documents
from tests.importing import blueprint_of, import_text, renders_back

ENVOY = {
    "name": "proxy",
    "image": "envoyproxy/envoy:v1.31.0",
    "ports": [{"name": "admin", "port": 9901}],
    "preStop": {"http": {"path": "/drain_listeners", "port": "admin"}},
}

MONOLITH = """\
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata: {name: shop, namespace: shop}
spec:
  image: ghcr.io/example/shop:3.1.0
  preStop: {exec: [bin/drain]}
  terminationGracePeriodSeconds: 60
  migrations: {command: [bin/migrate]}
  processes:
    web:
      command: [bin/web]
      ports: [{name: http, port: 3000}]
      preStop: {sleep: 45}
    worker:
      command: [bin/work]
      probes: {liveness: {exec: ["true"]}, readiness: {exec: ["true"]}}
"""


def _containers(documents: list[Document], name: str) -> dict[str, dict[str, Any]]:
    [workload] = [d for d in documents if d.name == name and "template" in d.body.get("spec", {})]
    pod = workload.body["spec"]["template"]["spec"]
    return {c["name"]: c for c in pod["containers"]}


def test_a_microservice_and_its_sidecar_get_their_hooks() -> None:
    documents = rendered_documents(microservice(preStop={"sleep": 10}, sidecars=[ENVOY]))
    containers = _containers(documents, "api")
    assert containers["api"]["lifecycle"] == {"preStop": {"sleep": {"seconds": 10}}}
    assert containers["proxy"]["lifecycle"] == {
        "preStop": {"httpGet": {"path": "/drain_listeners", "port": "admin"}}
    }


def test_a_container_without_a_hook_has_no_lifecycle() -> None:
    containers = _containers(rendered_documents(microservice()), "api")
    assert "lifecycle" not in containers["api"]


def test_a_monoliths_processes_inherit_the_hook_and_its_jobs_do_not() -> None:
    documents = rendered_documents(MONOLITH)
    web = _containers(documents, "shop-web")["web"]
    worker = _containers(documents, "shop-worker")["worker"]
    assert web["lifecycle"] == {"preStop": {"sleep": {"seconds": 45}}}
    assert worker["lifecycle"] == {"preStop": {"exec": {"command": ["bin/drain"]}}}
    [job] = [d for d in documents if d.kind == "Job"]
    [migrate] = job.body["spec"]["template"]["spec"]["containers"]
    assert "lifecycle" not in migrate


BAD = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: web, namespace: shop}
spec:
  image: ghcr.io/example/web:1.0.0
  ports: [{name: http, port: 8080}]
  preStop: {sleep: 30}
  sidecars:
    - name: proxy
      image: envoyproxy/envoy:v1.31.0
      ports: [{name: admin, port: 9901}]
      preStop: {http: {port: admn}}
    - name: resolver
      image: ghcr.io/example/resolver:1.0.0
      ports: [{name: dns, port: 5353, protocol: UDP}]
      probes: {liveness: {exec: ["true"]}, readiness: {exec: ["true"]}}
      preStop: {http: {port: dns}}
"""


def test_misused_hooks_are_errors_at_their_lines(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(BAD)
    result = kgen("validate", "web.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "web.yaml:7:20: error: spec.preStop.sleep: the kubelet kills the container 30 s after "
        "the pod begins to stop, preStop included: a sleep of 30 s leaves the app no time "
        "after SIGTERM (hint: sleep less than terminationGracePeriodSeconds (30), or raise it)",
        "web.yaml:12:30: error: spec.sidecars[0].preStop.http.port: no port named 'admn' "
        "(hint: did you mean 'admin'?)",
        "web.yaml:17:30: error: spec.sidecars[1].preStop.http.port: port 'dns' is not a TCP "
        "port; an http hook needs one (hint: call a TCP port, or use exec)",
    ]


def test_a_monolith_process_sleep_is_checked_against_the_grace_it_inherits(
    kgen: RunKgen, tmp_path: Path
) -> None:
    (tmp_path / "shop.yaml").write_text(MONOLITH.replace("Seconds: 60", "Seconds: 40"))
    result = kgen("validate", "shop.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert "shop.yaml:13:24: error: spec.processes.web.preStop.sleep: the kubelet kills the " in (
        result.stderr
    )
    assert "(hint: sleep less than terminationGracePeriodSeconds (40), or raise it)" in (
        result.stderr
    )


def test_the_kubelets_sleep_needs_kubernetes_1_30(kgen: RunKgen, tmp_path: Path) -> None:
    """Before 1.30 the feature is off (1.29: the API server drops the field) or unknown
    (older schemas): one error at the blueprint's field, not the schema's."""
    (tmp_path / "api.yaml").write_text(microservice(preStop={"sleep": 10}))
    for version in ("1.28", "1.29"):
        result = kgen("render", "api.yaml", "--kube-version", version, "-o", "out", cwd=tmp_path)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == (
            "api.yaml:12:12: error: Deployment shop/api: spec.template.spec.containers[0]"
            ".lifecycle.preStop.sleep.seconds: preStop.sleep needs Kubernetes 1.30 or later "
            f"(--kube-version is {version}) (hint: write preStop: {{exec: [sleep, "
            "'<seconds>']} where the image has a sleep, or target a newer version with "
            "--kube-version)"
        )
        assert len(result.stderr.splitlines()) == 2
        assert not (tmp_path / "out").exists()
    result = kgen("render", "api.yaml", "--kube-version", "1.30", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr


INPUT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 45
      containers:
        - name: web
          image: ghcr.io/example/web:1.0.0
          ports: [{name: http, containerPort: 8080}]
          lifecycle:
            preStop: {exec: {command: [sh, -c, "sleep 15"]}}
            postStart: {exec: {command: [touch, /tmp/started]}}
        - name: proxy
          image: envoyproxy/envoy:v1.31.0
          ports: [{name: admin, containerPort: 9901}]
          lifecycle:
            preStop: {httpGet: {path: /drain, port: admin, scheme: HTTP}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/example/api:1.0.0
          ports: [{name: http, containerPort: 8080}]
          lifecycle:
            preStop: {sleep: {seconds: 5}}
        - name: agent
          image: ghcr.io/example/agent:1.0.0
          livenessProbe: {exec: {command: ["true"]}}
          readinessProbe: {exec: {command: ["true"]}}
          lifecycle:
            preStop: {tcpSocket: {port: 8080}}
"""


def test_import_maps_pre_stop_hooks_and_says_what_it_leaves_out(tmp_path: Path) -> None:
    result = import_text(tmp_path, INPUT)
    specs = {
        blueprint_of(result, i)["metadata"]["name"]: blueprint_of(result, i)["spec"] for i in (0, 1)
    }
    web, api = specs["web"], specs["api"]
    assert web["preStop"] == {"exec": ["sh", "-c", "sleep 15"]}
    assert web["sidecars"][0]["preStop"] == {"http": {"port": "admin", "path": "/drain"}}
    assert api["preStop"] == {"sleep": 5}
    assert "preStop" not in api["sidecars"][0]
    said = [w.split(": warning: ", 1)[1] for w in imported.warnings(result)]
    assert (
        "Deployment shop/web: spec.template.spec.containers[0].lifecycle.postStart: no "
        "blueprint field (kgen renders preStop hooks only), and a patch would replace kgen's "
        "list of containers whole"
    ) in said
    assert (
        "Deployment shop/api: spec.template.spec.containers[1].lifecycle.preStop: a tcpSocket "
        "hook, which the kubelet does not run (Kubernetes keeps the field for compatibility "
        "only)"
    ) in said
    rendered = renders_back(result, tmp_path)
    hooks = {
        container["name"]: container.get("lifecycle")
        for name in ("web", "api")
        for container in rendered[("Deployment", name)]["spec"]["template"]["spec"]["containers"]
    }
    assert hooks == {
        "web": {"preStop": {"exec": {"command": ["sh", "-c", "sleep 15"]}}},
        "proxy": {"preStop": {"httpGet": {"path": "/drain", "port": "admin"}}},
        "api": {"preStop": {"sleep": {"seconds": 5}}},
        "agent": None,
    }


def test_a_process_hook_replaces_the_apps_whole(kgen: RunKgen, tmp_path: Path) -> None:
    """A hook is one choice of handler: a process's own is not merged with the app's (a
    sleep and a command would be two), and the grace check reads the hook it gets."""
    text = MONOLITH.replace("preStop: {sleep: 45}", "preStop: {exec: [bin/web-drain]}")
    text = text.replace("preStop: {exec: [bin/drain]}", "preStop: {sleep: 50}")
    text = text.replace(
        "      command: [bin/web]\n",
        "      command: [bin/web]\n      terminationGracePeriodSeconds: 20\n",
    )
    web = _containers(rendered_documents(text), "shop-web")["web"]
    assert web["lifecycle"] == {"preStop": {"exec": {"command": ["bin/web-drain"]}}}


def test_an_environment_that_changes_the_handler_is_told_how(kgen: RunKgen, tmp_path: Path) -> None:
    text = (
        microservice(preStop={"sleep": 10})
        + "environments:\n  prod:\n    preStop: {exec: [drain]}\n"
    )
    (tmp_path / "api.yaml").write_text(text)
    result = kgen("render", "api.yaml", "--env", "prod", cwd=tmp_path)
    assert result.exit_code == 1
    assert (
        "spec.preStop: needs exactly one of 'sleep', 'exec' or 'http', found 'sleep' and "
        "'exec' (hint: keep one (an environment's block that changes it writes the spec's as "
        "null beside its own, e.g. sleep: null))"
    ) in result.stderr


def test_import_refuses_handlers_the_api_server_refuses(kgen: RunKgen, tmp_path: Path) -> None:
    """Two handlers, none, a port out of range, a negative sleep: the API server refuses
    each, so the import does, at its line, and writes nothing."""
    (tmp_path / "in.yaml").write_text(
        INPUT.split("---", maxsplit=1)[0].replace(
            '          lifecycle:\n            preStop: {exec: {command: [sh, -c, "sleep 15"]}}\n',
            "          livenessProbe: {httpGet: {port: 2147483648}, tcpSocket: {port: 8080}}\n"
            "          readinessProbe: {}\n"
            "          lifecycle:\n"
            "            preStop: {sleep: {seconds: -1}, exec: {command: [drain]}}\n",
        )
    )
    result = kgen("import", "in.yaml", "-o", "bp", cwd=tmp_path)
    assert result.exit_code == 1
    found = [
        line.split(": error: ", 1)[1].split(" (in the input)")[0]
        for line in result.stderr.splitlines()[:-1]
    ]
    container = "Deployment web: spec.template.spec.containers[0]"
    assert found == [
        f"{container}.livenessProbe: a livenessProbe with httpGet and tcpSocket: the API "
        "server takes exactly one of exec, httpGet, tcpSocket, grpc",
        f"{container}.livenessProbe.httpGet.port: 2147483648 is not a port number: the API "
        "server allows 1 to 65,535",
        f"{container}.readinessProbe: a readinessProbe with no handler: the API server takes "
        "exactly one of exec, httpGet, tcpSocket, grpc",
        f"{container}.lifecycle.preStop: a preStop hook with exec and sleep: the API server "
        "takes exactly one of exec, httpGet, tcpSocket, sleep",
        f"{container}.lifecycle.preStop.sleep.seconds: -1 is not a number of seconds: the API "
        "server allows 0 to 9,223,372,036,854,775,807",
    ]
    assert not (tmp_path / "bp").exists()
