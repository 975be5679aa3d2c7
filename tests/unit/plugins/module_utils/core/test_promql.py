# -*- coding: utf-8 -*-
"""Selectors from the inventory: what parses, what is refused, and that printing them back can never add a
matcher, a label or a rule (checked with an independent PromQL parser and with promtool's Go regexp)."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core.promql import (
    check_regex,
    decimal_str,
    eq,
    le_matcher,
    le_values,
    Matcher,
    parse_matcher,
    parse_selector,
    quote,
    Selector,
    SelectorError,
)
from ansible_collections.vigil.observability.plugins.module_utils.core import promql
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.toolcheck import promtool_check_rules
from ansible_collections.vigil.observability.tests.support.promql_ast import selectors

TRICKY = [
    'a"b', "a\\", '\\"', '"}', '",evil="1', '"} or vector(1) #', "x\ny", "cr\rlf", "tab\tx", "\u00fcn\u00efc\u00f6de \u2603",
    "{{ $value }}", "`", "'", "\\n", "", " ", "a=b,c=d",
]


@pytest.mark.parametrize("text, metric, matchers", [
    ("up", "up", set()),
    ("ns:metric:rate5m", "ns:metric:rate5m", set()),
    ('http_requests_total{job="api",code=~"5.."}', "http_requests_total", {("job", "=", "api"), ("code", "=~", "5..")}),
    ("{job='api'}", "", {("job", "=", "api")}),
    ("{job=`a\\b`}", "", {("job", "=", "a\\b")}),  # backticks: raw, no escapes
    (' x { a = "1" , b != "2" , } ', "x", {("a", "=", "1"), ("b", "!=", "2")}),
    ('x{a!~"y|z"}', "x", {("a", "!~", "y|z")}),
    ('{a="x\\"y\\\\z\\n"}', "", {("a", "=", 'x"y\\z\n')}),
    ('{__name__="up",job="x"}', "", {("__name__", "=", "up"), ("job", "=", "x")}),
])
def test_valid_selectors(text, metric, matchers):
    selector = parse_selector(text)
    assert selector.metric == metric
    assert {(m.name, m.op, m.value) for m in selector.matchers} == matchers
    # Printed back, an independent parser reads the same selector.
    [(name, found, _range)] = selectors(str(selector))
    assert name == metric and found == matchers
    assert parse_selector(str(selector)) == selector


@pytest.mark.parametrize("text, why", [
    ("", "empty"),
    ("   ", "empty"),
    ("{}", "empty"),
    ('{a=""}', "does not match the empty string"),
    ('{a=~".*"}', "does not match the empty string"),
    ('{a!="x"}', "does not match the empty string"),
    ("rate(x[5m])", "only a metric name and label matchers"),
    ("x[5m]", "only a metric name and label matchers"),
    ("x offset 5m", "only a metric name and label matchers"),
    ("x or y", "only a metric name and label matchers"),
    ('x{a="1"} + 1', "only a metric name and label matchers"),
    ('x{a="1"', "expected"),
    ('x{a="1}', "unterminated"),
    ('x{a="1\n"}', "unterminated"),
    ('x{a="\\q"}', "unsupported escape"),
    ('x{1a="b"}', "expected a label name"),
    ('x{a=="b"}', "quoted label value"),
    ('x{a b="c"}', "expected one of"),
    ('x{a="b" c="d"}', "expected ','"),
    ('x{__name__="y"}', "metric name given twice"),
    ('x{a=~"(?=y)"}', "RE2"),
    ('x{a=~"("}', "does not parse"),
    (5, "must be a string"),
    (None, "must be a string"),
])
def test_invalid_selectors(text, why):
    with pytest.raises(SelectorError, match=re.escape(why)):
        parse_selector(text)


@pytest.mark.parametrize("value", TRICKY)
def test_any_value_stays_one_matcher_value(value):
    """Whatever a label value holds, it reaches PromQL as one escaped string: no extra matcher or clause."""
    selector = Selector("http_requests_total", (eq("job", value), eq("code", "500")))
    text = str(selector)
    assert selectors(text) == [("http_requests_total", frozenset({("job", "=", value), ("code", "=", "500")}), None)]
    assert parse_selector(text) == selector


@pytest.mark.parametrize("value", TRICKY)
def test_quote_round_trips(value):
    assert parse_selector("{a=%s}" % quote(value) if value else '{a=%s,b="x"}' % quote(value)).matchers[0].value == value


def test_quote_escapes():
    assert quote('a"b\\c\nd\te\rf') == '"a\\"b\\\\c\\nd\\te\\rf"'


@pytest.mark.parametrize("name, op, value, why", [
    ("1a", "=", "x", "not a valid label name"),
    ("a-b", "=", "x", "not a valid label name"),
    ("a\n", "=", "x", "not a valid label name"),
    ("a", "==", "x", "not a matcher operator"),
    ("a", "=", 5, "must be a string"),
    ("a", "=~", "(?<=x)", "RE2"),
])
def test_matcher_validation(name, op, value, why):
    with pytest.raises(SelectorError, match=re.escape(why)):
        Matcher(name, op, value)


@pytest.mark.parametrize("metric", ["1up", "up-time", "up\n", "a b"])
def test_selector_metric_validation(metric):
    with pytest.raises(SelectorError, match="not a valid metric name"):
        Selector(metric)


def test_with_matchers_replaces_same_name_and_operator_only():
    base = parse_selector('x{job="a",job!="b",code=~"5.."}')
    changed = base.with_matchers(eq("job", "c"), Matcher("le", "=", "1"))
    assert {(m.name, m.op, m.value) for m in changed.matchers} == {
        ("job", "!=", "b"), ("code", "=~", "5.."), ("job", "=", "c"), ("le", "=", "1")}
    assert base.with_metric("y").metric == "y" and base.with_metric("y").matchers == base.matchers
    assert changed.label_values() == {"job": "c", "le": "1"}


def test_parse_matcher():
    assert parse_matcher('severity="critical"') == Matcher("severity", "=", "critical")
    assert parse_matcher("team=~'a|b'") == Matcher("team", "=~", "a|b")
    for bad in ('a="1",b="2"', "", 5, 'x{a="1"}'):
        with pytest.raises(SelectorError):
            parse_matcher(bad)


# Regexes: what Prometheus (Go's RE2 regexp) accepts must pass, what it refuses must be refused here too.
RE2_OK = ["5..", "(?i)get|post", "a|b", "[[:alpha:]]+", "(?s:a.b)", "\\d+", "a{2,3}", "(?P<name>x)", "(?im)^a$", "[^a-z]"]
RE2_BAD = ["(?=x)", "(?!x)", "(?<=x)", "(?<!x)", "(a)\\1", "(?P<n>a)(?P=n)", "(?>a)", "a*+", "a++", "a?+", "a{2}+",
           "(?#c)", "(?(1)a|b)", "a\\Z", "(?x)a b", "(?a)x", "(?u)x", "(", "["]


@pytest.mark.parametrize("pattern", RE2_OK)
def test_regexes_prometheus_accepts(pattern):
    check_regex(pattern)


@pytest.mark.parametrize("pattern", RE2_BAD + [5, None])
def test_regexes_prometheus_refuses(pattern):
    with pytest.raises(SelectorError):
        check_regex(pattern)


def test_regex_lists_agree_with_promtool(promtool):
    """The oracle for both lists is Prometheus itself: promtool parses each regex with Go's regexp."""
    def accepted(pattern):
        rules = {"groups": [{"name": "g", "rules": [{"record": "r", "expr": "x{a=~%s}" % quote(pattern)}]}]}
        return promtool_check_rules({"r": rules}, promtool=promtool, lint_fatal=False) == {}

    assert [p for p in RE2_OK if not accepted(p)] == []
    assert [p for p in RE2_BAD if accepted(p)] == []


@pytest.mark.parametrize("value, text", [
    # 2% of a 30d budget in 1h at 99.9%: exact, where float arithmetic is not.
    (Fraction(2, 100) * 720 * (1 - Fraction("99.9") / 100), "0.0144"),
    (Fraction(5, 100) * 120 * (1 - Fraction("99.9") / 100), "0.006"),
    (Fraction(1, 3), "0.333333333333333"),
    (Fraction(7, 3) / 1000, "0.00233333333333333"),
    (Fraction(1, 3 * 10 ** 7), "0.0000000333333333333333"),
    (Fraction(1, 10 ** 7), "0.0000001"),
    (Fraction(1, 10 ** 20), "0.00000000000000000001"),
    (0, "0"),
    (100, "100"),
    (Fraction(-5, 2), "-2.5"),
    (0.1, "0.1"),
    (120.0, "120"),
    (99.9, "99.9"),
    (10 ** 21, "1000000000000000000000"),
])
def test_decimal_str(value, text):
    assert decimal_str(value) == text


def test_decimal_str_is_needed():
    """The float route gives the long form docs/slo.md rules out (0.014399999999999998, not 0.0144); Fractions do not."""
    assert repr(0.02 * 720 * (1 - 0.999)) != "0.0144"
    assert decimal_str(Fraction(2, 100) * 720 * (1 - Fraction("99.9") / 100)) == "0.0144"


# How exporters spell a bucket boundary. Prometheus 2 stores the text as scraped: Go clients write
# strconv.FormatFloat(v, 'g', -1, 64) ('1', '0.5', '1e-05', '1e+06'), OpenMetrics clients add '.0' to whole
# numbers. Prometheus 3 rewrites every `le` that way: 'g' formatting, plus '.0' without '.' or 'e'.
LE_SPELLINGS = [
    (1, {"1", "1.0"}),
    (Fraction(1, 2), {"0.5"}),
    (Fraction("0.25"), {"0.25"}),
    (10, {"10", "10.0"}),
    (Fraction("2.5"), {"2.5"}),
    (Fraction("0.0001"), {"0.0001"}),
    (Fraction("0.00001"), {"1e-05"}),
    (100000, {"100000", "100000.0"}),
    (1000000, {"1e+06"}),
    (123456789, {"1.23456789e+08"}),
]


@pytest.mark.parametrize("threshold, spellings", LE_SPELLINGS)
def test_le_matcher_matches_every_spelling_and_no_other_number(threshold, spellings):
    matcher = le_matcher(threshold)
    assert spellings <= set(le_values(threshold))
    # Every spelling we match is the same number: no other bucket can sneak in.
    assert {float(v) for v in le_values(threshold)} == {float(threshold)}
    pattern = matcher.value if matcher.op == "=~" else re.escape(matcher.value)
    for spelling in spellings:
        assert re.fullmatch(pattern, spelling)
    others = {s for t, group in LE_SPELLINGS if t != threshold for s in group} | {"+Inf", "1.00", "01", "11", "0.50"}
    others = {o for o in others if o == "+Inf" or float(o) != float(threshold)}
    assert not [o for o in others if re.fullmatch(pattern, o)]


def test_le_matcher_for_a_single_spelling_is_an_equality():
    assert le_matcher(Fraction(1, 2)) == eq("le", "0.5")
    assert le_matcher(1).op == "=~"


# ---------------------------------------------------------------------------------------------
# Whole queries, on Prometheus' parser (what the spec importers count as events)


@pytest.mark.parametrize("query, expected", [
    ('sum(rate(x_total{code=~"5..",job="api"}[{{.window}}]))', 'x_total{code=~"5..",job="api"}'),
    ('sum(rate(x_total{code=~"5.."}[{{ .window }}]))', 'x_total{code=~"5.."}'),
    ('(sum(increase(x_total[1h])))', "x_total"),
    ('sum by () (rate(x_total[5m]))', "x_total"),
    ('sum(rate(x_total{msg="a)b[c]\\"}"}[5m]))', 'x_total{msg="a)b[c]\\"}"}'),
    ('sum(rate({__name__="x_total",code="5"}[5m]))', 'x_total{code="5"}'),
])
def test_counted_selector_reads_a_sum_of_rates_over_one_selector(query, expected):
    assert str(promql.counted_selector(promql.parse_query(query))) == expected


@pytest.mark.parametrize("query", [
    "rate(x_total[5m])",  # not summed: one series per label set
    "sum by (job) (rate(x_total[5m]))",  # grouped: not one number
    "sum without (job) (rate(x_total[5m]))",
    "max(rate(x_total[5m]))",
    "sum(irate(x_total[5m]))",
    "sum(rate(x_total[5m] offset 1h))",  # another time than the alert's
    "sum(rate(x_total[5m] @ 100))",
    "sum(rate(x_total[1h:5m]))",  # a subquery
    "sum(rate(x_total[5m])) * 2",
    'sum(rate(x_total{a="1" or b="2"}[5m]))',  # or-matchers: two selectors
    "sum(x_total)",
    "topk(1, rate(x_total[5m]))",
])
def test_counted_selector_refuses_every_other_query(query):
    assert promql.counted_selector(promql.parse_query(query)) is None


def test_sides_splits_only_a_plain_top_level_operator():
    tree = promql.parse_query("(sum(rate(a_count[5m])) - sum(rate(a_bucket{le=\"0.5\"}[5m])))")
    left, right = promql.sides(tree, "-")
    assert str(promql.counted_selector(left)) == "a_count" and str(promql.counted_selector(right)) == 'a_bucket{le="0.5"}'
    assert promql.sides(tree, "/") is None
    assert promql.sides(promql.parse_query("sum(rate(a[5m])) / on() sum(rate(b[5m]))"), "/") is None  # vector matching
    assert promql.sides(promql.parse_query("sum(rate(a[5m])) > bool 1"), ">") is None
    # The operator inside a label value is text, not an operator.
    assert promql.sides(promql.parse_query('sum(rate(a{x="1-2"}[5m]))'), "-") is None


def test_vector_selector_keeps_values_exactly_and_refuses_what_prometheus_would():
    assert promql.vector_selector(promql.parse_query('x{a="\\n\\"q\\"",b!~"[0-9]+"}')) == Selector(
        "x", (Matcher("a", "=", '\n"q"'), Matcher("b", "!~", "[0-9]+")))
    assert promql.vector_selector(promql.parse_query("x offset 5m")) is None
    with pytest.raises(promql.SelectorError):
        promql.vector_selector(promql.parse_query('x{a=~"a{2000}"}'))  # RE2's repeat limit


@pytest.mark.parametrize("text", ["sum(rate(x[5m])", "x{a=}", "", 42])
def test_parse_query_refuses_what_does_not_parse(text):
    with pytest.raises(promql.QueryError):
        promql.parse_query(text)


def test_parse_query_says_what_is_missing_without_promql_parser(monkeypatch):
    monkeypatch.setattr(promql, "_promql", None)
    with pytest.raises(promql.QueryError, match="needs the Python package promql-parser"):
        promql.parse_query("sum(rate(x[5m]))")


def test_query_selectors_are_every_selector_of_a_query_wherever_it_is():
    tree = promql.parse_query('sum(rate(a{x="1"}[5m] offset 1h)) / on(job) group_left b{namespace="z"} + max_over_time(c[1h:5m] @ 100)')
    assert promql.query_selectors(tree) == [Selector("a", (Matcher("x", "=", "1"),)), Selector("b", (Matcher("namespace", "=", "z"),)),
                                            Selector("c")]
    with pytest.raises(promql.SelectorError, match="uses `or` between matchers"):
        promql.query_selectors(promql.parse_query('d{a="1" or b="2"}'))
