"""Every fast path gives what the plain path gives: the compiled validator of the output
(``kgen.check.fast_validator``) only ever answers "valid" for a document the plain
validator finds no problem in, and a render with it writes the same bytes and prints the
same errors as one without it, on the shipped blueprints and the whole bad-input corpus."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgen import check
from kgen.check import DEFAULT_KUBE_VERSION, document_validator, fast_validator
from tests.conftest import REPO, RunKgen
from tests.test_bad_inputs import CORPUS, ENDS_THE_RUN, EXTRA_ARGS

BAD = REPO / "tests" / "bad"


def _rendered() -> list[dict[str, Any]]:
    documents = []
    for path in sorted((REPO / "out").rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(document, dict) and "apiVersion" in document and "spec" in document:
                documents.append(document)
    return documents


DOCUMENTS = _rendered()


def _agree(document: dict[str, Any]) -> None:
    version, kind = str(document.get("apiVersion")), str(document.get("kind"))
    slow = document_validator(DEFAULT_KUBE_VERSION, version, kind)
    fast = fast_validator(DEFAULT_KUBE_VERSION, version, kind)
    assert slow is not None, (version, kind)
    errors = [e.message for e in slow.iter_errors(document)]
    if fast is not None and fast(document):
        assert not errors, f"the fast path passed what the plain one refuses: {errors}"


#: Schemas the compiled validator cannot compile (a pattern in Go's syntax, ``(?i)``, that
#: is no ECMA-262 regular expression): their documents take the plain path.
PLAIN_ONLY = {"PrometheusRule", "ClusterConfig"}


def test_the_shipped_output_is_valid_on_both_paths() -> None:
    assert len(DOCUMENTS) > 50
    for document in DOCUMENTS:
        version, kind = document["apiVersion"], document["kind"]
        fast = fast_validator(DEFAULT_KUBE_VERSION, version, kind)
        if kind in PLAIN_ONLY:
            assert fast is None
        else:
            assert fast is not None and fast(document), (kind, document["metadata"])
        _agree(document)


#: Values that break a document in the ways the two validators could see differently:
#: integers around the int32 and int64 bounds, whole floats, numbers beyond 64 bits,
#: strings of digits, control characters and non-ASCII digits, and wrong shapes.
ODD: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        [
            2**31 - 1,
            2**31,
            -(2**31),
            -(2**31) - 1,
            2**63 - 1,
            2**63,
            -(2**63) - 1,
            10**40,
            2.0,
            0.5,
            -1,
            0,
            True,
            False,
            None,
            "",
            "80",
            "٣",
            "a\nb",
            "\x00",
            [],
            {},
            [{}],
            {"a": 1},
            "http",
            "ClusterIP",
            "TCP",
        ]
    ),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for key, value in node.items() for p in _leaves(value, (*path, key))] or [path]
    if isinstance(node, list):
        return [p for i, value in enumerate(node) for p in _leaves(value, (*path, i))] or [path]
    return [path]


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_fast_path_never_passes_what_the_plain_one_refuses(data: st.DataObject) -> None:
    document = copy.deepcopy(data.draw(st.sampled_from(DOCUMENTS)))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _leaves(document) if p and p[0] not in ("apiVersion", "kind")]
        path = data.draw(st.sampled_from(paths))
        if data.draw(st.booleans()):
            _set(document, path, copy.deepcopy(data.draw(ODD)))
        else:  # an unknown field beside it
            parent: Any = document
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                parent[data.draw(st.sampled_from(["x", "replica", "Ports"]))] = 1
    _agree(document)


def _render(kgen: RunKgen, tmp_path: Path, name: str) -> tuple[int, str, list[str]]:
    out = tmp_path / "out"
    done = kgen("render", str(BAD / name), "-o", str(out), *EXTRA_ARGS.get(name, ()))
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.exists() else []
    return done.exit_code, done.stderr, written


@pytest.mark.parametrize("name", [n for n in CORPUS if n not in ENDS_THE_RUN])
def test_the_bad_input_corpus_says_the_same_on_both_paths(
    kgen: RunKgen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    fast = _render(kgen, tmp_path / "fast", name)
    fast_validator.cache_clear()
    monkeypatch.setattr(check, "FAST", False)
    try:
        assert _render(kgen, tmp_path / "plain", name) == fast
    finally:
        fast_validator.cache_clear()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_shipped_blueprints_render_the_same_bytes_on_both_paths(
    kgen: RunKgen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "blueprints", tmp_path / "blueprints")
    assert kgen("render", "blueprints", "-o", "fast", cwd=tmp_path).exit_code == 0
    fast_validator.cache_clear()
    monkeypatch.setattr(check, "FAST", False)
    try:
        assert kgen("render", "blueprints", "-o", "plain", cwd=tmp_path).exit_code == 0
    finally:
        fast_validator.cache_clear()
    assert _files(tmp_path / "fast") == _files(tmp_path / "plain") == _files(REPO / "out")


@pytest.mark.parametrize(
    ("path", "value", "valid"),
    [
        (("spec", "replicas"), 2**31 - 1, True),
        (("spec", "replicas"), 2**31, False),  # int32
        (("spec", "replicas"), -(2**31) - 1, False),
        (("spec", "replicas"), 2.0, True),  # a whole float is an integer to both
        (("spec", "replicas"), 10**40, False),  # beyond what the compiled one takes
        (("spec", "template", "spec", "terminationGracePeriodSeconds"), 2**63 - 1, True),
        (("spec", "template", "spec", "terminationGracePeriodSeconds"), 2**63, False),  # int64
        (("spec", "revisionHistoryLimit"), "5", False),
        (("spec", "paused"), "true", False),
    ],
)
def test_the_integer_formats_bound_both_paths_alike(
    path: tuple[str, ...], value: object, valid: bool
) -> None:
    document = copy.deepcopy(next(d for d in DOCUMENTS if d["kind"] == "Deployment"))
    _set(document, path, value)
    fast = fast_validator(DEFAULT_KUBE_VERSION, "apps/v1", "Deployment")
    slow = document_validator(DEFAULT_KUBE_VERSION, "apps/v1", "Deployment")
    assert fast is not None and slow is not None
    assert fast(document) is valid
    assert (not list(slow.iter_errors(document))) is valid


def _blueprints() -> list[Any]:
    from kgen.load import load_paths

    found, problems = load_paths([REPO / "blueprints"])
    assert not problems
    return found


BLUEPRINTS = _blueprints()


def _blueprint_agree(kind: str, data: dict[str, Any]) -> None:
    from kgen.schema import fast_validator as fast_blueprint
    from kgen.schema import validator

    fast = fast_blueprint(kind)
    assert fast is not None, kind
    errors = [e.message for e in validator(kind).iter_errors(data)]
    if fast(data):
        assert not errors, f"the fast path passed a blueprint the plain one refuses: {errors}"


def test_the_shipped_blueprints_are_valid_on_both_blueprint_paths() -> None:
    from kgen.schema import fast_validator as fast_blueprint

    assert len(BLUEPRINTS) > 10
    for blueprint in BLUEPRINTS:
        fast = fast_blueprint(blueprint.kind)
        assert fast is not None and fast(blueprint.data), blueprint.ref
        _blueprint_agree(blueprint.kind, blueprint.data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_blueprint_fast_path_never_passes_what_the_plain_one_refuses(
    data: st.DataObject,
) -> None:
    blueprint = data.draw(st.sampled_from(BLUEPRINTS))
    document = copy.deepcopy(dict(blueprint.data))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _leaves(document) if p and p[0] not in ("apiVersion", "kind")]
        _set(document, data.draw(st.sampled_from(paths)), copy.deepcopy(data.draw(ODD)))
    _blueprint_agree(blueprint.kind, document)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("spec", "replicas"), 2.0),  # a whole float is no integer to kgen
        (("spec", "replicas"), 3),
        (("spec", "resources", "cpu"), -1),  # kgen's number formats
        (("spec", "resources", "cpu"), 0.0001),
        (("spec", "resources", "cpu"), 2),
        (("spec", "resources", "memory"), 0),
        (("spec", "resources", "memory"), "128MB"),
        (("spec", "image"), "Not An Image"),
        (("spec", "image"), "ghcr.io/acme/api:1.2.3"),
        (("metadata", "name"), "Bad_Name"),
    ],
)
def test_kgen_formats_and_integers_decide_alike_on_both_blueprint_paths(
    path: tuple[str, ...], value: object
) -> None:
    from kgen.schema import fast_validator as fast_blueprint
    from kgen.schema import validator

    base = next(b for b in BLUEPRINTS if b.kind == "Microservice")
    document = copy.deepcopy(dict(base.data))
    node: Any = document
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    fast = fast_blueprint("Microservice")
    assert fast is not None
    valid = not list(validator("Microservice").iter_errors(document))
    if fast(document):
        assert valid
    # a number in a CPU or memory field is the plain path's to judge (how it was written
    # may decide); any other valid value passes the fast path too
    numeric = isinstance(value, int | float) and path[-1] in ("cpu", "memory")
    assert fast(document) is (valid and not numeric)


def test_the_compiled_validators_read_back_from_the_cache_what_they_were_built_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the compiled validators are built from (a kind's schema with the Kubernetes
    definitions it reaches; a blueprint kind's schemas as custom keywords) is kept in
    kgen's cache: read back, it is what was built; an entry that is JSON but not one
    of these is made again."""
    from kgen import schema

    monkeypatch.setenv("KGEN_CACHE_DIR", str(tmp_path))
    kinds = sorted({(d["apiVersion"], d["kind"]) for d in DOCUMENTS})
    for api_version, kind in kinds:
        built = check._fast_inputs(DEFAULT_KUBE_VERSION, api_version, kind)
        assert check._fast_inputs(DEFAULT_KUBE_VERSION, api_version, kind) == built
    for name in sorted({b.kind for b in BLUEPRINTS}):
        built = schema._fast_inputs(name)
        assert schema._fast_inputs(name) == {
            **built,
            "resources": [list(r) for r in built["resources"]],
        }
    entries = sorted(tmp_path.rglob("*.json"))
    assert len(entries) == len(kinds) + len({b.kind for b in BLUEPRINTS})
    for entry in entries:
        entry.write_text("{}", encoding="utf-8")
    for cached in (check.fast_validator, schema.fast_validator):
        cached.cache_clear()
    try:
        for document in DOCUMENTS:
            fast = check.fast_validator(
                DEFAULT_KUBE_VERSION, document["apiVersion"], document["kind"]
            )
            if document["kind"] in PLAIN_ONLY:
                assert fast is None
            else:
                assert fast is not None and fast(document)
        for blueprint in BLUEPRINTS:
            fast_blueprint = schema.fast_validator(blueprint.kind)
            assert fast_blueprint is not None and fast_blueprint(blueprint.data)
    finally:
        for cached in (check.fast_validator, schema.fast_validator):
            cached.cache_clear()
    assert all(entry.read_text(encoding="utf-8") != "{}" for entry in entries)


def test_a_kind_reaches_only_its_own_definitions() -> None:
    """The compiled validator of a Service is built from the definitions a Service
    reaches, not all 1.4 MB of them; a Deployment's take in the pod's."""
    service = check._fast_inputs(DEFAULT_KUBE_VERSION, "v1", "Service")["definitions"]
    deployment = check._fast_inputs(DEFAULT_KUBE_VERSION, "apps/v1", "Deployment")["definitions"]
    assert "io.k8s.api.core.v1.ServiceSpec" in service["$defs"]
    assert "io.k8s.api.core.v1.PodSpec" not in service["$defs"]
    assert "io.k8s.api.core.v1.PodSpec" in deployment["$defs"]
    assert (
        len(deployment["$defs"]) < len(check._fast_definitions(DEFAULT_KUBE_VERSION)["$defs"]) / 4
    )


def _yaml_texts() -> list[Path]:
    """The repository's YAML files, but the ones past a budget (alias bombs, a run over
    its node budget): trusted text has none, and either path would expand them whole."""
    roots = ("out", "blueprints", "tests/bad", "tests/eksctl", "tests/import", "benches/chart")
    found = [p for root in roots for p in sorted((REPO / root).rglob("*.yaml"))]
    return [
        p
        for p in found
        if p.stat().st_size < 1_000_000 and "bomb" not in p.name and "budget" not in p.name
    ]


def _both_loads(text: str) -> list[Any]:
    from kgen.yamlio import YamlError, load_documents, load_trusted

    def slow() -> Any:
        return [d.data for d in load_documents(text, "f.yaml", trusted=True)]

    def fast() -> Any:
        return load_trusted(text, "f.yaml")

    answers: list[Any] = []
    for load in (slow, fast):
        try:
            answers.append(load())
        except YamlError as exc:
            answers.append(("error", str(exc.pos), exc.message, exc.hint))
    return answers


def test_rendered_yaml_reads_the_same_on_both_paths() -> None:
    """kgen reads its templates' output with libyaml's nodes (``load_trusted``): every
    YAML file of the repository (output, blueprints, the bad-input corpus with its alias
    bombs and duplicate keys, eksctl's examples) and the odd cases below give the same
    values as the event builder, or its very error."""
    odd = [
        "a: 1\na: 2\n", "<<: {x: 1}\nx: 2\n", "<<: [{x: 1}, {y: 2}]\n<<: {z: 3}\n", "= : =\n",
        "80: x\n1.5: y\ntrue: z\n~: n\n", "? [a]\n: 1\n", "a: !!binary aGVsbG8=\n",
        "a: !!set {x}\n", "a: !!omap [x: 1]\n", "a: !local 1\n", "a: &x [1]\nb: *x\n",
        "a: &x [*x]\n", "a: 2019-01-01\nb: 1:30\nc: 0o17\nd: .inf\ne: yes\n", "---\n---\na: 1\n",
        "a: [\n", "- a\n- {b: c}\n", "", "--- >\n  folded\n", "a: '\\x00'\nb: \"\\0\"\n",
        "a: !!seq {x: 1}\n", "a: !!map [1]\n", "a: !!str [1]\n", "a: !!timestamp {}\n",
        f"a: {'9' * 70}\n", "a: !!int x\n", "a: !!float 1e99999\n", "[" * 2000 + "]" * 2000,
    ]  # fmt: skip
    for text in odd:
        slow, fast = _both_loads(text)
        assert fast == slow, text
    texts = _yaml_texts()
    assert len(texts) > 200
    for path in texts:
        slow, fast = _both_loads(path.read_bytes().decode("utf-8", errors="replace"))
        assert fast == slow, path


def test_documents_dump_the_same_on_both_paths() -> None:
    """kgen writes its documents' nodes itself (``yamlio._node``) and remembers the tags
    it resolved: byte for byte what ``yaml.dump`` with PyYAML's own representers and
    resolver writes, for every document of the shipped output and the odd values below."""
    from kgen.yamlio import NonFinite, WrittenFloat, WrittenInt, _CanonicalDumper, dump_document

    class Reference(_CanonicalDumper):
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]

    def reference(document: Any) -> str:
        return yaml.dump(
            document, Dumper=Reference, sort_keys=False, default_flow_style=False,
            allow_unicode=True, width=100_000, explicit_start=False,
        )  # fmt: skip

    odd: list[Any] = [
        {}, [], {"a": {}, "b": [], "c": [{}], "d": [[]]}, None, True, 0, -7, 2**70,
        1.5, -0.0, 1e300, float("inf"), float("nan"), WrittenInt(8), WrittenFloat(2.50),
        NonFinite(".inf"), "", "y", "N", "1e3", "0o17", "yes", "~", "null", "- a", "a: b",
        "#x", "line\nline", "trailing \nspace", "tab\there", "ünïcödé ✓", "'q'", '"q"',
        "x" * 200, "\x85", "@at", "`tick", "%pct", "{}", "[]", "*star", "&amp", "!bang",
        {"key with space": 1, "1": "one", "true": False, "": "empty key"},
        [1, "2", 3.0, None, [True, {"n": None}]], {"t": (1, 2), "s": {"x"}},
    ]  # fmt: skip
    for value in odd:
        assert dump_document(value) == reference(value), value
    for path in sorted([*(REPO / "out").rglob("*.yaml"), *(REPO / "envs").rglob("*.yaml")]):
        for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            assert dump_document(document) == reference(document), path
    for dump in (reference, dump_document):
        with pytest.raises(yaml.representer.RepresenterError):
            dump({"a": object()})  # a value no representer takes: refused alike
