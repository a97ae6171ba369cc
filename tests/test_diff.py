"""``kgen diff``: what a render would change in a folder, and the changes Kubernetes will
not make in place (also warned of by ``render --check``, and by ``render -o`` as it
writes them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from kgen.immutable import refused_changes
from tests.conftest import REPO, RunKgen


def test_diff_shows_the_change_and_warns_of_a_refused_one(kgen: RunKgen, tmp_path: Path) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    assert kgen("render", "blueprints", "-o", "out", cwd=tmp_path).exit_code == 0
    same = kgen("diff", "blueprints", "-o", "out", cwd=tmp_path)
    assert same.exit_code == 0 and same.stdout == ""
    assert "out is what render would write" in same.stderr
    cart = tmp_path / "blueprints" / "shop" / "cart.yaml"
    cart.write_text(cart.read_text().replace("size: 1Gi", "size: 2Gi"))
    changed = kgen("diff", "blueprints", "-o", "out", cwd=tmp_path)
    assert changed.exit_code == 1
    assert "+++ b/shop/statefulset-redis-cart.yaml" in changed.stdout
    assert "+          storage: 2Gi" in changed.stdout
    assert "\x1b[" not in changed.stdout  # colour only on a terminal
    warning = (
        "kgen: warning: StatefulSet shop/redis-cart: spec.volumeClaimTemplates changes, and "
        "Kubernetes will not change it in place"
    )
    assert warning in changed.stderr
    assert "--cascade=orphan" in changed.stderr
    check = kgen("render", "blueprints", "-o", "out", "--check", cwd=tmp_path)
    assert check.exit_code == 1 and warning in check.stderr
    assert (
        not (tmp_path / "out" / "shop" / "statefulset-redis-cart.yaml").read_text().count("2Gi")
    )  # diff and --check write nothing
    written = kgen("render", "blueprints", "-o", "out", cwd=tmp_path)
    assert written.exit_code == 0 and warning in written.stderr  # render warns as it writes
    assert "2Gi" in (tmp_path / "out" / "shop" / "statefulset-redis-cart.yaml").read_text()
    again = kgen("render", "blueprints", "-o", "out", cwd=tmp_path)
    assert again.exit_code == 0 and "warning" not in again.stderr  # once: it is written now


def _doc(kind: str, spec: dict[str, object], namespace: str | None = "shop") -> str:
    meta: dict[str, object] = {"name": "api"}
    if namespace:
        meta["namespace"] = namespace
    return yaml.safe_dump({"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": spec})


def test_which_changes_kubernetes_refuses() -> None:
    selector = {"matchLabels": {"app.kubernetes.io/name": "api"}}
    other = {"matchLabels": {"app.kubernetes.io/name": "web"}}
    refused = list(
        refused_changes(
            _doc("Deployment", {"selector": selector, "replicas": 2}),
            _doc("Deployment", {"selector": other, "replicas": 3}),
        )
    )
    assert [(r.resource, r.field) for r in refused] == [("Deployment shop/api", "spec.selector")]
    # replicas alone, a headless Service becoming a normal one, a claim's class, a Job's pod
    assert not list(
        refused_changes(_doc("Deployment", {"replicas": 2}), _doc("Deployment", {"replicas": 3}))
    )
    assert [r.field for r in refused_changes(
        _doc("Service", {"clusterIP": "None"}), _doc("Service", {})
    )] == ["spec.clusterIP"]  # fmt: skip
    assert [r.field for r in refused_changes(
        _doc("PersistentVolumeClaim", {"storageClassName": "gp2"}),
        _doc("PersistentVolumeClaim", {"storageClassName": "gp3"}),
    )] == ["spec.storageClassName"]  # fmt: skip
    assert [r.field for r in refused_changes(
        _doc("Job", {"template": {"spec": {"containers": []}}}),
        _doc("Job", {"template": {"spec": {"containers": [{"name": "x"}]}}}),
    )] == ["spec.template"]  # fmt: skip
    # a new resource, or one renamed, is a new object: nothing refused
    assert not list(refused_changes(None, _doc("Deployment", {"selector": other})))


def test_a_claim_may_grow_but_never_shrink() -> None:
    def claim(size: str) -> str:
        return _doc("PersistentVolumeClaim", {"resources": {"requests": {"storage": size}}})

    [shrunk] = refused_changes(claim("20Gi"), claim("10Gi"))
    assert shrunk.field == "spec.resources.requests.storage shrinks from 20Gi to 10Gi"
    assert not list(refused_changes(claim("10Gi"), claim("20Gi")))
