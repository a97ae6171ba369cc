"""Stage 3: templates render valid blueprints into canonical Kubernetes documents, and no
blueprint value can change a document's structure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgen import render as render_module
from kgen.assemble import assemble
from kgen.errors import TemplateBug
from kgen.flow import to_flow
from kgen.model import Blueprint, Document, SourceMap, SourcePos
from kgen.patch import apply_patches
from kgen.render import canonical, render_view
from kgen.validate import validate_blueprints
from kgen.write import apply_order, render_stream
from kgen.yamlio import parse_plain
from tests.helpers import microservice, rendered_documents, statefulapp, valid_blueprints


def rendered(text: str) -> list[Document]:
    return rendered_documents(text)


def by_kind(documents: list[Document]) -> dict[str, dict[str, Any]]:
    return {doc.kind: dict(doc.body) for doc in documents}


def test_microservice_renders_its_resources() -> None:
    docs = by_kind(rendered(microservice()))
    assert sorted(docs) == [
        "Deployment",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
    ]
    deployment = docs["Deployment"]
    assert deployment["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "api",
        "app.kubernetes.io/instance": "api",
    }
    labels = deployment["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "kgen"
    assert labels["app.kubernetes.io/version"] == "1.27.3"


def test_pods_are_secure_by_default() -> None:
    pod = by_kind(rendered(microservice()))["Deployment"]["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    [container] = pod["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["resources"]["limits"] == {"cpu": "100m", "memory": "128Mi"}
    assert container["livenessProbe"] == {"tcpSocket": {"port": "http"}}
    assert container["readinessProbe"] == {"tcpSocket": {"port": "http"}}


def test_env_values_are_strings() -> None:
    docs = by_kind(rendered(microservice(env={"A": 1, "B": True, "C": 0.5, "D": "x"})))
    env = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "true"},
        {"name": "C", "value": "0.5"},
        {"name": "D", "value": "x"},
    ]


def test_grpc_probes_resolve_port_names() -> None:
    spec = {
        "ports": [{"name": "grpc", "port": 9090}],
        "probes": {"liveness": {"grpc": {"port": "grpc"}, "periodSeconds": 5}},
    }
    container = by_kind(rendered(microservice(**spec)))["Deployment"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["livenessProbe"] == {"grpc": {"port": 9090}, "periodSeconds": 5}


def test_load_balancer_annotations() -> None:
    service = by_kind(rendered(microservice(service={"type": "LoadBalancer", "internal": True})))[
        "Service"
    ]
    annotations = service["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-type"] == "external"


def test_headless_service() -> None:
    service = by_kind(rendered(microservice(service={"type": "None"})))["Service"]
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["type"] == "ClusterIP"


def test_canonical_drops_server_owned_fields() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "X",
        "metadata": {"name": "a", "creationTimestamp": None, "uid": "u"},
        "status": {"phase": "Running"},
    }
    assert canonical(body) == {"apiVersion": "v1", "kind": "X", "metadata": {"name": "a"}}


def test_canonical_prunes_stubs_but_keeps_meaningful_empties() -> None:
    body = {
        "kind": "X",
        "apiVersion": "v1",
        "spec": {"a": None, "b": {}, "c": [], "emptyDir": {}, "podSelector": {}},
    }
    assert canonical(body) == {
        "apiVersion": "v1",
        "kind": "X",
        "spec": {"emptyDir": {}, "podSelector": {}},
    }


def test_template_bugs_name_the_template_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind_dir = tmp_path / "microservice"
    kind_dir.mkdir()
    (kind_dir / "broken.yaml.j2").write_text("apiVersion: v1\nkind: ConfigMap\nx: {{ nope.x }}\n")
    monkeypatch.setattr(render_module, "templates_root", lambda: tmp_path)
    render_module.environment.cache_clear()
    try:
        [blueprint] = valid_blueprints(microservice())
        with pytest.raises(TemplateBug) as caught:
            render_module._render_text("microservice/broken.yaml.j2", {}, blueprint)
        assert caught.value.template == "microservice/broken.yaml.j2"
        assert caught.value.line == 3
        assert "nope" in caught.value.message
        with pytest.raises(TemplateBug, match="duplicate key 'kind'"):
            render_module._parse("x.yaml.j2", "apiVersion: v1\nkind: A\nkind: B\n", blueprint)
        with pytest.raises(TemplateBug, match="without apiVersion and kind"):
            render_module._parse("x.yaml.j2", "metadata: {}\n", blueprint)
    finally:
        render_module.environment.cache_clear()


# --- No value can change a document's structure ------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=40
)
_NASTY = st.sampled_from(
    [
        "a\n---\nkind: Secret",
        "x: y",
        "- a",
        "{a: b}",
        "'",
        '"',
        "&anchor",
        "*alias",
        "!!python/object:os.system",
        "#comment",
        "{{ 7 * 7 }}",
        "{% raw %}",
        "\u2028\u2029\x85\ufeff",
        "yes",
        "null",
        "~",
        "1e3",
        "0o17",
    ]
)


def _blueprint(data: dict[str, Any]) -> Blueprint:
    start = SourcePos("prop.yaml", 1, 1)
    return Blueprint(data, SourceMap("prop.yaml", start, {}, {}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(_TEXT, _NASTY))
def test_no_value_changes_the_structure(value: str) -> None:
    data = {
        "apiVersion": "kgen.dev/v1alpha1",
        "kind": "Microservice",
        "metadata": {"name": "api", "namespace": "shop", "annotations": {"note": value}},
        "spec": {
            "image": "nginx:1.27.3",
            "command": [value],
            "args": [value, value],
            "env": {"VALUE": value},
            "ports": [{"name": "http", "port": 8080}],
            "probes": {"startup": {"exec": [value]}},
        },
    }
    valid, problems = validate_blueprints([_blueprint(data)])
    view, more = assemble(valid)
    assert problems + more == []
    documents = render_view(view)
    assert [d.kind for d in documents] == [
        "Deployment",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
    ]
    container = documents[0].body["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == [value]
    assert container["args"] == [value, value]
    assert container["env"] == [{"name": "VALUE", "value": value}]
    assert container["startupProbe"] == {"exec": {"command": [value]}}
    for document in documents:
        annotations = dict(document.body["metadata"]["annotations"])
        annotations.pop("argocd.argoproj.io/sync-wave", None)  # kgen's own, on policies
        assert annotations == {"note": value}
    # The written stream parses back to exactly the same documents.
    stream = render_stream(documents)
    assert parse_plain(stream) == [d.body for d in apply_order(documents)]


@given(
    value=st.recursive(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(allow_nan=False, allow_infinity=False),
            _TEXT,
        ),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(_TEXT, children, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_flow_nodes_round_trip(value: Any) -> None:
    [parsed] = parse_plain(f"key: {to_flow(value)}\n")
    assert parsed == {"key": value}


def test_env_numbers_keep_the_text_the_user_wrote() -> None:
    text = microservice() + "  env: {A: 1.10, B: 0755, C: 1:30, D: 12, E: true}\n"
    env = by_kind(rendered(text))["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["value"] for e in env] == ["1.10", "0755", "1:30", "12", "true"]


@pytest.mark.parametrize("value", ["1e3", "0o17", "y", "N", "yes", "1.5", "12", "~", "null"])
def test_strings_any_yaml_reader_could_misread_are_quoted(value: str) -> None:
    stream = render_stream(rendered(microservice(env={"V": value})))
    assert f"value: '{value}'" in stream


def test_env_keeps_the_order_written_so_references_work() -> None:
    text = microservice() + '  env: {Z_HOST: db, URL: "postgres://$(Z_HOST)/app", A: x}\n'
    env = by_kind(rendered(text))["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["Z_HOST", "URL", "A"]


def test_blueprint_annotations_stay_off_the_pod_template() -> None:
    text = microservice().replace("namespace: shop", "namespace: shop\n  annotations: {docs: x}")
    deployment = by_kind(rendered(text))["Deployment"]
    assert deployment["metadata"]["annotations"] == {"docs": "x"}
    assert "annotations" not in deployment["spec"]["template"]["metadata"]


def test_a_stateful_app_always_has_its_headless_service() -> None:
    text = """\
apiVersion: kgen.dev/v1alpha1
kind: StatefulApp
metadata: {name: etl, namespace: data}
spec:
  image: etl:1.0.0
  probes: {liveness: {exec: [true]}, readiness: {exec: [true]}}
""".replace("[true]", "['true']")
    documents = rendered(text)
    services = [d.body for d in documents if d.kind == "Service"]
    assert [s["metadata"]["name"] for s in services] == ["etl-headless"]
    statefulset = by_kind(documents)["StatefulSet"]
    assert statefulset["spec"]["serviceName"] == "etl-headless"


def test_headless_services_publish_container_ports() -> None:
    text = """\
apiVersion: kgen.dev/v1alpha1
kind: StatefulApp
metadata: {name: zk, namespace: data}
spec:
  image: zookeeper:3.9.3
  ports: [{name: client, port: 2181, servicePort: 12181}]
"""
    services = {d.name: d.body for d in rendered(text) if d.kind == "Service"}
    assert services["zk-headless"]["spec"]["ports"][0]["port"] == 2181
    assert services["zk"]["spec"]["ports"][0]["port"] == 12181


def test_headless_services_take_no_client_annotations() -> None:
    text = """\
apiVersion: kgen.dev/v1alpha1
kind: StatefulApp
metadata: {name: zk, namespace: data}
spec:
  image: zookeeper:3.9.3
  ports: [{name: client, port: 2181}]
  service: {annotations: {external-dns.alpha.kubernetes.io/hostname: zk.example.com}}
"""
    services = {d.name: d.body for d in rendered(text) if d.kind == "Service"}
    assert "annotations" not in services["zk-headless"]["metadata"]
    assert services["zk"]["metadata"]["annotations"] == {
        "external-dns.alpha.kubernetes.io/hostname": "zk.example.com"
    }
    headless_only = text.replace("service: {annotations", "service: {type: None, annotations")
    assert [d.name for d in rendered(headless_only) if d.kind == "Service"] == ["zk-headless"]


# --- configuration, secrets, identity, pod settings and exposure ----------------------------


def _pod(documents: list[Document], kind: str = "Deployment") -> dict[str, Any]:
    [workload] = [d for d in documents if d.kind == kind]
    return dict(workload.body["spec"]["template"])


def test_config_files_are_one_configmap_mounted_read_only_and_hashed() -> None:
    files = {"/etc/app/config.yaml": "listen: 8080\n", "/etc/app/rules/config.yaml": "x: 1\n"}
    documents = rendered(microservice(configFiles=files))
    [configmap] = [d for d in documents if d.kind == "ConfigMap"]
    assert configmap.name == "api-files"
    data = configmap.body["data"]
    assert sorted(data.values()) == ["listen: 8080\n", "x: 1\n"]
    pod = _pod(documents)
    mounts = pod["spec"]["containers"][0]["volumeMounts"]
    file_mounts = {m["mountPath"]: m for m in mounts if m["name"] == "kgen-files"}
    assert set(file_mounts) == set(files)
    assert all(m["readOnly"] and m["subPath"] in data for m in file_mounts.values())
    assert {"name": "kgen-files", "configMap": {"name": "api-files"}} in pod["spec"]["volumes"]
    # A change of content rolls the pods: the hash on the pod template changes with it.
    before = pod["metadata"]["annotations"]["kgen.dev/config-hash"]
    files["/etc/app/config.yaml"] = "listen: 9090\n"
    after = _pod(rendered(microservice(configFiles=files)))["metadata"]["annotations"]
    assert after["kgen.dev/config-hash"] != before


def test_secrets_are_external_secrets_wired_as_variables_and_files() -> None:
    secrets = [
        {"name": "db", "store": "aws", "key": "prod/db", "env": {"DB_PASSWORD": "password"}},
        {"name": "tls", "store": "vault", "key": "pki/shop", "mountPath": "/etc/tls"},
    ]
    env = {"DATABASE_URL": "postgres://app:$(DB_PASSWORD)@db/shop"}
    documents = rendered(microservice(secrets=secrets, env=env))
    external = {d.name: d.body["spec"] for d in documents if d.kind == "ExternalSecret"}
    assert external["api-db"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws"}
    assert external["api-db"]["data"] == [
        {"secretKey": "password", "remoteRef": {"key": "prod/db", "property": "password"}}
    ]
    assert external["api-tls"]["dataFrom"] == [{"extract": {"key": "pki/shop"}}]
    assert external["api-tls"]["target"] == {"name": "api-tls", "creationPolicy": "Owner"}
    [deployment] = [d for d in documents if d.kind == "Deployment"]
    container = deployment.body["spec"]["template"]["spec"]["containers"][0]
    # Variables from secrets come first, so that plain values may refer to them.
    assert container["env"][0] == {
        "name": "DB_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "api-db", "key": "password"}},
    }
    assert container["env"][1]["name"] == "DATABASE_URL"
    assert {"name": "kgen-secret-tls", "mountPath": "/etc/tls", "readOnly": True} in container[
        "volumeMounts"
    ]
    # The one suppression kgen writes, naming the blueprint field that asks for it.
    assert deployment.body["metadata"]["annotations"] == {
        "checkov.io/skip1": "CKV_K8S_35=secrets as environment variables: spec.secrets[0].env"
    }


def test_irsa_annotates_the_service_account_and_mounts_no_token() -> None:
    role = "arn:aws:iam::123456789012:role/api"
    documents = rendered(microservice(serviceAccount={"awsRoleArn": role}))
    [account] = [d for d in documents if d.kind == "ServiceAccount"]
    assert account.body["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role}
    assert account.body["automountServiceAccountToken"] is False
    assert _pod(documents)["spec"]["automountServiceAccountToken"] is False
    api = rendered(microservice(serviceAccount={"kubernetesApi": True}))
    assert _pod(api)["spec"]["automountServiceAccountToken"] is True


def test_pod_settings_reach_the_pod() -> None:
    settings = {
        "podAnnotations": {"example.com/scrape": "true"},
        "terminationGracePeriodSeconds": 60,
        "securityContext": {"runAsUser": 101, "runAsGroup": 102},
        "writablePaths": ["/var/cache/nginx"],
        "probes": {
            "readiness": {"http": {"port": "http", "httpHeaders": [{"name": "Host", "value": "x"}]}}
        },
    }
    pod = _pod(rendered(microservice(**settings)))
    assert pod["metadata"]["annotations"] == {"example.com/scrape": "true"}
    spec = pod["spec"]
    assert spec["terminationGracePeriodSeconds"] == 60
    assert spec["securityContext"]["runAsUser"] == 101
    assert spec["securityContext"]["runAsGroup"] == 102
    assert spec["securityContext"]["fsGroup"] == 10001
    container = spec["containers"][0]
    assert {"name": "kgen-writable-0", "mountPath": "/var/cache/nginx"} in container["volumeMounts"]
    assert {"name": "kgen-writable-0", "emptyDir": {}} in spec["volumes"]
    assert container["readinessProbe"]["httpGet"]["httpHeaders"] == [{"name": "Host", "value": "x"}]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_an_alb_ingress_gets_the_controller_annotations_and_acm_tls() -> None:
    probes = {"readiness": {"http": {"path": "/ready", "port": "http"}}}
    ingress = {"host": "shop.example.com", "tls": {}}
    documents = rendered(microservice(ingress=ingress, probes=probes))
    [route] = [d for d in documents if d.kind == "Ingress"]
    annotations = route.body["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    assert annotations["alb.ingress.kubernetes.io/group.name"] == "kgen-internet-facing"
    assert annotations["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert annotations["alb.ingress.kubernetes.io/healthcheck-path"] == "/ready"
    assert route.body["spec"]["ingressClassName"] == "alb"
    assert route.body["spec"]["tls"] == [{"hosts": ["shop.example.com"]}]
    backend = route.body["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"service": {"name": "api", "port": {"name": "http"}}}
    assert not [d for d in documents if d.kind == "Certificate"]


def test_another_ingress_class_takes_a_cert_manager_certificate() -> None:
    ingress = {"host": "shop.example.com", "className": "nginx", "tls": {"issuer": "le"}}
    documents = rendered(microservice(ingress=ingress))
    [route] = [d for d in documents if d.kind == "Ingress"]
    [certificate] = [d for d in documents if d.kind == "Certificate"]
    assert "annotations" not in route.body["metadata"]
    assert route.body["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "api-tls"}]
    assert certificate.body["spec"] == {
        "secretName": "api-tls",
        "dnsNames": ["shop.example.com"],
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": "le"},
    }


def test_ingress_annotations_join_the_ones_kgen_derives() -> None:
    """A WAF ACL rides beside the controller's annotations kgen derives, sorted."""
    waf = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop/abc"
    ingress = {
        "host": "shop.example.com",
        "annotations": {"alb.ingress.kubernetes.io/wafv2-acl-arn": waf},
    }
    [route] = [d for d in rendered(microservice(ingress=ingress)) if d.kind == "Ingress"]
    annotations = route.body["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"] == waf
    assert annotations["alb.ingress.kubernetes.io/scheme"] == "internet-facing"
    assert list(annotations) == sorted(annotations)


def test_several_acm_certificates_are_one_comma_separated_annotation() -> None:
    """tls.certificateArn as a list: the controller's certificate-arn names them all, the
    first being the listener's default."""
    arns = [
        f"arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-12345678901{n}"
        for n in range(2)
    ]
    ingress = {"host": "shop.example.com", "tls": {"certificateArn": arns}}
    [route] = [d for d in rendered(microservice(ingress=ingress)) if d.kind == "Ingress"]
    annotations = route.body["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"] == ",".join(arns)


def test_a_cert_manager_certificate_writes_the_secret_tls_names() -> None:
    """issuer with secretName: the Certificate writes that Secret and the Ingress serves it
    (an import keeps the Secret the input's Ingress names)."""
    tls = {"issuer": "le", "secretName": "shop-cert"}
    ingress = {"host": "shop.example.com", "className": "nginx", "tls": tls}
    documents = rendered(microservice(ingress=ingress))
    [route] = [d for d in documents if d.kind == "Ingress"]
    [certificate] = [d for d in documents if d.kind == "Certificate"]
    assert certificate.name == "api-tls"
    assert certificate.body["spec"]["secretName"] == "shop-cert"
    assert route.body["spec"]["tls"] == [{"hosts": ["shop.example.com"], "secretName": "shop-cert"}]


def test_monolith_processes_share_the_apps_files_secrets_and_account() -> None:
    text = """\
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata: {name: shop, namespace: shop}
spec:
  image: ghcr.io/example/shop:3.1.0
  configFiles: {/etc/shop/app.yaml: "a: 1\\n"}
  secrets: [{name: db, store: aws, key: prod/db, env: {DB_PASSWORD: password}}]
  serviceAccount: {awsRoleArn: "arn:aws:iam::123456789012:role/shop"}
  processes:
    web:
      command: [serve]
      ports: [{name: http, port: 3000}]
      ingress: {host: shop.example.com}
    worker:
      command: [work]
      probes: {liveness: {exec: ["true"]}, readiness: {exec: ["true"]}}
"""
    documents = rendered(text)
    assert sorted(d.name for d in documents if d.kind in ("ConfigMap", "ExternalSecret")) == [
        "shop-db",
        "shop-files",
    ]
    assert [d.name for d in documents if d.kind == "ServiceAccount"] == ["shop"]
    assert [d.name for d in documents if d.kind == "Ingress"] == ["shop-web"]
    for deployment in [d for d in documents if d.kind == "Deployment"]:
        pod = deployment.body["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] == "shop"
        assert pod["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "shop-db"
        assert {"name": "kgen-files", "configMap": {"name": "shop-files"}} in pod["volumes"]


def test_init_containers_and_sidecars_are_hardened_like_the_main_one() -> None:
    init = [{"name": "migrate", "image": "ghcr.io/example/migrate:1.0.0", "command": ["up"]}]
    sidecars = [
        {
            "name": "proxy",
            "image": "envoyproxy/envoy:v1.31.2",
            "ports": [{"name": "admin", "port": 9901}],
        }
    ]
    pod = _pod(rendered(microservice(initContainers=init, sidecars=sidecars)))["spec"]
    [migrate] = pod["initContainers"]
    main, proxy = pod["containers"]
    assert [migrate["name"], main["name"], proxy["name"]] == ["migrate", "api", "proxy"]
    for container in (migrate, main, proxy):
        assert container["securityContext"] == main["securityContext"]
        assert container["resources"]["limits"] == {"cpu": "100m", "memory": "128Mi"}
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert "livenessProbe" not in migrate
    assert proxy["livenessProbe"] == {"tcpSocket": {"port": "admin"}}


QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
ROLE = {"awsRoleArn": "arn:aws:iam::123456789012:role/worker"}


def test_an_hpa_scales_and_the_workload_leaves_replicas_to_it() -> None:
    autoscaling = {"minReplicas": 3, "maxReplicas": 9, "memory": 75}
    documents = rendered(microservice(autoscaling=autoscaling))
    [hpa] = [d for d in documents if d.kind == "HorizontalPodAutoscaler"]
    assert hpa.body["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "api",
    }
    assert (hpa.body["spec"]["minReplicas"], hpa.body["spec"]["maxReplicas"]) == (3, 9)
    [metric] = hpa.body["spec"]["metrics"]
    assert metric["resource"] == {
        "name": "memory",
        "target": {"type": "Utilization", "averageUtilization": 75},
    }
    [deployment] = [d for d in documents if d.kind == "Deployment"]
    assert "replicas" not in deployment.body["spec"]
    # It may run more than one pod: a budget and a spread over zones.
    assert [d.kind for d in documents].count("PodDisruptionBudget") == 1
    assert deployment.body["spec"]["template"]["spec"]["topologySpreadConstraints"]


def test_a_queue_hands_scaling_to_keda_with_the_apps_role() -> None:
    autoscaling = {
        "minReplicas": 0,
        "maxReplicas": 20,
        "metrics": [{"queue": {"provider": "aws-sqs", "queueURL": QUEUE, "targetLength": 5}}],
    }
    probes = {"liveness": {"exec": ["true"]}, "readiness": {"exec": ["true"]}}
    documents = rendered(
        microservice(ports=[], probes=probes, autoscaling=autoscaling, serviceAccount=ROLE)
    )
    kinds = [d.kind for d in documents]
    assert "HorizontalPodAutoscaler" not in kinds
    # It may scale to zero, and to twenty: a drain takes its pods one at a time.
    [budget] = [d for d in documents if d.kind == "PodDisruptionBudget"]
    assert budget.body["spec"]["maxUnavailable"] == 1
    [scaled] = [d for d in documents if d.kind == "ScaledObject"]
    [trigger] = scaled.body["spec"]["triggers"]
    assert trigger == {
        "type": "aws-sqs-queue",
        "metadata": {"queueURL": QUEUE, "queueLength": "5", "awsRegion": "eu-west-1"},
        "authenticationRef": {"name": "api-aws"},
    }
    [auth] = [d for d in documents if d.kind == "TriggerAuthentication"]
    assert auth.body["spec"] == {"podIdentity": {"provider": "aws", "identityOwner": "workload"}}


def test_one_pod_gets_no_budget_and_no_spread() -> None:
    documents = rendered(microservice(replicas=1, rollout={"strategy": "Recreate"}))
    assert "PodDisruptionBudget" not in [d.kind for d in documents]
    [deployment] = [d for d in documents if d.kind == "Deployment"]
    assert deployment.body["spec"]["strategy"] == {"type": "Recreate"}
    assert "topologySpreadConstraints" not in deployment.body["spec"]["template"]["spec"]


def test_placement_and_priority_reach_the_pod() -> None:
    pod = _pod(
        rendered(
            microservice(
                priorityClassName="shop-critical",
                placement={"nodeGroup": "spot", "spreadZones": False},
            )
        )
    )["spec"]
    assert pod["priorityClassName"] == "shop-critical"
    assert pod["nodeSelector"] == {"eks.amazonaws.com/nodegroup": "spot"}
    assert "topologySpreadConstraints" not in pod


def test_monitoring_is_a_service_monitor_and_alerts() -> None:
    ports = [{"name": "http", "port": 8080}, {"name": "metrics", "port": 9090}]
    alerts = [{"name": "ApiDown", "expr": "up == 0", "for": "5m", "severity": "critical"}]
    documents = rendered(
        microservice(
            ports=ports,
            monitoring={"port": "metrics", "alerts": alerts},
            logging={"parser": "json"},
        )
    )
    [monitor] = [d for d in documents if d.kind == "ServiceMonitor"]
    assert monitor.body["spec"]["selector"] == {
        "matchLabels": {"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "api"}
    }
    assert monitor.body["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "30s"}
    ]
    [rule] = [d for d in documents if d.kind == "PrometheusRule"]
    [group] = rule.body["spec"]["groups"]
    assert group["rules"] == [
        {
            "alert": "ApiDown",
            "expr": "up == 0",
            "for": "5m",
            "labels": {"severity": "critical", "namespace": "shop", "app": "api"},
        }
    ]
    assert _pod(documents)["metadata"]["annotations"] == {"fluentbit.io/parser": "json"}


def test_a_statefulapps_monitor_leaves_its_headless_service_out() -> None:
    text = statefulapp(
        ports=[{"name": "pg", "port": 5432}, {"name": "metrics", "port": 9187}],
        monitoring={"port": 9187},
    )
    documents = rendered(text)
    headless = next(d for d in documents if d.name == "db-headless")
    assert headless.body["metadata"]["labels"]["kgen.dev/headless"] == "true"
    [monitor] = [d for d in documents if d.kind == "ServiceMonitor"]
    assert monitor.body["spec"]["selector"]["matchExpressions"] == [
        {"key": "kgen.dev/headless", "operator": "DoesNotExist"}
    ]


MONOLITH_JOBS = """\
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata: {name: shop, namespace: shop}
spec:
  image: ghcr.io/example/shop:3.1.0
  env: {RAILS_ENV: production}
  sharedStorage: {size: 20Gi, class: efs, mountPath: /app/uploads}
  migrations: {command: [bin/rails, db:migrate]}
  schedules:
    - {name: reports, schedule: "0 3 * * *", timeZone: Europe/Berlin, command: [bin/reports]}
  processes:
    web: {command: [bin/web], ports: [{name: http, port: 3000}]}
"""


def test_monolith_migrations_schedules_and_shared_storage() -> None:
    documents = rendered(MONOLITH_JOBS)
    [job] = [d for d in documents if d.kind == "Job"]
    assert job.name.startswith("shop-migrate-")
    # A Sync hook after the ServiceAccount, ConfigMaps and secrets it needs (wave -2) and
    # the shared claim (-1), not PreSync: that would run before they exist.
    assert job.body["metadata"]["annotations"] == {
        "argocd.argoproj.io/hook": "Sync",
        "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
        "argocd.argoproj.io/sync-wave": "-1",
    }
    waves = {
        (d.kind, d.name): d.body["metadata"]
        .get("annotations", {})
        .get("argocd.argoproj.io/sync-wave")
        for d in documents
    }
    assert waves[("ServiceAccount", "shop")] == "-2"
    assert waves[("PersistentVolumeClaim", "shop-shared")] == "-1"
    assert waves[("Deployment", "shop-web")] is None
    # No TTL unless asked: Flux would apply a Job the TTL deleted again, and run it again.
    assert "ttlSecondsAfterFinished" not in job.body["spec"]
    pod = job.body["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["command"] == ["bin/rails", "db:migrate"]
    assert "livenessProbe" not in pod["containers"][0]
    # The name changes with the image, and only with it.
    again = rendered(MONOLITH_JOBS.replace("web: {", "web: {replicas: 3, "))
    moved = rendered(MONOLITH_JOBS.replace("3.1.0", "3.2.0"))
    assert [d.name for d in again if d.kind == "Job"] == [job.name]
    assert [d.name for d in moved if d.kind == "Job"] != [job.name]
    # The blueprint's labels are on its pods: a new label is a new Job too.
    labelled = rendered(
        MONOLITH_JOBS.replace("namespace: shop}", "namespace: shop, labels: {team: a}}")
    )
    assert [d.name for d in labelled if d.kind == "Job"] != [job.name]
    # The app's pod annotations reach the migration and the schedules.
    annotated = rendered(
        MONOLITH_JOBS.replace("  env:", "  podAnnotations: {example.com/a: b}\n  env:")
    )
    for document in annotated:
        if document.kind in ("Job", "CronJob"):
            spec = document.body["spec"]
            template = spec.get("jobTemplate", {}).get("spec", spec)["template"]
            assert template["metadata"]["annotations"]["example.com/a"] == "b"
    [cron] = [d for d in documents if d.kind == "CronJob"]
    assert cron.name == "shop-reports"
    assert cron.body["spec"]["schedule"] == "0 3 * * *"
    assert cron.body["spec"]["timeZone"] == "Europe/Berlin"
    assert cron.body["spec"]["concurrencyPolicy"] == "Forbid"
    [claim] = [d for d in documents if d.kind == "PersistentVolumeClaim"]
    assert claim.name == "shop-shared"
    assert claim.body["spec"]["accessModes"] == ["ReadWriteMany"]
    for workload in (job, cron, *[d for d in documents if d.kind == "Deployment"]):
        spec = workload.body["spec"]
        template = spec.get("jobTemplate", {}).get("spec", spec)["template"]
        volumes = template["spec"]["volumes"]
        assert {"name": "kgen-shared", "persistentVolumeClaim": {"claimName": "shop-shared"}} in (
            volumes
        )


def test_statefulapp_backup_is_a_velero_schedule() -> None:
    storage = [{"name": "data", "size": "10Gi", "mountPath": "/var/lib/data"}]
    documents = rendered(statefulapp(backup={"schedule": "0 2 * * *"}, storage=storage))
    [schedule] = [d for d in documents if d.kind == "Schedule"]
    assert (schedule.namespace, schedule.name) == ("velero", "data-db")
    template = schedule.body["spec"]["template"]
    assert template["includedNamespaces"] == ["data"]
    assert template["ttl"] == "720h"
    assert template["labelSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "db"}
    }


def test_patches_apply_before_validation() -> None:
    patches = [
        {
            "target": {"kind": "Deployment"},
            "patch": {"spec": {"template": {"spec": {"hostAliases": [{"ip": "10.0.0.1"}]}}}},
        },
        {"target": {"kind": "Service", "name": "api"}, "patch": {"spec": {"type": None}}},
    ]
    blueprint = valid_blueprints(microservice(patches=patches))[0]
    documents, problems = apply_patches(blueprint, rendered(microservice(patches=patches)))
    assert problems == []
    [deployment] = [d for d in documents if d.kind == "Deployment"]
    assert deployment.body["spec"]["template"]["spec"]["hostAliases"] == [{"ip": "10.0.0.1"}]
    [service] = [d for d in documents if d.kind == "Service"]
    assert "type" not in service.body["spec"]


def test_field_env_sets_variables_from_the_pod_fields() -> None:
    """fieldEnv: the downward API's fieldRef, after the secrets' variables and before env,
    whose values may refer to them; a sidecar takes its own."""
    settings: dict[str, Any] = {
        "fieldEnv": {"POD_NAME": "metadata.name", "POD_IP": "status.podIP"},
        "env": {"ADVERTISED": "$(POD_NAME).api:8080"},
        "sidecars": [
            {
                "name": "agent",
                "image": "ghcr.io/acme/agent:1.0.0",
                "ports": [{"name": "agent", "port": 9000}],
                "fieldEnv": {"NODE": "spec.nodeName"},
            }
        ],
    }
    pod = _pod(rendered(microservice(**settings)))
    main, agent = pod["spec"]["containers"]
    field = {"valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}
    assert main["env"][:2] == [
        {"name": "POD_NAME", **field},
        {
            "name": "POD_IP",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}},
        },
    ]
    assert main["env"][2] == {"name": "ADVERTISED", "value": "$(POD_NAME).api:8080"}
    assert agent["env"] == [
        {
            "name": "NODE",
            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}},
        }
    ]
