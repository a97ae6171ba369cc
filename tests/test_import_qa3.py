"""``kgen import`` on manifests its authors had not seen (a third QA pass): cluster-scoped
resources beside the workloads, the older annotation of an internal load balancer, a
Secret mounted by ``subPath``, and a long list of variables read by ``envFrom``."""

from __future__ import annotations

import re
from pathlib import Path

from kgen import api
from kgen.importer import output as imported
from kgen.importer.account import Status
from kgen.yamlio import parse_plain
from tests.importing import import_text, renders_back, statuses

DEPLOYMENT = """\
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
        image: ghcr.io/acme/api:1.0.0
        ports: [{name: http, containerPort: 8080}]
"""


def test_cluster_scoped_resources_are_listed_and_left_out(tmp_path: Path) -> None:
    """A Namespace, a ClusterRole and a CRD have no namespace: each is left out with its
    reason, as a DaemonSet is, and the workloads beside them are imported (with or
    without --namespace, which never names a namespace for them)."""
    text = (
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
        "metadata: {name: reader}\nrules: []\n---\n"
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\nspec: {group: example.com}\n---\n" + DEPLOYMENT
    )
    for options in ({}, {"namespace": "other"}):
        result = import_text(tmp_path, text, **options)
        assert [b.name for b in result.blueprints] == ["api"]
        shown = [w.split(": ", 1)[1] for w in imported.warnings(result)][:3]
        assert shown == [
            "warning: Namespace shop: <document>: kgen has no blueprint for a Namespace",
            "warning: ClusterRole reader: <document>: kgen has no blueprint for a ClusterRole",
            "warning: CustomResourceDefinition widgets.example.com: <document>: kgen has no "
            "blueprint for a CustomResourceDefinition",
        ]


def test_the_older_internal_load_balancer_annotation_stays_internal(tmp_path: Path) -> None:
    """``aws-load-balancer-internal: "true"`` (or a CIDR) made an internal load balancer:
    the blueprint says service.internal, and kgen renders the scheme annotation."""
    for value in ('"true"', "0.0.0.0/0"):
        text = (
            DEPLOYMENT + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: api\n"
            "  namespace: shop\n  annotations:\n"
            f"    service.beta.kubernetes.io/aws-load-balancer-internal: {value}\n"
            "spec:\n  type: LoadBalancer\n  selector: {app: api}\n"
            "  ports: [{name: http, port: 80, targetPort: http}]\n"
        )
        result = import_text(tmp_path, text)
        (blueprint,) = parse_plain(result.blueprints[0].text)
        assert blueprint["spec"]["service"] == {"type": "LoadBalancer", "internal": True}
        rendered = renders_back(result, tmp_path / value.strip('"').replace("/", "_"))
        annotations = rendered[("Service", "api")]["metadata"]["annotations"]
        assert annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] == "internal"
        found = statuses(result)[
            'Service api: metadata.annotations["service.beta.kubernetes.io/'
            'aws-load-balancer-internal"]'
        ]
        assert found[0] is Status.CHANGED


def test_a_secret_mounted_by_sub_path_warns_that_the_file_becomes_a_folder(
    tmp_path: Path,
) -> None:
    text = (
        DEPLOYMENT.replace(
            "        ports:",
            "        volumeMounts: [{name: sec, mountPath: /run/secrets/token, subPath: token}]\n"
            "        ports:",
        )
        + "      volumes: [{name: sec, secret: {secretName: creds}}]\n"
    )
    result = import_text(tmp_path, text, secret_store="aws")
    found = statuses(result)[
        "Deployment api: spec.template.spec.containers[0].volumeMounts[0].subPath"
    ]
    assert found == (
        Status.LEFT_OUT,
        "kgen mounts every key of the store entry shop/creds as a file in the folder "
        "/run/secrets/token: the app finds a folder where it read the one file token",
    )


def test_a_long_config_map_read_by_env_from_is_accounted_for(tmp_path: Path) -> None:
    """Every key of a 300-key ConfigMap becomes a variable that comes back rendered (the
    accounting of what kgen adds was cubic in such a list: 400 keys took minutes)."""
    data = "".join(f"  K{i}: v{i}\n" for i in range(300))
    text = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: shop}}\n"
        f"data:\n{data}---\n"
        + DEPLOYMENT.replace(
            "        ports:", "        envFrom: [{configMapRef: {name: big}}]\n        ports:"
        )
    )
    result = import_text(tmp_path, text)
    (blueprint,) = parse_plain(result.blueprints[0].text)
    assert len(blueprint["spec"]["env"]) == 300
    renders_back(result, tmp_path)


def test_a_config_map_key_kgen_refuses_as_a_variable_is_left_out_alone(tmp_path: Path) -> None:
    """``envFrom`` of a ConfigMap with keys that are no variable names kgen takes: each
    such key is left out with kgen's reason, the other keys stay mapped, and the
    ``envFrom`` entry is what it was: inlined."""
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\n"
        'data: {GOOD: "1", 1BAD: "2", "with space": "3"}\n---\n'
        + DEPLOYMENT.replace(
            "        ports:", "        envFrom: [{configMapRef: {name: cfg}}]\n        ports:"
        )
    )
    result = import_text(tmp_path, text)
    found = statuses(result)
    assert found["ConfigMap cfg: data.GOOD"][0] is Status.MAPPED
    for key, shown in (("1BAD", "data.1BAD"), ("with space", 'data["with space"]')):
        assert found[f"ConfigMap cfg: {shown}"] == (
            Status.LEFT_OUT,
            f"kgen refuses it: {key!r} is not a valid environment variable name",
        )
    assert (
        found["Deployment api: spec.template.spec.containers[0].envFrom[0].configMapRef.name"][0]
        is Status.CHANGED
    )
    rendered = renders_back(result, tmp_path)
    env = rendered[("Deployment", "api")]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [v["name"] for v in env] == ["GOOD"]


def test_a_split_ingress_with_cert_manager_maps_each_apps_secret_to_its_own_tls(
    tmp_path: Path,
) -> None:
    """The second app's TLS entry (spec.tls[1] of the input) comes back at spec.tls[0]
    of its own Ingress: every mapped value is where the report says."""
    apps = ""
    for name in ("api", "cart"):
        apps += re.sub(r"\bapi\b", name, DEPLOYMENT) + (
            f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\n"
            f"spec:\n  selector: {{app: {name}}}\n"
            "  ports: [{name: http, port: 80, targetPort: http}]\n---\n"
        )
    text = apps + (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: shop\n"
        "  namespace: shop\n  annotations: {cert-manager.io/cluster-issuer: letsencrypt}\n"
        "spec:\n  ingressClassName: nginx\n  tls:\n"
        "  - {hosts: [api.example.com], secretName: api-tls}\n"
        "  - {hosts: [cart.example.com], secretName: cart-tls}\n  rules:\n"
        + "".join(
            f"  - host: {name}.example.com\n    http:\n      paths:\n      - {{path: /, "
            f"pathType: Prefix, backend: {{service: {{name: {name}, port: {{name: http}}}}}}}}\n"
            for name in ("api", "cart")
        )
    )
    result = import_text(tmp_path, text)
    found = statuses(result)
    assert found["Ingress shop: spec.tls[1].secretName"][0] is Status.MAPPED
    rendered = renders_back(result, tmp_path)
    assert rendered[("Ingress", "cart")]["spec"]["tls"] == [
        {"hosts": ["cart.example.com"], "secretName": "cart-tls"}
    ]


def test_a_document_that_is_no_mapping_is_named_as_written(tmp_path: Path) -> None:
    from kgen.errors import InvalidInput

    source = tmp_path / "in.yaml"
    source.write_text("apiVersion: v1\nkind: List\nitems:\n- 5\n- null\n", encoding="utf-8")
    try:
        api.import_manifests([source])
    except InvalidInput as bad:
        assert [p.message for p in bad.problems] == [
            "not a Kubernetes object: a manifest is a mapping, found 5",
            "not a Kubernetes object: a manifest is a mapping, found null",
        ]
    else:
        raise AssertionError("a List of scalars imported")


def test_a_headless_service_named_as_the_app_beside_a_client_service_is_replaced(
    tmp_path: Path,
) -> None:
    """Headless ``pg`` and client ``pg-rw``: kgen's client Service takes the name ``pg``,
    which Kubernetes cannot turn from headless into one with a cluster IP: a warning says
    to delete it before the first apply (not to delete it once nothing uses it)."""
    text = (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: pg, namespace: db}\n"
        "spec:\n  serviceName: pg\n  selector: {matchLabels: {app: pg}}\n  template:\n"
        "    metadata: {labels: {app: pg}}\n    spec:\n      containers:\n      - name: pg\n"
        "        image: postgres:16.3\n        ports: [{name: pg, containerPort: 5432}]\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: pg, namespace: db}\n"
        "spec: {clusterIP: None, selector: {app: pg}, ports: [{name: pg, port: 5432}]}\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: pg-rw, namespace: db}\n"
        "spec: {selector: {app: pg}, ports: [{name: pg, port: 5432}]}\n"
    )
    result = import_text(tmp_path, text)
    status, note = statuses(result)["Service pg: metadata.name"]
    assert status is Status.REPLACED
    assert note.endswith("delete it (kubectl delete service pg -n db) just before the first apply")
    rendered = renders_back(result, tmp_path)
    assert rendered[("Service", "pg-headless")]["spec"]["clusterIP"] == "None"
    assert "clusterIP" not in rendered[("Service", "pg")]["spec"]
