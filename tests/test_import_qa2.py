"""``kgen import`` on manifests its authors had not seen (a second QA pass): duplicate
variables, optional and whole-Secret variables, workloads kgen cannot probe, an Ingress to
several Services, out-of-range numbers, misspelt kinds, per-process labels and the reasons
given. Each value is accounted for as what it became, and each change in behaviour warned of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgen import api
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.importer.account import Status
from kgen.model import format_path
from tests.importing import mismatches, unexplained

POD = "spec.template.spec"


def _import(tmp_path: Path, text: str, **options: Any) -> ImportResult:
    source = tmp_path / "in.yaml"
    source.write_text(text, encoding="utf-8")
    return api.import_manifests([source], **options)


def _statuses(result: ImportResult) -> dict[str, tuple[Status, str]]:
    """Report path ("Kind name: dotted.path") -> (status, note)."""
    return {
        f"{line.resource.kind} {line.resource.name}: {format_path(line.path)}": (
            line.entry.status,
            line.entry.note,
        )
        for line in result.lines
    }


def _renders_back(result: ImportResult, tmp_path: Path) -> dict[tuple[str, str], Any]:
    imported.to_folder(result, tmp_path / "bp")
    built = api.build([tmp_path / "bp"])
    rendered = {(d.kind, d.name): d.body for d in built.documents}
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []
    return rendered


def _deployment(pod: str, *, name: str = "api", kind: str = "Deployment") -> str:
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: shop}}\n"
        f"spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n"
        f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n{pod}"
    )


def _main(extra: str = "") -> str:
    return (
        "      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.4.0\n"
        "        ports: [{name: http, containerPort: 8080}]\n"
        "        readinessProbe: {httpGet: {path: /ready, port: http}}\n" + extra
    )


def test_a_variable_set_twice_keeps_the_last_entry(tmp_path: Path) -> None:
    """Kubernetes sets a variable named twice from its last entry: the first is left out
    with a warning (never reported as mapped), the blueprint has the last value."""
    env = '        env:\n        - {name: A, value: "1"}\n        - {name: A, value: "2"}\n'
    result = _import(tmp_path, _deployment(_main(env)))
    found = _statuses(result)
    first = found[f"Deployment api: {POD}.containers[0].env[0].value"]
    assert first == (
        Status.LEFT_OUT,
        "a later entry of the same name overrides it: env[1] sets A",
    )
    assert found[f"Deployment api: {POD}.containers[0].env[1].value"][0] is Status.MAPPED
    assert "A: '2'" in result.blueprints[0].text
    assert any(":15: warning:" in w and "env[0]" in w for w in imported.warnings(result))
    _renders_back(result, tmp_path)


OPTIONAL = """\
        env:
        - {name: KEY, valueFrom: {secretKeyRef: {name: psp, key: api-key, optional: true}}}
        - {name: PIN, valueFrom: {secretKeyRef: {name: psp, key: pin, optional: false}}}
        - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode, optional: true}}}
---
apiVersion: v1
kind: Secret
metadata: {name: psp, namespace: shop}
data: {api-key: eA==, pin: eA==}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: fast}
"""


def test_an_optional_secret_variable_becomes_required_with_a_warning(tmp_path: Path) -> None:
    """``secretKeyRef.optional: true`` has no blueprint field: left out with a warning that
    the variable becomes required (never filed as the secret's value); ``optional: false``
    is Kubernetes' default; an optional ConfigMap value is inlined, so always set."""
    result = _import(tmp_path, _deployment(_main(OPTIONAL)), secret_store="aws")
    found = _statuses(result)
    env = f"Deployment api: {POD}.containers[0].env"
    status, note = found[f"{env}[0].valueFrom.secretKeyRef.optional"]
    assert status is Status.LEFT_OUT
    assert "KEY becomes required" in note
    assert found[f"{env}[0].valueFrom.secretKeyRef.key"][0] is Status.SECRET
    assert found[f"{env}[1].valueFrom.secretKeyRef.optional"] == (
        Status.DEFAULT,
        "Kubernetes' default",
    )
    status, note = found[f"{env}[2].valueFrom.configMapKeyRef.optional"]
    assert status is Status.CHANGED
    assert "always set" in note
    warned = "\n".join(imported.warnings(result))
    assert ":15: warning:" in warned
    assert "secretKeyRef.optional: kgen's secrets have no optional" in warned
    _renders_back(result, tmp_path)
