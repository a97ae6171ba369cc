"""``ingress.aliases``: more names routed as the host is, each a rule of the Ingress, a
TLS host and a name of the Certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import microservice, rendered_documents


def _of(kind: str, ingress: dict[str, Any]) -> dict[str, Any]:
    [found] = [d for d in rendered_documents(microservice(ingress=ingress)) if d.kind == kind]
    return dict(found.body)


def test_each_alias_is_a_rule_and_a_tls_host_of_the_alb() -> None:
    spec = _of(
        "Ingress", {"host": "shop.example.com", "aliases": ["www.shop.example.com"], "tls": {}}
    )["spec"]
    assert [(r["host"], r["http"]["paths"][0]["path"]) for r in spec["rules"]] == [
        ("shop.example.com", "/"),
        ("www.shop.example.com", "/"),
    ]
    assert spec["tls"] == [{"hosts": ["shop.example.com", "www.shop.example.com"]}]


def test_the_certificate_names_every_alias() -> None:
    ingress = {
        "host": "shop.example.com",
        "aliases": ["www.shop.example.com", "*.shop.example.com"],
        "className": "nginx",
        "tls": {"issuer": "letsencrypt"},
    }
    names = ["shop.example.com", "www.shop.example.com", "*.shop.example.com"]
    assert _of("Certificate", ingress)["spec"]["dnsNames"] == names
    assert _of("Ingress", ingress)["spec"]["tls"] == [{"hosts": names, "secretName": "api-tls"}]


def test_without_aliases_the_ingress_is_as_before() -> None:
    spec = _of("Ingress", {"host": "shop.example.com"})["spec"]
    assert [rule["host"] for rule in spec["rules"]] == ["shop.example.com"]


def test_the_graph_shows_every_name(tmp_path: Path) -> None:
    from kgen import api

    ingress = {"host": "shop.example.com", "aliases": ["www.shop.example.com"], "tls": {}}
    (tmp_path / "api.yaml").write_text(microservice(ingress=ingress))
    picture = api.to_picture(api.build([tmp_path / "api.yaml"]), "mermaid")
    assert '["https://shop.example.com/"]' in picture
    assert '["https://www.shop.example.com/"]' in picture
