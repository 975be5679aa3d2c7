# -*- coding: utf-8 -*-
"""The Reader: typed reads of one inventory mapping, each problem with its path, unknown keys refused."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe, to_fraction
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label

PATH = "observability_team_x.services[0]"


def read(data, method, key="k", **kwargs):
    """(value, problems) of one Reader call on `data`."""
    problems = Problems()
    reader = Reader(data, PATH, problems)
    value = getattr(reader, method)(key, **kwargs)
    return value, problems.items


@pytest.mark.parametrize("data", [[], "x", 5, True])
def test_a_block_that_is_not_a_mapping_is_one_problem(data):
    problems = Problems()
    reader = Reader(data, PATH, problems)
    assert not reader.ok
    # Required keys of a block that is not a mapping add no noise.
    assert reader.string("name", required=True) is None
    reader.done()
    assert problems.items == ["%s: must be a mapping, got %s" % (PATH, describe(data))]


def test_null_block_is_empty():
    problems = Problems()
    reader = Reader(None, PATH, problems)
    assert reader.ok and reader.string("x", default="d") == "d"
    reader.done()
    assert problems.items == []


def test_required_and_null():
    assert read({}, "string", required=True) == (None, [PATH + ".k: is required"])
    assert read({"k": None}, "string", required=True) == (None, [PATH + ".k: is required"])
    assert read({"k": None}, "string", default="d") == ("d", [])


@pytest.mark.parametrize("value, kwargs, expected, problem", [
    ("abc", {}, "abc", None),
    (5, {}, None, "must be a string, got 5"),
    ("x", {"choices": ("page", "ticket")}, None, "must be one of page, ticket, got 'x'"),
    ("page", {"choices": ("page", "ticket")}, "page", None),
    ("/m", {"pattern": "/\\S*", "what": "a path"}, "/m", None),
    ("m", {"pattern": "/\\S*", "what": "a path"}, None, "must be a path, got 'm'"),
    ("m", {"pattern": "/\\S*"}, None, "must be of the form /\\S*, got 'm'"),
    # A pattern must match the whole value, not a prefix.
    ("/m x", {"pattern": "/\\S*", "what": "a path"}, None, "must be a path, got '/m x'"),
    # The whole value must match: `$` alone would let a trailing newline through.
    ("up\n", {"pattern": r"^[a-z]+$", "what": "a metric name"}, None, "must be a metric name, got 'up\\n'"),
])
def test_string(value, kwargs, expected, problem):
    got, problems = read({"k": value}, "string", **kwargs)
    assert got == expected
    assert problems == ([] if problem is None else ["%s.k: %s" % (PATH, problem)])


@pytest.mark.parametrize("value, ok", [
    ("payments", True), ("a", True), ("a-1", True), ("1a", True), ("a" * 63, True),
    ("a" * 64, False), ("Payments", False), ("-a", False), ("a-", False), ("a_b", False), ("a.b", False),
    ("", False), ("a\n", False), ("\u00e4", False), (5, False), (None, False),
])
def test_names(value, ok):
    assert is_dns_label(value) is ok
    if value is None:
        return
    got, problems = read({"k": value}, "name")
    assert (got == value) is ok
    if not ok:
        assert problems == ["%s.k: must be a valid Kubernetes name (lower-case letters, digits and '-', starting and ending "
                            "with a letter or digit, at most 63 characters), got %s" % (PATH, describe(value))]


@pytest.mark.parametrize("value, expected, problem", [
    (True, True, None), (False, False, None), ("yes", False, "must be true or false, got 'yes'"), (1, False, "must be true or false, got 1"),
])
def test_boolean(value, expected, problem):
    got, problems = read({"k": value}, "boolean", default=False)
    assert got is expected
    assert problems == ([] if problem is None else ["%s.k: %s" % (PATH, problem)])


@pytest.mark.parametrize("value, expected, problem", [
    (5, 5, None), (1, 1, None),
    (0, None, "must be at least 1, got 0"),
    (True, None, "must be a whole number, got True"),
    (5.0, None, "must be a whole number, got 5.0"),
    ("5", None, "must be a whole number, got '5'"),
])
def test_integer(value, expected, problem):
    got, problems = read({"k": value}, "integer", minimum=1)
    assert got == expected
    assert problems == ([] if problem is None else ["%s.k: %s" % (PATH, problem)])


@pytest.mark.parametrize("value, expected", [
    (99.9, Fraction(999, 10)), ("99.95", Fraction(9995, 100)), (99, Fraction(99)), (0.1, Fraction(1, 10)), ("1e1", Fraction(10)),
])
def test_decimal_is_exact(value, expected):
    got, problems = read({"k": value}, "decimal")
    assert (got, problems) == (expected, [])


@pytest.mark.parametrize("value, kwargs, problem", [
    (120, {"low": 0, "high": 100}, "must be between 0 and 100 (exclusive), got 120"),
    (100, {"low": 0, "high": 100}, "must be between 0 and 100 (exclusive), got 100"),
    (0, {"low": 0, "high": 100}, "must be between 0 and 100 (exclusive), got 0"),
    (0, {"low": 0, "high": 100, "high_open": False}, "must be between 0 and 100 (excluding 0), got 0"),
    (101, {"low": 0, "high": 100, "low_open": False}, "must be between 0 and 100 (excluding 100), got 101"),
    (-1, {"low": 0, "high": 100, "low_open": False, "high_open": False}, "must be between 0 and 100 (inclusive), got -1"),
    (-1, {"low": 0}, "must be greater than 0, got -1"),
    (-1, {"low": 0, "low_open": False}, "must be at least 0, got -1"),
    (7, {"high": 5}, "must be less than 5, got 7"),
    (7, {"high": 5, "high_open": False}, "must be at most 5, got 7"),
    ("abc", {}, "must be a number, got 'abc'"),
    ("nan", {}, "must be a number, got 'nan'"),
    (float("inf"), {}, "must be a number, got inf"),
    (True, {}, "must be a number, got True"),
    ([1], {}, "must be a number, got [1]"),
])
def test_decimal_problems(value, kwargs, problem):
    assert read({"k": value}, "decimal", **kwargs) == (None, ["%s.k: %s" % (PATH, problem)])


@pytest.mark.parametrize("value, expected", [(100, Fraction(100)), (1, Fraction(1))])
def test_decimal_closed_bounds_accept_the_bound(value, expected):
    assert read({"k": value}, "decimal", low=1, high=100, low_open=False, high_open=False) == (expected, [])


def test_duration():
    assert read({"k": "5m"}, "duration") == (Duration.parse("5m"), [])
    assert read({}, "duration", default=Duration.parse("1h")) == (Duration.parse("1h"), [])
    got, problems = read({"k": "5 minutes"}, "duration")
    assert got is None and problems == ["%s.k: must be a Prometheus duration such as 30s, 5m or 1h30m, got '5 minutes'" % PATH]


def test_selector():
    got, problems = read({"k": 'up{job="a"}'}, "selector")
    assert str(got) == 'up{job="a"}' and problems == []
    got, problems = read({"k": "rate(up[5m])"}, "selector")
    assert got is None and len(problems) == 1 and problems[0].startswith(PATH + ".k: is not a PromQL selector: ")


def test_mapping_and_items():
    assert read({"k": {"a": 1}}, "mapping") == ({"a": 1}, [])
    assert read({"k": [1]}, "mapping") == ({}, [PATH + ".k: must be a mapping, got [1]"])
    assert read({"k": ["a", "b"]}, "items") == ([(PATH + ".k[0]", "a"), (PATH + ".k[1]", "b")], [])
    assert read({"k": "a"}, "items") == ([], [PATH + ".k: must be a list, got 'a'"])
    assert read({}, "items", required=True) == ([], [PATH + ".k: is required"])


def test_string_list():
    assert read({"k": ["a", 5, "b"]}, "string_list") == (["a", "b"], [PATH + ".k[1]: must be a string, got 5"])
    got, problems = read({"k": ["go_.*", "(?=x)"]}, "string_list", regex=True)
    assert got == ["go_.*"] and len(problems) == 1 and problems[0].startswith(PATH + ".k[1]: regex '(?=x)' uses lookaround")


def test_label_map():
    got, problems = read({"k": {"b": "x", "a": 5, "c": 1.5, "__x": "y", "1a": "z", "bad-name": "z", "d": True, "e": [1], "f\n": "z"}},
                         "label_map")
    assert got == {"a": "5", "b": "x", "c": "1.5"}
    assert problems == [
        PATH + ".k.1a: is not a valid Prometheus label name",
        PATH + ".k.__x: is not a valid Prometheus label name",
        PATH + ".k.bad-name: is not a valid Prometheus label name",
        PATH + ".k.d: must be a string, got True",
        PATH + ".k.e: must be a string, got [1]",
        PATH + ".k.f\n: is not a valid Prometheus label name",
    ]


def test_unknown_keys_are_errors_naming_the_known_ones():
    problems = Problems()
    reader = Reader({"name": "x", "objectve": 99, "zzz": 1}, PATH, problems)
    reader.string("name")
    reader.decimal("objective")
    reader.done()
    assert problems.items == [
        PATH + ".objectve: unknown key (known keys: name, objective)",
        PATH + ".zzz: unknown key (known keys: name, objective)",
    ]


def test_raw_and_has_count_as_read():
    problems = Problems()
    reader = Reader({"a": 1, "b": None}, PATH, problems)
    assert reader.has("a") and not reader.has("b") and not reader.has("c")
    assert reader.raw("a") == 1 and reader.raw("b", "d") == "d"
    reader.done()
    assert problems.items == []


@pytest.mark.parametrize("value, expected", [
    (5, Fraction(5)), (0.1, Fraction(1, 10)), ("0.0144", Fraction(144, 10000)), (" 7 ", Fraction(7)), ("1e-3", Fraction(1, 1000)),
    (True, None), (None, None), ("x", None), ("inf", None), ("NaN", None), (float("nan"), None), ([], None),
])
def test_to_fraction(value, expected):
    assert to_fraction(value) == expected


def test_describe_truncates():
    assert describe("a") == "'a'"
    long = describe("x" * 200)
    assert len(long) == 80 and long.endswith("...")
