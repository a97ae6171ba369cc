"""Stage 1: reading files, folders and YAML into blueprints with source positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgen.errors import UsageError
from kgen.load import MAX_FILE_BYTES, find_files, load_paths, load_text
from kgen.model import Blueprint, Problem, SourcePos

GOOD = """\
apiVersion: kgen.dev/v1alpha1
kind: Microservice
metadata:
  name: api
  namespace: shop
spec:
  image: nginx:1.27.3
  ports:
    - {name: http, port: 8080}
"""


def _only_problem(text: str) -> Problem:
    items = list(load_text(text, "f.yaml"))
    assert len(items) == 1
    assert isinstance(items[0], Problem)
    return items[0]


def test_source_map_points_at_values_and_keys() -> None:
    [blueprint] = load_text(GOOD, "f.yaml")
    assert isinstance(blueprint, Blueprint)
    assert blueprint.ref == "Microservice shop/api"
    assert blueprint.source.value_pos(("spec", "image")) == SourcePos("f.yaml", 7, 10)
    assert blueprint.source.key_pos(("spec", "image")) == SourcePos("f.yaml", 7, 3)
    assert blueprint.source.value_pos(("spec", "ports", 0, "port")) == SourcePos("f.yaml", 9, 26)
    # A path that was never written falls back to its nearest written ancestor.
    assert blueprint.source.value_pos(("spec", "replicas")) == SourcePos("f.yaml", 7, 3)


def test_several_documents_in_one_file() -> None:
    text = GOOD + "---\n" + GOOD.replace("name: api", "name: web") + "---\n"
    names = [b.name for b in load_text(text, "f.yaml") if isinstance(b, Blueprint)]
    assert names == ["api", "web"]


def test_duplicate_keys_are_refused_at_the_second_key() -> None:
    problem = _only_problem(GOOD.replace("  name: api\n", "  name: api\n  name: web\n"))
    assert problem.pos == SourcePos("f.yaml", 5, 3)
    assert "duplicate key 'name' (first defined at line 4)" in problem.message


def test_syntax_errors_have_a_position() -> None:
    problem = _only_problem("apiVersion: kgen.dev/v1alpha1\nspec: [1, 2\n")
    assert problem.pos.line >= 2
    assert problem.message.startswith("YAML syntax:")


def test_alias_bombs_are_bounded() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    problem = _only_problem("\n".join(lines) + "\n")
    assert "more than" in problem.message


def test_documents_must_be_mappings() -> None:
    problem = _only_problem("- a\n- b\n")
    assert problem.message == "a blueprint is a mapping, found a list"


def test_unknown_kind_suggests_the_nearest() -> None:
    problem = _only_problem(GOOD.replace("kind: Microservice", "kind: MicroService"))
    assert problem.field == "kind"
    assert problem.hint == "did you mean 'Microservice'?"
    assert problem.pos == SourcePos("f.yaml", 2, 7)


def test_unknown_api_version() -> None:
    problem = _only_problem(GOOD.replace("kgen.dev/v1alpha1", "apps/v1"))
    assert "unknown apiVersion 'apps/v1'" in problem.message


def test_non_string_tags_are_refused() -> None:
    problem = _only_problem(GOOD + "  env: {A: !!binary aGVsbG8=}\n")
    assert "binary" in problem.message or "tag" in problem.message


def test_merge_keys_work() -> None:
    text = GOOD + "  env: &base {A: '1'}\n  resources:\n    <<: {cpu: 200m}\n    memory: 1Gi\n"
    [blueprint] = load_text(text, "f.yaml")
    assert isinstance(blueprint, Blueprint)
    assert blueprint.data["spec"]["resources"] == {"cpu": "200m", "memory": "1Gi"}


def test_folders_are_read_recursively_in_a_stable_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.yml").write_text(GOOD.replace("name: api", "name: z"))
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "notes.txt").write_text("not yaml")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yaml").write_text("on: push\n")
    (tmp_path / ".hidden.yaml").write_text("x: 1\n")
    files, problems = find_files([tmp_path])
    assert problems == []
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.yaml", "b/z.yml"]
    blueprints, problems = load_paths([tmp_path, tmp_path / "a.yaml"])
    assert problems == []
    assert [b.name for b in blueprints] == ["api", "z"]  # a file named twice is read once


def test_missing_paths_and_empty_folders_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        find_files([tmp_path / "nope.yaml"])
    with pytest.raises(UsageError, match=r"no \*.yaml"):
        find_files([tmp_path])


def test_broken_links_are_problems_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    _, problems = find_files([tmp_path])
    assert [(p.pos.file.endswith("gone.yaml"), p.message) for p in problems] == [
        (True, "a link to nothing: cannot read it")
    ]


def test_non_utf8_files_are_problems(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_bytes(b"kind: \xff\xfe\n")
    _, problems = load_paths([tmp_path / "bad.yaml"])
    assert len(problems) == 1
    assert "not UTF-8" in problems[0].message


def test_file_names_cannot_carry_line_breaks_into_the_output(tmp_path: Path) -> None:
    folder = tmp_path / "a\n---\nkind: ClusterRoleBinding"
    folder.mkdir()
    (folder / "api.yaml").write_text(GOOD)
    (tmp_path / "b\u2028x.yaml").write_text(GOOD.replace("name: api", "name: b"))
    files, problems = find_files([tmp_path])
    assert files == []
    assert len(problems) == 2
    assert all("control, line-break" in p.message for p in problems)
    assert all("\n" not in p.pos.file and "\u2028" not in p.pos.file for p in problems)


def test_links_out_of_the_folder_are_refused_and_name_the_link(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token: abc\n")
    folder = tmp_path / "bp"
    folder.mkdir()
    (folder / "api.yaml").write_text(GOOD)
    (folder / "creds.yaml").symlink_to(secret)
    (folder / "more").symlink_to(tmp_path)
    files, problems = find_files([folder])
    assert [f.name for f in files] == ["api.yaml"]
    assert sorted((Path(p.pos.file).name, p.message.split(":")[0]) for p in problems) == [
        ("creds.yaml", "a link that leads out of " + str(folder)),
        ("more", "a link to a folder"),
    ]


# --- limits: what one file, one document and one run may expand to ----------------------


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used, and never read whole
    blueprints, problems = load_paths([big])
    assert blueprints == []
    [problem] = problems
    assert problem.message == f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB"


def test_the_run_budget_spans_files(tmp_path: Path) -> None:
    """Many files each well under the per-document budget still share one run budget."""
    document = GOOD.replace(
        "spec:",
        "  annotations:\n    a: &a [" + ", ".join(["x"] * 90) + "]\n"
        "    b: &b [" + ", ".join(["*a"] * 90) + "]\nspec:",
    )
    for index in range(70):  # 70 files of about 8,300 nodes each: 580,000 in all
        (tmp_path / f"f{index:02d}.yaml").write_text(
            document.replace("name: api", f"name: a{index}")
        )
    blueprints, problems = load_paths([tmp_path])
    assert blueprints == [], "a run over its budget checks nothing further"
    assert [p.message for p in problems] == ["the input expands to more than 500,000 YAML nodes"]
    assert problems[0].pos.file.endswith(".yaml")


def test_a_character_yaml_refuses_is_reported_where_it_is() -> None:
    problem = _only_problem("apiVersion: kgen.dev/v1alpha1\n# é ü\nkind: Micro\x01service\n")
    assert problem.pos == SourcePos("f.yaml", 3, 12)
    assert "U+0001" in problem.message


def test_a_value_under_an_alias_points_at_the_alias() -> None:
    text = GOOD + "  env: &e {A: x}\n  args: [*e]\n"
    [blueprint] = load_text(text, "f.yaml")
    assert isinstance(blueprint, Blueprint)
    assert blueprint.source.value_pos(("spec", "env", "A")) == SourcePos("f.yaml", 10, 15)
    assert blueprint.source.value_pos(("spec", "args", 0)) == SourcePos("f.yaml", 11, 10)
    assert blueprint.source.value_pos(("spec", "args", 0, "A")) == SourcePos("f.yaml", 11, 10)


def test_yaml_1_1_booleans_under_an_alias_are_still_seen() -> None:
    text = GOOD + "environments:\n  a: &e {env: {FLAG: yes}}\n  b: *e\n"
    [blueprint] = load_text(text, "f.yaml")
    assert isinstance(blueprint, Blueprint)
    assert blueprint.source.yaml11_boolean(("environments", "b", "env", "FLAG")) == "yes"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int abc", "'abc' is not a valid !!int"),
        ("!!float ''", "'' is not a valid !!float"),
        ("!!bool maybe", "'maybe' is not a valid !!bool"),
        ("!!set ~", "cannot read value with tag !!set"),
        ("1" + "0" * 5000, "a number written with more than 64 characters"),
        ("[" * 60 + "]" * 60, "values nest more than 50 levels deep"),
        ('"a\\x85b"', "the text holds the control character U+0085"),
        ('"a\\u2028b"', "the text holds U+2028, a line break to some YAML readers"),
    ],
    ids=["int", "float", "bool", "set", "long-number", "deep", "nel", "line-separator"],
)
def test_odd_values_are_problems_at_their_position(value: str, message: str) -> None:
    problem = _only_problem(GOOD + f"  replicas: {value}\n")
    assert problem.message.startswith(message)
    assert problem.pos.line == 10


def test_a_run_holds_a_bounded_number_of_documents(tmp_path: Path) -> None:
    """Empty documents cost nothing to write and would each be a problem: they count."""
    (tmp_path / "f.yaml").write_text("--- {}\n" * 30_000)
    blueprints, problems = load_paths([tmp_path / "f.yaml"])
    assert blueprints == []
    assert [p.message for p in problems][-1] == "the input holds more than 20,000 documents"
    assert len(problems) <= 20_001
