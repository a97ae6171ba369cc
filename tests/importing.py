"""The round trip of ``kgen import``, shared by its tests: render the imported blueprints,
build them with the real ``kubectl kustomize``, and compare field by field with the input."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kgen import api
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.importer.account import Status, value_at
from kgen.importer.additions import UNDOCUMENTED
from kgen.model import format_path
from kgen.yamlio import parse_plain
from tests.conftest import REPO


def import_text(tmp_path: Path, text: str, **options: Any) -> ImportResult:
    """``kgen import`` of ``text``, written to ``tmp_path/in.yaml`` (warnings name it)."""
    source = tmp_path / "in.yaml"
    source.write_text(text, encoding="utf-8")
    return api.import_manifests([source], **options)


def blueprint_of(result: ImportResult, index: int = 0) -> dict[str, Any]:
    """The ``index``-th imported blueprint, as data."""
    (document,) = parse_plain(result.blueprints[index].text)
    found: dict[str, Any] = document
    return found


def spec_of(result: ImportResult, index: int = 0) -> dict[str, Any]:
    """The spec of the ``index``-th imported blueprint."""
    spec: dict[str, Any] = blueprint_of(result, index)["spec"]
    return spec


def statuses(result: ImportResult) -> dict[str, tuple[Status, str]]:
    """Report path ("Kind name: dotted.path") -> (status, note)."""
    return {
        f"{line.resource.kind} {line.resource.name}: {format_path(line.path)}": (
            line.entry.status,
            line.entry.note,
        )
        for line in result.lines
    }


def round_trip(result: ImportResult, tmp_path: Path, kubectl: str) -> dict[tuple[str, str], Any]:
    """Render the imported blueprints into a folder, build it with kubectl kustomize, and
    return the documents by (kind, name)."""
    blueprints = tmp_path / "blueprints"
    imported.to_folder(result, blueprints)
    built = api.build([blueprints])
    api.to_folder(built, tmp_path / "out")
    done = subprocess.run(
        [kubectl, "kustomize", str(tmp_path / "out")], capture_output=True, text=True, check=True
    )
    return {(d["kind"], d["metadata"]["name"]): d for d in parse_plain(done.stdout)}


def mismatches(result: ImportResult, rendered: Mapping[tuple[str, str], Any]) -> list[str]:
    """Every mapped input value that does not come back where the import says."""
    wrong = []
    for line in result.lines:
        entry = line.entry
        if entry.status is not Status.MAPPED:
            continue
        for target in entry.targets:
            document = rendered.get((target.kind, target.name))
            path = (*target.path, *line.path[len(entry.path) :])  # a leaf inside the value
            found, value = value_at(document, path) if document else (False, None)
            if not found or value != line.value:
                wrong.append(
                    f"{line.resource.kind} {line.resource.name} {line.path}: {line.value!r} "
                    f"-> {target}: {value!r}"
                )
    return wrong


def unexplained(result: ImportResult) -> list[str]:
    """Input values that did not come back and whose report line gives no reason, and
    what kgen adds beyond the input without a documented reason (``additions.DOCUMENTED``)."""
    return [
        *(
            f"{line.resource.kind} {line.resource.name} {line.path}"
            for line in result.lines
            if line.entry.status is not Status.MAPPED and not line.entry.note
        ),
        *(
            f"kgen adds to {a.kind} {a.namespace}/{a.name}: {', '.join(a.paths)}"
            for a in result.additions
            if a.reason == UNDOCUMENTED
        ),
    ]


def report(result: ImportResult) -> str:
    return imported.report(result).replace(str(REPO) + "/", "")


def renders_back(result: ImportResult, tmp_path: Path) -> dict[tuple[str, str], Any]:
    """The imported blueprints written to ``tmp_path/bp`` and built with every check of
    render, by kind and name; every mapped value comes back where the report says, and
    nothing goes unexplained."""
    imported.to_folder(result, tmp_path / "bp")
    built = api.build([tmp_path / "bp"])
    rendered = {(d.kind, d.name): d.body for d in built.documents}
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []
    return rendered


_ALB_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: "ghcr.io/acme/web:1.0.0", ports: [{name: http, containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations: {SERVICE}
spec:
  type: {TYPE}
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""


def alb_app(service: str = "{}", kind: str = "ClusterIP") -> str:
    """Deployment ``shop/web`` (port ``http``, 8080) and its Service of type ``kind`` with
    annotations ``service`` (a YAML flow map)."""
    return _ALB_APP.replace("{SERVICE}", service).replace("{TYPE}", kind)


def alb_ingress(annotations: str) -> str:
    """An ALB Ingress for shop.example.com to the Service of :func:`alb_app`, with
    ``annotations`` (indented lines of YAML)."""
    return f"""\
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
{annotations}
spec:
  ingressClassName: alb
  rules:
    - host: shop.example.com
      http:
        paths:
          - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{name: http}}}}}}}}
"""
