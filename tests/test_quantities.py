"""Kubernetes quantities with a decimal exponent ('500e-3', '1e9', '128E6'): taken wherever
kgen takes a quantity, with their values, rendered as written, imported, and refused where
Kubernetes refuses them (or where they are beyond what it holds)."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kgen.formats import cpu_millis, format_ok, memory_bytes
from kgen.importer import output as imported
from kgen.yamlio import parse_plain
from tests.conftest import RunKgen
from tests.importing import import_text, renders_back, spec_of

_BLUEPRINT = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {{name: api, namespace: shop}}
spec:
  image: ghcr.io/acme/api:1.0.0
  ports: [{{name: http, port: 8080}}]
  resources:
    cpu: {cpu}
    memory: {memory}
    limits:
      cpu: {cpu_limit}
      memory: {memory_limit}
"""


def _blueprint(
    cpu: str = "250m", memory: str = "256Mi", cpu_limit: str = "1", memory_limit: str = "1Gi"
) -> str:
    return _BLUEPRINT.format(cpu=cpu, memory=memory, cpu_limit=cpu_limit, memory_limit=memory_limit)


def _container(stdout: str) -> dict[str, Any]:
    (deployment,) = [d for d in parse_plain(stdout) if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    found: dict[str, Any] = container
    return found


@pytest.mark.parametrize(
    ("text", "millis"),
    [
        ("500e-3", 500),
        ("5E-1", 500),
        ("1e0", 1000),
        ("1e+3", 1_000_000),
        ("1.5e3", 1_500_000),
        ("2500e-6", Decimal("2.5")),
        ("250m", 250),
        ("0.5", 500),
    ],
)
def test_cpu_exponents_have_their_value(text: str, millis: Decimal) -> None:
    assert cpu_millis(text) == millis


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1e9", 10**9),
        ("1E9", 10**9),
        ("1e+9", 10**9),
        ("128E6", 128 * 10**6),
        ("1.5e9", 1_500_000_000),
        ("1000e-3", 1),
        ("1E", 10**18),  # exa, not an exponent
        ("1Gi", 2**30),
    ],
)
def test_memory_exponents_have_their_value(text: str, size: int) -> None:
    assert memory_bytes(text) == size


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cpu", "500e-3"),
        ("cpu", "1E0"),
        ("cpu", "1000e-6"),
        ("memory", "1e9"),
        ("memory", "9.223372036854775807e18"),  # 2^63-1 bytes, the most Kubernetes holds
        ("metric-quantity", "1e3"),
        ("metric-quantity", "500e-3"),
    ],
)
def test_exponent_forms_are_quantities(name: str, value: str) -> None:
    assert format_ok(name, value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cpu", "1e-4"),  # finer than a millicore
        ("cpu", "1e16"),  # more than 2^63-1 millicores
        ("memory", "1e-3"),  # a fraction of a byte
        ("memory", "9.223372036854775808e18"),  # 2^63 bytes
        ("memory", "0e9"),
        ("metric-quantity", "1e30"),
        ("metric-quantity", "0e3"),
    ],
)
def test_exponents_beyond_kubernetes_are_refused(name: str, value: str) -> None:
    assert not format_ok(name, value)


@pytest.mark.parametrize("name", ["cpu", "memory", "metric-quantity"])
@pytest.mark.parametrize("value", ["1e999999999", "1e-999999999", "1e" + "9" * 30])
def test_huge_exponents_are_refused_without_working_them_out(name: str, value: str) -> None:
    started = time.perf_counter()
    assert not format_ok(name, value)
    assert time.perf_counter() - started < 1


def test_a_blueprint_with_exponents_renders_them_as_written(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(
        _blueprint(cpu="500e-3", memory="1e9", cpu_limit="'1E0'", memory_limit='"1.5e9"'),
        encoding="utf-8",
    )
    run = kgen("render", str(tmp_path / "api.yaml"))
    assert run.exit_code == 0, run.stderr
    assert _container(run.stdout)["resources"] == {
        "requests": {"cpu": "500e-3", "memory": "1e9"},
        "limits": {"cpu": "1E0", "memory": "1.5e9"},
    }
    # quoted, so that no YAML 1.2 reader takes them for floats
    assert "cpu: '500e-3'" in run.stdout and "memory: '1e9'" in run.stdout


def test_a_float_cpu_with_an_exponent_is_taken(kgen: RunKgen, tmp_path: Path) -> None:
    """YAML 1.1 reads 5.0e-1 as a float (a point and a signed exponent): a CPU number."""
    (tmp_path / "api.yaml").write_text(_blueprint(cpu="5.0e-1"), encoding="utf-8")
    run = kgen("render", str(tmp_path / "api.yaml"))
    assert run.exit_code == 0, run.stderr
    assert _container(run.stdout)["resources"]["requests"]["cpu"] == "0.5"


def test_limits_compare_exponents_by_value(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(
        _blueprint(memory="1e9", memory_limit="1Gi", cpu="1e0", cpu_limit="1000m"),
        encoding="utf-8",
    )
    assert kgen("render", str(tmp_path / "ok.yaml")).exit_code == 0
    (tmp_path / "below.yaml").write_text(
        _blueprint(memory="1Gi", memory_limit="1e9"), encoding="utf-8"
    )
    run = kgen("validate", str(tmp_path / "below.yaml"))
    assert run.exit_code == 1
    assert "below.yaml:12:15: error: spec.resources.limits.memory: limit '1e9' is below the " in (
        run.stderr
    )


@pytest.mark.parametrize(
    ("field", "value", "line", "message"),
    [
        ("memory", "1e", 9, "'1e' is not a valid quantity of bytes"),
        ("memory", "e9", 9, "'e9' is not a valid quantity of bytes"),
        ("memory", "1e9Mi", 9, "'1e9Mi' is not a valid quantity of bytes"),
        ("memory", "1.5.e3", 9, "'1.5.e3' is not a valid quantity of bytes"),
        ("memory", "\u0661e9", 9, "'\u0661e9' is not a valid quantity of bytes"),
        ("memory", "1e999999999", 9, "'1e999999999' is more than Kubernetes can hold"),
        ("memory", "1e-3", 9, "'1e-3' is not a whole number of bytes"),
        ("cpu", "1e", 8, "'1e' is not a valid CPU quantity"),
        ("cpu", "1e1.5", 8, "'1e1.5' is not a valid CPU quantity"),
        ("cpu", "1e-4", 8, "'1e-4' is finer than a millicore"),
        ("cpu", "1e999999999", 8, "'1e999999999' is more than Kubernetes can hold"),
    ],
)
def test_bad_exponents_are_errors_at_their_line(
    kgen: RunKgen, tmp_path: Path, field: str, value: str, line: int, message: str
) -> None:
    (tmp_path / "bad.yaml").write_text(_blueprint(**{field: value}), encoding="utf-8")
    run = kgen("validate", str(tmp_path / "bad.yaml"))
    assert run.exit_code == 1
    column = 10 if field == "cpu" else 13
    assert f"bad.yaml:{line}:{column}: error: spec.resources.{field}: {message}" in run.stderr


_DEPLOYMENT = """\
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
          image: ghcr.io/acme/web:1.0.0
          ports: [{name: http, containerPort: 8080}]
          resources:
            requests: {cpu: 500e-3, memory: 1e9}
            limits: {cpu: "1E0", memory: 1Gi}
"""


def test_an_import_maps_exponent_quantities(tmp_path: Path) -> None:
    result = import_text(tmp_path, _DEPLOYMENT)
    assert spec_of(result)["resources"] == {
        "cpu": "500e-3",
        "memory": "1e9",
        "limits": {"cpu": "1E0", "memory": "1Gi"},
    }
    warned = "\n".join(imported.warnings(result))
    assert "quantity" not in warned and "refuses" not in warned
    rendered = renders_back(result, tmp_path)
    (container,) = rendered["Deployment", "web"]["spec"]["template"]["spec"]["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "500e-3", "memory": "1e9"},
        "limits": {"cpu": "1E0", "memory": "1Gi"},
    }


def test_a_metric_target_takes_an_exponent(kgen: RunKgen, tmp_path: Path) -> None:
    autoscaling = (
        "  autoscaling:\n    maxReplicas: 4\n"
        "    metrics: [{pods: {name: http_requests_per_second, averageValue: 5e2}}]\n"
    )
    (tmp_path / "api.yaml").write_text(_blueprint() + autoscaling, encoding="utf-8")
    run = kgen("render", str(tmp_path / "api.yaml"))
    assert run.exit_code == 0, run.stderr
    (hpa,) = [d for d in parse_plain(run.stdout) if d["kind"] == "HorizontalPodAutoscaler"]
    targets = [m["pods"]["target"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods"]
    assert targets == [{"type": "AverageValue", "averageValue": "5e2"}]
    (tmp_path / "api.yaml").write_text(
        _blueprint() + autoscaling.replace("5e2", "5e30"), encoding="utf-8"
    )
    run = kgen("validate", str(tmp_path / "api.yaml"))
    assert run.exit_code == 1
    assert "api.yaml:15:69: error: spec.autoscaling.metrics[0].pods.averageValue: '5e30'" in (
        run.stderr
    )


@pytest.mark.parametrize(("text", "size"), [("1Ei", 2**60), ("1E", 10**18), ("1E1", 10)])
def test_exa_suffixes_are_no_exponents(text: str, size: int) -> None:
    assert memory_bytes(text) == size
