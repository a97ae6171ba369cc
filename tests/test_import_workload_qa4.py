"""``kgen import`` of pod templates after a fourth QA pass: lists kgen renders none of (an
image pull secret) are patches, ``envFrom`` comes before ``env`` as Kubernetes sets them,
affinity and spread terms of the workload's own pods select them by kgen's labels, and a
label the API server refuses stops the import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kgen import api
from kgen.errors import InvalidInput
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.importer.account import Status
from tests.importing import blueprint_of, import_text, mismatches, renders_back, statuses

POD = "Deployment api: spec.template.spec"


def _deployment(pod: str = "", replicas: int = 1, labels: str = "{app: api}") -> str:
    """A Deployment shop/api whose pod spec says ``pod`` (indented 6) beside its container."""
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
        f"spec:\n  replicas: {replicas}\n  selector: {{matchLabels: {labels}}}\n"
        f"  template:\n    metadata: {{labels: {labels}}}\n    spec:\n{pod}"
        "      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.0.0\n"
        "        ports: [{name: http, containerPort: 8080}]\n"
    )


def _blueprint(result: ImportResult) -> dict[str, Any]:
    """The one blueprint imported."""
    assert len(result.blueprints) == 1
    return blueprint_of(result)


def _pod(rendered: dict[tuple[str, str], Any]) -> dict[str, Any]:
    pod: dict[str, Any] = rendered[("Deployment", "api")]["spec"]["template"]["spec"]
    return pod


def test_pod_lists_kgen_renders_none_of_are_patches(tmp_path: Path) -> None:
    """An image pull secret, host aliases and readiness gates: kgen renders none of these
    lists, so a patch keeps each (a pod of a private registry pulls its image)."""
    pod = (
        "      imagePullSecrets: [{name: ghcr-pull}]\n"
        "      hostAliases: [{ip: 10.0.0.1, hostnames: [db.local]}]\n"
        "      readinessGates: [{conditionType: example.com/ready}]\n"
        "      topologySpreadConstraints:\n"
        "      - {maxSkew: 2, topologyKey: kubernetes.io/hostname,\n"
        "         whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: api}}}\n"
    )
    result = import_text(tmp_path, _deployment(pod, replicas=3))
    found = statuses(result)
    for path in (
        "imagePullSecrets[0].name",
        "hostAliases[0].ip",
        "hostAliases[0].hostnames[0]",
        "readinessGates[0].conditionType",
    ):
        assert found[f"{POD}.{path}"] == (Status.PATCHED, "no blueprint field; kept as a patch")
    pod_spec = _pod(renders_back(result, tmp_path))
    assert pod_spec["imagePullSecrets"] == [{"name": "ghcr-pull"}]
    assert pod_spec["hostAliases"] == [{"ip": "10.0.0.1", "hostnames": ["db.local"]}]
    assert pod_spec["readinessGates"] == [{"conditionType": "example.com/ready"}]


def test_another_spread_replaces_the_one_over_zones(tmp_path: Path) -> None:
    """A hard spread over hosts beside the zone spread kgen renders for 3 replicas: the
    input's is kept as a patch, and placement.spreadZones: false stands for kgen's own,
    which is softer (ScheduleAnyway) and which a patch would replace whole (before, the
    input's was left out)."""
    pod = (
        "      topologySpreadConstraints:\n"
        "      - {maxSkew: 2, topologyKey: kubernetes.io/hostname,\n"
        "         whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: api}}}\n"
    )
    result = import_text(tmp_path, _deployment(pod, replicas=3))
    assert _blueprint(result)["spec"]["placement"] == {"spreadZones": False}
    status, note = statuses(result)[f"{POD}.topologySpreadConstraints[0].maxSkew"]
    assert status is Status.PATCHED
    assert note.startswith("kept as a patch, with placement.spreadZones: false: kgen's own")
    assert "ScheduleAnyway" in note
    assert _pod(renders_back(result, tmp_path))["topologySpreadConstraints"] == [
        {
            "maxSkew": 2,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "api"}},
        }
    ]


def test_env_from_comes_before_env_as_kubernetes_sets_them(tmp_path: Path) -> None:
    """Kubernetes sets envFrom's variables first: env's may refer to them ($(LOG_DIR)),
    and a variable the container sets itself still wins over a key of the same name."""
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\n"
        "data: {LOG_DIR: /var/log/api, Z_HOME: /srv}\n---\n"
        + _deployment().replace(
            "        ports:",
            "        envFrom: [{configMapRef: {name: cfg}}]\n"
            "        env:\n"
            "        - {name: Z_HOME, value: /opt/api}\n"
            '        - {name: A_BIN, value: "$(Z_HOME)/bin"}\n'
            '        - {name: LOG_FILE, value: "$(LOG_DIR)/api.log"}\n'
            "        ports:",
        )
    )
    result = import_text(tmp_path, text)
    env = _blueprint(result)["spec"]["env"]
    assert list(env.items()) == [
        ("LOG_DIR", "/var/log/api"),
        ("Z_HOME", "/opt/api"),
        ("A_BIN", "$(Z_HOME)/bin"),
        ("LOG_FILE", "$(LOG_DIR)/api.log"),
    ]
    found = statuses(result)
    assert found[f"{POD}.containers[0].env[2].value"][0] is Status.MAPPED
    assert found["ConfigMap cfg: data.Z_HOME"] == (
        Status.LEFT_OUT,
        "overridden: container api sets Z_HOME itself (env)",
    )
    [container] = _pod(renders_back(result, tmp_path))["containers"]
    assert [v["name"] for v in container["env"]] == ["LOG_DIR", "Z_HOME", "A_BIN", "LOG_FILE"]


_AFFINITY = (
    "      affinity:\n        podAntiAffinity:\n"
    "          requiredDuringSchedulingIgnoredDuringExecution:\n"
    "          - topologyKey: kubernetes.io/hostname\n"
    "            labelSelector: {matchLabels: {app.kubernetes.io/name: api}}\n"
    "        podAffinity:\n"
    "          preferredDuringSchedulingIgnoredDuringExecution:\n"
    "          - weight: 50\n            podAffinityTerm:\n"
    "              topologyKey: topology.kubernetes.io/zone\n"
    "              labelSelector: {matchLabels: {app: gateway}}\n"
)


def test_anti_affinity_to_its_own_pods_selects_them_by_kgen_labels(tmp_path: Path) -> None:
    """A term selecting the workload's own pods by app.kubernetes.io/name (which kgen
    writes itself, and which a patch may not say in a matchLabels) selects them by kgen's
    labels, as matchExpressions; a term selecting other pods is patched as it is."""
    result = import_text(tmp_path, _deployment(_AFFINITY, labels="{app.kubernetes.io/name: api}"))
    found = statuses(result)
    required = f"{POD}.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
    assert found[f'{required}.labelSelector.matchLabels["app.kubernetes.io/name"]'][0] is (
        Status.CHANGED
    )
    assert found[f"{required}.topologyKey"][0] is Status.PATCHED
    preferred = f"{POD}.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]"
    assert found[f"{preferred}.podAffinityTerm.labelSelector.matchLabels.app"][0] is (
        Status.PATCHED
    )
    imported.to_folder(result, tmp_path / "bp")  # renders_back, but for what kgen adds
    rendered = {(d.kind, d.name): d.body for d in api.build([tmp_path / "bp"]).documents}
    assert mismatches(result, rendered) == []
    labels = rendered[("Deployment", "api")]["spec"]["template"]["metadata"]["labels"]
    affinity = _pod(rendered)["affinity"]
    [term] = affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    expressions = term["labelSelector"]["matchExpressions"]
    assert {e["key"] for e in expressions} == {
        "app.kubernetes.io/name",
        "app.kubernetes.io/instance",
    }
    assert all(e["operator"] == "In" and labels[e["key"]] in e["values"] for e in expressions)
    [weighted] = affinity["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert weighted["podAffinityTerm"]["labelSelector"] == {"matchLabels": {"app": "gateway"}}


def test_the_selector_of_its_own_pods_is_a_documented_addition(tmp_path: Path) -> None:
    text = _deployment(_AFFINITY, labels="{app.kubernetes.io/name: api}")
    renders_back(import_text(tmp_path, text), tmp_path)


_ZONES = (
    "      topologySpreadConstraints:\n"
    "      - maxSkew: 1\n        topologyKey: topology.kubernetes.io/zone\n"
    "        whenUnsatisfiable: ScheduleAnyway\n"
    "        labelSelector: {matchLabels: {app: api}}\n"
)
_AUTOSCALER = (
    "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
    "metadata: {name: api, namespace: shop}\n"
    "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n"
    "  minReplicas: 1\n  maxReplicas: 4\n"
    "  metrics:\n  - type: Resource\n"
    "    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}\n"
)


@pytest.mark.parametrize(
    ("replicas", "extra"), [(3, ""), (1, _AUTOSCALER)], ids=["replicas", "autoscaler"]
)
def test_the_zone_spread_kgen_writes_is_the_same(tmp_path: Path, replicas: int, extra: str) -> None:
    """The spread over zones kgen renders for a workload of several pods (3 replicas, or
    an autoscaler's 4) is the input's own, its selector read as kgen's labels."""
    result = import_text(tmp_path, _deployment(_ZONES, replicas=replicas) + extra)
    found = statuses(result)
    at = f"{POD}.topologySpreadConstraints[0]"
    for key in ("maxSkew", "topologyKey", "whenUnsatisfiable"):
        assert found[f"{at}.{key}"] == (
            Status.HARDENED,
            "kgen writes the same: a spread over zones",
        )
    assert found[f"{at}.labelSelector.matchLabels.app"][0] is Status.CHANGED
    assert "patches" not in _blueprint(result)["spec"] or all(
        "topologySpreadConstraints" not in str(p) for p in _blueprint(result)["spec"]["patches"]
    )
    [constraint] = _pod(renders_back(result, tmp_path))["topologySpreadConstraints"]
    assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"


def test_a_zone_spread_of_one_pod_is_a_patch_of_its_own_pods(tmp_path: Path) -> None:
    """With one replica kgen renders no spread: the input's is a patch. Its selector of
    the workload's pods by app.kubernetes.io/name (kgen's label, which a patch may not
    write in a matchLabels) selects them by kgen's labels; one by the input's own labels,
    which stay on the pods, is kept as it is."""
    reserved = _ZONES.replace("{app: api}", "{app.kubernetes.io/name: api}")
    text = _deployment(reserved, labels="{app.kubernetes.io/name: api, app: api}")
    result = import_text(tmp_path, text)
    found = statuses(result)
    at = f"{POD}.topologySpreadConstraints[0]"
    assert found[f"{at}.maxSkew"][0] is Status.PATCHED
    assert found[f'{at}.labelSelector.matchLabels["app.kubernetes.io/name"]'][0] is (Status.CHANGED)
    rendered = renders_back(result, tmp_path)
    [constraint] = _pod(rendered)["topologySpreadConstraints"]
    labels = rendered[("Deployment", "api")]["spec"]["selector"]["matchLabels"]
    expressions = constraint["labelSelector"]["matchExpressions"]
    assert sorted(expressions, key=str) == sorted(
        ({"key": key, "operator": "In", "values": [value]} for key, value in labels.items()),
        key=str,
    )
    result = import_text(tmp_path, _deployment(_ZONES))
    assert statuses(result)[f"{at}.labelSelector.matchLabels.app"][0] is Status.PATCHED
    [constraint] = _pod(renders_back(result, tmp_path / "own"))["topologySpreadConstraints"]
    assert constraint["labelSelector"] == {"matchLabels": {"app": "api"}}


@pytest.mark.parametrize(
    ("labels", "line", "message"),
    [
        (
            '{team: "a\\nb"}',
            5,
            "'a\\nb' is not a label value: the API server takes at most 63 letters, digits, "
            "'-', '_' and '.', starting and ending with a letter or digit, or an empty value",
        ),
        (
            "{Example.com/team: a}",
            5,
            "'Example.com/team' is not a label key: the API server takes at most 63 letters, "
            "digits, '-', '_' and '.', starting and ending with a letter or digit, after an "
            "optional prefix (a DNS subdomain of at most 253 characters) and '/'",
        ),
    ],
    ids=["value", "key"],
)
def test_a_label_the_api_server_refuses_stops_the_import(
    tmp_path: Path, labels: str, line: int, message: str
) -> None:
    text = _deployment().replace(
        "metadata: {name: api, namespace: shop}\n",
        f"metadata:\n  name: api\n  labels: {labels}\n  namespace: shop\n",
    )
    with pytest.raises(InvalidInput) as refused:
        import_text(tmp_path, text)
    [problem] = refused.value.problems
    assert (problem.pos.line, problem.message) == (line, f"{message} (in the input)")


def test_a_pod_label_too_long_stops_the_import(tmp_path: Path) -> None:
    """The pod template's labels and the selector are checked too: 64 characters."""
    long = "a" * 64
    with pytest.raises(InvalidInput) as refused:
        import_text(tmp_path, _deployment(labels=f"{{app: {long}}}"))
    assert [(p.pos.line, p.path[-3:]) for p in refused.value.problems] == [
        (6, ("selector", "matchLabels", "app")),
        (8, ("metadata", "labels", "app")),
    ]
