"""``kgen import`` after a fifth QA pass: several ACM certificates on one ALB, and the
changes an import makes that the report alone used to tell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kgen import api
from kgen.errors import InvalidInput
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.importer.account import Status
from tests.conftest import RunKgen
from tests.importing import alb_app, alb_ingress, import_text, renders_back, spec_of, statuses

_ARNS = [
    f"arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-12345678901{n}"
    for n in range(3)
]


def _spec(result: ImportResult) -> dict[str, Any]:
    """The spec of the one blueprint imported."""
    assert len(result.blueprints) == 1
    return spec_of(result)


def test_several_certificate_arns_are_a_list(tmp_path: Path) -> None:
    """The controller reads certificate-arn as a comma-separated list (the first is the
    listener's default, the others served by SNI): tls.certificateArn is that list, and
    kgen renders it joined again (before, the whole value was refused as one ARN)."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        f"    alb.ingress.kubernetes.io/certificate-arn: {_ARNS[0]},{_ARNS[1]},{_ARNS[2]}"
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["ingress"]["tls"] == {"certificateArn": _ARNS}
    annotations = renders_back(result, tmp_path)[("Ingress", "web")]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == ",".join(_ARNS)


def test_one_certificate_arn_stays_text(tmp_path: Path) -> None:
    """One ARN is written as one, not as a list of one."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        f"    alb.ingress.kubernetes.io/certificate-arn: {_ARNS[0]}"
    )
    assert _spec(import_text(tmp_path, text))["ingress"]["tls"] == {"certificateArn": _ARNS[0]}


def test_certificate_arns_with_spaces_are_said_to_change(tmp_path: Path) -> None:
    """Spaces after the commas are gone from the rendered annotation: the report says so,
    and the list is the one the controller reads."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        f"    alb.ingress.kubernetes.io/certificate-arn: '{_ARNS[0]}, {_ARNS[1]},'"
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["ingress"]["tls"] == {"certificateArn": _ARNS[:2]}
    key = 'Ingress web: metadata.annotations["alb.ingress.kubernetes.io/certificate-arn"]'
    assert statuses(result)[key] == (
        Status.CHANGED,
        "written without the spaces or empty entries, which the controller skips",
    )
    annotations = renders_back(result, tmp_path)[("Ingress", "web")]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == ",".join(_ARNS[:2])


def _with_affinity(selector: str, cache: str = "") -> str:
    """Deployment shop/web with a pod affinity to pods labelled ``selector``, and
    ``cache`` after it."""
    web = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: web}}\n  template:\n"
        "    metadata: {labels: {app: web}}\n    spec:\n"
        "      affinity:\n        podAffinity:\n"
        "          preferredDuringSchedulingIgnoredDuringExecution:\n"
        "          - weight: 50\n            podAffinityTerm:\n"
        "              topologyKey: kubernetes.io/hostname\n"
        f"              labelSelector: {{matchLabels: {selector}}}\n"
        "      containers:\n      - name: web\n        image: ghcr.io/acme/web:1.0.0\n"
        "        ports: [{containerPort: 8080}]\n"
    )
    return web + cache


_CACHE = """\
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache, namespace: shop}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: cache, app.kubernetes.io/instance: rel}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: cache, app.kubernetes.io/instance: rel}
    spec:
      containers:
      - {name: cache, image: "memcached:1.6", ports: [{containerPort: 11211}]}
"""
_TERM = "spec.template.spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution"


def _term(rendered: dict[tuple[str, str], Any]) -> Any:
    pod = rendered[("Deployment", "web")]["spec"]["template"]["spec"]
    [weighted] = pod["affinity"]["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    return weighted["podAffinityTerm"]["labelSelector"]


def test_affinity_to_another_imported_app_selects_it_by_kgen_labels(tmp_path: Path) -> None:
    """A term selecting another app of the import by app.kubernetes.io/ labels (which a
    patch may not write in a matchLabels, and which kgen writes its own way: the Helm
    release 'rel' becomes 'cache') selects that app's pods by the labels kgen gives them
    (before, the term was refused and left out)."""
    text = _with_affinity("{app.kubernetes.io/instance: rel}", _CACHE)
    result = import_text(tmp_path, text)
    key = f"Deployment web: {_TERM}[0].podAffinityTerm.labelSelector"
    changed = {k: v for k, v in statuses(result).items() if k.startswith(key)}
    assert set(changed.values()) == {
        (
            Status.CHANGED,
            "it selects the pods of Deployment shop/cache: the patch selects them by kgen's "
            "labels, as matchExpressions",
        )
    }
    rendered = renders_back(result, tmp_path)
    expressions = _term(rendered)["matchExpressions"]
    cache = rendered[("Deployment", "cache")]["spec"]["template"]["metadata"]["labels"]
    assert expressions == [
        {"key": "app.kubernetes.io/name", "operator": "In", "values": ["cache"]},
        {"key": "app.kubernetes.io/instance", "operator": "In", "values": ["cache"]},
    ]
    assert all(cache[e["key"]] == e["values"][0] for e in expressions)
    assert not [w for w in imported.warnings(result) if "labelSelector" in w]


def test_affinity_to_pods_outside_the_import_keeps_its_labels(tmp_path: Path) -> None:
    """Pods that no blueprint of the import runs keep their labels: the term selects them
    by the same labels, as matchExpressions, and the input's own labels stay a
    matchLabels."""
    text = _with_affinity("{app.kubernetes.io/name: memcached, tier: cache}")
    result = import_text(tmp_path, text)
    assert _term(renders_back(result, tmp_path)) == {
        "matchLabels": {"tier": "cache"},
        "matchExpressions": [
            {"key": "app.kubernetes.io/name", "operator": "In", "values": ["memcached"]}
        ],
    }
    assert not [w for w in imported.warnings(result) if "labelSelector" in w]


def test_affinity_to_several_imported_apps_is_warned_of(tmp_path: Path) -> None:
    """A term selecting the pods of two imported apps (one Helm release) keeps its labels
    as matchExpressions, with a warning: kgen labels those pods by their own names."""
    queue = _CACHE.replace("name: cache", "name: queue").replace("cache, app", "queue, app")
    text = _with_affinity("{app.kubernetes.io/instance: rel}", _CACHE + queue)
    result = import_text(tmp_path, text)
    [warning] = [w for w in imported.warnings(result) if "labelSelector" in w]
    assert warning.endswith(
        "but kgen labels the pods of Deployment cache, Deployment queue its own way: check "
        "that it still does"
    )
    assert _term(renders_back(result, tmp_path)) == {
        "matchExpressions": [
            {"key": "app.kubernetes.io/instance", "operator": "In", "values": ["rel"]}
        ],
    }


def test_a_native_sidecar_is_one_of_the_sidecars(tmp_path: Path) -> None:
    """An init container with restartPolicy: Always runs as long as the pod: it is one of
    the sidecars, with a warning that it starts with the main container (before, it
    stayed an init container without its restartPolicy, and the pod never started)."""
    text = alb_app().replace(
        "      containers:\n",
        "      initContainers:\n"
        "        - name: proxy\n"
        "          image: ghcr.io/acme/proxy:2.0.0\n"
        "          restartPolicy: Always\n"
        "          ports: [{name: proxy, containerPort: 15001}]\n"
        "          readinessProbe: {tcpSocket: {port: 15001}}\n"
        "      containers:\n",
    )
    result = import_text(tmp_path, text)
    spec = _spec(result)
    assert "initContainers" not in spec
    assert spec["sidecars"] == [
        {
            "name": "proxy",
            "image": "ghcr.io/acme/proxy:2.0.0",
            "ports": [{"name": "proxy", "port": 15001}],
            "probes": {"readiness": {"tcp": {"port": 15001}}},
        }
    ]
    [warning] = [w for w in imported.warnings(result) if "restartPolicy" in w]
    assert "initContainers[0].restartPolicy: a native sidecar: kgen runs it as one of" in warning
    pod = renders_back(result, tmp_path)[("Deployment", "web")]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["web", "proxy"]
    assert "initContainers" not in pod


def _autoscaled(hpa_spec: str) -> str:
    """The app of :func:`alb_app` (2 replicas) with an autoscaling/v2 HPA of ``hpa_spec``."""
    return alb_app().replace("spec:\n  selector", "spec:\n  replicas: 2\n  selector", 1) + (
        "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
        "metadata: {name: web, namespace: shop}\nspec:\n"
        "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n" + hpa_spec
    )


def test_an_autoscaler_without_min_replicas_keeps_kubernetes_default(tmp_path: Path) -> None:
    """Kubernetes' HPA runs at least 1 pod when minReplicas is left out; kgen's default is
    the workload's replicas: the blueprint says 1, and the report gives the reason. A
    per-pod metric is one of autoscaling.metrics."""
    result = import_text(
        tmp_path,
        _autoscaled(
            "  maxReplicas: 5\n  metrics:\n  - type: Pods\n"
            "    pods: {metric: {name: http_requests}, target: {type: AverageValue, "
            "averageValue: 100}}\n"
        ),
    )
    assert _spec(result)["autoscaling"] == {
        "minReplicas": 1,
        "maxReplicas": 5,
        "metrics": [{"pods": {"name": "http_requests", "averageValue": 100}}],
    }
    hpa = renders_back(result, tmp_path)[("HorizontalPodAutoscaler", "web")]
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"] == [
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "http_requests"},
                "target": {"type": "AverageValue", "averageValue": "100"},
            },
        }
    ]
    [addition] = [
        a
        for a in result.additions
        if a.kind == "HorizontalPodAutoscaler" and "spec.minReplicas" in a.paths
    ]
    assert addition.reason.startswith("Kubernetes' default (1)")


def test_an_autoscaler_on_metrics_kgen_renders_none_of_is_warned_of(tmp_path: Path) -> None:
    """Memory by average value has no field: left out, and a warning says that kgen's HPA
    scales on CPU at 80% instead (before, only the left-out metric was said)."""
    result = import_text(
        tmp_path,
        _autoscaled(
            "  minReplicas: 2\n  maxReplicas: 5\n  metrics:\n  - type: Resource\n"
            "    resource: {name: memory, target: {type: AverageValue, averageValue: 700Mi}}\n"
        ),
    )
    warned = [w for w in imported.warnings(result) if "HorizontalPodAutoscaler" in w]
    assert [w.split(": warning: ", 1)[1] for w in warned] == [
        "HorizontalPodAutoscaler shop/web: spec.metrics: kgen's HPA scales on CPU at 80% of "
        "the request instead: kgen renders none of these metrics (set autoscaling.cpu, memory "
        "or metrics to choose)",
        "HorizontalPodAutoscaler shop/web: spec.metrics[0]: no blueprint field: kgen scales on "
        "CPU and memory utilisation and per-pod metrics' average values",
    ]
    renders_back(result, tmp_path)


def _routed(path: str, kind: str, annotations: str = "") -> str:
    """The app of :func:`alb_app` behind an Ingress of class ``kind`` routing ``path``."""
    return alb_app() + alb_ingress(annotations or "    example.com/team: web").replace(
        "ingressClassName: alb", f"ingressClassName: {kind}"
    ).replace("{path: /, pathType: Prefix,", path)


@pytest.mark.parametrize(
    ("path", "kind", "prefix", "warned"),
    [
        ("{path: /api, pathType: Exact,", "nginx", "/api", "every path under /api reaches"),
        ("{path: /api, pathType: ImplementationSpecific,", "nginx", "/api", ""),
        ("{path: /api/*, pathType: ImplementationSpecific,", "alb", "/api", ""),
        ("{path: /api, pathType: ImplementationSpecific,", "alb", "/api", "matched /api exactly"),
    ],
    ids=["exact", "nginx", "alb-wildcard", "alb-exact"],
)
def test_a_path_of_another_type_is_routed_as_a_prefix(
    tmp_path: Path, path: str, kind: str, prefix: str, warned: str
) -> None:
    """An Exact path, or an ImplementationSpecific one that the controller matches as a
    prefix (nginx without use-regex, an ALB pattern ending in /*), is kgen's Prefix route;
    where that routes more requests than the input did, a warning at its pathType says so
    (before, the whole Ingress was left out with its host and TLS)."""
    result = import_text(tmp_path, _routed(path, kind))
    ingress = _spec(result)["ingress"]
    assert (ingress["host"], ingress["path"]) == ("shop.example.com", prefix)
    said = [w for w in imported.warnings(result) if "pathType" in w]
    assert [warned in w for w in said] == ([True] if warned else [])
    rendered = renders_back(result, tmp_path)[("Ingress", "web")]
    [route] = rendered["spec"]["rules"][0]["http"]["paths"]
    assert (route["path"], route["pathType"]) == (prefix, "Prefix")


def test_a_regular_expression_path_leaves_the_route_out(tmp_path: Path) -> None:
    """nginx with use-regex matches a regular expression, which no prefix says: the
    Ingress is left out, with that reason."""
    text = _routed(
        "{path: '/api/v[0-9]+', pathType: ImplementationSpecific,",
        "nginx",
        "    nginx.ingress.kubernetes.io/use-regex: 'true'",
    )
    result = import_text(tmp_path, text)
    assert "ingress" not in _spec(result)
    [said] = [w for w in imported.warnings(result) if "Ingress shop/web" in w]
    assert "pathType ImplementationSpecific on /api/v[0-9]+: the nginx controller's own" in said


@pytest.mark.parametrize("wanted", ["metrics", "9121"])
def test_a_service_port_of_a_sidecar_is_left_out_with_its_reason(
    tmp_path: Path, wanted: str
) -> None:
    """A Service port targeting a sidecar's port (by name or number) is left out, saying
    whose port it is (before: 'which no container declares', or, by number, a port of the
    main container that it does not listen on)."""
    text = (
        alb_app()
        .replace(
            '        - {name: web, image: "ghcr.io/acme/web:1.0.0", ports: [{name: http, '
            "containerPort: 8080}]}\n",
            '        - {name: web, image: "ghcr.io/acme/web:1.0.0", ports: [{name: http, '
            "containerPort: 8080}]}\n"
            "        - {name: exporter, image: ghcr.io/acme/exporter:1.0.0, ports: [{name: "
            "metrics, containerPort: 9121}]}\n",
        )
        .replace(
            "ports: [{name: http, port: 80, targetPort: http}]",
            f"ports: [{{name: http, port: 80, targetPort: http}}, {{name: metrics, port: 9121, "
            f"targetPort: {wanted}}}]",
        )
    )
    result = import_text(tmp_path, text)
    assert [p["name"] for p in _spec(result)["ports"]] == ["http"]
    [said] = [w for w in imported.warnings(result) if "Service shop/web: spec.ports[1]" in w]
    assert said.endswith(
        f"targets the port {wanted} of the sidecar exporter: kgen's Service publishes the main "
        "container's ports, and a sidecar's only when monitoring.port names it"
    )


def test_json_manifests_in_a_folder_are_read(tmp_path: Path, kgen: RunKgen) -> None:
    """kubectl reads *.json in a folder, and so does import: the Service in svc.json gives
    the servicePort (before, the file was skipped without a word); a folder of neither
    says it holds no *.yaml, *.yml or *.json files."""
    folder = tmp_path / "in"
    folder.mkdir()
    deployment = alb_app().split("---\n")[0]
    (folder / "app.yaml").write_text(deployment, encoding="utf-8")
    as_json = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }
    (folder / "svc.json").write_text(json.dumps(as_json), encoding="utf-8")
    (folder / "notes.txt").write_text("not read", encoding="utf-8")
    result = api.import_manifests([folder])
    assert _spec(result)["ports"] == [{"name": "http", "port": 8080, "servicePort": 80}]
    (tmp_path / "empty").mkdir()
    run = kgen("import", "empty", cwd=tmp_path)
    assert (run.exit_code, run.stderr) == (
        2,
        "kgen: error: empty: no *.yaml, *.yml or *.json files\n",
    )


def test_a_base_60_number_is_text_as_kubectl_reads_it(tmp_path: Path) -> None:
    """YAML 1.1 reads 12:30:00 as 45000, kubectl's reader as the text: an env value so
    written is that text (before, an error said 45000 is not a string)."""
    text = alb_app().replace(
        "ports: [{name: http, containerPort: 8080}]}",
        "ports: [{name: http, containerPort: 8080}], env: [{name: AT, value: 12:30:00}]}",
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["env"] == {"AT": "12:30:00"}
    pod = renders_back(result, tmp_path)[("Deployment", "web")]["spec"]["template"]["spec"]
    assert {"name": "AT", "value": "12:30:00"} in pod["containers"][0]["env"]


@pytest.mark.parametrize("kind", ["ClusterIP", "LoadBalancer"])
def test_a_port_the_input_service_left_out_stays_unpublished(tmp_path: Path, kind: str) -> None:
    """A container port the input's Service did not publish (a gossip or admin port) is
    ``published: false``: kgen's Service, and so its load balancer, leaves it out too, and
    nothing is reported of it."""
    text = alb_app("{}", kind).replace(
        "ports: [{name: http, containerPort: 8080}]}",
        "ports: [{name: http, containerPort: 8080}, {name: gossip, containerPort: 7946, "
        "protocol: UDP}]}",
    )
    result = import_text(tmp_path, text)
    [blueprint] = result.blueprints
    assert yaml.safe_load(blueprint.text)["spec"]["ports"][1] == {
        "name": "gossip",
        "port": 7946,
        "protocol": "UDP",
        "published": False,
    }
    assert not [a for a in result.additions if "main container" in a.reason]
    assert not [w for w in imported.warnings(result) if "gossip" in w]
    rendered = renders_back(result, tmp_path)
    assert [p["name"] for p in rendered[("Service", "web")]["spec"]["ports"]] == ["http"]
    policy = rendered[("NetworkPolicy", "web")]["spec"]
    assert all(port["port"] != 7946 for rule in policy.get("ingress", []) for port in rule["ports"])


def test_the_ingress_shims_certificate_is_said_to_go(tmp_path: Path) -> None:
    """cert-manager's ingress-shim made a Certificate named after the Secret; kgen renders
    its own, <name>-tls, into that Secret: a warning says to delete the old one, which
    would otherwise write the same Secret. Where the names are the same, kgen's replaces
    it and nothing is said."""
    ingress = (
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n"
        "  namespace: shop\n  annotations: {cert-manager.io/cluster-issuer: letsencrypt}\n"
        "spec:\n  ingressClassName: nginx\n"
        "  tls: [{hosts: [shop.example.com], secretName: SECRET}]\n  rules:\n"
        "  - host: shop.example.com\n    http:\n      paths:\n"
        "      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}\n"
    )
    result = import_text(tmp_path, alb_app() + ingress.replace("SECRET", "shop-cert"))
    [said] = [w for w in imported.warnings(result) if "ingress-shim" in w]
    assert said.split(": warning: ", 1)[1] == (
        'Ingress shop/web: metadata.annotations["cert-manager.io/cluster-issuer"]: '
        "cert-manager's ingress-shim made the Certificate shop-cert from this annotation, and "
        "kgen renders the Certificate web-tls into the same Secret: delete shop-cert once "
        "kgen's is applied (kubectl delete certificate -n shop shop-cert), or two "
        "Certificates write one Secret"
    )
    certificate = renders_back(result, tmp_path)[("Certificate", "web-tls")]
    assert certificate["spec"]["secretName"] == "shop-cert"
    (tmp_path / "same").mkdir()
    same = import_text(tmp_path / "same", alb_app() + ingress.replace("SECRET", "web-tls"))
    assert not [w for w in imported.warnings(same) if "ingress-shim" in w]


def test_an_alb_of_its_own_joining_a_group_is_warned_of(tmp_path: Path) -> None:
    """An ALB Ingress without group.name had an ALB of its own: kgen's joins its shared
    group, whose ALB replaces it with another DNS name, and a warning says so; an Ingress
    already in a group keeps it, and nothing is said."""
    scheme = "    alb.ingress.kubernetes.io/scheme: internet-facing"
    result = import_text(tmp_path, alb_app() + alb_ingress(scheme))
    [said] = [w for w in imported.warnings(result) if "an ALB of its own" in w]
    assert said.split(": warning: ", 1)[1] == (
        "Ingress shop/web: metadata.name: an ALB of its own (no group.name): kgen's Ingress "
        "joins the shared group kgen-internet-facing-http, whose ALB the controller moves it "
        "to, with another DNS name: point DNS at the group's (external-dns follows by "
        "itself), or set ingress.group to choose the group"
    )
    grouped = alb_ingress(f"{scheme}\n    alb.ingress.kubernetes.io/group.name: shop")
    (tmp_path / "grouped").mkdir()
    result = import_text(tmp_path / "grouped", alb_app() + grouped)
    assert _spec(result)["ingress"]["group"] == "shop"
    assert not [w for w in imported.warnings(result) if "an ALB of its own" in w]


def test_a_number_past_its_range_is_one_error(tmp_path: Path) -> None:
    """replicas past int32 is one error, the API server's range (before, the schema's
    'not a int32' came too, at the same place)."""
    text = alb_app().replace("spec:\n  selector", "spec:\n  replicas: 2147483648\n  selector", 1)
    with pytest.raises(InvalidInput) as raised:
        import_text(tmp_path, text)
    [problem] = raised.value.problems
    assert problem.message.startswith("2147483648 is not a number of replicas: the API server")


def test_a_memory_size_written_as_a_decimal_is_its_text(tmp_path: Path) -> None:
    """The API server reads memory: 2.0 as 2 bytes and 1.5e+9 as 1500M; kgen takes a
    memory size as text: the blueprint says '2.0' and '1.5e+9', said as changed (before,
    the whole workload was left out)."""
    text = alb_app().replace(
        "ports: [{name: http, containerPort: 8080}]}",
        "ports: [{name: http, containerPort: 8080}], resources: {requests: {memory: 2.0}, "
        "limits: {memory: 1.5e+9}}}",
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["resources"] == {"memory": "2.0", "limits": {"memory": "1.5e+9"}}
    found = statuses(result)
    at = "Deployment web: spec.template.spec.containers[0].resources"
    assert found[f"{at}.requests.memory"] == (Status.CHANGED, "written as text: 2.0")
    limits = renders_back(result, tmp_path)[("Deployment", "web")]["spec"]["template"]["spec"]
    assert limits["containers"][0]["resources"]["limits"]["memory"] == "1.5e+9"


def test_an_empty_report_path_is_a_usage_error(tmp_path: Path, kgen: RunKgen) -> None:
    """--report '' names no file (before, it was shown as --report .: a folder)."""
    (tmp_path / "in.yaml").write_text(alb_app(), encoding="utf-8")
    run = kgen("import", "in.yaml", "--report", "", "-o", "bp", cwd=tmp_path)
    assert (run.exit_code, run.stderr) == (
        2,
        "kgen: error: --report '': name the report file, e.g. --report report.txt\n",
    )
    assert not (tmp_path / "bp").exists()


def test_a_variable_of_a_pod_field_is_field_env(tmp_path: Path) -> None:
    """env's valueFrom.fieldRef (the downward API: a StatefulSet's POD_NAME) is fieldEnv,
    rendered back the same (before, it was left out and the app lost its own name)."""
    text = alb_app().replace(
        "ports: [{name: http, containerPort: 8080}]}",
        "ports: [{name: http, containerPort: 8080}], env: [{name: POD_NAME, valueFrom: "
        "{fieldRef: {fieldPath: metadata.name}}}, {name: URL, value: 'http://$(POD_NAME)'}]}",
    )
    result = import_text(tmp_path, text)
    spec = _spec(result)
    assert spec["fieldEnv"] == {"POD_NAME": "metadata.name"}
    assert spec["env"] == {"URL": "http://$(POD_NAME)"}
    pod = renders_back(result, tmp_path)[("Deployment", "web")]["spec"]["template"]["spec"]
    assert pod["containers"][0]["env"][0] == {
        "name": "POD_NAME",
        "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
    }


def test_several_refused_certificate_arns_keep_https(tmp_path: Path) -> None:
    """Every ARN of the list refused: the annotation is left out at its line, and the ALB
    keeps HTTPS with the certificate found by the host (before, the second ARN's error
    came after the first had taken the list out, and the whole app was left out)."""
    bad = "arn:aws:acm:eu-west-1:123456789012:certificate/old"
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        f"    alb.ingress.kubernetes.io/certificate-arn: {bad}1,{bad}2"
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["ingress"]["tls"] == {}
    key = 'Ingress web: metadata.annotations["alb.ingress.kubernetes.io/certificate-arn"]'
    assert statuses(result)[key][0] is Status.LEFT_OUT
    renders_back(result, tmp_path)


def test_a_secret_named_by_image_pull_secrets_says_so(tmp_path: Path) -> None:
    """A registry credential no blueprint reads is left out with its real use named
    (before: 'no workload of the input uses it')."""
    text = alb_app().replace(
        "    spec:\n      containers:",
        "    spec:\n      imagePullSecrets: [{name: regcred}]\n      containers:",
    ) + (
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: regcred, namespace: shop}\n"
        "type: kubernetes.io/dockerconfigjson\ndata: {.dockerconfigjson: e30=}\n"
    )
    result = import_text(tmp_path, text, secret_store="vault")
    [said] = [w for w in imported.warnings(result) if "Secret shop/regcred" in w]
    assert said.endswith(
        "a registry credential of web (imagePullSecrets, kept as a patch): kgen makes no "
        "Secret of it, so keep this one in the namespace, or write it from your store yourself"
    )


def test_a_health_check_path_kgen_does_not_derive_is_warned_of(tmp_path: Path) -> None:
    """kgen derives the ALB's health check path from the readiness probe: without one on
    the Ingress's port the controller checks /, which may fail every target; a warning
    says so and how to keep the input's path (before: a quiet 'changed')."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        "    alb.ingress.kubernetes.io/healthcheck-path: /health/ready"
    )
    result = import_text(tmp_path, text)
    [said] = [w for w in imported.warnings(result) if "healthcheck-path" in w]
    assert said.split('"]: ', 1)[1] == (
        "kgen derives the ALB's health check path from an http readiness probe on the "
        "Ingress's port: none, so the controller checks /, not /health/ready; an ALB whose "
        "targets fail the check sends nothing: give the app an http readiness probe of "
        "/health/ready on that port"
    )


def test_a_derived_annotation_kgen_writes_the_same_is_mapped(tmp_path: Path) -> None:
    """listen-ports and ssl-redirect as kgen derives them with tls: mapped (before, each
    was reported as changed though the output has the input's value)."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        '    alb.ingress.kubernetes.io/listen-ports: \'[{"HTTP": 80}, {"HTTPS": 443}]\'\n'
        "    alb.ingress.kubernetes.io/ssl-redirect: '443'"
    ).replace(
        "  ingressClassName: alb\n",
        "  ingressClassName: alb\n  tls: [{hosts: [shop.example.com]}]\n",
    )
    result = import_text(tmp_path, text)
    found = statuses(result)
    for short in ("listen-ports", "ssl-redirect"):
        key = f'Ingress web: metadata.annotations["alb.ingress.kubernetes.io/{short}"]'
        assert found[key] == (Status.MAPPED, "")
    renders_back(result, tmp_path)


def test_resources_say_cpu_and_memory_before_limits(tmp_path: Path) -> None:
    """The blueprint's resources read as one writes them: cpu, memory, then limits."""
    text = alb_app().replace(
        "ports: [{name: http, containerPort: 8080}]}",
        "ports: [{name: http, containerPort: 8080}], resources: {requests: {cpu: 250m, "
        "memory: 256Mi}, limits: {cpu: '1', memory: 512Mi}}}",
    )
    resources = _spec(import_text(tmp_path, text))["resources"]
    assert list(resources) == ["cpu", "memory", "limits"]


def test_a_second_service_of_a_kept_off_port_says_why_it_stays_off(tmp_path: Path) -> None:
    """An admin port on a ClusterIP Service of its own, beside the app's LoadBalancer:
    kgen renders one Service, keeps the port off it, and says that publishing it would put
    it on the load balancer (rather than "expose its ports there")."""
    text = alb_app("{}", "LoadBalancer").replace(
        "ports: [{name: http, containerPort: 8080}]}",
        "ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 9901}]}",
    )
    text += (
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: web-admin, namespace: shop}\n"
        "spec:\n  selector: {app: web}\n  ports: [{name: admin, port: 9901, targetPort: 9901}]\n"
    )
    result = import_text(tmp_path, text)
    [said] = [w for w in imported.warnings(result) if "web-admin" in w]
    assert said.split(": warning: ", 1)[1] == (
        "Service shop/web-admin: <document>: a second Service of Deployment web: kgen renders "
        "one per app (web), a LoadBalancer, which keeps admin off (published: false): "
        "published there, it would be on the load balancer too, and kgen has no Service for "
        "the cluster alone beside it; callers in the cluster no longer reach it through a "
        "Service"
    )


def test_a_policy_of_several_workloads_says_what_is_now_denied(tmp_path: Path) -> None:
    """A policy selecting a Monolith's processes together is not guessed at; its warning
    says that kgen's policies deny its traffic until a blueprint says it."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: NAME, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {app: shop, proc: NAME}}\n  template:\n"
        "    metadata: {labels: {app: shop, proc: NAME}}\n    spec:\n      containers:\n"
        "        - name: NAME\n          image: ghcr.io/example/shop:1.0.0\n"
        "          command: [NAME]\n"
        "          livenessProbe: {exec: {command: ['true']}}\n"
        "          readinessProbe: {exec: {command: ['true']}}\n"
    )
    policy = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: shop-db, namespace: shop}\n"
        "spec:\n  podSelector: {matchLabels: {app: shop}}\n  policyTypes: [Egress]\n"
        "  egress:\n  - to: [{ipBlock: {cidr: 10.20.0.0/16}}]\n    ports: [{port: 5432}]\n"
    )
    text = "---\n".join(
        [deployment.replace("NAME", "web"), deployment.replace("NAME", "worker"), policy]
    )
    result = import_text(tmp_path, text)
    [said] = [w for w in imported.warnings(result) if "several workloads" in w]
    assert said.split(": warning: ", 1)[1].endswith(
        "kgen import does not guess whose rule it is, and kgen's NetworkPolicies deny what it "
        "admitted until their dependsOn or egress (a Monolith's spec.egress reaches every "
        "process) says it"
    )
