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

#: The most nodes one document may expand to; bounds "billion laughs" alias bombs.
MAX_NODES = 200_000
_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_SCALARS = yaml.constructor.SafeConstructor()


class WrittenInt(int):
    """An integer that remembers how it was written (``0755``, ``1_000``, ``1:30``)."""

    written: str


class WrittenFloat(float):
    """A float that remembers how it was written (``1.10``, ``1e3``)."""

    written: str


def written_text(value: object) -> str | None:
    """How a number was written in the blueprint, when kgen read it from YAML."""
    return getattr(value, "written", None) if isinstance(value, int | float) else None


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


class _Builder:
    """Turns one composed node tree into Python values and a source map."""

    def __init__(self, file: str, *, trusted: bool) -> None:
        self.file = file
        self.trusted = trusted
        self.values: dict[JsonPath, SourcePos] = {}
        self.yaml11_booleans: dict[JsonPath, str] = {}
        self.keys: dict[JsonPath, SourcePos] = {}
        self.count = 0

    def build(self, node: yaml.Node, path: JsonPath, active: frozenset[int]) -> Any:
        self.count += 1
        if self.count > MAX_NODES and not self.trusted:
            raise YamlError(
                pos=_pos(self.file, node.start_mark),
                message=f"document expands to more than {MAX_NODES} nodes",
                hint="aliases (*name) may repeat a node only so often",
            )
        self.values.setdefault(path, _pos(self.file, node.start_mark))
        if id(node) in active:
            raise YamlError(pos=_pos(self.file, node.start_mark), message="recursive alias")
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            raise YamlError(
                pos=_pos(self.file, node.start_mark),
                message=f"cannot read value with tag {_short_tag(node.tag)}",
                hint="kgen reads plain YAML only: strings, numbers, booleans, null, lists, maps",
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, active | {id(node)})
        if isinstance(node, yaml.SequenceNode):
            inner = active | {id(node)}
            return [self.build(item, (*path, i), inner) for i, item in enumerate(node.value)]
        value = self._scalar(node)
        if isinstance(value, bool) and node.value not in ("true", "false"):
            self.yaml11_booleans[path] = str(node.value)
        return value

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag == "tag:yaml.org,2002:timestamp":
            return str(node.value)  # keep dates as written; blueprints have no date fields
        try:
            value = _SCALARS.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise YamlError(
                pos=_pos(self.file, node.start_mark),
                message=f"cannot read value with tag {_short_tag(node.tag)}",
                hint="kgen reads plain YAML only: strings, numbers, booleans, null, lists, maps",
            ) from exc
        if isinstance(value, float) and not math.isfinite(value):
            return str(node.value)
        if self.trusted:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            number = WrittenInt(value)
            number.written = str(node.value)
            return number
        if isinstance(value, float):
            decimal = WrittenFloat(value)
            decimal.written = str(node.value)
            return decimal
        if isinstance(value, str) and "\0" in value:
            raise YamlError(
                pos=_pos(self.file, node.start_mark),
                message="the text holds a NUL character, which no process can receive",
            )
        if isinstance(value, str) and any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise YamlError(
                pos=_pos(self.file, node.start_mark),
                message="the text holds a lone surrogate escape, which is not a character",
            )
        if isinstance(value, bytes | bytearray):
            raise YamlError(
                pos=_pos(self.file, node.start_mark), message="binary values are not supported"
            )
        return value

    def _mapping(self, node: yaml.MappingNode, path: JsonPath, active: frozenset[int]) -> Any:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        seen: dict[str, SourcePos] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                for source in self._merge_sources(value_node, path, active):
                    for key, value in source.items():
                        merged.setdefault(key, value)
                continue
            key_pos = _pos(self.file, key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(pos=key_pos, message="mapping keys must be plain strings")
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key_node.value)
            if key in seen:
                first = seen[key]
                raise YamlError(
                    pos=key_pos,
                    message=f"duplicate key {key!r} (first defined at line {first.line})",
                    hint="YAML keeps only one of them; remove or rename one",
                )
            seen[key] = key_pos
            self.keys[(*path, key)] = key_pos
            result[key] = self.build(value_node, (*path, key), active)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def _merge_sources(
        self, node: yaml.Node, path: JsonPath, active: frozenset[int]
    ) -> list[dict[str, Any]]:
        nodes = node.value if isinstance(node, yaml.SequenceNode) else [node]
        sources = []
        for item in nodes:
            value = self.build(item, path, active)
            if not isinstance(value, dict):
                raise YamlError(
                    pos=_pos(self.file, item.start_mark), message="'<<' merges mappings only"
                )
            sources.append(value)
        return sources


def load_documents(text: str, file: str, *, trusted: bool = False) -> Iterator[LoadedDocument]:
    """Yield each non-empty document of ``text`` with its source map.

    Untrusted text (a blueprint) is bounded in size and its numbers keep the text they were
    written as (``written_text``); trusted text (kgen's own rendered output) is neither.

    Raises ``YamlError`` on the first syntax error, duplicate key or alias bomb.
    """
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                continue
            builder = _Builder(file, trusted=trusted)
            data = builder.build(node, (), frozenset())
            start = _pos(file, node.start_mark)
            source = SourceMap(file, start, builder.values, builder.keys, builder.yaml11_booleans)
            yield LoadedDocument(data, source)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, file) from exc
    except yaml.YAMLError as exc:  # reader errors: characters YAML does not allow
        raise YamlError(pos=SourcePos(file, 1, 1), message=f"YAML: {exc}") from exc
    finally:
        loader.dispose()


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
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|[yYnN])$"
)


def _represent_str(dumper: _CanonicalDumper, value: str) -> yaml.Node:
    if "\n" in value and _literal_safe(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if _OTHER_READERS_NON_STRINGS.match(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _literal_safe(value: str) -> bool:
    """Literal blocks cannot carry trailing spaces on a line or most control characters."""
    lines = value.split("\n")
    if any(line != line.rstrip(" \t") for line in lines):
        return False
    return all(ch == "\n" or ch.isprintable() for ch in value)


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
