# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""YAML for the rendered files: block style, sorted keys, multi-line strings as literal blocks, no anchors.

A small emitter for the data the collection generates (mappings with string keys, lists, strings,
numbers, booleans, null). PyYAML's representer walks every node in Python and was most of a large
render's time; this one writes the same layout several times faster. Strings are written plain only
when YAML 1.1 (what PyYAML and most tools read) cannot take them for anything but a string, else
quoted, so every file loads back to exactly the data it was written from (a test checks that on every
rendered object and on hostile strings).

Text is written as itself, in UTF-8: accents, CJK, emoji and every other character beyond the Basic Multilingual
Plane appear in the file as they are. Only what YAML may not hold unescaped (control characters, the characters
YAML 1.1 reads as line breaks, the byte-order mark) is escaped, with YAML's own escapes (`\\x`, `\\u`, `\\N`, `\\L`,
`\\P`...), never JSON's UTF-16 surrogate pairs, which YAML forbids and Go's parser (Alertmanager, Prometheus, amtool,
promtool) refuses with "found invalid Unicode character escape code".
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, List

# Plain only: ASCII; a letter, digit, '_', '/' or '(' first (never '.', '-', '?', ':', '!', '&', '*', '#', '%', '@', '`', a
# quote or a bracket); no ': ' or ' #' inside and no ':' or space at the end; a flow indicator inside a block scalar
# is text. A first digit is allowed only with a letter no YAML number can contain (5m, 10Gi).
_PLAIN = re.compile(r"[A-Za-z0-9_/(](?:[ -~]*[!-9;-~])?\Z")
_NUMBER_LETTERS = re.compile(r"[A-DF-NP-WYZa-df-np-wyz]")
# ...and never with what YAML 1.1 reads as a hex, octal or binary number, a date or a time.
_NUMBER_PREFIX = re.compile(r"0[xXoObB]|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?|[^:]*:")
# Words YAML 1.1 reads as booleans or null.
_RESERVED = frozenset(
    w for base in ("y", "yes", "n", "no", "true", "false", "on", "off", "null") for w in (base, base.capitalize(), base.upper())
)
# Characters YAML may hold unescaped: the printable set less the byte-order mark and the characters YAML 1.1 reads as
# line breaks (NEL, LS, PS); anything else forces an escaped double-quoted string.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|\ufeff")


class YamlError(TypeError):
    pass


def _scalar_text(value: str) -> str:
    """A one-line scalar: plain, single-quoted or double-quoted."""
    if _PLAIN.match(value) and value not in _RESERVED and ": " not in value and " #" not in value:
        if not value[0].isdigit() or (_NUMBER_LETTERS.search(value) and not _NUMBER_PREFIX.match(value)):
            return value
    if "\n" not in value and "\r" not in value and not _NOT_PRINTABLE.search(value) and value == value.strip(" "):
        return "'" + value.replace("'", "''") + "'"
    return double_quoted(value)


# What a double-quoted scalar escapes: the quote, the backslash, and everything YAML may not hold as itself (see
# _NOT_PRINTABLE; tab and line feed too, so the scalar stays on one line). Everything else is written as itself.
_ESCAPED = re.compile('["\\\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\x00": "\\0", "\x07": "\\a", "\x08": "\\b", "\t": "\\t", "\n": "\\n",
                  "\x0b": "\\v", "\x0c": "\\f", "\r": "\\r", "\x1b": "\\e", "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}


def _escape(match: Any) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        # Half of a UTF-16 surrogate pair is no character: no YAML (or UTF-8) can hold it.
        raise YamlError("cannot write a lone surrogate (U+%04X) as YAML: the text is not valid Unicode" % code)
    return "\\x%02x" % code if code < 0x100 else "\\u%04x" % code


def double_quoted(value: str) -> str:
    """`value` as a YAML double-quoted scalar on one line, every character YAML may hold written as itself."""
    return '"' + _ESCAPED.sub(_escape, value) + '"'


def _literal(value: str, indent: str) -> str:
    """A literal block (`|`), with the indentation and chomping indicators YAML needs to give the value back exactly."""
    lines = value.split("\n")
    if value.endswith("\n"):
        chomp = "" if not value.endswith("\n\n") else "+"
        lines = lines[:-1]
    else:
        chomp = "-"
    first = next((line for line in lines if line), "")
    header = "|" + ("2" if first.startswith(" ") else "") + chomp
    body = "\n".join((indent + "  " + line) if line else "" for line in lines)
    return header + "\n" + body


def _can_be_literal(value: str) -> bool:
    # Literal blocks hold printable text only; \r would be normalised away, a trailing space-only line is ambiguous.
    return "\n" in value and "\r" not in value and not _NOT_PRINTABLE.search(value) and not value.startswith("\n") \
        and "\t" not in value.split("\n", 1)[0][:1]


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    # YAML 1.1 floats need a dot: 1e-05 would load as a string.
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


def _inline(value: Any) -> str:
    """A value that fits on the line of its key or dash, or None for a block (non-empty mapping or list, or a literal)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return None if _can_be_literal(value) else _scalar_text(value)
    if isinstance(value, dict):
        return "{}" if not value else None
    if isinstance(value, (list, tuple)):
        return "[]" if not value else None
    raise YamlError("cannot write %s as YAML" % type(value).__name__)


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise YamlError("mapping keys must be strings, got %r" % (key,))
    if len(key) > 1000:  # YAML's limit for implicit keys is 1024 characters
        raise YamlError("mapping key too long for YAML: %r..." % key[:40])
    if "\n" in key or "\r" in key:
        return double_quoted(key)
    return _scalar_text(key)


def _mapping(value: dict, indent: str, out: List[str], first_prefix: str) -> None:
    """Block mapping; its first key goes after `first_prefix` (a '- ' of a sequence item), the rest at `indent`."""
    prefix = first_prefix
    for key in sorted(value):
        item = value[key]
        text = _inline(item)
        head = prefix + _key(key) + ":"
        prefix = indent
        if text is not None:
            out.append(head + " " + text)
        elif isinstance(item, str):
            out.append(head + " " + _literal(item, indent))
        elif isinstance(item, dict):
            out.append(head)
            _mapping(item, indent + "  ", out, indent + "  ")
        else:
            out.append(head)
            _sequence(item, indent, out)  # PyYAML's layout: a list under a key is not indented further


def _sequence(value: List[Any], indent: str, out: List[str]) -> None:
    for item in value:
        text = _inline(item)
        if text is not None:
            out.append(indent + "- " + text)
        elif isinstance(item, str):
            out.append(indent + "- " + _literal(item, indent))
        elif isinstance(item, dict):
            _mapping(item, indent + "  ", out, indent + "- ")
        else:
            out.append(indent + "-")
            _sequence(item, indent + "  ", out)


def dump(data: Any) -> str:
    """The YAML document of `data`, ending with a newline."""
    out: List[str] = []
    text = _inline(data)
    if text is not None:
        return text + "\n"
    if isinstance(data, str):
        return _literal(data, "") + "\n"
    if isinstance(data, dict):
        _mapping(data, "", out, "")
    else:
        _sequence(data, "", out)
    return "\n".join(out) + "\n"


# What JSON writes as itself but YAML may not hold unescaped; JSON's own escapes cover the rest (control characters).
_JSON_NOT_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def json_text(data: Any, sort_keys: bool = False) -> str:
    """`data` as JSON that YAML parsers (Go's, for promtool and amtool; PyYAML) read back exactly, on one line.

    JSON is YAML, but not json.dumps' default: it writes every non-ASCII character as `\\u` escapes, and those of
    characters beyond the Basic Multilingual Plane (emoji, many CJK ideographs) as UTF-16 surrogate pairs, which YAML
    forbids ("found invalid Unicode character escape code"). Here text is written as itself; only what YAML may not
    hold unescaped is escaped, with the `\\u` of its code point (a lone surrogate, no character at all, stays an
    escape the tools refuse).
    """
    text = json.dumps(data, sort_keys=sort_keys, ensure_ascii=False)
    return _JSON_NOT_YAML.sub(lambda match: "\\u%04x" % ord(match.group()), text)
