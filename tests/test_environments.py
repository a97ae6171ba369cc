"""Environment blocks: maps merge and null deletes (RFC 7386), lists of named items merge
by name with ``$patch`` directives, other lists replace; errors point where the block
wrote the value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kgen.environments import merge_environment
from kgen.model import JsonPath
from tests.conftest import RunKgen


def _merge(base: Any, patch: Any) -> tuple[Any, dict[JsonPath, tuple[JsonPath, ...]]]:
    overlays: dict[JsonPath, tuple[JsonPath, ...]] = {}
    return merge_environment(base, patch, ("spec",), ("environments", "prod"), overlays), overlays


PORTS = [{"name": "http", "port": 8080}, {"name": "grpc", "port": 9090}]


def test_named_items_merge_by_name() -> None:
    merged, overlays = _merge(
        {"ports": PORTS, "args": ["a", "b"]},
        {"ports": [{"name": "grpc", "port": 9191}, {"name": "admin", "port": 9901}],
         "args": ["c"]},
    )  # fmt: skip
    assert merged == {
        "ports": [
            {"name": "http", "port": 8080},
            {"name": "grpc", "port": 9191},
            {"name": "admin", "port": 9901},
        ],
        "args": ["c"],  # not named: replaced, as RFC 7386 says
    }
    # Where each item came from: the block first, then the base.
    assert overlays[("spec", "ports", 1)] == (
        ("environments", "prod", "ports", 0),
        ("spec", "ports", 1),
    )
    assert overlays[("spec", "ports", 2)] == (("environments", "prod", "ports", 1),)
    assert overlays[("spec", "ports", 0)] == (("spec", "ports", 0),)


def test_directives_delete_an_item_or_replace_the_list() -> None:
    merged, overlays = _merge({"ports": PORTS}, {"ports": [{"name": "http", "$patch": "delete"}]})
    assert merged == {"ports": [{"name": "grpc", "port": 9090}]}
    assert overlays[("spec", "ports", 0)] == (("spec", "ports", 1),)  # moved up one
    merged, _ = _merge(
        {"ports": PORTS}, {"ports": [{"$patch": "replace"}, {"name": "web", "port": 80}]}
    )
    assert merged == {"ports": [{"name": "web", "port": 80}]}
    merged, _ = _merge({"ports": PORTS}, {"ports": [{"$patch": "replace"}]})
    assert merged == {"ports": []}


def test_nested_named_lists_merge_too() -> None:
    base = {"sidecars": [{"name": "proxy", "ports": [{"name": "admin", "port": 9901}]}]}
    patch = {"sidecars": [{"name": "proxy", "ports": [{"name": "stats", "port": 9102}]}]}
    merged, overlays = _merge(base, patch)
    assert merged["sidecars"][0]["ports"] == [
        {"name": "admin", "port": 9901},
        {"name": "stats", "port": 9102},
    ]
    assert overlays[("spec", "sidecars", 0, "ports", 1)] == (
        ("environments", "prod", "sidecars", 0, "ports", 0),
    )


BLUEPRINT = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata: {name: api, namespace: shop}
spec:
  image: ghcr.io/acme/api:1.0.0
  ports:
    - {name: http, port: 8080}
    - {name: grpc, port: 9090}
  secrets:
    - {name: db, store: aws, key: prod/api/db, env: {DB_PASSWORD: password}}
environments:
  prod:
    ports:
      - {name: grpc, port: 9191}
    secrets:
      - {name: db, key: live/api/db}
      - {name: token, store: aws, key: live/api/token, env: {TOKEN: token}}
  dev:
    ports:
      - {name: metrics, port: 70000}
"""


def test_an_environment_merges_named_items_of_the_blueprint(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "api.yaml").write_text(BLUEPRINT.replace("port: 70000", "port: 9100"))
    result = kgen("render", "api.yaml", "--env", "prod", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    [deployment] = [d for d in documents if d["kind"] == "Deployment"]
    ports = deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert [(p["name"], p["containerPort"]) for p in ports] == [("http", 8080), ("grpc", 9191)]
    secrets = {d["metadata"]["name"]: d for d in documents if d["kind"] == "ExternalSecret"}
    assert sorted(secrets) == ["api-db", "api-token"]
    # the db secret keeps its store and env, and takes the environment's key
    assert secrets["api-db"]["spec"]["data"][0]["remoteRef"]["key"] == "live/api/db"


def test_an_error_in_a_merged_item_points_into_the_environment(
    kgen: RunKgen, tmp_path: Path
) -> None:
    (tmp_path / "api.yaml").write_text(BLUEPRINT)
    result = kgen("validate", "api.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    # dev's new port is item 2 of the merged list, written on line 20, in the block.
    assert "api.yaml:20:31: error: spec.ports[2].port: 70000 is greater than" in result.stderr
    assert "(with --env dev)" in result.stderr


def test_an_unknown_directive_is_refused_at_its_line(kgen: RunKgen, tmp_path: Path) -> None:
    text = BLUEPRINT.replace("{name: metrics, port: 70000}", "{name: grpc, $patch: merge}")
    (tmp_path / "api.yaml").write_text(text)
    result = kgen("validate", "api.yaml", cwd=tmp_path)
    assert result.exit_code == 1
    assert 'api.yaml:20:22: error: spec.ports[1]["$patch"]: unknown field' in result.stderr
    only = BLUEPRINT.replace("{name: metrics, port: 70000}", "{$patch: delete}")
    (tmp_path / "api.yaml").write_text(only)
    assert kgen("validate", "api.yaml", cwd=tmp_path).exit_code == 1


def test_numbered_environments_are_never_slips() -> None:
    """A letter left out, added, changed or swapped is a slip; a digit never is, however
    the digits differ (eu1/eu2, eu12/eu21, e1/e12)."""
    from kgen.environments import _one_slip_apart

    for slip in [("prod", "prd"), ("prod", "porod"), ("prod", "prdo"), ("staging", "stagign")]:
        assert _one_slip_apart(*slip) and _one_slip_apart(*reversed(slip)), slip
    for apart in [
        ("eu1", "eu2"),
        ("eu12", "eu21"),
        ("e12", "e21"),
        ("eu1", "eu12"),
        ("dev", "prod"),
    ]:
        assert not _one_slip_apart(*apart) and not _one_slip_apart(*reversed(apart)), apart
