"""Stage 2: schema validation, defaults, and checks within and across blueprints."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from kgen.api import validate_all
from kgen.assemble import assemble
from kgen.environments import environment_count_problems, select_environment
from kgen.errors import InvalidInput
from kgen.formats import FORMATS, cron_problem
from kgen.kinds import registry
from kgen.model import Problem, SourcePos
from kgen.resources import load_json, schemas_dir
from kgen.schema import bundled, resolve
from kgen.validate import validate_blueprints
from tests.helpers import blueprints, microservice, statefulapp, valid_blueprints


def problems_of(text: str) -> list[Problem]:
    """Every problem of validate and of the set view."""
    valid, problems = validate_blueprints(blueprints(text))
    _, more = assemble(valid)
    return sorted(problems + more, key=Problem.sort_key)


def one(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    return problems[0]


TEXT = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: api
  namespace: shop
spec:
  image: nginx:1.27.3
  replica: 3
  ports:
    - name: http
      port: 8080
"""


def test_unknown_field_points_at_the_key_and_suggests() -> None:
    problem = one(TEXT)
    assert problem.pos == SourcePos("bp.yaml", 8, 3)
    assert problem.field == "spec.replica"
    assert problem.message == "unknown field"
    assert problem.hint == "did you mean 'replicas'?"


def test_type_errors_point_at_the_value() -> None:
    problem = one(TEXT.replace("replica: 3", "replicas: three"))
    assert problem.pos == SourcePos("bp.yaml", 8, 13)
    assert problem.field == "spec.replicas"
    assert problem.message == "'three' is not of type 'integer'"


def test_all_problems_are_reported_sorted() -> None:
    text = TEXT.replace("nginx:1.27.3", "nginx").replace("port: 8080", "port: 70000")
    problems = problems_of(text)
    assert [p.field for p in problems] == ["spec.image", "spec.replica", "spec.ports[0].port"]
    assert problems == sorted(problems, key=Problem.sort_key)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("nginx", "has no tag or digest"),
        ("nginx:latest", "uses ':latest'"),
        ("Nginx:1.0", "is not a valid image reference"),
    ],
)
def test_images_must_be_pinned(image: str, message: str) -> None:
    problem = one(microservice(image=image))
    assert problem.field == "spec.image"
    assert message in problem.message
    assert problem.hint is not None
    assert ("sha256" in problem.hint) != (message == "is not a valid image reference")


@pytest.mark.parametrize(
    "image",
    [
        "nginx:1.27.3",
        "ghcr.io/acme/api:v1.2.3-rc.1",
        "localhost:5000/team/app:2024.01",
        "nginx@sha256:" + "a" * 64,
        "nginx:latest@sha256:" + "b" * 64,
    ],
)
def test_pinned_images_pass(image: str) -> None:
    assert problems_of(microservice(image=image)) == []


def test_namespace_default_is_refused() -> None:
    problem = one(
        TEXT.replace("replica:", "replicas:").replace("namespace: shop", "namespace: default")
    )
    assert problem.field == "metadata.namespace"
    assert "'default' namespace" in problem.message


def test_names_are_dns_labels() -> None:
    problem = one(TEXT.replace("replica:", "replicas:").replace("name: api", "name: My_App"))
    assert problem.field == "metadata.name"
    assert "lower-case" in (problem.hint or "")


def test_enum_typos_get_a_suggestion() -> None:
    problem = one(microservice(service={"type": "Loadbalancer"}))
    assert problem.field == "spec.service.type"
    assert problem.hint == "did you mean 'LoadBalancer'?"


def test_probe_needs_exactly_one_action() -> None:
    two = {"liveness": {"http": {"port": "http"}, "tcp": {"port": 8080}}}
    problem = one(microservice(probes=two))
    assert (
        problem.message
        == "needs exactly one of 'http', 'tcp', 'grpc' or 'exec', found 'http' and 'tcp'"
    )
    none = {"liveness": {"periodSeconds": 5}}
    assert "found none" in one(microservice(probes=none)).message


def test_probe_port_names_must_exist() -> None:
    problem = one(microservice(probes={"readiness": {"http": {"port": "htp"}}}))
    assert problem.field == "spec.probes.readiness.http.port"
    assert problem.message == "no port named 'htp'"
    assert problem.hint == "did you mean 'http'?"


def test_node_port_needs_a_node_port_service() -> None:
    problem = one(microservice(ports=[{"name": "http", "port": 80, "nodePort": 30080}]))
    assert problem.field == "spec.ports[0].nodePort"
    ok = microservice(
        ports=[{"name": "http", "port": 80, "nodePort": 30080}], service={"type": "NodePort"}
    )
    assert problems_of(ok) == []


def test_node_port_range() -> None:
    problem = one(
        microservice(
            ports=[{"name": "http", "port": 80, "nodePort": 8080}], service={"type": "NodePort"}
        )
    )
    assert problem.message == "8080 is less than the minimum of 30000"


def test_duplicate_ports() -> None:
    ports = [{"name": "http", "port": 80}, {"name": "http", "port": 81}]
    assert "name 'http' is used twice" in one(microservice(ports=ports)).message
    ports = [{"name": "a", "port": 53, "protocol": "UDP"}, {"name": "b", "port": 5353}]
    ports[1]["servicePort"] = 53  # TCP 53 beside UDP 53, as DNS servers do: fine
    ports.append({"name": "c", "port": 54, "servicePort": 53, "protocol": "UDP"})
    assert "expose UDP port 53 twice" in one(microservice(ports=ports)).message


def test_limits_below_requests() -> None:
    problem = one(microservice(resources={"memory": "1Gi", "limits": {"memory": "512Mi"}}))
    assert problem.field == "spec.resources.limits.memory"


def test_memory_suffix_hint() -> None:
    problem = one(microservice(resources={"memory": "1GB"}))
    assert problem.hint == "drop the 'B': '1Gi', not '1GiB' or '1GB'"


def test_yaml_boolean_pitfall_hint() -> None:
    problem = one(microservice(command=[True]))
    assert "quote" in (problem.hint or "")


def test_container_without_ports_must_declare_probes() -> None:
    problem = one(microservice(ports=[]))
    assert problem.field == "spec.probes"
    assert "set 'liveness' and 'readiness'" in problem.message
    probes = {"liveness": {"exec": ["true"]}, "readiness": {"exec": ["true"]}}
    assert problems_of(microservice(ports=[], probes=probes)) == []


def test_defaults_are_filled_from_the_schema() -> None:
    [valid] = valid_blueprints(microservice())
    spec = valid.data["spec"]
    assert spec["replicas"] == 2
    assert spec["ports"][0]["protocol"] == "TCP"
    assert spec["resources"] == {"cpu": "100m", "memory": "128Mi"}
    assert spec["service"] == {"type": "ClusterIP", "internal": False}


def test_same_blueprint_twice_is_an_error_at_the_second() -> None:
    text = microservice() + "---\n" + microservice()
    problem = one(text)
    assert problem.field == "metadata.name"
    assert "declared twice" in problem.message
    assert problem.pos.line > 10


def test_monolith_processes_inherit_shared_settings() -> None:
    text = """\
apiVersion: kgen.dev/v1alpha1
kind: Monolith
metadata: {name: shop, namespace: shop}
spec:
  image: shop:1.0.0
  processes:
    web: {command: [serve], ports: [{name: http, port: 80}]}
    Worker: {command: [work]}
"""
    problems = problems_of(text)
    assert [p.field for p in problems] == ["spec.processes.Worker"]  # not a DNS label


def _properties(schema: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(schema, Mapping):
        for name, child in schema.get("properties", {}).items():
            yield f"{where}.{name}", child
        for key, child in schema.items():
            yield from _properties(child, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, child in enumerate(schema):
            yield from _properties(child, f"{where}[{index}]")


@pytest.mark.parametrize("file", sorted(p.name for p in schemas_dir().glob("*.schema.json")))
def test_every_property_has_a_description(file: str) -> None:
    schema = load_json(file)
    base = schema["$id"]
    missing = [
        where
        for where, prop in _properties(schema, file)
        if "description" not in resolve(prop, base)[0]
    ]
    assert missing == []


def test_every_kind_has_a_schema_and_templates() -> None:
    assert sorted(registry()) == ["Cluster", "Microservice", "Monolith", "StatefulApp"]
    for kind in registry().values():
        assert kind.templates, kind
        assert kind.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("kind", ["Microservice", "StatefulApp", "Monolith"])
def test_bundled_schemas_stand_alone(kind: str) -> None:
    schema = bundled(kind)
    assert "common.schema.json" not in json.dumps(schema)
    validator = Draft202012Validator(schema)
    text = microservice() if kind == "Microservice" else None
    if text is not None:
        [blueprint] = blueprints(text)
        assert list(validator.iter_errors(blueprint.data)) == []
        bad = {**blueprint.data, "spec": {**blueprint.data["spec"], "replica": 2}}
        assert [e.validator for e in validator.iter_errors(bad)] == ["additionalProperties"]


def test_udp_ports_get_no_tcp_probes() -> None:
    udp = [{"name": "syslog", "port": 514, "protocol": "UDP"}]
    assert "no TCP port" in one(microservice(ports=udp)).message
    probes = {"liveness": {"tcp": {"port": "syslog"}}, "readiness": {"exec": ["true"]}}
    problem = one(microservice(ports=udp, probes=probes))
    assert problem.message == "port 'syslog' is not a TCP port; a tcp probe needs one"


def test_service_settings_that_would_be_ignored_are_errors() -> None:
    problem = one(microservice(service={"type": "ClusterIP", "internal": True}))
    assert problem.field == "spec.service.internal"
    probes = {"liveness": {"exec": ["true"]}, "readiness": {"exec": ["true"]}}
    problem = one(microservice(ports=[], probes=probes, service={"type": "LoadBalancer"}))
    assert problem.message == "a Service needs ports, and there are none"


def test_managed_service_annotations_cannot_be_overridden() -> None:
    annotations = {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}
    service = {"type": "LoadBalancer", "internal": True, "annotations": annotations}
    problem = one(microservice(service=service))
    assert "kgen sets this annotation" in problem.message


def test_storage_cannot_take_the_scratch_volume() -> None:
    storage = [
        {"name": "tmp", "size": "1Gi", "mountPath": "/var/lib/a"},
        {"name": "b", "size": "1Gi", "mountPath": "/tmp/"},
        {"name": "c", "size": "1Gi", "mountPath": "/var/lib/a/"},
    ]
    messages = [p.message for p in problems_of(statefulapp(storage=storage))]
    assert len(messages) == 3
    assert "the volume name 'tmp' is kgen's" in messages[0]
    assert "'/tmp/' is kgen's writable scratch space" in messages[1]
    assert "'/var/lib/a/' is mounted twice (also by spec.storage[0].mountPath)" in messages[2]


def test_node_ports_are_cluster_wide() -> None:
    port = {"name": "http", "port": 80, "nodePort": 30080}
    first = microservice(ports=[port], service={"type": "NodePort"})
    second = first.replace("name: api", "name: web")
    problem = one(first + "---\n" + second)
    assert problem.message == (
        "node port 30080 is already taken by Microservice shop/api spec.ports[0].nodePort "
        "(bp.yaml:11:15)"
    )
    twice = microservice(
        ports=[port, {**port, "name": "b", "port": 81}], service={"type": "NodePort"}
    )
    assert "nodePort 30080, protocol 'TCP' is used twice" in one(twice).message


def test_a_node_port_number_is_taken_whatever_the_protocol() -> None:
    """The allocator counts numbers: UDP 30053 on one Service blocks TCP 30053 on another."""
    udp = {"name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30053}
    tcp = {"name": "dns-tcp", "port": 53, "nodePort": 30053}
    probes = {"liveness": {"exec": ["true"]}, "readiness": {"exec": ["true"]}}
    first = microservice(ports=[udp], service={"type": "NodePort"}, probes=probes)
    second = microservice(ports=[tcp], service={"type": "NodePort"}).replace("name: api", "name: b")
    problem = one(first + "---\n" + second)
    assert problem.message.startswith("node port 30053 is already taken by Microservice shop/api")
    # One Service may publish one number for TCP and UDP alike, as DNS servers do.
    both = microservice(ports=[udp, tcp], service={"type": "NodePort"})
    assert problems_of(both) == []


def test_whole_numbers_only_where_numbers_are_counted() -> None:
    problem = one(microservice(replicas=2.0))
    assert problem.hint == "write a whole number without a decimal point: 2"


def test_yaml_1_1_integer_forms_are_refused_in_number_fields() -> None:
    text = microservice() + "  replicas: 0x10\n  env: {MODE: 0755}\n"
    problem = one(text)
    assert problem.message == "YAML reads 0x10 as the number 16"


def test_memory_must_be_whole_bytes() -> None:
    problem = one(microservice(resources={"memory": "128m"}))
    assert problem.message == "'128m' is not a whole number of bytes"


def test_annotations_that_kustomize_acts_on_are_refused() -> None:
    text = microservice().replace(
        "namespace: shop",
        "namespace: shop\n  annotations: {config.kubernetes.io/local-config: 'true'}",
    )
    assert "kustomize and kubectl act on this annotation" in one(text).message


def test_an_environment_may_delete_the_service_with_the_ports() -> None:
    probes = {"liveness": {"exec": ["true"]}, "readiness": {"exec": ["true"]}}
    text = microservice(service={"type": "LoadBalancer"}, probes=probes)
    text += "environments:\n  worker: {ports: null, service: null}\n"
    [blueprint] = blueprints(text)
    valid, problems = validate_blueprints(select_environment([blueprint], "worker"))
    assert problems == []
    assert valid[0].filled is not None
    assert "ports" not in valid[0].filled.data["spec"]


def test_mount_points_compare_normalised() -> None:
    text = statefulapp(storage=[{"name": "a", "size": "1Gi", "mountPath": "//tmp/"}])
    assert "'//tmp/' is kgen's writable scratch space" in one(text).message


def test_environments_count_their_blueprint_against_the_run_budget() -> None:
    """Each environment validates the whole blueprint again: a blueprint of 10,000 nodes
    in 50 environments would be half a million nodes of work."""
    env = {f"V{index}": "x" for index in range(4_850)}
    text = microservice(env=env) + "environments:\n"
    text += "".join(f"  e{index}: {{replicas: 1}}\n" for index in range(50))
    [problem] = environment_count_problems(blueprints(text))
    assert problem.field == "environments.e49"
    assert problem.message.startswith("validating every environment would read more than")
    fewer = text.split("  e45:")[0]
    assert list(environment_count_problems(blueprints(fewer))) == []


def test_too_many_environments_fail_before_any_is_validated(tmp_path: Path) -> None:
    """Thousands of blueprints with an environment each: refused at the 51st name, without
    validating a single environment (which would take time squared)."""
    texts = [
        microservice().replace("name: api", f"name: a{i}")
        + f"environments:\n  e{i}: {{replicas: 1}}\n"
        for i in range(3000)
    ]
    (tmp_path / "all.yaml").write_text("---\n".join(texts))
    with pytest.raises(InvalidInput) as caught:
        validate_all([tmp_path / "all.yaml"])
    [problem] = caught.value.problems
    assert problem.message == "more than 50 environment names in one run"


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ("0 3 * * 7", "has 7 as its day of week, outside 0-6"),
        ("0 3 * * sat-sun", "has the range sat-sun backwards in its day of week"),
        ("30-10 * * * *", "has the range 30-10 backwards in its minute"),
        ("@daily ", "is not one of @yearly"),
        ("@every 500ms", "not a duration from 1s to 2562047h"),
        ("0 3 * *", "has 4 fields, not five"),
        ("CRON_TZ=UTC 0 3 * * *", "use timeZone"),
        ("1 1 1 1 " + "9" * 5000, "as its day of week"),
        ("*/" + "9" * 5000 + " * * * *", "as its minute"),
    ],
)
def test_cron_schedules_are_read_as_kubernetes_reads_them(schedule: str, problem: str) -> None:
    found = cron_problem(schedule)
    assert found is not None and problem in found
    assert len(found) < 300


@pytest.mark.parametrize(
    "schedule",
    ["0 3 * * 0", "0 3 * * MON-FRI", "*/15 9-17 ? * 1-5", "0  3 * * *", "@every 1h30m", "@yearly"],
)
def test_cron_schedules_kubernetes_takes_pass(schedule: str) -> None:
    assert cron_problem(schedule) is None


@pytest.mark.parametrize(
    ("value", "ok"),
    [("1h30m", True), ("2562047h", True), ("2562048h", False), ("0s", True), ("1x", False)],
)
def test_durations_fit_go(value: str, ok: bool) -> None:
    assert FORMATS["duration"].check(value) is ok
    assert FORMATS["positive-duration"].check("0s") is False


def test_a_deep_time_zone_is_an_error_not_a_crash() -> None:
    """ZoneInfo recurses once per path level: 300 levels were a RecursionError (exit 3)."""
    from kgen.formats import FORMATS

    zone = "A/" * 300 + "B"
    assert not FORMATS["time-zone"].check(zone)
    for name in ("right/UTC", "posix/UTC", "localtime", "posixrules"):
        assert not FORMATS["time-zone"].check(name), name
    assert FORMATS["time-zone"].check("Europe/Berlin")


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("/etc/tls/tls.key", False),
        ("/run/secrets/db", False),
        ("/var/run/secrets/db/password", False),
        ("/9j/4AAQSkZJRgABAQAAAQ", True),  # base64 may start with '/': no '.', no folder
        ("/tls.key", True),
        ("s3cr3t-v4lue", True),
    ],
)
def test_a_file_path_under_a_secret_name_is_where_the_secret_is(value: str, secret: bool) -> None:
    """TLS_KEY=/etc/tls/tls.key names the file that holds the key, not the key: no
    problem. A value that could be base64 (no '.', no system or secrets folder) still is
    one."""
    problems = problems_of(microservice(env={"TLS_KEY": value}))
    assert [p.message for p in problems] == (
        ["TLS_KEY looks like a secret, and its value is written in the blueprint"] if secret else []
    )


def test_a_variable_of_a_pod_field_is_set_once() -> None:
    """fieldEnv and env of one name, in the main container or a sidecar: one would
    silently win."""
    sidecar = {
        "name": "agent",
        "image": "ghcr.io/acme/agent:1.0.0",
        "ports": [{"name": "agent", "port": 9000}],
        "fieldEnv": {"NODE": "spec.nodeName"},
        "env": {"NODE": "here"},
    }
    text = microservice(
        fieldEnv={"POD_NAME": "metadata.name"}, env={"POD_NAME": "api-0"}, sidecars=[sidecar]
    )
    assert [(p.path, p.message, p.hint) for p in problems_of(text)] == [
        (
            ("spec", "env", "POD_NAME"),
            "POD_NAME is set by env and by spec.fieldEnv.POD_NAME",
            "set each variable once: from the pod field, or as a plain value",
        ),
        (
            ("spec", "sidecars", 0, "env", "NODE"),
            "NODE is set by env and by spec.sidecars[0].fieldEnv.NODE",
            "set each variable once: from the pod field, or as a plain value",
        ),
    ]
