"""The schema for editors (``kgen schema`` with no KIND) and ``kgen init``.

The export must never flag what kgen takes (every example, every starter, each pattern
against kgen's format checks), and it must flag the common mistakes: the bad-input corpus
is validated with the plain ``jsonschema`` package and no kgen code, and what an editor
catches is pinned in a snapshot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError
from syrupy.assertion import SnapshotAssertion

from kgen.formats import FORMATS
from kgen.patterns import LOOSER, PATTERNS
from tests import test_examples
from tests.conftest import REPO, RunKgen
from tests.helpers import microservice

BAD = REPO / "tests" / "bad"
KINDS = ["Cluster", "Microservice", "Monolith", "StatefulApp"]
#: The export covers the shared defaults file too.
DOCUMENTS = [*KINDS, "Defaults"]


@cache
def exported() -> dict[str, Any]:
    """What `kgen schema` prints, read back as a plain tool reads it."""
    from typer.testing import CliRunner

    from kgen.cli import app

    result = CliRunner().invoke(app, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


@cache
def validator() -> Draft7Validator:
    return Draft7Validator(exported())


def _type_unspelt(validator: Any, types: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema's ``type``, without the value in its message."""
    wanted = types if isinstance(types, list) else [types]
    if not any(validator.is_type(instance, kind) for kind in wanted):
        yield ValidationError(f"is not of type {', '.join(repr(kind) for kind in wanted)}")


@cache
def verdict_validator() -> Any:
    """The exported schema's validator for a yes-or-no verdict. Its type errors do not
    spell out the value: jsonschema visits an object's extra keys in a set's order (the
    process's hash seed decides), and the repr of a billion-laughs list, met first, would
    not end."""
    extended = validators.extend(Draft7Validator, {"type": _type_unspelt})  # type: ignore[no-untyped-call]
    return extended(exported())


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as an editor reads it (1.2: only true and false are booleans)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _documents(text: str) -> list[Any]:
    return [d for d in yaml.load_all(text, Loader=_Yaml12Loader) if d is not None]


def _errors(document: Any) -> list[str]:
    return [f"{e.json_path}: {e.message[:120]}" for e in validator().iter_errors(document)]


# --- the export ----------------------------------------------------------------------------


def test_the_export_is_a_draft07_schema_that_selects_by_kind() -> None:
    schema = exported()
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["properties"]["kind"]["enum"] == DOCUMENTS
    assert [b["if"]["properties"]["kind"]["const"] for b in schema["allOf"]] == DOCUMENTS
    text = json.dumps(schema)
    assert '"format"' not in text and "$defs" not in text and "x-kgen-" not in text


def test_kgen_schema_kind_is_unchanged(kgen: RunKgen) -> None:
    from kgen.schema import bundled

    result = kgen("schema", "statefulapp")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == bundled("StatefulApp")


def _example_texts() -> list[Any]:
    params = [
        pytest.param(path.read_text(encoding="utf-8"), id=path.relative_to(REPO).as_posix())
        for path in sorted((REPO / "blueprints").rglob("*.yaml"))
    ]
    for name in ("MINIMAL_MICROSERVICE", "MICROSERVICE", "MICROSERVICE_COMPLETE"):
        params.append(pytest.param(getattr(test_examples, name), id=name))
    params += [pytest.param(getattr(test_examples, n), id=n) for n in ("STATEFULAPP", "MONOLITH")]
    return params


@pytest.mark.parametrize("text", _example_texts())
def test_every_example_passes_the_export(text: str) -> None:
    """No false positives: what kgen takes, the editor takes."""
    for document in _documents(text):
        assert _errors(document) == []


def test_environments_are_typed_as_partial_specs(kgen: RunKgen, tmp_path: Path) -> None:
    good = microservice(resources={"cpu": "250m", "memory": "256Mi"}) + (
        "environments:\n"
        "  prod:\n"
        "    replicas: null\n"  # null deletes
        "    resources: {cpu: 500m}\n"  # maps merge: memory comes from spec
        "    ports: [{name: http, servicePort: 80}]\n"  # a named item merges by name
        "  dev:\n"
        "    ports: [{name: http, $patch: delete}, {name: web, port: 8081}]\n"
    )
    (tmp_path / "good.yaml").write_text(good)
    assert kgen("validate", "good.yaml", cwd=tmp_path).exit_code == 0
    assert _errors(_documents(good)[0]) == []
    bad = microservice() + "environments:\n  prod: {replcas: 3, resources: {memory: 4GB}}\n"
    assert set(_errors(_documents(bad)[0])) == {
        "$.environments.prod: Additional properties are not allowed ('replcas' was unexpected)",
        "$.environments.prod.resources: {'memory': '4GB'} is not valid under any of the given "
        "schemas",
    }


# --- patterns agree with kgen's formats ----------------------------------------------------

#: Values kgen takes and values it refuses, per format (each format has both).
SAMPLES: dict[str, tuple[list[Any], list[Any]]] = {
    "dns1123-label": (["a", "my-app", "x" * 63, "0"], ["", "A", "-a", "a-", "x" * 64, "a_b"]),
    "dns1123-subdomain": (["gp3", "fast.example.com"], ["", "a..b", "A.b", "a." * 127 + "a"]),
    "namespace": (["shop", "defaults", "default0"], ["default", "Shop", "", "x" * 64]),
    "image-registry": (
        ["ghcr.io/acme", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop", "acme"],
        ["Not A Registry", "ghcr.io/acme:1.0", "ghcr.io/acme/", "", "x" * 201],
    ),
    "image-tag": (["1.4.2", "v0.10.6", "latest1", "_x"], ["latest", "", "-x", "1.0 ", "x" * 129]),
    "image": (
        [
            "nginx:1.27.3",
            "ghcr.io/acme/api:latest@sha256:" + "a" * 64,
            "registry.example.com:5000/team/app:v1",
            "app@sha512:" + "b" * 128,
            "app:latest1",
        ],
        [
            "nginx",
            "nginx:latest",
            "Nginx:1.0",
            "app@sha256:" + "a" * 52,
            "app:1.0 ",
            "app:-x",
        ],
    ),
    "port-name": (["http", "grpc-api", "h2c", "a1"], ["123", "a--b", "x" * 16, "HTTP", "-a"]),
    "env-name": (["LOG_LEVEL", "a.b", "-x", "_"], ["1ST", ".", "..x", "A B", ""]),
    "pod-field": (
        ["metadata.name", "status.podIPs", "metadata.labels['app.kubernetes.io/name']"],
        ["spec.nodename", "metadata.labels", "metadata.labels['a']x", "status.phase", ""],
    ),
    "label-key": (
        ["team", "example.com/team", "a_b.c", "A"],
        ["/team", "Example.com/team", "a/b/c", "x" * 64, "", "-a"],
    ),
    "label-value": (["", "a", "v1.2_3", "x" * 63], ["-a", "a b", "x" * 64, "a-"]),
    "metric-quantity": (
        ["100", "1.5", "500m", "2k", ".5", 100, 0.5],
        ["0", "0.0", "-1", "1Gi", "", 0, -2],
    ),
    "cpu": (
        ["0.5", "250m", "1", "1.000m", "0.0010", ".5", 2, 0.25],
        ["0", "0m", "0.0001", "1.5m", "2 cores", "-1", "", 0, -1],
    ),
    "memory": (
        ["512Mi", "1Gi", "1000", "1.5k", "1000m", "0.5Ki", "1E", "1e3", 128],
        ["1GB", "128m", "0", "0.5", "1.5", "-1", "", 0, -5],
    ),
    "absolute-path": (["/", "/var/lib/data", "/a/..b"], ["var", "/a/../b", "/a/.", "/a:b", ""]),
    "file-path": (["/etc/app/config.yaml"], ["/", "/etc/", "etc/app", "/a/./b"]),
    "secret-key": (["prod/checkout/db", "a b"], ["", " x", "x ", "a\nb", "x" * 2049]),
    "secret-property": (["password"], ["", " x", "\ta"]),
    "aws-region": (["eu-west-1", "us-gov-west-1"], ["eu-west", "EU-west-1", "eu-west-1a"]),
    "aws-zone": (["eu-west-1a"], ["eu-west-1", "eu-west-1ab"]),
    "instance-type": (["m7i.large", "c7g.2xlarge"], ["m7i", "M7i.large", "m7i.LARGE"]),
    "kube-minor": (["1.33", "1.9"], ["1.0", "2.1", "1.333", "v1.33"]),
    "aws-account": (["123456789012"], ["12345678901", "1234567890123", "abc"]),
    "cidr": (["10.0.0.0/16", "0.0.0.0/0", "2600:1f18::/36"], ["10.0.0.0", "x/16", ""]),
    "hostname": (
        ["shop.example.com", "*.example.com", "localhost", "01.2.3.4", "1.2.3.4.5"],
        ["1.2.3.4", "Shop.example.com", "a_b.com", "*.", ""],
    ),
    "url-path": (["/", "/api", "/a-b/c~d"], ["api", "/a//b", "/a/./b", "/a/%2Fb", "/a/..", "/a b"]),
    "http-path": (
        ["/", "/healthz?js-enabled-only=true", "/a?b=c&d=/e//f", "/a?"],
        ["healthz", "/a//b?x", "/a b", "/a#frag", "/a/..?x", "/a%2fb?x", "?x"],
    ),
    "acm-certificate-arn": (
        ["arn:aws:acm:eu-west-1:123456789012:certificate/" + "0" * 36],
        ["arn:aws:acm:eu-west-1:123:certificate/x"],
    ),
    "percent": (["0%", "25%", "100%"], ["101%", "025%", "25", "-1%"]),
    "metric-name": (["http_requests_per_second", "a:b.c-d"], ["1abc", "a b", ""]),
    "sqs-queue-url": (
        ["https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo"],
        ["https://sqs.example.com/orders"],
    ),
    "nodegroup-name": (["general", "Spot-1"], ["spot_1", "-a", ""]),
    "prometheus-duration": (["30s", "5m", "1h30m", "0", "1y2w"], ["", "30 seconds", "1.5h", "5M"]),
    "alert-name": (["CheckoutErrorRate", "a:b"], ["web down", "1a", ""]),
    "promql": (["up == 0", "rate(x[5m]) > 1"], ["", "   "]),
    "parser-name": (["json", "nginx.v2"], ["-json", "", "a b"]),
    "cron": (
        ["*/15 * * * *", "0 3 * * 1-5", "@daily", "@every 90m", "0 3 * JAN MON", " 0 3 * * *"],
        ["every night", "0 3 * *", "@daily ", "@every", "TZ=UTC 0 3 * * *", "0 3 * * * *"],
    ),
    "time-zone": (["Europe/Berlin", "UTC", "America/New_York"], ["Europe Berlin", "", "/UTC"]),
    "kind-name": (["Deployment", "Ingress"], ["deployment", "", "Deploy-ment"]),
    "header-name": (["Host", "X-Probe"], ["X Probe", "", "-X"]),
    "header-value": (["text/plain", ""], ["a\nb", "x" * 4097]),
    "duration": (["30s", "1h30m", "250ms", "0s", "1.5h"], ["30", "1d", "", "-1s"]),
    "positive-duration": (["720h", "0.5s"], ["0s", "0m0s", "0.0h", "1d"]),
    "iam-role-arn": (
        ["arn:aws:iam::123456789012:role/checkout", "arn:aws:iam::123456789012:role/a/b"],
        ["arn:aws:iam::1234:role/checkout", "checkout"],
    ),
    "https-url": (
        ["https://vault.example.com:8200", "https://a.b/c"],
        ["http://a.b", "https://user@a.b", "https://a.b?x=1"],
    ),
    "email": (["platform@example.com"], ["platform", "a@b", "a b@example.com"]),
    "efs-id": (["fs-0123456789abcdef0", "fs-01234567"], ["fs-0123", "fsx-01234567"]),
    "efs-access-point-id": (["fsap-01234567"], ["fs-01234567"]),
    "ebs-volume-id": (["vol-0123456789abcdef0"], ["vol-012"]),
    "release": (["1.14.0", "0.0.1"], ["1.14", "01.2.3", "v1.2.3"]),
    "store-path": (["prod/", "secret", "a/b"], ["/prod", "a//b", ""]),
    "vault-name": (["external-secrets"], ["a b", "", "x" * 129]),
    "iam-policy-arn": (
        ["arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"],
        ["AmazonSQSReadOnlyAccess", "arn:aws:iam::1:policy/x"],
    ),
}

#: Refused samples a pattern lets through on purpose (see kgen.patterns.LOOSER).
MISSED_ON_PURPOSE = {
    ("metric-quantity", "1Gi"),
    ("cidr", "x/16"),
    ("promql", "   "),
    ("image", "nginx"),  # a shared default may give the tag: an editor cannot see it
}


def _type_of(name: str) -> list[str]:
    return ["string", "number"] if PATTERNS[name].numbers else ["string"]


@cache
def _pattern_validator(name: str) -> Draft7Validator:
    return Draft7Validator({"type": _type_of(name), **PATTERNS[name].keywords()})


def _pattern_takes(name: str, value: Any) -> bool:
    return _pattern_validator(name).is_valid(value)


@cache
def _checker() -> Any:
    from kgen.formats import format_checker

    return format_checker()


def _kgen_takes(name: str, value: Any) -> bool:
    return bool(_checker().conforms(value, name))


def test_every_format_has_a_pattern_and_samples() -> None:
    assert set(PATTERNS) == set(FORMATS) == set(SAMPLES)
    assert set(LOOSER) <= set(PATTERNS)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_patterns_agree_with_kgen_on_the_samples(name: str) -> None:
    taken, refused = SAMPLES[name]
    for value in taken:
        assert _kgen_takes(name, value), f"sample {value!r} is no {name}"
        assert _pattern_takes(name, value), f"the pattern refuses {value!r}, which kgen takes"
    for value in refused:
        assert not _kgen_takes(name, value), f"kgen takes {value!r}"
        if (name, value) not in MISSED_ON_PURPOSE:
            assert not _pattern_takes(name, value), f"the pattern takes {value!r}"


#: Characters the generated values are made of: the ones the formats care about.
_ALPHABET = "aAzZ09-_.:/@*%#?=+ \t\nmkKiMGTEsmhdwy\u00e9\u0661"


@pytest.mark.parametrize("name", sorted(SAMPLES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_patterns_are_never_stricter_than_kgen(name: str, data: st.DataObject) -> None:
    """Values built from the samples and from the formats' own characters: whatever kgen
    takes, the pattern takes; what the pattern takes, kgen takes too unless the format is
    one of the looser ones (or the value ends in a line break, which Python's '$' lets
    through)."""
    taken, refused = SAMPLES[name]
    strings = [v for v in taken + refused if isinstance(v, str)]
    value = data.draw(
        st.one_of(
            st.text(alphabet=_ALPHABET, max_size=24),
            st.sampled_from(strings).flatmap(
                lambda s: st.tuples(st.integers(0, len(s)), st.text(_ALPHABET, max_size=3)).map(
                    lambda cut: s[: cut[0]] + cut[1] + s[cut[0] :]
                )
            ),
        )
    )
    kgen_takes, pattern_takes = _kgen_takes(name, value), _pattern_takes(name, value)
    if kgen_takes:
        assert pattern_takes, f"the pattern refuses {value!r}, which kgen takes"
    elif pattern_takes and name not in LOOSER and (name, value) not in MISSED_ON_PURPOSE:
        assert value.endswith("\n"), f"the pattern takes {value!r}, which kgen refuses"


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to run ECMAScript patterns")
def test_patterns_read_the_same_in_ecmascript() -> None:
    """yaml-language-server runs the patterns as ECMAScript regular expressions (with the u
    flag): each one compiles there and gives Python's verdict on every string sample."""
    cases = [
        (name, PATTERNS[name].pattern, value)
        for name, (taken, refused) in SAMPLES.items()
        for value in taken + refused
        if isinstance(value, str) and PATTERNS[name].pattern is not None
    ]
    script = (
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(cases.map(([, p, v]) => new RegExp(p, 'u').test(v))));"
    )
    done = subprocess.run(
        ["node", "-e", script], input=json.dumps(cases), capture_output=True, text=True, check=True
    )
    python = [re.search(str(pattern), value) is not None for _, pattern, value in cases]
    assert json.loads(done.stdout) == python


# --- the bad-input corpus, as an editor sees it --------------------------------------------


#: eemeli/yaml, yaml-language-server's parser, refuses a document with more aliases than
#: this (its maxAliasCount, against "billion laughs") when it turns it into plain data; the
#: server itself never does, and its schema flags such a file instead (tests/test_yamlls.py).
MAX_EDITOR_ALIASES = 100


def _editor_verdict(path: Path) -> str:
    """What an editor with the exported schema says of one corpus file: 'schema' (the schema
    flags it), 'yaml' (a plain YAML parser refuses the file: the editor's parser flags it
    too), or 'missed' (only kgen's own checks catch it)."""
    try:
        text = path.read_text(encoding="utf-8")
        aliases = sum(
            isinstance(e, yaml.AliasEvent) for e in yaml.parse(text, Loader=_Yaml12Loader)
        )
        documents = _documents(text)
    except (yaml.YAMLError, UnicodeDecodeError, ValueError, KeyError, IndexError, RecursionError):
        return "yaml"
    if aliases > MAX_EDITOR_ALIASES:
        return "yaml"
    return "schema" if not all(verdict_validator().is_valid(d) for d in documents) else "missed"


def test_what_an_editor_catches_of_the_corpus(snapshot: SnapshotAssertion) -> None:
    """Pinned: changing a pattern, the export or the corpus changes this on purpose only."""
    verdicts = {path.name: _editor_verdict(path) for path in sorted(BAD.glob("*.yaml"))}
    caught = sum(verdict != "missed" for verdict in verdicts.values())
    assert {"verdicts": verdicts, "total": f"caught {caught} of {len(verdicts)}"} == snapshot


# --- kgen schema -o ------------------------------------------------------------------------


def test_schema_to_a_file(kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    printed = kgen("schema").stdout
    first = kgen("schema", "-o", "editor/kgen.schema.json", cwd=tmp_path)
    assert (first.exit_code, first.stderr) == (0, "kgen: wrote editor/kgen.schema.json\n")
    assert (tmp_path / "editor" / "kgen.schema.json").read_text() == printed
    again = kgen("schema", "-o", "editor/kgen.schema.json", cwd=tmp_path)
    assert again.stderr == "kgen: up to date: editor/kgen.schema.json\n"
    one = kgen("schema", "Microservice", "-o", "ms.json", cwd=tmp_path)
    assert one.exit_code == 0 and kgen("schema", "microservice", "-o", "ms.json").exit_code == 0
    (tmp_path / "mine.json").write_text('{"title": "mine"}\n')
    refusals = {
        "not kgen's": kgen("schema", "-o", "mine.json", cwd=tmp_path),
        "a folder": kgen("schema", "-o", "editor", cwd=tmp_path),
        "a folder to be": kgen("schema", "-o", "new/", cwd=tmp_path),
        "empty": kgen("schema", "-o", "", cwd=tmp_path),
        "unknown kind": kgen("schema", "Microservise", cwd=tmp_path),
    }
    assert {k: (r.exit_code, r.stderr) for k, r in refusals.items()} == snapshot
    assert (tmp_path / "mine.json").read_text() == '{"title": "mine"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["editor", "mine.json", "ms.json"]


# --- kgen init -----------------------------------------------------------------------------


def _modeline_target(path: Path) -> Path:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    return (path.parent / first.split("=", 1)[1]).resolve()


@pytest.mark.parametrize("kind", KINDS)
def test_init_writes_a_starter_that_validates_and_renders(
    kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion, kind: str
) -> None:
    result = kgen("init", kind.lower(), "app", cwd=tmp_path)
    assert (result.exit_code, result.stderr) == (
        0,
        "kgen: wrote app.yaml (wrote kgen.schema.json)\n",
    )
    starter = tmp_path / "app.yaml"
    assert starter.read_text(encoding="utf-8") == snapshot
    assert _modeline_target(starter) == (tmp_path / "kgen.schema.json").resolve()
    assert json.loads((tmp_path / "kgen.schema.json").read_text()) == exported()
    assert kgen("validate", "app.yaml", cwd=tmp_path).exit_code == 0
    rendered = kgen("render", "app.yaml", *(["--eksctl"] if kind == "Cluster" else []))
    assert rendered.exit_code == 0, rendered.stderr
    for document in _documents(starter.read_text(encoding="utf-8")):
        assert _errors(document) == []


def test_starters_in_a_project_share_one_schema_and_validate_together(
    kgen: RunKgen, tmp_path: Path
) -> None:
    for kind, name in [("Cluster", "prod"), ("Microservice", "api"), ("StatefulApp", "db")]:
        extra = [] if kind == "Cluster" else ["-n", "apps"]
        assert kgen("init", kind, name, *extra, "-o", "blueprints/", cwd=tmp_path).exit_code == 0
    nested = kgen("init", "Monolith", "billing", "-n", "apps", "-o", "blueprints/x/b.yaml")
    assert nested.stderr == "kgen: wrote blueprints/x/b.yaml (up to date: kgen.schema.json)\n"
    files = sorted((tmp_path / "blueprints").rglob("*.yaml"))
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "blueprints/api.yaml",
        "blueprints/db.yaml",
        "blueprints/prod.yaml",
        "blueprints/x/b.yaml",
    ]
    assert {_modeline_target(p) for p in files} == {(tmp_path / "kgen.schema.json").resolve()}
    assert files[3].read_text().startswith("# yaml-language-server: $schema=../../kgen.schema")
    result = kgen("validate", "blueprints", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    schema = tmp_path / "kgen.schema.json"
    schema.write_text(schema.read_text().replace("Blueprint kind.", "Old kind."))
    assert kgen("init", "Microservice", "web", "-n", "apps").stderr.endswith(
        "(wrote kgen.schema.json)\n"
    ), "a schema kgen wrote is refreshed"
    assert json.loads(schema.read_text()) == exported()


def test_init_refuses(kgen: RunKgen, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    (tmp_path / "api.yaml").write_text("# mine\n")
    (tmp_path / "theirs.json").write_text("{}\n")
    cases = {
        "existing file": ("init", "Microservice", "api"),
        "unknown kind": ("init", "Microservise", "api2"),
        "bad name": ("init", "Microservice", "Payment_API"),
        "default namespace": ("init", "Microservice", "default"),
        "bad namespace": ("init", "Microservice", "web", "--namespace", "Shop"),
        "cluster namespace": ("init", "Cluster", "prod", "--namespace", "shop"),
        "schema not kgen's": ("init", "Microservice", "web", "--schema", "theirs.json"),
        "schema a folder": ("init", "Microservice", "web", "--schema", "."),
        "empty output": ("init", "Microservice", "web", "-o", ""),
        "name its Service refuses": ("init", "Microservice", "1api"),
        "name too long for a StatefulSet": ("init", "StatefulApp", "a" * 55),
        "name too long for a CronJob": ("init", "Monolith", "a" * 50),
        "a file as folder": ("init", "Microservice", "web", "-o", "api.yaml/web.yaml"),
        "not a yaml file": ("init", "Microservice", "web", "-o", "web.txt"),
        "schema path breaks the modeline": ("init", "Microservice", "web", "--schema", "s\nx.json"),
        "schema path with a fragment": ("init", "Microservice", "web", "--schema", "a#1.json"),
    }
    results = {name: kgen(*args, cwd=tmp_path) for name, args in cases.items()}
    assert {name: (r.exit_code, r.stderr) for name, r in results.items()} == snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == ["api.yaml", "theirs.json"]
    assert (tmp_path / "api.yaml").read_text() == "# mine\n"


def test_kind_completes_in_the_shell(tmp_path: Path) -> None:
    def complete(words: str) -> list[str]:
        word = len(words.split()) - (0 if words.endswith(" ") else 1)
        env = {**os.environ, "_KGEN_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(word)}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", "from kgen.cli import main; main()"],
            env=env, capture_output=True, text=True, check=False, cwd=tmp_path,
        )  # fmt: skip
        return done.stdout.split()

    assert complete("kgen init M") == ["Microservice", "Monolith"]
    assert complete("kgen init m") == ["microservice", "monolith"]  # kgen takes any case
    assert complete("kgen schema Sta") == ["StatefulApp"]
    assert complete("kgen init ") == KINDS


def test_readme_says_what_kgen_does_for_editors(kgen: RunKgen, repo: Path, tmp_path: Path) -> None:
    readme = (repo / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Editors\n", 1)[1].split("\n## ", 1)[0]
    assert "| `kgen init KIND NAME" in readme and "| `kgen schema [KIND]" in readme
    shown = section.split("```sh\n", 1)[1].split("```", 1)[0]
    for line in shown.splitlines():
        if line.startswith("kgen "):
            args = line.split("#", 1)[0].split()[1:]
            result = kgen(*args, cwd=tmp_path)
            assert result.exit_code == 0, (line, result.stderr)
    modeline = section.split("```yaml\n", 1)[1].splitlines()[0]
    assert modeline == (tmp_path / "api.yaml").read_text().splitlines()[0]
    caught = " ".join(section.split("catches ", 1)[1].split(" (a test", 1)[0].split())
    verdicts = [_editor_verdict(p) for p in sorted(BAD.glob("*.yaml"))]
    assert caught == f"{sum(v != 'missed' for v in verdicts)} of the {len(verdicts)}"
    settings_block = section.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(settings_block) == {
        "yaml.schemas": {"./kgen.schema.json": ["blueprints/**/*.yaml"]}
    }
    assert "`kgen/patterns.py` lists where" in section and LOOSER


def test_the_export_checks_shared_defaults_files() -> None:
    """kgen.defaults.yaml (kind: Defaults) is typed too: its spec fields as the workloads'
    fields, partial (a blueprint below completes them), so a slip inside is flagged."""
    validator = Draft7Validator(exported())
    example = yaml.safe_load((REPO / "blueprints/shop/kgen.defaults.yaml").read_text())
    assert list(validator.iter_errors(example)) == []
    good = {
        **example,
        "spec": {"resources": {"memory": "256Mi"}, "autoscaling": {"cpu": 70}},
        "environments": {"prod": {"spec": {"replicas": 3}, "image": {"tag": "1.4.1"}}},
    }
    assert list(validator.iter_errors(good)) == []
    for slip in (
        {"spec": {"replcas": 2}},
        {"spec": {"replicas": -1}},
        {"spec": {"resources": {"cpu": "2 cores"}}},
        {"image": {"tag": "latest"}},
        {"environments": {"prod": {"spec": {"autoscaling": {"cpuu": 70}}}}},
    ):
        assert list(validator.iter_errors({**example, **slip})), slip


def test_a_link_never_receives_the_schema(kgen: RunKgen, tmp_path: Path) -> None:
    """A link planted where kgen writes (the schema file, or a temporary name beside it,
    committed to a repository) never has the schema written through it."""
    precious = tmp_path / "precious.txt"
    precious.write_text("mine\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / ".kgen.schema.json.kgen-tmp").symlink_to(precious)
    assert kgen("schema", "-o", "kgen.schema.json", cwd=work).exit_code == 0
    assert precious.read_text() == "mine\n"
    assert not (work / "kgen.schema.json").is_symlink()
    (work / "link.json").symlink_to(work / "kgen.schema.json")
    result = kgen("schema", "-o", "link.json", cwd=work)
    assert result.exit_code == 2
    assert "is a link" in result.stderr
