"""The one place where YAML is read and written.

Loading composes nodes (so every value keeps its line and column), refuses duplicate keys,
bounds alias expansion, and builds plain Python values. Dumping is canonical: block style,
insertion key order, literal blocks for multi-line text, no aliases.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from kgen.model import JsonPath, SourceMap, SourcePos

#: What one run reads at most, counted after alias expansion, so that neither an alias bomb
#: ("billion laughs", or one long string repeated) nor many documents just under a
#: per-document cap can make kgen's time or memory grow faster than its input.
MAX_NODES = 500_000
MAX_TEXT = 32 * 1024 * 1024  # characters of keys and values
#: What one document (one blueprint) expands to at most: a blueprint has a few hundred
#: nodes, and every document it renders must fit in one Kubernetes object.
MAX_DOCUMENT_NODES = 10_000
MAX_DOCUMENT_TEXT = 4 * 1024 * 1024
#: Blueprints nest about ten levels deep; far deeper input is refused before any recursion.
MAX_DEPTH = 50
#: Digits in a number: more than any field takes, far below Python's conversion limit.
MAX_DIGITS = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "binary")
)
_SCALARS = yaml.constructor.SafeConstructor()
#: Characters a value may not hold: NUL (no process can receive it), DEL and the C1 controls
#: (kustomize refuses them, or turns U+0085 into a space, so the folder would differ from
#: the stream), lone surrogates and the non-characters U+FFFE and U+FFFF.
_UNCARRIED = re.compile("[\x00\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class WrittenInt(int):
    """An integer that remembers how it was written (``0755``, ``1_000``, ``1:30``)."""

    written: str


class WrittenFloat(float):
    """A float that remembers how it was written (``1.10``, ``1e3``)."""

    written: str


def written_text(value: object) -> str | None:
    """How a number was written in the blueprint, when kgen read it from YAML."""
    return getattr(value, "written", None) if isinstance(value, int | float) else None


class Budget:
    """How many nodes and characters a run may still read, and the document being read."""

    def __init__(self, *, nodes: int = MAX_NODES, text: int = MAX_TEXT) -> None:
        self.nodes = nodes
        self.text = text
        self.document_nodes = MAX_DOCUMENT_NODES
        self.document_text = MAX_DOCUMENT_TEXT

    @property
    def exhausted(self) -> bool:
        """Whether the run read more than it may."""
        return self.nodes < 0 or self.text < 0

    def next_document(self) -> None:
        self.document_nodes = MAX_DOCUMENT_NODES
        self.document_text = MAX_DOCUMENT_TEXT

    def spend(self, node: yaml.Node, file: str) -> None:
        """Count one node; ``YamlError`` at it once the run or its document is over budget."""
        text = len(node.value) if isinstance(node, yaml.ScalarNode) else 0
        self.nodes -= 1
        self.text -= text
        self.document_nodes -= 1
        self.document_text -= text
        if min(self.nodes, self.text, self.document_nodes, self.document_text) >= 0:
            return
        if self.document_nodes < 0:
            what = f"one document (blueprint) expands to more than {MAX_DOCUMENT_NODES:,} nodes"
        elif self.document_text < 0:
            what = (
                f"one document (blueprint) expands to more than {MAX_DOCUMENT_TEXT // 2**20} "
                "MiB of text"
            )
        elif self.nodes < 0:
            what = f"the input expands to more than {MAX_NODES:,} YAML nodes"
        else:
            what = f"the input expands to more than {MAX_TEXT // 2**20} MiB of text"
        raise YamlError(
            pos=_pos(file, node.start_mark),
            message=what,
            hint="an alias (*name) counts each time it is used; split large inputs into "
            "several runs",
        )


class YamlError(Exception):
    """A YAML file cannot be turned into plain data; ``pos`` says where."""

    def __init__(self, *, pos: SourcePos, message: str, hint: str | None = None) -> None:
        self.pos = pos
        self.message = message
        self.hint = hint
        super().__init__(f"{pos}: {message}")


@dataclass(frozen=True)
class LoadedDocument:
    data: Any
    source: SourceMap


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!", 1)


def _pos(file: str, mark: yaml.Mark | None) -> SourcePos:
    if mark is None:
        return SourcePos(file, 1, 1)
    return SourcePos(file, mark.line + 1, mark.column + 1)


_STR_TAG = "tag:yaml.org,2002:str"


class _Builder:
    """Turns one composed node tree into Python values and a source map.

    An alias is the anchored node met again: its value is built again at the new path (and
    counted again against the budget), but only its top is recorded in the source map, at
    the anchor; problems inside it point there. So the source map grows with the text, not
    with what aliases expand to.
    """

    def __init__(self, file: str, *, budget: Budget | None) -> None:
        self.file = file
        self.budget = budget  # None: kgen's own rendered output, trusted and unbounded
        self.values: dict[JsonPath, tuple[int, int]] = {}
        self.yaml11_booleans: dict[JsonPath, str] = {}
        self.keys: dict[JsonPath, tuple[int, int]] = {}
        self.built: set[int] = set()  # collections built once already
        self.active: set[int] = set()  # collections being built: a loop is a recursive alias

    def build(self, node: yaml.Node, path: JsonPath, record: bool = True) -> Any:
        budget = self.budget
        if budget is not None:
            budget.spend(node, self.file)
            if len(path) > MAX_DEPTH:
                raise YamlError(
                    pos=_pos(self.file, node.start_mark),
                    message=f"values nest more than {MAX_DEPTH} levels deep",
                    hint="a blueprint needs about ten levels; check the brackets and indentation",
                )
        if record:
            mark = node.start_mark
            self.values.setdefault(path, (mark.line + 1, mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node)
            if (value is True or value is False) and node.value not in ("true", "false"):
                self.yaml11_booleans[path] = str(node.value)
            return value
        if node.tag not in _PLAIN_TAGS:
            raise YamlError(
                pos=_pos(self.file, node.start_mark),
                message=f"cannot read value with tag {_short_tag(node.tag)}",
                hint=_PLAIN_TEXT_FIX,
            )
        identity = id(node)
        if identity in self.active:
            raise YamlError(pos=_pos(self.file, node.start_mark), message="recursive alias")
        if identity in self.built:
            record = False
        elif record:
            self.built.add(identity)
        self.active.add(identity)
        if isinstance(node, yaml.MappingNode):
            result: Any = self._mapping(node, path, record)
        else:
            result = [self.build(item, (*path, i), record) for i, item in enumerate(node.value)]
        self.active.discard(identity)
        return result

    def _scalar(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR_TAG:
            value = node.value
        elif tag == "tag:yaml.org,2002:timestamp":
            return str(node.value)  # keep dates as written; blueprints have no date fields
        else:
            if tag in _NUMBER_TAGS and len(node.value) > MAX_DIGITS:
                raise YamlError(
                    pos=_pos(self.file, node.start_mark),
                    message=f"a number written with more than {MAX_DIGITS} characters",
                    hint="no field takes such a number; quote it if it is text",
                )
            value = _construct(node, _pos(self.file, node.start_mark))
        if self.budget is None:
            return value
        if isinstance(value, str):
            bad = _UNCARRIED.search(value)
            if bad is not None:
                raise YamlError(
                    pos=_pos(self.file, node.start_mark),
                    message=_uncarried_message(bad.group()),
                    hint=_UNCARRIED_FIX,
                )
            return value
        if isinstance(value, float) and not math.isfinite(value):
            return str(node.value)
        if isinstance(value, int) and not isinstance(value, bool):
            number = WrittenInt(value)
            number.written = str(node.value)
            return number
        if isinstance(value, float):
            decimal = WrittenFloat(value)
            decimal.written = str(node.value)
            return decimal
        if isinstance(value, bytes | bytearray):
            raise YamlError(
                pos=_pos(self.file, node.start_mark), message="binary values are not supported"
            )
        return value

    def _mapping(self, node: yaml.MappingNode, path: JsonPath, record: bool) -> Any:
        """Keys as written win over merged ones (``<<``), wherever the merge key stands."""
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merges = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(
                    pos=_pos(self.file, key_node.start_mark),
                    message="mapping keys must be plain strings",
                )
            if self.budget is not None:
                self.budget.spend(key_node, self.file)
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key_node.value)
            mark = key_node.start_mark
            if key in seen:
                raise YamlError(
                    pos=_pos(self.file, mark),
                    message=f"duplicate key {key!r} (first defined at line {seen[key]})",
                    hint="YAML keeps only one of them; remove or rename one",
                )
            seen[key] = mark.line + 1
            if record:
                self.keys.setdefault((*path, key), (mark.line + 1, mark.column + 1))
            result[key] = self.build(value_node, (*path, key), record)
        for merge in merges:
            for source in self._merge_sources(merge, path, record):
                for key, value in source.items():
                    result.setdefault(key, value)
        return result

    def _merge_sources(self, node: yaml.Node, path: JsonPath, record: bool) -> list[dict[str, Any]]:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        sources = []
        for item in nodes:
            value = self.build(item, path, record)
            if not isinstance(value, dict):
                raise YamlError(
                    pos=_pos(self.file, item.start_mark), message="'<<' merges mappings only"
                )
            sources.append(value)
        return sources


_PLAIN_TEXT_FIX = "kgen reads plain YAML only: strings, numbers, booleans, null, lists, maps"
_UNCARRIED_FIX = "remove it; write a line break as \\n in a double-quoted string"


def _uncarried_message(character: str) -> str:
    code = ord(character)
    if code == 0:
        return "the text holds a NUL character, which no process can receive"
    if 0xD800 <= code <= 0xDFFF:
        return "the text holds a lone surrogate escape, which is not a character"
    if code >= 0xFFFE:
        return f"the text holds U+{code:04X}, which is not a character"
    return (
        f"the text holds the control character U+{code:04X}, which kustomize cannot carry "
        "(the folder would no longer give the same objects as the stream)"
    )


def _construct(node: yaml.Node, pos: SourcePos) -> Any:
    """The Python value of one scalar node, by its tag; no caching (nodes are not kept)."""
    constructor = _SCALARS.yaml_constructors.get(node.tag) if node.tag in _SCALAR_TAGS else None
    if constructor is None or not isinstance(node, yaml.ScalarNode):
        raise YamlError(
            pos=pos,
            message=f"cannot read value with tag {_short_tag(node.tag)}",
            hint=_PLAIN_TEXT_FIX,
        )
    try:
        return constructor(_SCALARS, node)
    except (yaml.YAMLError, ValueError, ArithmeticError, LookupError, TypeError) as exc:
        raise YamlError(
            pos=pos,
            message=f"{shown_text(node.value)} is not a valid {_short_tag(node.tag)}",
            hint="remove the tag, or write a value of that type",
        ) from exc


def shown_text(text: str, limit: int = 60) -> str:
    """``text`` quoted for a message, shortened in the middle when long."""
    if len(text) > limit:
        text = f"{text[: limit // 2]}...{text[-limit // 2 :]}"
    return repr(text)


def load_documents(
    text: str, file: str, *, trusted: bool = False, budget: Budget | None = None
) -> Iterator[LoadedDocument]:
    """Yield each non-empty document of ``text`` with its source map.

    Untrusted text (a blueprint) counts against ``budget`` (a fresh one when None), may
    not nest deeper than ``MAX_DEPTH``, and its numbers keep the text they were written as
    (``written_text``); trusted text (kgen's own rendered output) is neither.

    Raises ``YamlError`` on the first syntax error, duplicate key or alias bomb.
    """
    if not trusted and budget is None:
        budget = Budget()
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                continue
            if budget is not None:
                budget.next_document()
            builder = _Builder(file, budget=None if trusted else budget)
            data = builder.build(node, ())
            start = _pos(file, node.start_mark)
            source = SourceMap(file, start, builder.values, builder.keys, builder.yaml11_booleans)
            yield LoadedDocument(data, source)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, file) from exc
    except yaml.reader.ReaderError as exc:  # characters YAML does not allow in a file
        raise _reader_error(exc, text, file) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - every other error carries a mark
        raise YamlError(pos=SourcePos(file, 1, 1), message=f"YAML: {exc}") from exc
    finally:
        loader.dispose()


def _reader_error(exc: yaml.reader.ReaderError, text: str, file: str) -> YamlError:
    """A character YAML does not allow, at its line and column (libyaml counts bytes)."""
    before = text.encode("utf-8", "surrogatepass")[: exc.position].decode("utf-8", "replace")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    character = exc.character if isinstance(exc.character, int) else ord(str(exc.character))
    return YamlError(
        pos=SourcePos(file, line, column),
        message=f"the file holds the character U+{character:04X}, which YAML does not allow "
        "in a file",
        hint='write it as an escape in a double-quoted string (e.g. "\\t"), or remove it',
    )


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, file: str) -> YamlError:
    """A YAML syntax error with the parser's context and a hint for the usual causes."""
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem and exc.context_mark is not None:
        message = f"{message} ({exc.context} at line {exc.context_mark.line + 1})"
    hint = None
    lines = text.splitlines()
    line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if "\t" in line[: len(line) - len(line.lstrip())] or (
        mark is not None and line[mark.column : mark.column + 1] == "\t"
    ):
        hint = "YAML indents with spaces; replace the tab characters on this line"
    elif "mapping values are not allowed" in message:
        hint = (
            "check this line's indentation against the line above, or quote a value "
            "that contains ': '"
        )
    elif "expected <block end>" in message:
        hint = "check the indentation of this line against its siblings"
    return YamlError(pos=_pos(file, mark), message=f"YAML syntax: {message}", hint=hint)


def parse_plain(text: str) -> list[Any]:
    """Parse trusted YAML (kgen's own rendered output) into plain values."""
    return [doc for doc in yaml.load_all(text, Loader=_Loader) if doc is not None]


class _CanonicalDumper(_Dumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


# Plain scalars that other YAML readers take for numbers or booleans although PyYAML's
# YAML 1.1 rules do not: YAML 1.2 floats without a dot (1e3), octal 0o17, and Go's y/n.
_OTHER_READERS_NON_STRINGS = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|[yYnN])"
)


def _represent_str(dumper: _CanonicalDumper, value: str) -> yaml.Node:
    if "\n" in value and _literal_safe(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if _OTHER_READERS_NON_STRINGS.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_TRAILING_BLANK = re.compile(r"[ \t](?:\n|\Z)")


def _literal_safe(value: str) -> bool:
    """Literal blocks cannot carry trailing spaces on a line or most control characters."""
    return _TRAILING_BLANK.search(value) is None and value.replace("\n", "").isprintable()


_CanonicalDumper.add_representer(str, _represent_str)


def dump_document(document: Any) -> str:
    """Dump one document canonically (block style, key order kept, no aliases)."""
    return yaml.dump(
        document,
        Dumper=_CanonicalDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100_000,
        explicit_start=False,
    )
