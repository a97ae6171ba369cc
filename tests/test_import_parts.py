"""``kgen import`` of what exposes and watches an app: an Ingress folds into ``ingress``
of the workload whose Service it routes to, a ServiceMonitor into ``monitoring`` of the
workload whose Service it selects, a PrometheusRule into ``monitoring.alerts`` of the
watched workload it names.

Each case imports a small set of manifests, renders the blueprint into a folder, builds
it with the real ``kubectl kustomize`` and compares field by field: every mapped value
comes back where the report says, every other value has a reason, and what kgen adds
(its ALB annotations, a Certificate, the alerts' labels) is a documented addition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgen import api
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.yamlio import parse_plain
from tests.conftest import require_tool
from tests.importing import mismatches, round_trip, spec_of, unexplained

ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0b0f1a3e-5c7d-4e8f-9a1b-2c3d4e5f6a7b"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: {name}
        image: ghcr.io/acme/{name}:1.4.0
        ports: [{{name: http, containerPort: 8080}}, {{name: metrics, containerPort: 9090}}]
        readinessProbe: {{httpGet: {{path: /ready, port: http}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: shop, labels: {{team: shop}}}}
spec:
  selector: {{app: {name}}}
  ports:
  - {{name: web, port: 80, targetPort: http}}
  - {{name: metrics, port: 9090, targetPort: metrics}}
"""
API = DEPLOYMENT.format(name="api")


def _ingress(spec: str, annotations: str = "", name: str = "api") -> str:
    more = f", annotations: {annotations}" if annotations else ""
    return (
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        f"metadata: {{name: {name}, namespace: shop{more}}}\n"
        f"spec:\n{spec}"
    )


def _rule(host: str, path: str = "/", service: str = "api", port: str = "{number: 80}") -> str:
    return (
        f"  - host: {host}\n    http:\n      paths:\n"
        f"      - {{path: {path}, pathType: Prefix, "
        f"backend: {{service: {{name: {service}, port: {port}}}}}}}\n"
    )


def _processes(*names: str) -> str:
    """The Deployments of a Monolith's processes: one image (acme/shop), one command each."""
    return "---\n".join(
        DEPLOYMENT.format(name=f"shop-{name}")
        .replace(f"acme/shop-{name}:", "acme/shop:")
        .replace("        ports:", f"        command: [shop, {name}]\n        ports:", 1)
        for name in names
    )


def _import(text: str, tmp_path: Path) -> tuple[ImportResult, dict[tuple[str, str], Any]]:
    """Import ``text``, round-trip it, and check that nothing went unexplained."""
    source = tmp_path / "in.yaml"
    source.write_text(text, encoding="utf-8")
    result = api.import_manifests([source])
    rendered = round_trip(result, tmp_path, require_tool("kubectl"))
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []
    return result, rendered


def _warnings(result: ImportResult, tmp_path: Path, *kinds: str) -> list[str]:
    """The warnings about resources of ``kinds``, without the file's name."""
    return [
        w.replace(f"{tmp_path}/in.yaml:", "")
        for w in imported.warnings(result)
        if w.split(": ")[2].split(" ")[0] in kinds
    ]


def _reasons(result: ImportResult, kind: str) -> set[str]:
    return {a.reason for a in result.additions if a.kind == kind}


def test_nginx_ingress_with_a_tls_secret(tmp_path: Path) -> None:
    """Host, path, class, the Secret and the port: the Service port 80 is the container
    port http, named by kgen after the Service port (web); another annotation is one of
    ingress.annotations."""
    text = API + _ingress(
        "  ingressClassName: nginx\n"
        "  tls: [{hosts: [api.example.com], secretName: api-cert}]\n"
        "  rules:\n" + _rule("api.example.com", "/api"),
        "{nginx.ingress.kubernetes.io/proxy-body-size: 8m}",
    )
    result, rendered = _import(text, tmp_path)
    assert spec_of(result)["ingress"] == {
        "host": "api.example.com",
        "path": "/api",
        "className": "nginx",
        "tls": {"secretName": "api-cert"},
        "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"},
    }
    ingress = rendered[("Ingress", "api")]
    assert ingress["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/proxy-body-size": "8m"
    }
    assert ingress["spec"]["tls"] == [{"hosts": ["api.example.com"], "secretName": "api-cert"}]
    assert _warnings(result, tmp_path, "Ingress") == []


def test_alb_ingress_internal_in_a_group(tmp_path: Path) -> None:
    """The scheme is internal, the group and certificate are fields; kgen derives the other
    ALB annotations; another is one of ingress.annotations, rendered as it was."""
    annotations = (
        "{alb.ingress.kubernetes.io/scheme: internal, alb.ingress.kubernetes.io/target-type: ip,"
        " alb.ingress.kubernetes.io/group.name: shop-internal,"
        f" alb.ingress.kubernetes.io/certificate-arn: '{ARN}',"
        " alb.ingress.kubernetes.io/listen-ports: '[{\"HTTPS\": 443}]',"
        " alb.ingress.kubernetes.io/healthcheck-interval-seconds: '10'}"
    )
    text = API + _ingress(
        "  ingressClassName: alb\n  rules:\n" + _rule("api.internal.example.com"), annotations
    )
    result, rendered = _import(text, tmp_path)
    assert spec_of(result)["ingress"] == {
        "host": "api.internal.example.com",
        "internal": True,
        "group": "shop-internal",
        "tls": {"certificateArn": ARN},
        "annotations": {"alb.ingress.kubernetes.io/healthcheck-interval-seconds": "10"},
    }
    annotations_out = rendered[("Ingress", "api")]["metadata"]["annotations"]
    assert annotations_out["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert annotations_out["alb.ingress.kubernetes.io/group.name"] == "shop-internal"
    assert annotations_out["alb.ingress.kubernetes.io/healthcheck-interval-seconds"] == "10"
    assert _warnings(result, tmp_path, "Ingress") == []
    assert "kgen derives the AWS Load Balancer Controller's annotations from ingress" in (
        " ".join(_reasons(result, "Ingress"))
    )


def test_cert_manager_cluster_issuer(tmp_path: Path) -> None:
    """The cluster-issuer annotation becomes tls.issuer: kgen renders the Certificate the
    ingress-shim would have made, into the Secret spec.tls names."""
    text = API + _ingress(
        "  ingressClassName: nginx\n"
        "  tls: [{hosts: [api.example.com], secretName: api-tls}]\n"
        "  rules:\n" + _rule("api.example.com"),
        "{cert-manager.io/cluster-issuer: letsencrypt}",
    )
    result, rendered = _import(text, tmp_path)
    assert spec_of(result)["ingress"]["tls"] == {"issuer": "letsencrypt"}  # api-tls: kgen's name
    certificate = rendered[("Certificate", "api-tls")]
    assert certificate["spec"]["issuerRef"]["name"] == "letsencrypt"
    assert certificate["spec"]["secretName"] == "api-tls"
    assert "cert-manager" in " ".join(_reasons(result, "Certificate"))


def test_service_monitor_and_prometheus_rule(tmp_path: Path) -> None:
    """The endpoint's port, path and interval, and each alert; another endpoint field,
    an alert's annotations and other labels, and a recording rule are left out."""
    text = API + (
        "---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
        "metadata: {name: api, namespace: shop, labels: {release: prom}}\n"
        "spec:\n  selector: {matchLabels: {team: shop}}\n"
        "  endpoints: [{port: metrics, path: /stats, interval: 15s, scrapeTimeout: 10s}]\n"
        "---\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n"
        "metadata: {name: api-alerts, namespace: shop, labels: {app: api}}\n"
        "spec:\n  groups:\n  - name: api\n    rules:\n"
        "    - alert: ApiDown\n      expr: up == 0\n      for: 5m\n"
        "      labels: {severity: critical, team: shop}\n"
        "      annotations: {summary: api is down}\n"
        "    - alert: ApiSlow\n      expr: latency > 1\n"
        "    - record: job:requests:rate5m\n      expr: sum(rate(requests_total[5m]))\n"
    )
    result, rendered = _import(text, tmp_path)
    assert spec_of(result)["monitoring"] == {
        "port": "metrics",
        "path": "/stats",
        "interval": "15s",
        "alerts": [
            {"name": "ApiDown", "expr": "up == 0", "for": "5m", "severity": "critical"},
            {"name": "ApiSlow", "expr": "latency > 1"},
        ],
    }
    rules = rendered[("PrometheusRule", "api")]["spec"]["groups"][0]["rules"]
    assert [r["alert"] for r in rules] == ["ApiDown", "ApiSlow"]
    assert rendered[("ServiceMonitor", "api")]["metadata"]["labels"]["release"] == "prom"
    warned = _warnings(result, tmp_path, "ServiceMonitor", "PrometheusRule")
    assert [w.split(": ", 3)[3] for w in warned] == [
        "metadata.labels.release: no blueprint field; kept as a patch on ServiceMonitor api",
        "spec.endpoints[0].scrapeTimeout: no blueprint field: kgen's ServiceMonitor (or "
        "PodMonitor) scrapes one endpoint (monitoring.port, path, interval), and a merge patch "
        "would replace its endpoints whole",
        "metadata.name: kgen names the PrometheusRule after the app: api; what refers to "
        "api-alerts must follow, and applying adds api beside it (delete api-alerts once "
        "nothing uses it)",
        "metadata.labels.app: no blueprint field; kept as a patch on PrometheusRule api",
        "spec.groups[0].rules[0].labels.team: no blueprint field for an alert's labels: kgen's "
        "PrometheusRule holds alerts of a name, expr, for and severity, and a merge patch "
        "would replace its groups whole",
        "spec.groups[0].rules[0].annotations: no blueprint field: kgen's PrometheusRule holds "
        "alerts of a name, expr, for and severity, and a merge patch would replace its "
        "groups whole",
        "spec.groups[0].rules[2]: a recording rule (job:requests:rate5m): kgen writes "
        "alerting rules only (monitoring.alerts)",
    ]


def test_monolith_process_with_an_ingress(tmp_path: Path) -> None:
    """A Monolith's web process routes its own host: ingress under processes.web."""
    text = _processes("web", "worker") + _ingress(
        "  ingressClassName: nginx\n  rules:\n"
        + _rule("shop.example.com", service="shop-web", port="{name: web}"),
        name="shop-web",
    )
    result, rendered = _import(text, tmp_path)
    (document,) = parse_plain(result.blueprints[0].text)
    assert document["kind"] == "Monolith"
    processes = document["spec"]["processes"]
    assert processes["web"]["ingress"] == {
        "host": "shop.example.com",
        "className": "nginx",
    }
    assert "ingress" not in processes["worker"]
    backend = rendered[("Ingress", "shop-web")]["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["backend"]["service"] == {"name": "shop-web", "port": {"name": "http"}}


def test_a_second_host_is_left_out_with_its_reason(tmp_path: Path) -> None:
    text = API + _ingress(
        "  ingressClassName: nginx\n  rules:\n"
        + _rule("api.example.com")
        + _rule("www.example.com", "/shop")
    )
    result, _ = _import(text, tmp_path)
    assert spec_of(result)["ingress"]["host"] == "api.example.com"
    assert _warnings(result, tmp_path, "Ingress") == [
        "35: warning: Ingress shop/api: spec.rules[1]: another host (www.example.com): kgen's "
        "Ingress routes one path, of one host and its aliases (ingress.host, ingress.aliases, "
        "ingress.path), and a merge patch would replace its rules whole"
    ]


def test_a_second_host_routed_the_same_way_is_an_alias(tmp_path: Path) -> None:
    """www beside the apex, the same path to the same port, and both in the TLS hosts:
    ``ingress.aliases``, and the Ingress renders back the input's rules and hosts."""
    text = API + _ingress(
        "  ingressClassName: nginx\n"
        "  tls: [{hosts: [api.example.com, www.example.com], secretName: api-cert}]\n"
        "  rules:\n" + _rule("api.example.com") + _rule("www.example.com")
    )
    result, rendered = _import(text, tmp_path)
    assert spec_of(result)["ingress"]["aliases"] == ["www.example.com"]
    spec = rendered[("Ingress", "api")]["spec"]
    assert [rule["host"] for rule in spec["rules"]] == ["api.example.com", "www.example.com"]
    assert spec["tls"] == [
        {"hosts": ["api.example.com", "www.example.com"], "secretName": "api-cert"}
    ]
    assert _warnings(result, tmp_path, "Ingress") == []


def test_an_ingress_to_no_service_of_the_input_is_left_out(tmp_path: Path) -> None:
    text = API + _ingress(
        "  ingressClassName: nginx\n  rules:\n" + _rule("api.example.com", service="elsewhere")
    )
    result, _ = _import(text, tmp_path)
    assert "ingress" not in spec_of(result)
    assert _warnings(result, tmp_path, "Ingress") == [
        "25: warning: Ingress shop/api: <document>: routes to no Service of a workload of the input"
    ]


def test_a_service_monitor_of_two_workloads_is_left_out(tmp_path: Path) -> None:
    text = (
        API
        + "---\n"
        + DEPLOYMENT.format(name="cart")
        + "---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n"
        "metadata: {name: shop, namespace: shop}\n"
        "spec:\n  selector: {matchLabels: {team: shop}}\n  endpoints: [{port: metrics}]\n"
    )
    result, _ = _import(text, tmp_path)
    assert all("monitoring" not in spec_of(result, i) for i in range(2))
    assert _warnings(result, tmp_path, "ServiceMonitor") == [
        "49: warning: ServiceMonitor shop/shop: <document>: belongs to several workloads (api, "
        "cart): kgen import does not guess which"
    ]


def test_an_ingress_without_a_class_is_warned_of(tmp_path: Path) -> None:
    """No ingressClassName and no class annotation: the cluster's default class serves the
    input, kgen renders alb. A warning at spec says so (and the report), while every leaf
    of spec keeps its own record."""
    text = API + _ingress("  rules:\n" + _rule("api.example.com"))
    result, rendered = _import(text, tmp_path)
    assert rendered[("Ingress", "api")]["spec"]["ingressClassName"] == "alb"
    assert _warnings(result, tmp_path, "Ingress") == [
        "28: warning: Ingress shop/api: spec: no ingressClassName: the cluster's default "
        "IngressClass serves it, but kgen renders className: alb (the AWS Load Balancer "
        "Controller), internal unless a scheme annotation says internet-facing; set "
        "ingress.className to the cluster's default class if that is not ALB, and "
        "ingress.internal: false for a public ALB"
    ]
    report = imported.report(result)
    assert "Ingress shop/api: spec: changed (no ingressClassName:" in report
    assert "spec.rules[0].host: mapped -> Ingress/api: spec.rules[0].host" in report
    assert "(12 changed, " not in imported.summary(result)  # a note is no input value
    named = _ingress("  ingressClassName: nginx\n  rules:\n" + _rule("api.example.com"))
    (tmp_path / "named").mkdir()
    result, _ = _import(API + named, tmp_path / "named")
    assert _warnings(result, tmp_path / "named", "Ingress") == []


def test_an_ingress_to_two_apps_is_split_between_their_blueprints(tmp_path: Path) -> None:
    """One Ingress, two hosts and a path of a third app: each blueprint takes its own
    route, the class, the TLS of its host and the annotations; nothing is left out but
    the route kgen has no field for (api's second path)."""
    text = (
        API
        + "---\n"
        + DEPLOYMENT.format(name="cart")
        + _ingress(
            "  ingressClassName: nginx\n"
            "  tls: [{hosts: [api.example.com, cart.example.com], secretName: shop-cert}]\n"
            "  rules:\n"
            + _rule("api.example.com", "/api")
            + _rule("cart.example.com", "/", service="cart", port="{name: web}")
            + "      - {path: /v2, pathType: Prefix, "
            "backend: {service: {name: api, port: {number: 80}}}}\n",
            "{nginx.ingress.kubernetes.io/proxy-body-size: 8m}",
            name="shop",
        )
    )
    result, rendered = _import(text, tmp_path)
    for index, host, path in ((0, "api.example.com", "/api"), (1, "cart.example.com", None)):
        expected = {
            "host": host,
            "className": "nginx",
            "tls": {"secretName": "shop-cert"},
            "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"},
        }
        assert spec_of(result, index)["ingress"] == expected | ({"path": path} if path else {})
    for app in ("api", "cart"):
        ingress = rendered[("Ingress", app)]
        assert ingress["metadata"]["annotations"] == {
            "nginx.ingress.kubernetes.io/proxy-body-size": "8m"
        }
        assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
            "name": app,
            "port": {"name": "http"},
        }
    assert _warnings(result, tmp_path, "Ingress") == [
        "51: warning: Ingress shop/shop: metadata.name: kgen splits the Ingress between the "
        "apps it routes to: api, cart each render an Ingress of their own routes; what refers "
        "to shop must follow, and applying adds api, cart beside it (delete shop once nothing "
        "uses it)",
        "64: warning: Ingress shop/shop: spec.rules[1].http.paths[1]: another path (/v2): "
        "kgen's Ingress routes one path, of one host and its aliases (ingress.host, "
        "ingress.aliases, ingress.path), and a merge patch would replace its rules whole",
    ]


def test_an_ingress_to_two_processes_and_an_app_it_cannot_route(tmp_path: Path) -> None:
    """One ALB Ingress to two processes of a Monolith and to a Microservice: each process
    takes its route and the group; the Microservice's route (an ALB path pattern) is left out at its
    path with its own reason, and the processes' routes stay mapped."""
    text = (
        _processes("web", "api")
        + "---\n"
        + DEPLOYMENT.format(name="cart")
        + _ingress(
            "  ingressClassName: alb\n  rules:\n"
            + _rule("shop.example.com", "/api", service="shop-api", port="{name: web}")
            + "      - {path: /, pathType: Prefix, "
            "backend: {service: {name: shop-web, port: {name: web}}}}\n"
            + "  - host: cart.example.com\n    http:\n      paths:\n"
            "      - {path: /cart/*/items, pathType: ImplementationSpecific, "
            "backend: {service: {name: cart, port: {name: web}}}}\n",
            "{alb.ingress.kubernetes.io/group.name: shop}",
            name="shop",
        )
    )
    result, rendered = _import(text, tmp_path)
    cart, monolith = (spec_of(result, i) for i in range(2))
    processes = monolith["processes"]
    assert processes["api"]["ingress"] == {
        "host": "shop.example.com",
        "path": "/api",
        "group": "shop",
        "internal": True,  # no scheme: the controller's default
    }
    assert processes["web"]["ingress"] == {
        "host": "shop.example.com",
        "group": "shop",
        "internal": True,
    }
    assert "ingress" not in cart
    for name, path in (("shop-api", "/api"), ("shop-web", "/")):
        rule = rendered[("Ingress", name)]["spec"]["rules"][0]
        assert rule["http"]["paths"][0]["path"] == path
    exact = (
        "pathType ImplementationSpecific on /cart/*/items: an ALB path pattern with "
        "wildcards, and kgen routes a Prefix"
    )
    warned = _warnings(result, tmp_path, "Ingress")
    assert warned[0].startswith("77: warning: Ingress shop/shop: metadata: no alb.ingress.")
    assert warned[2:] == [
        f"86: warning: Ingress shop/shop: spec.rules[1].host: {exact}",
        f"89: warning: Ingress shop/shop: spec.rules[1].http.paths[0]: {exact}",
    ]
