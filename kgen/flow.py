"""Turn any blueprint value into one YAML flow node.

The Jinja environment passes every ``{{ expression }}`` through ``to_flow``, so a value
from a blueprint is always exactly one scalar, list or mapping in the rendered YAML: no
newline, quote, ``---`` or ``: `` inside it can change the document's structure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import yaml

from kgen import lazyre

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"}


#: Everything but printable ASCII and printable non-ASCII (minus the line separators and the
#: byte-order mark), plus the characters that end or escape a double-quoted scalar.
_ESCAPED = lazyre.compile(
    '[^\\x20-\\x7e\\xa0-\\ud7ff\\ue000-\\ufffd\\U00010000-\\U0010ffff]|[\\\\"\\u2028\\u2029\\ufeff]'
)


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def quote(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text``, on one line."""
    if text.isascii() and text.isprintable() and "\\" not in text and '"' not in text:
        return f'"{text}"'  # nothing to escape (and no pattern to compile in most runs)
    return f'"{_ESCAPED.sub(_escape, text)}"'


def _float(value: float) -> str:
    if not math.isfinite(value):
        return quote(repr(value))
    text = repr(value)
    # PyYAML (YAML 1.1) reads '1e+20' as a string: it wants a dot in the mantissa.
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text if yaml.load(text, Loader=_LOADER) == value else quote(text)


def to_flow(value: Any) -> str:
    """One YAML flow node for ``value``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{quote(str(k))}: {to_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_flow(v) for v in value) + "]"
    return quote(str(value))
