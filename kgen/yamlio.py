"""The one place where YAML is read and written.

Loading builds plain Python values straight from the parser's events, keeping the line and
column of every value, refusing duplicate keys, and bounding what a run, a document and an
alias may expand to. Dumping is canonical: block style,
insertion key order, literal blocks for multi-line text, no aliases.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import yaml

from kgen.record import dataclass

try:
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from kgen import lazyre
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
#: Documents in one run, empty ones included: far more blueprints than a repository has.
MAX_DOCUMENTS = 20_000
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_PLAIN_TAGS = frozenset({_MAP_TAG, _SEQ_TAG})
#: Line breaks in YAML 1.1 (libyaml) that YAML 1.2 readers take for plain characters: in a
#: file they would silently become a space in one reader and stay in another.
_AMBIGUOUS_BREAKS = lazyre.compile("[\x85\u2028\u2029]")
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "binary")
)
_SCALARS = yaml.constructor.SafeConstructor()
#: Characters a value may not hold: NUL (no process can receive it), DEL and the C1 controls
#: (kustomize refuses them, or turns U+0085 into a space, so the folder would differ from
#: the stream), lone surrogates and the non-characters U+FFFE and U+FFFF.
_UNCARRIED = lazyre.compile("[\x00\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


class WrittenInt(int):
    """An integer that remembers how it was written (``0755``, ``1_000``, ``1:30``)."""

    written: str


class WrittenFloat(float):
    """A float that remembers how it was written (``1.10``, ``1e3``)."""

    written: str


class NonFinite(str):
    """A float YAML reads as not-a-number or an infinity (``.nan``, ``-.inf``), kept as the
    text written: JSON, and so Kubernetes, has no such number, and no field takes one. A
    check that must tell it from a string written as text asks ``isinstance``."""

    def __repr__(self) -> str:
        return str(self)  # shown as the number it was written as, not as quoted text


def written_text(value: object) -> str | None:
    """How a number was written in the blueprint, when kgen read it from YAML."""
    return getattr(value, "written", None) if isinstance(value, int | float) else None


class Budget:
    """How many nodes and characters a run may still read, and the document being read."""

    def __init__(self, *, nodes: int = MAX_NODES, text: int = MAX_TEXT) -> None:
        self.nodes = nodes
        self.text = text
        self.documents = MAX_DOCUMENTS
        self.document_nodes = MAX_DOCUMENT_NODES
        self.document_text = MAX_DOCUMENT_TEXT

    @property
    def exhausted(self) -> bool:
        """Whether the run read more than it may."""
        return self.nodes < 0 or self.text < 0

    def next_document(self, pos: SourcePos) -> None:
        """Start counting a new document; ``YamlError`` at ``pos`` past the run's last."""
        self.document_nodes = MAX_DOCUMENT_NODES
        self.document_text = MAX_DOCUMENT_TEXT
        self.documents -= 1
        if self.documents < 0:
            self.nodes = -1  # the run is over its budget: nothing more of it is read
            raise YamlError(
                pos=pos,
                message=f"the input holds more than {MAX_DOCUMENTS:,} documents",
                hint="empty documents ('---' with nothing after it) count too; split large "
                "inputs into several runs",
            )

    def spend(self, text: int, pos: Callable[[], SourcePos]) -> None:
        """Count one node of ``text`` characters; ``YamlError`` at ``pos()`` once the run
        or its document is over budget."""
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
            pos=pos(),
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


#: A parser event. PyYAML's stubs describe neither the C parser's events nor its marks.
_Event = Any


def _pos(file: str, mark: Any) -> SourcePos:
    if mark is None:
        return SourcePos(file, 1, 1)
    return SourcePos(file, mark.line + 1, mark.column + 1)


_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_END = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class _Builder:
    """Builds one document's Python values and source map straight from parser events.

    Nodes are never composed first: the budget and the depth limit stop a document at the
    node where it goes over them, before the rest of it is parsed. The events of the
    document are kept so that an alias can be built again from its anchor's events (and
    counted again); only the top of an alias is recorded in the source map, at the alias,
    so the map grows with the text, not with what aliases expand to.
    """

    def __init__(self, parser: Any, file: str, *, budget: Budget | None) -> None:
        self.parser = parser
        self.file = file
        self.budget = budget  # None: kgen's own rendered output, trusted and unbounded
        self.values: dict[JsonPath, tuple[int, int]] = {}
        self.yaml11_booleans: dict[JsonPath, str] = {}
        self.keys: dict[JsonPath, tuple[int, int]] = {}
        self.log: list[_Event] = []  # the document's events, for aliases to replay
        self.anchors: dict[str, tuple[int, int] | None] = {}  # None: still being built
        self.replay: list[Iterator[_Event]] = []

    def next(self) -> _Event:
        if self.replay:
            return next(self.replay[-1])
        event = self.parser.get_event()
        self.log.append(event)
        return event

    def build(self, event: _Event, path: JsonPath, record: bool = True) -> Any:
        """The value of the node that ``event`` starts (its last event is consumed too)."""
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, path, record)
        budget = self.budget
        if budget is not None:
            text = len(event.value) if isinstance(event, yaml.ScalarEvent) else 0
            budget.spend(text, lambda: _pos(self.file, event.start_mark))
            if len(path) > MAX_DEPTH:
                raise YamlError(
                    pos=_pos(self.file, event.start_mark),
                    message=f"values nest more than {MAX_DEPTH} levels deep",
                    hint="a blueprint needs about ten levels; check the brackets and indentation",
                )
        if record:
            mark = event.start_mark
            self.values.setdefault(path, (mark.line + 1, mark.column + 1))
        anchor = event.anchor if not self.replay else None
        if anchor is not None:
            if anchor in self.anchors:
                raise YamlError(
                    pos=_pos(self.file, event.start_mark),
                    message=f"the anchor &{anchor} is defined twice",
                    hint="give the second one another name",
                )
            self.anchors[anchor] = None
            first = len(self.log) - 1
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event)
            if (value is True or value is False) and event.value not in ("true", "false"):
                self.yaml11_booleans[path] = str(event.value)
        elif isinstance(event, _START):
            tag = event.tag
            fits = _MAP_TAG if isinstance(event, yaml.MappingStartEvent) else _SEQ_TAG
            if tag is not None and tag not in ("!", fits):
                raise YamlError(
                    pos=_pos(self.file, event.start_mark),
                    message=f"cannot read value with tag {_short_tag(tag)}",
                    hint=_PLAIN_TEXT_FIX,
                )
            if isinstance(event, yaml.MappingStartEvent):
                value = self._mapping(path, record)
            else:
                value = []
                item = self.next()
                while not isinstance(item, yaml.SequenceEndEvent):
                    value.append(self.build(item, (*path, len(value)), record))
                    item = self.next()
        else:  # pragma: no cover - the parser gives only nodes here
            raise YamlError(pos=_pos(self.file, event.start_mark), message="unexpected YAML")
        if anchor is not None:
            self.anchors[anchor] = (first, len(self.log))
        return value

    def _alias(self, event: _Event, path: JsonPath, record: bool) -> Any:
        if event.anchor not in self.anchors:
            raise YamlError(
                pos=_pos(self.file, event.start_mark),
                message=f"*{event.anchor} names no anchor defined before it",
                hint=f"define &{event.anchor} on a value above this line",
            )
        span = self.anchors[event.anchor]
        if span is None:
            raise YamlError(pos=_pos(self.file, event.start_mark), message="recursive alias")
        if record:
            mark = event.start_mark
            self.values.setdefault(path, (mark.line + 1, mark.column + 1))
        first, last = span
        self.replay.append(iter(self.log[first:last]))
        try:
            return self.build(next(self.replay[-1]), path, record=False)
        finally:
            self.replay.pop()

    def _scalar(self, event: _Event) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.parser.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag in (_STR_TAG, _VALUE_TAG, _MERGE_TAG):
            value = event.value  # '=' and '<<' are YAML 1.1's value and merge keys: as values, text
        elif tag == _TIMESTAMP_TAG:
            return str(event.value)  # keep dates as written; blueprints have no date fields
        else:
            if tag in _NUMBER_TAGS and len(event.value) > MAX_DIGITS:
                raise YamlError(
                    pos=_pos(self.file, event.start_mark),
                    message=f"a number written with more than {MAX_DIGITS} characters",
                    hint="no field takes such a number; quote it if it is text",
                )
            value = _construct(tag, event, _pos(self.file, event.start_mark))
        if self.budget is None:
            return value
        if isinstance(value, str):
            bad = _UNCARRIED.search(value)
            if bad is not None:
                raise YamlError(
                    pos=_pos(self.file, event.start_mark),
                    message=_uncarried_message(bad.group()),
                    hint=_UNCARRIED_FIX,
                )
            return value
        if isinstance(value, float) and not math.isfinite(value):
            return NonFinite(event.value)
        if isinstance(value, int) and not isinstance(value, bool):
            number = WrittenInt(value)
            number.written = str(event.value)
            return number
        if isinstance(value, float):
            decimal = WrittenFloat(value)
            decimal.written = str(event.value)
            return decimal
        if isinstance(value, bytes | bytearray):
            raise YamlError(
                pos=_pos(self.file, event.start_mark), message="binary values are not supported"
            )
        return value

    def _mapping(self, path: JsonPath, record: bool) -> dict[str, Any]:
        """Keys as written win over merged ones (``<<``), wherever the merge key stands."""
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merged: list[dict[str, Any]] = []
        key_event = self.next()
        while not isinstance(key_event, yaml.MappingEndEvent):
            mark = key_event.start_mark
            if not isinstance(key_event, yaml.ScalarEvent):
                raise YamlError(
                    pos=_pos(self.file, mark), message="mapping keys must be plain strings"
                )
            key = self._key(key_event)
            if key is None:  # '<<': merge the mapping (or list of mappings) that follows
                if "<<" in seen:
                    raise YamlError(
                        pos=_pos(self.file, mark),
                        message=f"duplicate merge key '<<' (first at line {seen['<<']})",
                        hint="merge several mappings with one key: <<: [*a, *b]",
                    )
                seen["<<"] = mark.line + 1
                merged.extend(self._merge_sources(self.next(), path, record))
                key_event = self.next()
                continue
            if key in seen:
                raise YamlError(
                    pos=_pos(self.file, mark),
                    message=f"duplicate key {shown_text(key)} (first defined at line {seen[key]})",
                    hint="YAML keeps only one of them; remove or rename one",
                )
            seen[key] = mark.line + 1
            if record:
                self.keys.setdefault((*path, key), (mark.line + 1, mark.column + 1))
            result[key] = self.build(self.next(), (*path, key), record)
            key_event = self.next()
        for source in merged:
            for key, value in source.items():
                result.setdefault(key, value)
        return result

    def _key(self, event: _Event) -> str | None:
        """A mapping key as text; None for the merge key ``<<``."""
        if self.budget is not None:
            self.budget.spend(len(event.value), lambda: _pos(self.file, event.start_mark))
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.parser.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _MERGE_TAG:
            return None
        if event.anchor is not None and not self.replay:
            self.anchors[event.anchor] = (len(self.log) - 1, len(self.log))
        key = self._scalar(event)
        return key if isinstance(key, str) else str(event.value)

    def _merge_sources(self, event: _Event, path: JsonPath, record: bool) -> list[dict[str, Any]]:
        value = self.build(event, path, record)
        sources = value if isinstance(event, yaml.SequenceStartEvent) else [value]
        if not all(isinstance(source, dict) for source in sources):
            raise YamlError(
                pos=_pos(self.file, event.start_mark), message="'<<' merges mappings only"
            )
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
    if code in (0x2028, 0x2029):
        return (
            f"the text holds U+{code:04X}, a line break to some YAML readers and a character "
            "to others: the value would differ between tools"
        )
    return (
        f"the text holds the control character U+{code:04X}, which kustomize cannot carry "
        "(the folder would no longer give the same objects as the stream)"
    )


def _construct(tag: str, event: _Event, pos: SourcePos) -> Any:
    """The Python value of one scalar by its tag; no caching (nothing of it is kept)."""
    constructor = _SCALARS.yaml_constructors.get(tag) if tag in _SCALAR_TAGS else None
    if constructor is None:
        raise YamlError(
            pos=pos, message=f"cannot read value with tag {_short_tag(tag)}", hint=_PLAIN_TEXT_FIX
        )
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        return constructor(_SCALARS, node)
    except (yaml.YAMLError, ValueError, ArithmeticError, LookupError, TypeError) as exc:
        raise YamlError(
            pos=pos,
            message=f"{shown_text(event.value)} is not a valid {_short_tag(tag)}",
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
    parser = _Loader(text)
    try:
        if not trusted:
            _refuse_ambiguous_breaks(text, file)
        parser.get_event()  # the start of the stream
        while not parser.check_event(yaml.StreamEndEvent):
            start_event: _Event = parser.get_event()  # the start of a document
            if budget is not None:
                budget.next_document(_pos(file, start_event.start_mark))
            builder = _Builder(parser, file, budget=None if trusted else budget)
            first = builder.next()
            data = builder.build(first, ())
            parser.get_event()  # the end of the document
            start = _pos(file, first.start_mark)
            size = MAX_DOCUMENT_NODES - budget.document_nodes if budget is not None else 0
            source = SourceMap(
                file, start, builder.values, builder.keys, builder.yaml11_booleans, size=size
            )
            yield LoadedDocument(data, source)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, file) from exc
    except yaml.reader.ReaderError as exc:  # characters YAML does not allow in a file
        raise _reader_error(exc, text, file) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - every other error carries a mark
        raise YamlError(pos=SourcePos(file, 1, 1), message=f"YAML: {exc}") from exc
    finally:
        parser.dispose()


def load_trusted(text: str, file: str) -> list[Any]:
    """The data of each non-empty document of kgen's own rendered output, as
    ``load_documents(text, file, trusted=True)`` gives it, without the source map: libyaml
    composes the nodes and only their values are built in Python, several times faster
    than building from events. Any text this path does not take as the event builder
    would (a duplicate key, a tag it refuses, a syntax error) is read again by
    ``load_documents``, so every error and its message are the builder's."""
    try:
        loader = _TrustedLoader(text)
        try:
            return list(loader.construct_all())
        finally:
            loader.dispose()
    except (yaml.YAMLError, _Untaken, RecursionError):
        return [document.data for document in load_documents(text, file, trusted=True)]


class _Untaken(Exception):
    """What the event builder would answer differently: read the text with it."""


class _TrustedLoader(_Loader):
    #: Tags of plain scalars as resolved before, by value and how it was written: libyaml
    #: asks for each scalar, and kgen's output repeats its keys and values.
    _resolved: ClassVar[dict[tuple[str, Any], str]] = {}

    def construct_all(self) -> Iterator[Any]:
        while self.check_node():
            node = self.get_node()
            yield None if node is None else _trusted_value(node, set())

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        return _resolved_tag(self, self._resolved, kind, value, implicit)


def _trusted_value(node: yaml.Node, seen: set[int]) -> Any:
    """The value of a composed node, built directly (not through PyYAML's constructor
    and its bookkeeping of every node), as the event builder builds it: keys as text (a
    number's as written), no key twice, merged keys (``<<``) under the keys as written; a
    collection met twice (an alias) is the event builder's to read."""
    if node.__class__ is yaml.ScalarNode:
        return _trusted_scalar(node)
    if id(node) in seen:
        raise _Untaken
    seen.add(id(node))
    if node.__class__ is yaml.SequenceNode:
        if node.tag != _SEQ_TAG:
            raise _Untaken
        return [_trusted_value(child, seen) for child in node.value]
    if node.__class__ is not yaml.MappingNode or node.tag != _MAP_TAG:
        raise _Untaken
    result: dict[str, Any] = {}
    merged: list[Any] = []
    for key_node, value_node in node.value:
        if key_node.__class__ is not yaml.ScalarNode:
            raise _Untaken
        if key_node.tag == _MERGE_TAG:
            if merged:
                raise _Untaken  # a second '<<'
            sources = _trusted_value(value_node, seen)
            merged = sources if value_node.__class__ is yaml.SequenceNode else [sources]
            if not merged or not all(isinstance(source, dict) for source in merged):
                raise _Untaken
            continue
        key = _trusted_scalar(key_node)
        key = key if isinstance(key, str) else str(key_node.value)
        if key in result:
            raise _Untaken
        result[key] = _trusted_value(value_node, seen)
    for source in merged:
        for key, value in source.items():
            result.setdefault(key, value)
    return result


def _trusted_scalar(node: yaml.ScalarNode) -> Any:
    """A scalar's value as the event builder reads it: a timestamp kept as written."""
    if node.tag == _TIMESTAMP_TAG:
        return str(node.value)
    if node.tag not in _SCALAR_TAGS and node.tag not in (_VALUE_TAG, _MERGE_TAG):
        raise _Untaken
    if node.tag in (_STR_TAG, _VALUE_TAG, _MERGE_TAG):
        return node.value
    if node.tag in _NUMBER_TAGS and len(node.value) > MAX_DIGITS:
        raise _Untaken
    try:
        return _SCALARS.yaml_constructors[node.tag](_SCALARS, node)
    except (ValueError, ArithmeticError, LookupError, TypeError) as exc:
        raise _Untaken from exc


def _refuse_ambiguous_breaks(text: str, file: str) -> None:
    found = _AMBIGUOUS_BREAKS.search(text)
    if found is None:
        return
    before = text[: found.start()]
    line = before.count("\n") + 1
    column = found.start() - (before.rfind("\n") + 1) + 1
    raise YamlError(
        pos=SourcePos(file, line, column),
        message=f"the file holds U+{ord(found.group()):04X}, a line break to some YAML readers "
        "and a character to others: the value would differ between tools",
        hint="remove it, or write a line break as \\n in a double-quoted string",
    )


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
    #: Tags of plain scalars as resolved before (libyaml's emitter asks twice a scalar).
    _resolved: ClassVar[dict[tuple[str, Any], str]] = {}

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        return _resolved_tag(self, self._resolved, kind, value, implicit)


def _resolved_tag(
    resolver: Any, memo: dict[tuple[str, Any], str], kind: Any, value: Any, implicit: Any
) -> str:
    """``resolver``'s tag for a node, a short plain scalar's from ``memo`` once resolved:
    it depends on the value and how it is written only, and kgen's documents repeat their
    keys and values."""
    if kind is yaml.ScalarNode:
        tag = memo.get((value, implicit))
        if tag is not None:
            return tag
    resolve: Callable[..., str] = super(type(resolver), resolver).resolve
    tag = resolve(kind, value, implicit)
    if kind is yaml.ScalarNode and len(value) <= 64 and len(memo) < 100_000:
        memo[(value, implicit)] = tag
    return tag


def _represent_int(dumper: _CanonicalDumper, value: int) -> yaml.Node:
    return dumper.represent_int(int(value))


def _represent_float(dumper: _CanonicalDumper, value: float) -> yaml.Node:
    return dumper.represent_float(float(value))


_CanonicalDumper.add_representer(WrittenInt, _represent_int)
_CanonicalDumper.add_representer(WrittenFloat, _represent_float)


# Plain scalars that other YAML readers take for numbers or booleans although PyYAML's
# YAML 1.1 rules do not: YAML 1.2 floats without a dot (1e3), octal 0o17, and Go's y/n.
_OTHER_READERS_NON_STRINGS = lazyre.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|[yYnN])"
)


def _represent_str(dumper: _CanonicalDumper, value: str) -> yaml.Node:
    if "\n" in value and _literal_safe(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if _OTHER_READERS_NON_STRINGS.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_TRAILING_BLANK = lazyre.compile(r"[ \t](?:\n|\Z)")


def _literal_safe(value: str) -> bool:
    """Literal blocks cannot carry trailing spaces on a line or most control characters."""
    return _TRAILING_BLANK.search(value) is None and value.replace("\n", "").isprintable()


_CanonicalDumper.add_representer(str, _represent_str)
_CanonicalDumper.add_representer(
    NonFinite,
    lambda dumper, value: _represent_str(dumper, str(value)),  # quoted as it reads as a number
)


def dump_document(document: Any) -> str:
    """Dump one document canonically (block style, key order kept, no aliases): what
    ``yaml.dump`` writes with these settings, its nodes made by ``_node``."""
    stream = io.StringIO()
    dumper = _CanonicalDumper(
        stream,
        default_flow_style=False,
        allow_unicode=True,
        width=100_000,
        explicit_start=False,
        sort_keys=False,
    )
    try:
        dumper.open()
        dumper.serialize(_node(dumper, document))
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


_INT_TAG = "tag:yaml.org,2002:int"
_NULL_TAG = "tag:yaml.org,2002:null"


def _node(dumper: _CanonicalDumper, value: Any) -> yaml.Node:
    """The node ``dumper.represent_data`` makes of ``value``, made directly for the types
    of kgen's documents (block-style mappings and sequences, strings, whole numbers,
    booleans, null); any other value, PyYAML's representers make (or refuse)."""
    kind = value.__class__
    if kind is dict:
        pairs = [(_node(dumper, k), _node(dumper, v)) for k, v in value.items()]
        return yaml.MappingNode(_MAP_TAG, pairs, flow_style=False)
    if kind is list:
        return yaml.SequenceNode(_SEQ_TAG, [_node(dumper, v) for v in value], flow_style=False)
    if kind is str:
        return _represent_str(dumper, value)
    if kind is int or kind is WrittenInt:
        return yaml.ScalarNode(_INT_TAG, str(int(value)))
    if kind is bool:
        return dumper.represent_bool(value)
    if value is None:
        return yaml.ScalarNode(_NULL_TAG, "null")
    return dumper.represent_data(value)
