"""Stage 4: every rendered document is validated against its upstream schema."""

from __future__ import annotations

from typing import Any

import pytest

from kgen.check import check_documents, check_kube_version, document_validator, kube_versions
from kgen.errors import UsageError
from kgen.model import Document, SourcePos
from tests.helpers import microservice, rendered_documents, valid_blueprints


def a_document(body: dict[str, Any], text: str | None = None) -> Document:
    [blueprint] = valid_blueprints(text or microservice())
    return Document(body, blueprint, "test.yaml.j2")


def microservice_documents() -> list[Document]:
    return rendered_documents(microservice())


@pytest.mark.parametrize("version", kube_versions())
def test_rendered_output_validates_on_every_supported_version(version: str) -> None:
    assert check_documents(microservice_documents(), version) == []


def test_versions() -> None:
    assert "1.33" in kube_versions()
    assert check_kube_version("v1.33") == "1.33"
    assert check_kube_version("1.33.4") == "1.33"
    with pytest.raises(UsageError, match=r"choose one of 1\.25"):
        check_kube_version("1.12")


def test_validators_are_built_once() -> None:
    first = document_validator("1.33", "apps/v1", "Deployment")
    assert first is not None
    assert document_validator("1.33", "apps/v1", "Deployment") is first


def test_unknown_fields_in_output_are_errors_pointing_at_the_blueprint() -> None:
    document = a_document(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "api", "namespace": "shop"},
            "dataa": {"a": "b"},
        }
    )
    [problem] = check_documents([document], "1.33")
    assert problem.field == "ConfigMap shop/api"
    assert "'dataa' was unexpected" in problem.message
    assert "rendered by test.yaml.j2" in problem.message


def test_wrong_values_point_back_at_the_field_that_made_them() -> None:
    text = microservice(replicas=3)
    document = a_document(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"replicas": "3"},
        },
        text.replace("replicas: 3", "replicas: 7"),
    )
    [problem, *_] = check_documents([document], "1.33")
    assert problem.field == "Deployment shop/api: spec.replicas"
    assert problem.pos.file == "bp.yaml"


def test_documents_without_a_schema_are_errors() -> None:
    document = a_document(
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "api"}}
    )
    [problem] = check_documents([document], "1.33")
    assert "no schema for example.com/v1 Widget" in problem.message


def test_custom_resources_use_vendored_crd_schemas() -> None:
    good = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "endpoints": [{"port": "http"}]},
    }
    assert check_documents([a_document(good)], "1.33") == []
    bad = {**good, "spec": {"selector": {}, "endpoints": [{"port": 8080}]}}
    [problem] = check_documents([a_document(bad)], "1.33")
    assert problem.field == "ServiceMonitor shop/api: spec.endpoints[0].port"


def test_cluster_config_uses_eksctl_schema() -> None:
    config = {
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {"name": "prod", "region": "eu-west-1", "version": "1.33"},
        "managedNodeGroups": [{"name": "ng", "instanceType": "m6i.large", "desiredCapacity": 2}],
    }
    assert check_documents([a_document(config)], "1.33") == []
    wrong = {**config, "managedNodeGroup": []}
    assert len(check_documents([a_document(wrong)], "1.33")) == 1


def test_the_same_resource_rendered_twice_is_an_error() -> None:
    documents = microservice_documents()
    problems = check_documents([*documents, documents[0]], "1.33")
    assert len(problems) == 1
    assert "rendered twice" in problems[0].message
    assert problems[0].pos == SourcePos("bp.yaml", 4, 9)


def test_size_limits_of_the_api_server() -> None:
    big = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "api", "namespace": "shop", "annotations": {"a": "x" * 300_000}},
    }
    [problem] = check_documents([a_document(big)], "1.33")
    assert "annotations take 300001 bytes" in problem.message
    huge = {**big, "metadata": {"name": "api", "namespace": "shop"}, "data": {"a": "x" * 2**20}}
    [problem] = check_documents([a_document(huge)], "1.33")
    assert "the object takes" in problem.message


def test_an_api_version_the_kubernetes_version_no_longer_serves_is_an_error() -> None:
    """autoscaling/v2beta2 was served up to Kubernetes 1.25: a Cluster of 1.26 or later
    (whose version the output is checked against) would refuse it."""
    body = {
        "apiVersion": "autoscaling/v2beta2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "api"}, "maxReplicas": 3},
    }
    assert not [p for p in check_documents([a_document(body)], "1.25") if "no schema" in p.message]
    [problem] = [p for p in check_documents([a_document(body)], "1.26") if "no schema" in p.message]
    assert "no schema for autoscaling/v2beta2 HorizontalPodAutoscaler in Kubernetes 1.26" in (
        problem.message
    )
