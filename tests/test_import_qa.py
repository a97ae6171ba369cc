"""``kgen import`` on what a hostile first user feeds it: explicit nulls, ``*List`` kinds,
sidecars kgen cannot probe, HTTPS probes, sized scratch folders, tolerations, values
overridden or narrowed on the way. Each value is accounted for as what it became, never
dropped silently nor reported as mapped when it does not render back."""

from __future__ import annotations

from pathlib import Path

from kgen import api
from kgen.importer import ImportResult
from kgen.importer import output as imported
from kgen.importer.account import Status
from tests.conftest import RunKgen
from tests.importing import import_text, mismatches, statuses, unexplained

POD = "spec.template.spec"


def _renders_back(result: ImportResult, tmp_path: Path) -> None:
    imported.to_folder(result, tmp_path / "bp")
    built = api.build([tmp_path / "bp"])
    rendered = {(d.kind, d.name): d.body for d in built.documents}
    assert mismatches(result, rendered) == []
    assert unexplained(result) == []


def _deployment(pod: str, *, name: str = "api", kind: str = "Deployment") -> str:
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: shop}}\n"
        f"spec:\n  selector: {{matchLabels: {{app: {name}}}}}\n"
        f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n{pod}"
    )


MAIN = (
    "      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.4.0\n"
    "        ports: [{name: http, containerPort: 8080, hostPort: null, protocol: null}]\n"
    "        readinessProbe: {httpGet: {path: /ready, port: http}}\n"
)


def test_explicit_nulls_are_absent_values(tmp_path: Path) -> None:
    """``nodePort: null`` in a Service port (or any null in a container) is what the API
    server reads as absent: a default, and the workload imports as without it."""
    service = (
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
        "spec:\n  type: null\n  selector: {app: api}\n"
        "  ports: [{name: http, port: 80, targetPort: http, nodePort: null}]\n"
    )
    result = import_text(tmp_path, _deployment(MAIN) + service)
    assert [b.name for b in result.blueprints] == ["api"]
    found = statuses(result)
    for path in (
        "Service api: spec.ports[0].nodePort",
        "Service api: spec.type",
        f"Deployment api: {POD}.containers[0].ports[0].hostPort",
    ):
        assert found[path] == (Status.DEFAULT, "null: nothing set"), path
    assert "servicePort: 80" in result.blueprints[0].text
    _renders_back(result, tmp_path)


def test_list_kinds_of_apps_v1_are_unpacked(tmp_path: Path) -> None:
    """``kubectl get deployments -o yaml`` prints an apps/v1 DeploymentList: read item by
    item, like a v1 List."""
    items = "".join(f"  {line}\n" for line in _deployment(MAIN).splitlines())
    text = "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n-" + items[1:]
    result = import_text(tmp_path, text)
    assert [b.name for b in result.blueprints] == ["api"]
    _renders_back(result, tmp_path)


def test_a_sidecar_kgen_cannot_probe_is_left_out_alone(tmp_path: Path) -> None:
    """A sidecar with no port and no probes: kgen probes every container and cannot probe
    this one, so the sidecar is left out saying so; the Deployment is still imported."""
    sidecar = "      - name: proxy\n        image: envoyproxy/envoy:v1.30.0\n"
    result = import_text(tmp_path, _deployment(MAIN + sidecar))
    assert [b.name for b in result.blueprints] == ["api"]
    assert "sidecars" not in result.blueprints[0].text
    status, note = statuses(result)[f"Deployment api: {POD}.containers[1].image"]
    assert status is Status.LEFT_OUT
    assert "no TCP port, so kgen cannot probe by default" in note
    _renders_back(result, tmp_path)


def test_https_probes_sized_scratch_and_tolerations(tmp_path: Path) -> None:
    """An HTTPS probe becomes a TCP probe of its port (kgen's HTTP probe would fail on a
    TLS port), an emptyDir's sizeLimit is left out with a warning while its folder stays
    writable, and tolerations are a patch (kgen writes none without a Cluster)."""
    pod = (
        "      tolerations: [{key: dedicated, operator: Equal, value: api, effect: NoSchedule}]\n"
        "      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.4.0\n"
        "        ports: [{name: https, containerPort: 8443},\n"
        "                {name: metrics, containerPort: 9090}]\n"
        "        readinessProbe: {httpGet: {path: /ready, port: metrics, scheme: HTTPS}}\n"
        "        volumeMounts: [{name: scratch, mountPath: /scratch}]\n"
        "      volumes: [{name: scratch, emptyDir: {sizeLimit: 1Gi}}]\n"
    )
    result = import_text(tmp_path, _deployment(pod))
    text = result.blueprints[0].text
    assert "tcp:\n        port: metrics" in text
    assert "/scratch" in text
    assert "tolerations:" in text
    found = statuses(result)
    probe = f"Deployment api: {POD}.containers[0].readinessProbe.httpGet"
    assert found[f"{probe}.port"][0] is Status.MAPPED
    assert found[f"{probe}.scheme"][0] is Status.LEFT_OUT
    assert "HTTPS" in found[f"{probe}.scheme"][1]
    assert found[f"Deployment api: {POD}.volumes[0].emptyDir.sizeLimit"][0] is Status.LEFT_OUT
    assert found[f"Deployment api: {POD}.tolerations[0].key"][0] is Status.PATCHED
    warned = "\n".join(imported.warnings(result))
    assert "emptyDir.sizeLimit: no blueprint field" in warned
    _renders_back(result, tmp_path)


VOLUMES = """\
      containers:
      - name: api
        image: ghcr.io/acme/api:1.4.0
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /ready, port: http}}
        env:
        - {name: MODE, value: slow}
        envFrom:
        - configMapRef: {name: settings}
        - configMapRef: {name: overrides}
        volumeMounts:
        - {name: config, mountPath: /etc/api}
        - {name: tls, mountPath: /tls}
      volumes:
      - name: config
        configMap:
          name: files
          defaultMode: 0400
          items: [{key: a.conf, path: a.conf, mode: 0644}]
      - name: tls
        secret: {secretName: tls, defaultMode: 0440, items: [{key: tls.crt, path: tls.crt}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {MODE: fast, LEVEL: info, COLOUR: blue}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: overrides, namespace: shop}
data: {LEVEL: debug}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: files, namespace: shop}
data: {a.conf: "x=1"}
---
apiVersion: v1
kind: Secret
metadata: {name: tls, namespace: shop}
data: {tls.crt: eA==, tls.key: eA==}
"""


def test_overridden_variables_and_volume_modes(tmp_path: Path) -> None:
    """A ConfigMap value that an explicit variable (or a later envFrom source) overrides is
    left out, not mapped; a volume's modes are mapped when kgen renders the same, else left
    out with a warning; a Secret volume's items (a subset of keys) are left out, since kgen
    mounts every key of the store entry."""
    result = import_text(tmp_path, _deployment(VOLUMES), secret_store="aws")
    text = result.blueprints[0].text
    assert "MODE: slow" in text
    assert "LEVEL: debug" in text
    assert "COLOUR: blue" in text
    found = statuses(result)
    assert found["ConfigMap settings: data.MODE"] == (
        Status.LEFT_OUT,
        "overridden: container api sets MODE itself (env)",
    )
    assert found["ConfigMap settings: data.LEVEL"][0] is Status.LEFT_OUT
    assert (
        "ConfigMap overrides, later in container api's envFrom"
        in (found["ConfigMap settings: data.LEVEL"][1])
    )
    assert found["ConfigMap overrides: data.LEVEL"][0] is Status.MAPPED
    volumes = f"Deployment api: {POD}.volumes"
    assert found[f"{volumes}[0].configMap.defaultMode"] == (
        Status.LEFT_OUT,
        "no blueprint field: the files get mode 0644, not 0400",
    )
    assert found[f"{volumes}[0].configMap.items[0].mode"][0] is Status.DEFAULT
    assert found[f"{volumes}[1].secret.defaultMode"][0] is Status.HARDENED
    assert found[f"{volumes}[1].secret.items[0].key"][0] is Status.LEFT_OUT
    assert "every key of the store entry shop/tls" in found[f"{volumes}[1].secret.items[0].key"][1]
    warned = "\n".join(imported.warnings(result))
    assert "volumes[1].secret.items: kgen mounts every key" in warned
    _renders_back(result, tmp_path)


def test_an_empty_rolling_update_is_a_default(tmp_path: Path) -> None:
    """``rollingUpdate: {}`` says nothing: Kubernetes' defaults, not a mapped value."""
    pod = MAIN.replace("hostPort: null, protocol: null", "protocol: TCP")
    text = _deployment(pod).replace(
        "spec:\n  selector",
        "spec:\n  strategy: {type: RollingUpdate, rollingUpdate: {}}\n  selector",
    )
    result = import_text(tmp_path, text)
    status, note = statuses(result)["Deployment api: spec.strategy.rollingUpdate"]
    assert status is Status.DEFAULT
    assert note.startswith("empty: Kubernetes' defaults")
    _renders_back(result, tmp_path)


def test_nothing_imported_says_so(kgen: RunKgen, tmp_path: Path) -> None:
    """An input without resources, or without a workload kgen imports, writes no
    blueprint and says so plainly (exit 0: every resource is listed, with its reason)."""
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n", encoding="utf-8"
    )
    run = kgen("import", "empty.yaml", cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (0, "")
    assert run.stderr == "kgen: warning: nothing imported: the input holds no Kubernetes resource\n"
    run = kgen("import", "pod.yaml", cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (0, "")
    assert run.stderr.splitlines() == [
        "pod.yaml:1: warning: Pod shop/p: <document>: kgen has no blueprint for a Pod",
        "kgen: warning: nothing imported: no workload kgen can make a blueprint of "
        "(4 left out input values; each is listed above)",
    ]


def test_renames_and_immutable_fields_say_what_must_follow(tmp_path: Path) -> None:
    """A Service not named after the app is renamed, a Deployment's selector replaced
    (Kubernetes does not let it change): each warned, saying what applying needs; a
    selector that is kgen's own is mapped."""
    service = (
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: api-svc, namespace: shop}\n"
        "spec:\n  selector: {app: api}\n  ports: [{name: http, port: 80, targetPort: http}]\n"
    )
    result = import_text(tmp_path, _deployment(MAIN) + service)
    warned = "\n".join(imported.warnings(result))
    assert (
        "Service shop/api-svc: metadata.name: kgen names the Service after the app: api; what "
        "refers to api-svc must follow, and applying adds api beside it (delete api-svc once "
        "nothing uses it)" in warned
    )
    assert (
        "Deployment shop/api: spec.selector: kgen selects pods by app.kubernetes.io/name and "
        "instance; a Deployment's selector cannot change: applying over the running Deployment "
        "fails until it is deleted (kubectl delete deployment NAME --cascade=orphan keeps its "
        "pods running) and applied again" in warned
    )
    assert statuses(result)["Deployment api: spec.selector.matchLabels.app"][0] is (Status.REPLACED)
    _renders_back(result, tmp_path)
    own = "{app.kubernetes.io/name: api, app.kubernetes.io/instance: api}"
    text = _deployment(MAIN).replace("{matchLabels: {app: api}}", f"{{matchLabels: {own}}}")
    result = import_text(tmp_path, text.replace("labels: {app: api}", f"labels: {own}"))
    found = statuses(result)
    assert found['Deployment api: spec.selector.matchLabels["app.kubernetes.io/name"]'][0] is (
        Status.MAPPED
    )


MONOLITH = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/shop:1.2.3
        command: [serve]
        ports: [{name: http, containerPort: 8080}]
        env:
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: db, key: password}}
        volumeMounts: [{name: tls, mountPath: /tls}]
      volumes: [{name: tls, secret: {secretName: tls}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop-worker, namespace: shop}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
      - name: worker
        image: ghcr.io/acme/shop:1.2.3
        command: [work]
        ports: [{name: http, containerPort: 8080}]
"""


def test_a_monoliths_secrets_reach_every_process_documented(tmp_path: Path) -> None:
    """A secret one process reads reaches every process of the Monolith: what kgen adds to
    the others is listed under a documented reason, never as undocumented."""
    result = import_text(tmp_path, MONOLITH, secret_store="aws")
    assert [b.name for b in result.blueprints] == ["shop"]
    added = {(a.name, a.reason): a.paths for a in result.additions if a.name == "shop-worker"}
    reasons = [reason for _, reason in added]
    assert any("a Monolith's secrets given to every process" in r for r in reasons)
    assert any("a mounted secret is read from the Secret" in r for r in reasons)
    _renders_back(result, tmp_path)
