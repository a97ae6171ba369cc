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
from kgen.yamlio import parse_plain
from tests.importing import import_text, renders_back, statuses


def _spec(result: ImportResult) -> dict[str, Any]:
    [blueprint] = result.blueprints
    [document] = parse_plain(blueprint.text)
    spec: dict[str, Any] = document["spec"]
    return spec


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
