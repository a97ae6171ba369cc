"""Turn any blueprint value into one YAML flow node.

The Jinja environment passes every ``{{ expression }}`` through ``to_flow``, so a value
from a blueprint is always exactly one scalar, list or mapping in the rendered YAML: no
newline, quote, ``---`` or ``: `` inside it can change the document's structure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"}


def _kept_verbatim(ch: str) -> bool:
    code = ord(ch)
    if 0x20 <= code <= 0x7E:
        return True
    # Printable non-ASCII, minus line separators and the byte-order mark.
    return (
        0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF
    ) and ch not in "\u2028\u2029\ufeff"


def quote(text: str) -> str:
    """A YAML double-quoted scalar holding exactly ``text``, on one line."""
    out = ['"']
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _kept_verbatim(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


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
