"""``kgen import`` after a fourth QA pass: cert-manager writing into the Secret the input's
Ingress names (beside a Secret the app mounts), numbers YAML reads as not-a-number or an
infinity where Kubernetes takes only text, and messages that never name the import's own
scratch text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kgen import api
from kgen.errors import InvalidInput
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.importer.account import Status
from tests.importing import (
    alb_app,
    alb_ingress,
    import_text,
    renders_back,
    spec_of,
    statuses,
)


def _spec(result: ImportResult) -> dict[str, Any]:
    """The spec of the one blueprint imported."""
    assert len(result.blueprints) == 1
    return spec_of(result)


def _web(mounted: str) -> str:
    """A Deployment mounting Secret ``mounted``, its Service, and an Ingress whose TLS
    cert-manager writes into ``web-cert`` (the ingress-shim, by the cluster-issuer
    annotation)."""
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{{containerPort: 8080}}]
          volumeMounts: [{{name: certs, mountPath: /etc/certs}}]
      volumes: [{{name: certs, secret: {{secretName: {mounted}}}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {{cert-manager.io/cluster-issuer: letsencrypt}}
spec:
  ingressClassName: nginx
  tls: [{{hosts: [web.example.com], secretName: web-cert}}]
  rules:
    - host: web.example.com
      http:
        paths:
          - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
"""


def test_cert_manager_writes_into_the_secret_the_input_names(tmp_path: Path) -> None:
    """The Certificate writes the input's ``web-cert`` (tls.issuer with tls.secretName),
    so the app's own Secret ``web-tls`` (kgen's default name for the certificate) stays
    the app's: the workload is imported whole, each value where the input had it."""
    result = import_text(tmp_path, _web("web-tls"), secret_store="vault")
    spec = _spec(result)
    assert spec["ingress"]["tls"] == {
        "issuer": "letsencrypt",
        "secretName": "web-cert",
    }
    assert statuses(result)["Ingress web: spec.tls[0].secretName"][0] is Status.MAPPED
    rendered = renders_back(result, tmp_path)
    assert rendered[("Certificate", "web-tls")]["spec"]["secretName"] == "web-cert"
    assert rendered[("Ingress", "web")]["spec"]["tls"][0]["secretName"] == "web-cert"
    assert rendered[("ExternalSecret", "web-tls")]["spec"]["target"]["name"] == "web-tls"


def test_an_app_mounting_its_certificates_secret_keeps_the_rest(tmp_path: Path) -> None:
    """The app mounts the Secret cert-manager writes: read from a store, it would have
    two writers, so the mount is left out (at its line, with the value that clashes named
    at its input line) and the rest of the workload is imported."""
    result = import_text(tmp_path, _web("web-cert"), secret_store="vault")
    spec = _spec(result)
    assert "secrets" not in spec
    assert spec["ingress"]["tls"]["secretName"] == "web-cert"
    found = statuses(result)
    mount = "Deployment web: spec.template.spec.containers[0].volumeMounts[0].mountPath"
    status, note = found[mount]
    assert status is Status.LEFT_OUT
    assert note.startswith("kgen refuses it: the ExternalSecret would write the Secret 'web-cert'")
    assert "<import>" not in note
    assert f"({tmp_path / 'in.yaml'}:28:" in note  # the Ingress's cluster-issuer annotation
    assert (
        found["Deployment web: spec.template.spec.volumes[0].secret.secretName"][0]
        is Status.LEFT_OUT
    )
    renders_back(result, tmp_path)


def test_no_message_names_the_imports_scratch_text(tmp_path: Path) -> None:
    """Every warning and report line names input files only."""
    for mounted in ("web-tls", "web-cert"):
        result = import_text(tmp_path, _web(mounted), secret_store="vault")
        assert not [w for w in imported.warnings(result) if "<import>" in w]
        assert "<import>" not in imported.report(result)


@pytest.mark.parametrize("written", [".nan", "-.inf", ".Inf", "+.INF"])
def test_a_number_yaml_reads_as_nan_or_infinity_is_no_text(tmp_path: Path, written: str) -> None:
    """``.nan`` unquoted is a float, which a ConfigMap's data (strings) does not take: an
    error at its line, shown as written, and nothing imported; quoted, it is text."""
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: shop}\n"
        f"data:\n  RATIO: {written}\n  QUOTED: '{written}'\n"
    )
    source = tmp_path / "in.yaml"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        api.import_manifests([source])
    [problem] = raised.value.problems
    assert (problem.pos.line, problem.pos.column, problem.path) == (5, 10, ("data", "RATIO"))
    assert problem.message == f"{written} is not of type 'string', 'null' (in the input)"


_WAF = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop/abc"


def _scheme_warnings(result: ImportResult) -> list[str]:
    said = ("no alb.ingress.kubernetes.io/scheme", "no aws-load-balancer-scheme")
    return [w for w in imported.warnings(result) if any(s in w for s in said)]


def test_an_alb_without_a_scheme_stays_internal(tmp_path: Path) -> None:
    """The AWS Load Balancer Controller makes an ALB without a scheme annotation internal:
    the blueprint says internal: true, with a warning (before, it became internet-facing
    with a line in the report only)."""
    text = alb_app() + alb_ingress(f"    alb.ingress.kubernetes.io/wafv2-acl-arn: {_WAF}")
    result = import_text(tmp_path, text)
    ingress = _spec(result)["ingress"]
    assert ingress["internal"] is True
    assert _scheme_warnings(result) == [
        f"{tmp_path / 'in.yaml'}:25: warning: Ingress shop/web: metadata: no "
        "alb.ingress.kubernetes.io/scheme: the AWS Load Balancer Controller makes an internal "
        "ALB, and kgen writes ingress.internal: true (set it to false for an internet-facing one)"
    ]
    rendered = renders_back(result, tmp_path)
    annotations = rendered[("Ingress", "web")]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internal"


def test_an_alb_annotation_kgen_derives_nothing_from_is_kept(tmp_path: Path) -> None:
    """A WAF ACL has no field of its own: it is one of ingress.annotations, rendered as it
    was (before, it was left out, and no patch could set it)."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        f"    alb.ingress.kubernetes.io/wafv2-acl-arn: {_WAF}"
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["ingress"]["annotations"] == {
        "alb.ingress.kubernetes.io/wafv2-acl-arn": _WAF
    }
    key = 'Ingress web: metadata.annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"]'
    assert statuses(result)[key][0] is Status.MAPPED
    rendered = renders_back(result, tmp_path)
    annotations = rendered[("Ingress", "web")]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"] == _WAF
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing"


def test_a_refused_certificate_arn_keeps_https(tmp_path: Path) -> None:
    """An ARN kgen refuses is left out, and the ALB keeps HTTPS with the ACM certificate
    found by the host (tls: {}), not plain HTTP."""
    text = alb_app() + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internet-facing\n"
        '    alb.ingress.kubernetes.io/listen-ports: \'[{"HTTP": 80}, {"HTTPS": 443}]\'\n'
        "    alb.ingress.kubernetes.io/certificate-arn: "
        "arn:aws:acm:eu-west-1:123456789012:certificate/my-cert"
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["ingress"]["tls"] == {}
    found = statuses(result)
    key = 'Ingress web: metadata.annotations["alb.ingress.kubernetes.io/certificate-arn"]'
    assert found[key][0] is Status.LEFT_OUT
    rendered = renders_back(result, tmp_path)
    annotations = rendered[("Ingress", "web")]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTP": 80}, {"HTTPS": 443}]'
    assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"


def test_a_load_balancer_service_keeps_its_scheme_and_other_annotations(tmp_path: Path) -> None:
    """The AWS Load Balancer Controller's NLB without a scheme is internal; an annotation
    kgen does not derive (proxy protocol) is one of service.annotations; instance targets
    become IP targets, said in the report; the in-tree controller's default
    (internet-facing) is kept with a warning."""
    lbc = (
        "{service.beta.kubernetes.io/aws-load-balancer-type: external, "
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance, "
        "service.beta.kubernetes.io/aws-load-balancer-proxy-protocol: '*'}"
    )
    result = import_text(tmp_path, alb_app(lbc, "LoadBalancer"))
    service = _spec(result)["service"]
    assert service == {
        "type": "LoadBalancer",
        "internal": True,
        "annotations": {"service.beta.kubernetes.io/aws-load-balancer-proxy-protocol": "*"},
    }
    found = statuses(result)
    prefix = "Service web: metadata.annotations"
    target_type = found[f'{prefix}["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"]']
    assert target_type == (
        Status.CHANGED,
        "kgen's load balancer is the AWS Load Balancer Controller's NLB with IP targets "
        "(nlb-target-type: ip)",
    )
    assert found[f'{prefix}["service.beta.kubernetes.io/aws-load-balancer-type"]'][0] is (
        Status.MAPPED
    )
    rendered = renders_back(result, tmp_path)
    annotations = rendered[("Service", "web")]["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-proxy-protocol"] == "*"

    result = import_text(tmp_path, alb_app("{}", "LoadBalancer"))
    assert "internal" not in _spec(result)["service"]
    [warned] = _scheme_warnings(result)
    assert "kgen renders an internet-facing NLB of the AWS Load Balancer Controller" in warned
    assert "(a Classic ELB unless aws-load-balancer-type says nlb)" in warned


def test_a_workload_kgen_runs_differently_is_warned_of_once(tmp_path: Path) -> None:
    """No user, a writable root filesystem and no resources in the input: one warning at
    the workload's name says each change; an input that says all three gets none."""
    result = import_text(tmp_path, alb_app())
    [warned] = [w for w in imported.warnings(result) if "runs its pods differently" in w]
    assert warned == (
        f"{tmp_path / 'in.yaml'}:3: warning: Deployment shop/web: kgen runs its pods "
        "differently: containers run as user 10001, where the input named none (an image "
        "that needs its own user, or root, fails); containers get kgen's default requests "
        "and limits where the input set none (set resources; a CPU limit is always written); "
        "containers get a read-only root filesystem (an image that writes outside /tmp and "
        'writablePaths fails) (the report\'s "kgen adds" lists each value)'
    )
    said = alb_app().replace(
        "ports: [{name: http, containerPort: 8080}]}",
        "ports: [{name: http, containerPort: 8080}],\n"
        "           securityContext: {runAsUser: 10001, readOnlyRootFilesystem: true},\n"
        "           resources: {requests: {cpu: 100m, memory: 128Mi},"
        " limits: {cpu: 100m, memory: 128Mi}}}",
    )
    result = import_text(tmp_path, said)
    assert not [w for w in imported.warnings(result) if "runs its pods differently" in w]


def test_services_of_no_pods_and_a_repeated_workload_say_what_they_are(tmp_path: Path) -> None:
    """An ExternalName Service and one without a selector are named as such (not as
    selecting nothing); a workload written twice is a duplicate at its line, with the
    first one's place."""
    text = alb_app() + (
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
        "spec: {type: ExternalName, externalName: db.example.com}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: legacy, namespace: shop}\n"
        "spec: {ports: [{port: 5432}]}\n"
    )
    found = statuses(import_text(tmp_path, text))
    assert found["Service db: spec.type"][1].startswith("an ExternalName Service")
    assert found["Service legacy: spec.ports[0].port"][1].startswith("a Service without a selector")
    deployment = alb_app().split("---")[0]
    source = tmp_path / "in.yaml"
    source.write_text(deployment + "---\n" + deployment, encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        api.import_manifests([source])
    [problem] = raised.value.problems
    assert problem.pos.line == 14
    assert problem.message == f"Deployment web again: the input has it already, at {source}:3:18"


def test_a_non_finite_number_kept_as_text_dumps_as_quoted_text() -> None:
    """kgen reads ``.nan`` as its text; written out again it is quoted, so that no YAML
    reader takes it for a number (the C emitter takes no str subclass as it is)."""
    from kgen.yamlio import NonFinite, dump_document

    assert dump_document({"ratio": NonFinite(".nan"), "limit": NonFinite("-.inf")}) == (
        "ratio: '.nan'\nlimit: '-.inf'\n"
    )


def test_a_blueprint_over_kgens_limit_leaves_its_workload_out(tmp_path: Path) -> None:
    """Two ConfigMaps of 3,000 keys read by envFrom would make one blueprint of more
    than 10,000 nodes: the workload is left out with that reason at its line (it was an
    internal error, exit 3, at a line of no input)."""
    maps = "".join(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: shop}}\n"
        "data:\n" + "".join(f"  {name.upper()}_{i}: v{i}\n" for i in range(3000)) + "---\n"
        for name in ("one", "two")
    )
    deployment = (
        alb_app()
        .split("---")[0]
        .replace(
            "ports: [{name: http, containerPort: 8080}]}",
            "ports: [{name: http, containerPort: 8080}],\n"
            "           envFrom: [{configMapRef: {name: one}}, {configMapRef: {name: two}}]}",
        )
    )
    result = import_text(tmp_path, maps + deployment)
    assert result.blueprints == ()
    status, note = statuses(result)["Deployment web: metadata.name"]
    assert status is Status.LEFT_OUT
    assert note == (
        "kgen cannot import Deployment shop/web: its blueprint would be more than 10,000 "
        "nodes, the most one blueprint may be (hint: long envFrom ConfigMaps become one "
        "variable per key: mount a large ConfigMap as files (configFiles), or import its "
        "workloads' configuration in parts)"
    )


def test_an_internet_facing_scheme_kgen_renders_too_is_mapped(tmp_path: Path) -> None:
    """``aws-load-balancer-scheme: internet-facing`` is what kgen renders without
    service.internal: mapped, with no warning (it was warned of as a change)."""
    lbc = (
        "{service.beta.kubernetes.io/aws-load-balancer-type: external, "
        "service.beta.kubernetes.io/aws-load-balancer-scheme: internet-facing}"
    )
    result = import_text(tmp_path, alb_app(lbc, "LoadBalancer"))
    key = 'Service web: metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"]'
    assert statuses(result)[key][0] is Status.MAPPED
    assert not [w for w in imported.warnings(result) if "aws-load-balancer-scheme" in w]
    renders_back(result, tmp_path)


def test_an_ingress_of_no_class_becomes_an_internal_alb(tmp_path: Path) -> None:
    """No class: kgen renders alb, internal unless a scheme says internet-facing (an
    intranet host was put on a public ALB), and the class's warning says both."""
    text = alb_app() + alb_ingress("    {}").replace("  ingressClassName: alb\n", "")
    result = import_text(tmp_path, text)
    assert _spec(result)["ingress"] == {"host": "shop.example.com", "internal": True}
    [warned] = [w for w in imported.warnings(result) if "no ingressClassName" in w]
    assert "internal unless a scheme annotation says internet-facing" in warned
    rendered = renders_back(result, tmp_path)
    annotations = rendered[("Ingress", "web")]["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internal"


def test_a_reference_to_a_later_variable_stays_text(tmp_path: Path) -> None:
    """``$(LATE)`` of a variable set later: Kubernetes left it as text. kgen writes secret
    variables first, where it would expand (a secret copied into a second variable); the
    import writes ``$$(LATE)``, which the pod reads as the same text. An earlier one still
    expands as before."""
    env = (
        "           env: [{name: EARLY, value: '$(TOKEN) and $(HOST) and $$(X)'},\n"
        "                 {name: HOST, value: db},\n"
        "                 {name: AFTER, value: 'http://$(HOST)/'},\n"
        "                 {name: TOKEN, valueFrom: {secretKeyRef: {name: web-db, key: token}}}]}"
    )
    text = alb_app().replace(
        "ports: [{name: http, containerPort: 8080}]}",
        ("ports: [{name: http, containerPort: 8080}],\n" + env),
    )
    result = import_text(tmp_path, text, secret_store="vault")
    spec = _spec(result)
    assert spec["env"]["EARLY"] == "$$(TOKEN) and $$(HOST) and $$(X)"
    assert spec["env"]["AFTER"] == "http://$(HOST)/"
    status, note = statuses(result)["Deployment web: spec.template.spec.containers[0].env[0].value"]
    assert status is Status.CHANGED
    assert note.startswith("a reference to a variable set later stays text, as Kubernetes")
    rendered = renders_back(result, tmp_path)
    [container] = rendered[("Deployment", "web")]["spec"]["template"]["spec"]["containers"]
    values = {e["name"]: e.get("value") for e in container["env"]}
    assert values["EARLY"] == "$$(TOKEN) and $$(HOST) and $$(X)"


def test_a_migration_job_kgen_runs_differently_is_warned_of(tmp_path: Path) -> None:
    """kgen names a migration Job after its content (``shop-db-migrate-<hash>``): its
    warning is still told, at the input Job's name."""
    from tests.test_import_monolith import _deployment, _job

    text = _deployment("shop", "[serve]") + _job(
        "shop-db-migrate", "[migrate]", annotations="helm.sh/hook: pre-upgrade"
    )
    result = import_text(tmp_path, text)
    warned = [w for w in imported.warnings(result) if "runs its pods differently" in w]
    assert [w.split(": ")[2] for w in warned] == [
        "Deployment shop/shop",
        "Job shop/shop-db-migrate",
    ]


def test_one_port_number_of_two_protocols_keeps_both(tmp_path: Path) -> None:
    """DNS on 5353 over UDP and TCP: each Service port targets the container port of its
    own protocol (the TCP one was refused as the UDP port said twice, and UDP rendered as
    TCP while the report said mapped)."""
    text = (
        alb_app()
        .replace(
            "ports: [{name: http, containerPort: 8080}]}",
            "ports: [{name: dns-udp, containerPort: 5353, protocol: UDP},\n"
            "                   {name: dns-tcp, containerPort: 5353, protocol: TCP}]}",
        )
        .replace(
            "ports: [{name: http, port: 80, targetPort: http}]",
            "ports: [{name: dns-udp, port: 53, targetPort: 5353, protocol: UDP},\n"
            "          {name: dns-tcp, port: 53, targetPort: 5353, protocol: TCP}]",
        )
    )
    result = import_text(tmp_path, text)
    assert _spec(result)["ports"] == [
        {"name": "dns-udp", "port": 5353, "protocol": "UDP", "servicePort": 53},
        {"name": "dns-tcp", "port": 5353, "servicePort": 53},
    ]
    rendered = renders_back(result, tmp_path)
    ports = rendered[("Service", "web")]["spec"]["ports"]
    assert [(p["name"], p["port"], p["protocol"]) for p in ports] == [
        ("dns-udp", 53, "UDP"),
        ("dns-tcp", 53, "TCP"),
    ]


def test_listeners_and_targets_kgen_changes_are_warned_of(tmp_path: Path) -> None:
    """An ALB on another port, and instance targets turned into IP targets, are changes the
    user hears of (they were in the report only)."""
    text = alb_app(
        "{service.beta.kubernetes.io/aws-load-balancer-type: external, "
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance}",
        "LoadBalancer",
    ) + alb_ingress(
        "    alb.ingress.kubernetes.io/scheme: internal\n"
        "    alb.ingress.kubernetes.io/listen-ports: '[{\"HTTPS\": 8443}]'"
    )
    warned = [w.split(": ", 1)[1] for w in imported.warnings(import_text(tmp_path, text))]
    assert (
        'warning: Ingress shop/web: metadata.annotations["alb.ingress.kubernetes.io/'
        "listen-ports\"]: kgen's ALB listens on HTTP 80, and HTTPS 443 with tls (redirecting "
        'HTTP): not [{"HTTPS": 8443}]'
    ) in warned
    assert (
        'warning: Service shop/web: metadata.annotations["service.beta.kubernetes.io/'
        "aws-load-balancer-nlb-target-type\"]: kgen's load balancer is the AWS Load Balancer "
        "Controller's NLB with IP targets (nlb-target-type: ip)"
    ) in warned
