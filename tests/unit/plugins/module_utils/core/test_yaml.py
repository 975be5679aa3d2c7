# -*- coding: utf-8 -*-
"""core/yaml: the rendered files' YAML emitter gives back exactly the data it was given, read by PyYAML (YAML 1.1, as
most Kubernetes tooling reads it), for every kind of string YAML treats specially, and keeps PyYAML's layout.

The YAML of rendered files and the JSON handed to promtool and amtool hold any valid Unicode as itself (docs/tenancy.md,
Routing): never JSON's `\\u` escapes, whose surrogate pairs for characters beyond the Basic Multilingual Plane YAML
forbids (Go's parser: "found invalid Unicode character escape code"). Only what YAML may not hold unescaped is
escaped, with YAML's escapes of the code point. Expected texts are written by hand."""

from __future__ import annotations

import math

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.core.yaml import YamlError, double_quoted, dump, json_text

HOSTILE = [
    "", " ", "  lead", "trail ", "null", "Null", "NULL", "~", "true", "False", "yes", "No", "on", "OFF", "y", "n",
    "1", "-1", "+1", "1.5", ".5", "1e3", "1e-05", "1_000", "0x1F", "0o17", "0b101", "017", "1:20", "190:20:30", ".inf",
    "-.inf", ".nan", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "<<", "=", "-", "- item", "? key", ": x", "a: b",
    "a:b", "a #b", "a#b", "#comment", "!tag", "&anchor", "*alias", "%directive", "@at", "`tick", "'single'", '"double"',
    "it's", "[flow]", "{flow}", "a,b", "|", ">", "---", "...", "a\nb", "a\n", "a\n\n", "\nleading newline", "  indented\nx",
    "tab\there", "\tstarts with tab\nx", "cr\rhere", "crlf\r\n", "nel\x85here", "ls\u2028here", "ps\u2029x", "bom\ufeff",
    "del\x7f", "bell\x07", "null\x00byte", "ünïcödé", "emoji 🎉", "{{ template \"slack.default.title\" . }}",
    "http://example.com/a?b=c&d=e#frag", "5m", "10Gi", "v1", "0.0.0.0:4317", "vigil:slo_errors:rate5m", "$${__value.raw}",
    "x" * 5000, "line\n" * 50, "trailing spaces  \nin a block  \n", " \nspace-only first line", "last line space\n ",
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_strings_come_back_exactly(value):
    for data in (value, {"k": value}, [value], {"k": [value, {"n": value}]}, [[value]]):
        assert yaml.safe_load(dump(data)) == data, repr(dump(data))


@pytest.mark.parametrize("value", HOSTILE[:40], ids=range(40))
def test_strings_as_keys_come_back_exactly(value):
    if "\n" in value:
        return
    assert yaml.safe_load(dump({value: 1})) == {value: 1}


@pytest.mark.parametrize("value", [0, 1, -7, 2 ** 70, 0.1, 1e-05, 1e16, -2.5, 1.0, True, False, None, {}, []])
def test_other_scalars(value):
    assert yaml.safe_load(dump({"v": value})) == {"v": value}
    assert type(yaml.safe_load(dump({"v": value}))["v"]) is type(value)


def test_special_floats():
    back = yaml.safe_load(dump({"a": float("inf"), "b": float("-inf"), "c": float("nan")}))
    assert back["a"] == math.inf and back["b"] == -math.inf and math.isnan(back["c"])


def test_layout_is_pyyaml_block_style_with_sorted_keys_and_literal_blocks():
    data = {"b": [1, {"z": "two\nlines\n", "x": []}], "a": {"c": "5m", "d": "x: y", "e": "y"}}
    assert dump(data) == "a:\n  c: 5m\n  d: 'x: y'\n  e: 'y'\nb:\n- 1\n- x: []\n  z: |\n    two\n    lines\n"


def test_what_yaml_cannot_hold_is_refused():
    for bad in ({1: "int key"}, {"k": object()}, {"x" * 1001: 1}):
        with pytest.raises(YamlError):
            dump(bad)


SIREN = "\U0001F6A8"
TEXTS = [
    "#\u00e9quipe-" + SIREN,
    "\u652f\u4ed8\u56e2\u961f \U00020BB7",  # CJK, one ideograph beyond the BMP
    "Cafe\u0301 e\u0301\u0323",  # combining marks, decomposed
    "\u202b\u05e6\u05d5\u05d5\u05ea \u0641\u0631\u064a\u0642\u200f\u202c",  # right-to-left, with bidi controls
    "\U0001F469\u200d\U0001F469\u200d\U0001F467 \U0001F1EB\U0001F1F7 \u2764\ufe0f \U0001D518",  # ZWJ, flag, variation selector
    "\U0010FFFD",  # the last character of the last plane
]
# Characters that force a double-quoted scalar: line breaks YAML would fold or normalise, control characters.
FORCING = ["\r\n", "\x07", "\u2028", "\u2029", "\x85", "\x1b", "\x7f", "\ufeff", "\n"]


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
@pytest.mark.parametrize("forcing", FORCING, ids=[repr(f) for f in FORCING])
def test_text_beside_escaped_characters_stays_itself(text, forcing):
    for value in (text + forcing, forcing + text, text + forcing + text):
        out = dump({"k": value})
        assert yaml.safe_load(out) == {"k": value}, out
        assert text in out  # the characters themselves, not escapes
        assert "\\ud" not in out and "\\U" not in out, out  # never a surrogate escape


def test_double_quoted_scalars_by_hand():
    assert dump({"k": SIREN + "\r\n"}) == 'k: "\U0001F6A8\\r\\n"\n'
    assert dump({"k": "\u00e9\u2028" + SIREN}) == 'k: "\u00e9\\L\U0001F6A8"\n'
    assert dump({"k": "a\x85b\u2029c"}) == 'k: "a\\Nb\\Pc"\n'
    assert dump({"k": "\x00\x07\x08\x0b\x0c\x1b\x01\x7f\x9f"}) == 'k: "\\0\\a\\b\\v\\f\\e\\x01\\x7f\\x9f"\n'
    assert dump({"k": "\ufeff\ufffe\uffff"}) == 'k: "\\ufeff\\ufffe\\uffff"\n'
    assert dump({"k": 'say "\u4f60\u597d"\\\r'}) == 'k: "say \\"\u4f60\u597d\\"\\\\\\r"\n'
    assert double_quoted("\t" + SIREN) == '"\\t\U0001F6A8"'


def test_plain_and_single_quoted_text_is_written_as_itself():
    assert dump({"channel": "#\u00e9quipe-" + SIREN}) == "channel: '#\u00e9quipe-\U0001F6A8'\n"
    assert dump(["\u652f\u4ed8"]) == "- '\u652f\u4ed8'\n"
    assert dump({"t": "two\nlines " + SIREN}) == "t: |-\n  two\n  lines \U0001F6A8\n"


def test_keys_with_line_breaks_keep_their_characters():
    key = SIREN + "\nx"
    out = dump({key: 1})
    assert out == '"\U0001F6A8\\nx": 1\n'
    assert yaml.safe_load(out) == {key: 1}


def test_a_lone_surrogate_is_refused():
    # Half of a surrogate pair is no character: no UTF-8 file can hold it, and YAML forbids its escape.
    for value in ("cut \ud83d", "\udea8", "x\ud83d\r"):
        with pytest.raises(YamlError, match="surrogate"):
            dump({"k": value})


def test_json_text_for_the_tools_by_hand():
    assert json_text({"channel": "#\u00e9quipe-" + SIREN}) == '{"channel": "#\u00e9quipe-\U0001F6A8"}'
    assert json_text(["\u652f\u4ed8", "e\u0301"]) == '["\u652f\u4ed8", "e\u0301"]'
    # JSON's own escapes for control characters; \\u of the code point for what JSON keeps but YAML may not hold.
    assert json_text("a\nb\x07\u2028\x85\x7f\ufeff") == '"a\\nb\\u0007\\u2028\\u0085\\u007f\\ufeff"'
    assert json_text({"b": 1, "a": 2}, sort_keys=True) == '{"a": 2, "b": 1}'


@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_json_text_loads_back_as_yaml(text):
    for value in ({"k": text}, [text + "\x85\u2028\r\n", {"n": text}]):
        out = json_text(value)
        assert text in out and "\\ud" not in out
        assert yaml.safe_load(out) == value
