"""What a tenth round of new-user trials of ``kgen import`` found, with ``ingress.aliases``
new: a host kgen refuses took the whole app with it, two apps routing one host gave
blueprints ``validate`` refused, an alias took TLS its host was not served with, a probe
path with a query was refused, and some reasons were wrong."""

from __future__ import annotations

from pathlib import Path

from kgen import api
from kgen.importer import output as imported
from tests.conftest import RunKgen
from tests.importing import blueprint_of, import_text, renders_back

SITE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: APP, namespace: web}
spec:
  selector: {matchLabels: {app: APP}}
  template:
    metadata: {labels: {app: APP}}
    spec:
      containers:
      - name: APP
        image: ghcr.io/acme/APP:2.0.1
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: "/healthz?full=1", port: http}}
---
apiVersion: v1
kind: Service
metadata: {name: APP, namespace: web}
spec:
  selector: {app: APP}
  ports: [{name: http, port: 80, targetPort: http}]
"""


def _ingress(app: str, rules: list[str], tls: str = "") -> str:
    lines = "".join(
        f"  - {{host: {host}, http: {{paths: [{{path: /, pathType: Prefix, backend: "
        f"{{service: {{name: {app}, port: {{name: http}}}}}}}}]}}}}\n"
        for host in rules
    )
    return (
        f"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        f"metadata: {{name: {app}, namespace: web}}\nspec:\n  ingressClassName: nginx\n"
        f"{tls}  rules:\n{lines}"
    )


def _site(app: str) -> str:
    return SITE.replace("APP", app)


def test_a_host_kgen_refuses_leaves_the_ingress_out_not_the_app(tmp_path: Path) -> None:
    """A label of 64 characters: the API server takes it, DNS does not; the Ingress goes,
    saying why, and the app stays."""
    host = "a" * 64 + ".example.org"
    result = import_text(tmp_path, _site("site") + _ingress("site", [host]))
    assert "ingress" not in blueprint_of(result)["spec"]
    said = [w.split(": warning: ", 1)[1] for w in imported.warnings(result)]
    assert (
        f"Ingress web/site: spec.rules[0].host: kgen refuses it: {host!r} is not a valid host name"
        in said
    )


def test_a_host_the_api_server_refuses_is_an_error(kgen: RunKgen, tmp_path: Path) -> None:
    (tmp_path / "in.yaml").write_text(_site("site") + _ingress("site", ["Example.ORG", "10.0.0.1"]))
    result = kgen("import", "in.yaml", "-o", "bp", cwd=tmp_path)
    assert result.exit_code == 1
    found = [
        line.split(": error: ", 1)[1].split(" (in the input)")[0]
        for line in result.stderr.splitlines()[:-1]
    ]
    refusal = (
        "is not a host an Ingress takes: the API server wants a lowercase DNS name (letters, "
        "digits, '-' and '.', a '*.' wildcard first), not an IP address"
    )
    assert found == [
        f"Ingress site: spec.rules[0].host: 'Example.ORG' {refusal}",
        f"Ingress site: spec.rules[1].host: '10.0.0.1' {refusal}",
    ]
    assert not (tmp_path / "bp").exists()


def test_a_host_two_apps_route_goes_to_the_first(tmp_path: Path) -> None:
    """Ingress a routes example.org and www.example.org to a; Ingress b routes
    www.example.org to b: a keeps it, b's Ingress is left out, and the set validates."""
    text = (
        _site("a")
        + _ingress("a", ["example.org", "www.example.org"])
        + "---\n"
        + _site("b")
        + _ingress("b", ["www.example.org"])
    )
    result = import_text(tmp_path, text)
    specs = {
        blueprint_of(result, i)["metadata"]["name"]: blueprint_of(result, i)["spec"] for i in (0, 1)
    }
    assert specs["a"]["ingress"]["aliases"] == ["www.example.org"]
    assert "ingress" not in specs["b"]
    said = [w.split(": warning: ", 1)[1] for w in imported.warnings(result)]
    assert (
        "Ingress web/b: spec.rules[0].host: www.example.org/ is routed to Microservice web/a "
        "already: kgen routes a host and path to one app"
    ) in said
    imported.to_folder(result, tmp_path / "bp")
    api.validate_all([tmp_path / "bp"])


def test_an_alias_is_served_with_its_hosts_tls(tmp_path: Path) -> None:
    """www outside the TLS of example.org is not an alias (kgen would serve it with
    example.org's certificate); inside it, it is, and the probe's query comes along."""
    outside = _site("site") + _ingress(
        "site",
        ["example.org", "www.example.org"],
        "  tls: [{hosts: [example.org], secretName: s}]\n",
    )
    (tmp_path / "out").mkdir()
    result = import_text(tmp_path / "out", outside)
    assert "aliases" not in blueprint_of(result)["spec"]["ingress"]
    inside = outside.replace("hosts: [example.org]", "hosts: [example.org, www.example.org]")
    (tmp_path / "in").mkdir()
    result = import_text(tmp_path / "in", inside)
    spec = blueprint_of(result)["spec"]
    assert spec["ingress"]["aliases"] == ["www.example.org"]
    assert spec["probes"]["readiness"]["http"]["path"] == "/healthz?full=1"
    rendered = renders_back(result, tmp_path / "in")
    assert rendered[("Ingress", "site")]["spec"]["tls"][0]["hosts"] == [
        "example.org",
        "www.example.org",
    ]


def test_other_rules_say_what_they_are(tmp_path: Path) -> None:
    text = _site("site") + _ingress("site", ["example.org", "example.org"])
    text = text.replace(
        "  - {host: example.org, http: {paths: [{path: /,",
        "  - {host: example.org, http: {paths: [{path: /a,",
        1,
    )
    text += (
        "  - {http: {paths: [{path: /, pathType: Prefix, "
        "backend: {service: {name: site, port: {name: http}}}}]}}\n"
    )
    result = import_text(tmp_path, text)
    said = [
        w.split(": warning: ", 1)[1].split(": kgen's Ingress")[0]
        for w in imported.warnings(result)
        if "rules[" in w
    ]
    assert said == [
        "Ingress web/site: spec.rules[1]: another rule for example.org",
        "Ingress web/site: spec.rules[2]: a rule for every host (it names none)",
    ]


def test_tls_without_a_secret_is_left_out_not_mapped(tmp_path: Path) -> None:
    text = _site("site") + _ingress("site", ["example.org"], "  tls: [{hosts: [example.org]}]\n")
    result = import_text(tmp_path, text)
    tls = [line for line in result.lines if line.path[:2] == ("spec", "tls")]
    assert tls and all(line.entry.status.value == "left out" for line in tls)
    assert "tls" not in blueprint_of(result)["spec"]["ingress"]


def test_of_two_processes_routing_one_host_the_first_written_keeps_it(tmp_path: Path) -> None:
    """The Ingress the input writes first keeps the host, whatever the processes' names."""
    process = _site("bill-NAME").replace(
        "image: ghcr.io/acme/bill-NAME:2.0.1", "image: ghcr.io/acme/bill:2.0.1"
    )
    process = process.replace("ports: [", "command: [NAME]\n        ports: [", 1)
    text = (
        process.replace("NAME", "web")
        + _ingress("bill-web", ["bill.example.org"])
        + "---\n"
        + process.replace("NAME", "api")
        + _ingress("bill-api", ["bill.example.org"])
    )
    result = import_text(tmp_path, text)
    processes = blueprint_of(result)["spec"]["processes"]
    assert processes["web"]["ingress"]["host"] == "bill.example.org"
    assert "ingress" not in processes["api"]
    renders_back(result, tmp_path)


def test_an_alias_another_app_routes_goes_with_its_rule_and_tls_host(tmp_path: Path) -> None:
    tls = "  tls: [{hosts: [b.example.org, www.example.org], secretName: b}]\n"
    text = (
        _site("a")
        + _ingress("a", ["www.example.org"])
        + "---\n"
        + _site("b")
        + _ingress("b", ["b.example.org", "www.example.org"], tls)
    )
    result = import_text(tmp_path, text)
    rendered = renders_back(result, tmp_path)  # no mapped value points at what is gone
    assert [r["host"] for r in rendered[("Ingress", "b")]["spec"]["rules"]] == ["b.example.org"]
    assert rendered[("Ingress", "b")]["spec"]["tls"][0]["hosts"] == ["b.example.org"]


def test_an_ingress_path_kgen_refuses_takes_the_ingress_not_the_path(tmp_path: Path) -> None:
    """Without its path the Ingress would route every path of the host: it goes whole."""
    text = _site("site") + _ingress("site", ["example.org"]).replace(
        "path: /,", "path: '/api?x=1',"
    )
    result = import_text(tmp_path, text)
    assert "ingress" not in blueprint_of(result)["spec"]
