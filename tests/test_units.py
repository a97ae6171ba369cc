"""Workload units, derived once from each valid blueprint: what rules, the set view and
the templates read."""

from __future__ import annotations

from kgen.assemble import assemble
from kgen.units import derive_units
from kgen.validate import validate_blueprints
from tests.helpers import blueprints, microservice, statefulapp, valid_blueprints

MONOLITH = """\
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata: {name: shop, namespace: shop}
spec:
  image: ghcr.io/example/shop:3.1.0
  env: {LOG: info, REGION: eu}
  resources: {cpu: 200m, memory: 256Mi}
  processes:
    worker:
      command: [work]
      env: {LOG: debug}
      resources: {memory: 512Mi}
      probes: {liveness: {exec: ["true"]}, readiness: {exec: ["true"]}}
    web:
      command: [serve]
      ports: [{name: http, port: 8080}]
"""


def test_a_microservice_is_one_deployment_unit_named_after_the_app() -> None:
    [blueprint] = valid_blueprints(microservice())
    [unit] = derive_units(blueprint, blueprint)
    assert (unit.workload, unit.name, unit.container, unit.component) == (
        "Deployment",
        "api",
        "api",
        None,
    )
    assert unit.path == ("spec",)
    assert unit["image"] == "nginx:1.27.3"
    assert unit.selector == {"app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "api"}


def test_a_statefulapp_is_one_statefulset_unit() -> None:
    [blueprint] = valid_blueprints(statefulapp())
    [unit] = derive_units(blueprint, blueprint)
    assert (unit.workload, unit.name) == ("StatefulSet", "db")


def test_monolith_processes_inherit_what_their_schema_lists() -> None:
    [blueprint] = valid_blueprints(MONOLITH)
    web, worker = derive_units(blueprint, blueprint)
    assert [web.name, worker.name] == ["shop-web", "shop-worker"]
    assert (worker.component, worker.container) == ("worker", "worker")
    assert worker["image"] == "ghcr.io/example/shop:3.1.0"
    assert worker["env"] == {"LOG": "debug", "REGION": "eu"}
    assert dict(worker["resources"]) == {"cpu": "200m", "memory": "512Mi"}
    assert web["env"] == {"LOG": "info", "REGION": "eu"}
    # Where a value was written: the process's own settings, else the shared ones.
    assert worker.written_at("command") == ("spec", "processes", "worker", "command")
    assert worker.written_at("image") == ("spec", "image")
    assert worker.written_at("env") == ("spec", "processes", "worker", "env")
    assert web.written_at("env") == ("spec", "env")


def test_the_set_view_holds_every_unit_of_the_set() -> None:
    text = MONOLITH + "---\n" + microservice()
    valid, problems = validate_blueprints(blueprints(text))
    view, more = assemble(valid)
    assert problems + more == []
    assert [unit.name for unit in view.units] == ["shop-web", "shop-worker", "api"]
    shop, api = view.blueprints
    assert [unit.name for unit in view.units_of(api)] == ["api"]
    assert len(view.units_of(shop)) == 2
