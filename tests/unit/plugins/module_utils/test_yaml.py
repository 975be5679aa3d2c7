# -*- coding: utf-8 -*-
"""The rendered files' YAML emitter gives back exactly the data it was given, read by PyYAML (YAML 1.1, as most
Kubernetes tooling reads it), for every kind of string YAML treats specially, and keeps PyYAML's layout."""

from __future__ import annotations

import math

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.core.yaml import YamlError, dump

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
