# -*- coding: utf-8 -*-
"""SLO rules, read back with an independent PromQL parser: exact thresholds from the tier arithmetic, the two-level
(cheap) structure, labels and annotations of the alerts, dashboard series, determinism, and the lint."""

from __future__ import annotations

import itertools
import json
import re
from fractions import Fraction

import pytest
import promql_parser

from ansible_collections.vigil.observability.plugins.module_utils.generators import slo as slo_rules
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.inventory.teams import parse_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings
from ansible_collections.vigil.observability.tests.support.promql_ast import functions, nodes, reads, selectors

VAR = "observability_team_shop"
IDENT = {"namespace": "shop", "service": "api", "slo": "availability", "team": "shop"}
IDENT_MATCHERS = frozenset((k, "=", v) for k, v in IDENT.items())
S, M, H, D = 1, 60, 3600, 86400
# The default tiers of docs/slo.md: (action, % of the budget, long window s, short window s).
SPEC_TIERS = [("page", 2, H, 5 * M), ("page", 5, 6 * H, 30 * M), ("ticket", 10, D, 2 * H), ("ticket", 10, 3 * D, 6 * H)]
WINDOW_NAMES = {5 * M: "5m", 30 * M: "30m", H: "1h", 2 * H: "2h", 6 * H: "6h", D: "1d", 3 * D: "3d"}


def ratio_slo(**changes):
    slo = {"name": "availability", "objective": 99.9, "errors": 'http_requests_total{job="api",code=~"5.."}',
           "total": 'http_requests_total{job="api"}'}
    slo.update(changes)
    return slo


def load(slos, service_extra=None, team_extra=None, settings=None):
    problems = Problems()
    parsed = team_settings(settings or {}, problems)
    service = {"name": "api", "slos": slos}
    service.update(service_extra or {})
    team = {"services": [service]}
    team.update(team_extra or {})
    teams = parse_teams([(VAR, team, "shop")], parsed, problems)
    assert problems.items == []
    return teams[0], parsed


def groups_for(slos, **kwargs):
    team, settings = load(slos, **kwargs)
    return slo_rules.team_groups(team, settings)


def rules(groups):
    return [rule for group in groups for rule in group["rules"]]


def alert(groups, name):
    [found] = [r for r in rules(groups) if r.get("alert") == name]
    return found


def record(groups, name):
    [found] = [r for r in rules(groups) if r.get("record") == name]
    return found


def comparisons(expr):
    """(recorded series, window, threshold as printed) of every `series > number` in an alert expression."""
    found = []
    for node in nodes(expr):
        if isinstance(node, promql_parser.BinaryExpr) and str(node.op) == ">" and isinstance(node.rhs, promql_parser.NumberLiteral):
            [(name, matchers, _range)] = selectors(node.lhs)
            assert matchers == IDENT_MATCHERS
            found.append(name)
    numbers = re.findall(r"> ([0-9.e+-]+)", expr)
    return sorted(zip(found, numbers))


def spec_threshold(percent, long_s, objective, period_s):
    """p% of the budget within W, as an error ratio: p/100 x period/W x (1 - objective)."""
    return Fraction(percent, 100) * Fraction(period_s, long_s) * (1 - Fraction(str(objective)) / 100)


def exact(value):
    """A Fraction with a finite decimal expansion, printed in full (the exact decimals docs/slo.md promises)."""
    digits = 0
    while (value * 10 ** digits).denominator != 1:
        digits += 1
        assert digits < 40, value
    whole = value * 10 ** digits
    sign = "-" if whole < 0 else ""
    body = str(abs(whole.numerator)).rjust(digits + 1, "0")
    text = body[:len(body) - digits] + ("." + body[len(body) - digits:] if digits else "")
    return sign + text


# ---------------------------------------------------------------- thresholds

@pytest.mark.parametrize("objective, period_days", [(99.9, 30), (99.5, 28), (95, 7), (99.99, 30), (99, 30)])
def test_thresholds_are_the_tier_arithmetic_printed_exactly(objective, period_days):
    period = period_days * D
    tiers = [dict(action=a, budget_percent=p, long_window=WINDOW_NAMES[lw], short_window=WINDOW_NAMES[sw]) for a, p, lw, sw in SPEC_TIERS
             if lw <= period]
    groups = groups_for([ratio_slo(objective=objective, period="%dd" % period_days, tiers=tiers)])
    for action, name in (("page", "SLOErrorBudgetFastBurn"), ("ticket", "SLOErrorBudgetSlowBurn")):
        expected = []
        for a, percent, long_s, short_s in SPEC_TIERS:
            if a != action or long_s > period:
                continue
            value = spec_threshold(percent, long_s, objective, period)
            text = exact(value) if _finite(value) else None
            for window in (long_s, short_s):
                expected.append(("vigil:slo_error_ratio:rate" + WINDOW_NAMES[window], text))
        got = comparisons(alert(groups, name)["expr"])
        assert [g[0] for g in got] == sorted(e[0] for e in expected)
        for (series, printed), (_s, text) in zip(got, sorted(expected)):
            if text is not None:
                assert printed == text, series
            else:  # 7d periods give thirds: 15 significant digits
                assert abs(Fraction(printed) - spec_threshold(*_tier_of(series, action), objective, period)) < Fraction(1, 10 ** 15)


def _finite(value):
    den = value.denominator
    for prime in (2, 5):
        while den % prime == 0:
            den //= prime
    return den == 1


def _tier_of(series, action):
    window = {v: k for k, v in WINDOW_NAMES.items()}[series.rsplit("rate", 1)[1]]
    for a, percent, long_s, short_s in SPEC_TIERS:
        if a == action and window in (long_s, short_s):
            return percent, long_s
    raise AssertionError(series)


def test_the_classic_float_trap_is_avoided():
    expr = alert(groups_for([ratio_slo()]), "SLOErrorBudgetFastBurn")["expr"]
    assert "0.0144" in expr and "0.014399999999999998" not in expr and "0.0144000" not in expr


def test_alert_value_is_the_burn_rate():
    """The expression ends in `/ budget`: $value in the description is the long window's ratio over the budget."""
    for name in ("SLOErrorBudgetFastBurn", "SLOErrorBudgetSlowBurn"):
        tree = promql_parser.parse(alert(groups_for([ratio_slo()]), name)["expr"])
        assert str(tree.op) == "/" and tree.rhs.val == pytest.approx(0.001)
        # The left side's first operand is the long window of the first tier: its value survives `and`/`or`.
        first = next(n for n in nodes(tree) if isinstance(n, promql_parser.BinaryExpr) and str(n.op) == ">")
        [(series, _m, _r)] = selectors(first.lhs)
        assert series == {"SLOErrorBudgetFastBurn": "vigil:slo_error_ratio:rate1h",
                          "SLOErrorBudgetSlowBurn": "vigil:slo_error_ratio:rate1d"}[name]


# ---------------------------------------------------------------- the two levels

def test_raw_series_are_read_only_by_the_short_windows_and_the_hourly_block():
    groups = groups_for([ratio_slo()])
    raw_readers = {}
    for rule in rules(groups):
        for name, matchers, _window in selectors(rule["expr"]):
            if name.startswith("vigil:slo_"):
                assert matchers == IDENT_MATCHERS, rule
        for name, window, offset in reads(rule["expr"]):
            if not name.startswith("vigil:slo_"):
                raw_readers.setdefault(rule.get("record"), set()).add((window, offset))
    # The dashboards' 5m rate, the 30m window, and the two reads of the hourly block (the last two hours, the hour before
    # them): nothing reads raw series further back than two hours.
    assert raw_readers == {
        "vigil:slo_requests_per_second:rate5m": {(5 * M, 0)}, "vigil:slo_errors_per_second:rate5m": {(5 * M, 0)},
        "vigil:slo_requests:increase30m": {(30 * M, 0)}, "vigil:slo_errors:increase30m": {(30 * M, 0)},
        "vigil:slo_requests:raw1h_offset1h": {(H, H)}, "vigil:slo_errors:raw1h_offset1h": {(H, H)},
        "vigil:slo_requests:raw2h": {(2 * H, 0)}, "vigil:slo_errors:raw2h": {(2 * H, 0)}}


def _covered(expr, block_names):
    """The spans (start, end) in seconds before now that a window's terms cover, from their offsets and block sizes."""
    spans, raw = [], set()
    for name, window, offset in reads(expr):
        size = block_names.get(name) or window
        assert size, (name, expr)
        if name.startswith("vigil:"):
            spans.append((offset, offset + size))
        else:
            # A raw rest: the errors read and, for a counter not created yet, the requests of the same span.
            raw.add((offset, offset + size))
    return sorted(spans + list(raw))


def test_the_one_hour_window_is_two_raw_hours_less_the_hour_before_them_both_read_now():
    groups = groups_for([ratio_slo()])
    for kind in ("requests", "errors"):
        expr = record(groups, "vigil:slo_%s:increase1h" % kind)["expr"]
        tree = promql_parser.parse(expr)
        assert str(tree.op) == "or"
        # No recorded history is read: after a Prometheus restart the hour before is still there to subtract.
        minus = next(n for n in nodes(tree.lhs) if isinstance(n, promql_parser.BinaryExpr))
        assert str(minus.op) == "-"
        assert reads(minus.lhs) == [("vigil:slo_%s:raw2h" % kind, 0, 0)]
        assert reads(minus.rhs) == [("vigil:slo_%s:raw1h_offset1h" % kind, 0, 0)]
        # Raw series younger than an hour have no hour before: the two hours hold them whole.
        assert reads(tree.rhs) == [("vigil:slo_%s:raw2h" % kind, 0, 0)]


@pytest.mark.parametrize("window", [2 * H, 6 * H, D, 3 * D, 7 * D, 30 * D, 36 * H, 31 * H + 30 * M, 9 * D + 7 * H])
def test_windows_of_hours_and_days_tile_exactly_with_blocks(window):
    extra = {30 * D: [], 7 * D: [], 36 * H: [("page", 5, "36h", "1h")], 31 * H + 30 * M: [("page", 5, "31h30m", "1h")],
             9 * D + 7 * H: [("ticket", 50, "9d7h", "1d")]}.get(window, [])
    tiers = [{"action": a, "budget_percent": p, "long_window": lw, "short_window": sw} for a, p, lw, sw in extra]
    groups = groups_for([ratio_slo(tiers=tiers)] if tiers else [ratio_slo()])
    label = {30 * D: "30d", 7 * D: "7d", 36 * H: "1d12h", 31 * H + 30 * M: "1d7h30m", 9 * D + 7 * H: "9d7h"}.get(window) or WINDOW_NAMES[window]
    for kind in ("requests", "errors"):
        expr = record(groups, "vigil:slo_%s:increase%s" % (kind, label))["expr"]
        spans = _covered(expr, {"vigil:slo_%s:block1h" % kind: H, "vigil:slo_%s:increase6h" % kind: 6 * H,
                                "vigil:slo_%s:increase1d" % kind: D, "vigil:slo_%s:increase7d" % kind: 7 * D})
        # Consecutive spans, from now back to exactly the window: every instant counted once.
        assert spans[0][0] == 0 and spans[-1][1] == window
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), spans
        # A missing block (before the SLO existed, a Prometheus restart) counts as zero, not as a missing window.
        assert expr.count("or vector(0)") == len(spans)
    if window == 7 * D:
        return  # a helper sum (30d is built of it), not a tier window: no ratio of its own
    tree = promql_parser.parse(record(groups, "vigil:slo_error_ratio:rate" + label)["expr"])
    assert str(tree.op) == "/"
    assert selectors(tree) == [("vigil:slo_errors:increase" + label, IDENT_MATCHERS, None),
                               ("vigil:slo_requests:increase" + label, IDENT_MATCHERS, None)]


def test_the_hourly_block_subtracts_the_hour_before_only_when_its_block_was_recorded():
    groups = groups_for([ratio_slo()])
    for kind in ("requests", "errors"):
        expr = record(groups, "vigil:slo_%s:block1h" % kind)["expr"]
        assert functions(expr) == ["clamp_min", "vector"]  # never below zero
        minus = next(n for n in nodes(expr) if isinstance(n, promql_parser.BinaryExpr))
        assert str(minus.op) == "-" and reads(minus.lhs) == [("vigil:slo_%s:raw2h" % kind, 0, 0)]
        # (the hour before, read raw now) and on () (this group's evaluation of an hour ago), or 0: when Prometheus did
        # not evaluate an hour ago, that hour has no block, and this one covers both hours.
        either = minus.rhs
        while isinstance(either, promql_parser.ParenExpr):
            either = either.expr
        assert str(either.op) == "or" and reads(either.rhs) == [] and functions(either.rhs) == ["vector"]
        both = either.lhs
        assert str(both.op) == "and" and list(both.modifier.matching.labels) == []
        assert reads(both.lhs) == [("vigil:slo_%s:raw1h_offset1h" % kind, 0, 0)]
        assert reads(both.rhs) == [("vigil:slo_%s:raw2h" % kind, 0, H)]
        # A past 6h or 1d sum is the newest reading within the hour before its offset (a restart leaves it early, not
        # missing); the current one is read as recorded just before.
        day = record(groups, "vigil:slo_%s:increase1d" % kind)["expr"]
        assert sorted(reads(day)) == [("vigil:slo_%s:increase6h" % kind, 0, 0)] + [
            ("vigil:slo_%s:increase6h" % kind, H, o * H) for o in (6, 12, 18)]
        assert sorted(functions(day)) == ["last_over_time"] * 3 + ["vector"] * 4


def test_a_window_that_is_not_whole_hours_reads_its_rest_raw():
    groups = groups_for([ratio_slo(tiers=[{"action": "page", "budget_percent": 5, "long_window": "90m", "short_window": "10m"}])])
    expr = record(groups, "vigil:slo_requests:increase1h30m")["expr"]
    assert sorted(reads(expr)) == [("http_requests_total", 30 * M, H), ("vigil:slo_requests:block1h", 0, 0)]


def test_every_count_is_recorded_before_it_is_read():
    for slo in (ratio_slo(), {"name": "latency", "objective": 99, "latency": {"histogram": "h", "threshold": 1, "selector": '{job="api"}'}}):
        for group in groups_for([slo]):
            recorded = set()
            for rule in group["rules"]:
                for name, _window, offset in reads(rule["expr"]):
                    if name.startswith("vigil:slo_") and offset == 0 and group["rules"][0].get("record") != name:
                        assert name in recorded or not any(r.get("record") == name for r in group["rules"]), (name, rule)
                if "record" in rule:
                    recorded.add(rule["record"])


def test_base_window_ratio_and_recorded_windows():
    team, _settings = load([ratio_slo()])
    slo = team.services[0].slos[0]
    assert str(slo_rules.base_window(slo)) == "5m"
    assert [str(w) for w in slo_rules.windows(slo)] == ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"]
    tree = promql_parser.parse(record(slo_rules.team_groups(team, team_settings({}, Problems())), "vigil:slo_error_ratio:rate5m")["expr"])
    assert selectors(tree) == [("vigil:slo_errors_per_second:rate5m", IDENT_MATCHERS, None),
                               ("vigil:slo_requests_per_second:rate5m", IDENT_MATCHERS, None)]


def test_the_base_window_follows_the_tiers():
    groups = groups_for([ratio_slo(tiers=[{"action": "page", "budget_percent": 5, "long_window": "2h", "short_window": "10m"}])])
    raw = [w for r in rules(groups) for n, _m, w in selectors(r["expr"]) if not n.startswith("vigil:")]
    assert set(raw) == {10 * M, H, 2 * H}
    assert record(groups, "vigil:slo_requests_per_second:rate10m")
    assert {r.get("record") for r in rules(groups)} >= {"vigil:slo_error_ratio:rate10m", "vigil:slo_error_ratio:rate2h"}


def test_level_one_sums_to_one_series_and_a_missing_error_counter_is_zero():
    groups = groups_for([ratio_slo()])
    errors = promql_parser.parse(record(groups, "vigil:slo_errors_per_second:rate5m")["expr"])
    # sum(rate(errors[5m])) or 0 * sum(<requests just recorded>): no errors series yet means 0, never absent,
    # and the raw total is not read a second time.
    assert str(errors.op) == "or"
    # The team's namespace is added to its selectors (docs/tenancy.md).
    assert selectors(errors.lhs) == [("http_requests_total", frozenset({("job", "=", "api"), ("code", "=~", "5.."), ("namespace", "=", "shop")}), 300)]
    assert str(errors.rhs.op) == "*" and errors.rhs.lhs.val == 0
    assert selectors(errors.rhs) == [("vigil:slo_requests_per_second:rate5m", frozenset((k, "=", v) for k, v in IDENT.items()), None)]
    order = [r.get("record") for r in rules(groups)]
    assert order.index("vigil:slo_requests_per_second:rate5m") < order.index("vigil:slo_errors_per_second:rate5m")
    requests = promql_parser.parse(record(groups, "vigil:slo_requests_per_second:rate5m")["expr"])
    assert isinstance(requests, promql_parser.AggregateExpr) and requests.modifier is None  # sum without by: one series
    for rule in rules(groups):
        if "record" in rule:
            assert rule["labels"] == IDENT


@pytest.mark.parametrize("threshold, spellings", [(1, {"1", "1.0"}), (0.5, {"0.5"}), (10, {"10", "10.0"})])
def test_latency_reads_count_and_the_threshold_bucket(threshold, spellings):
    slo = {"name": "latency", "objective": 99, "latency": {
        "histogram": "http_request_duration_seconds", "threshold": threshold, "selector": '{job="api",route!="/healthz"}'}}
    groups = groups_for([slo])
    tree = promql_parser.parse(record(groups, "vigil:slo_errors_per_second:rate5m")["expr"])
    assert str(tree.op) == "-"  # bad = all (the requests just recorded from _count) - good
    base = {("job", "=", "api"), ("route", "!=", "/healthz"), ("namespace", "=", "shop")}
    ident = frozenset((k, "=", v) for k, v in IDENT.items() if k != "slo") | {("slo", "=", "latency")}
    assert selectors(tree.lhs) == [("vigil:slo_requests_per_second:rate5m", ident, None)]
    requests = promql_parser.parse(record(groups, "vigil:slo_requests_per_second:rate5m")["expr"])
    assert selectors(requests) == [("http_request_duration_seconds_count", frozenset(base), 300)]
    [(bucket, matchers, window)] = selectors(tree.rhs)
    assert (bucket, window) == ("http_request_duration_seconds_bucket", 300)
    [le] = [m for m in matchers if m[0] == "le"]
    assert matchers - {le} == base
    pattern = le[2] if le[1] == "=~" else re.escape(le[2])
    assert all(re.fullmatch(pattern, s) for s in spellings)
    assert not re.fullmatch(pattern, "+Inf") and not re.fullmatch(pattern, "100")


# ---------------------------------------------------------------- alerts

def test_alert_labels_and_annotations():
    groups = groups_for([ratio_slo(description="Checkout availability", dashboard_url="https://grafana.example.com/d/x")],
                        service_extra={"runbook_url": "https://runbooks.example.com/api"},
                        team_extra={"labels": {"cost_center": "cc-7", "tier": 1}})
    for name, severity in (("SLOErrorBudgetFastBurn", "critical"), ("SLOErrorBudgetSlowBurn", "warning")):
        rule = alert(groups, name)
        assert rule["labels"] == dict(IDENT, severity=severity, cost_center="cc-7", tier="1")
        notes = rule["annotations"]
        assert set(notes) == {"summary", "description", "runbook_url", "dashboard_url"}
        assert notes["runbook_url"] == "https://runbooks.example.com/api"  # the service's, as the SLO has none
        assert notes["dashboard_url"] == "https://grafana.example.com/d/x"
        assert "Checkout availability" in notes["summary"]
        assert '{{ printf "%.2f" $value }}x' in notes["description"]  # the burn rate
        assert "error budget 0.1% of events" in notes["description"] and "Objective 99.9% over 30d" in notes["description"]
        assert "for" not in rule


def test_tier_factors_in_the_description():
    description = alert(groups_for([ratio_slo()]), "SLOErrorBudgetFastBurn")["annotations"]["description"]
    # 2% of a 30d budget in 1h is 14.4x; 5% in 6h is 6x.
    assert "2% of the budget within 1h (14.4x)" in description and "5% of the budget within 6h (6x)" in description


def test_slo_runbook_wins_and_links_are_optional():
    groups = groups_for([ratio_slo(runbook_url="https://r/slo")], service_extra={"runbook_url": "https://r/service"})
    assert alert(groups, "SLOErrorBudgetFastBurn")["annotations"]["runbook_url"] == "https://r/slo"
    notes = alert(groups_for([ratio_slo()]), "SLOErrorBudgetFastBurn")["annotations"]
    assert set(notes) == {"summary", "description"}


def test_template_text_from_the_inventory_is_literal():
    """'{{' from the inventory is wrapped so Go templates print it (promtool proves the rendering)."""
    groups = groups_for([ratio_slo(description="a {{ .Evil }} b", runbook_url="https://r/{{ $value }}")],
                        team_extra={"labels": {"cost_center": "{{ $labels.x }}"}})
    rule = alert(groups, "SLOErrorBudgetFastBurn")
    texts = [rule["annotations"]["summary"], rule["annotations"]["runbook_url"], rule["labels"]["cost_center"]]
    for text in texts:
        assert "{{" not in re.sub(r'\{\{ "\{\{" \}\}', "", text), text
    assert slo_rules.template_literal("no braces") == "no braces"


def test_min_events_gates_each_tier_on_its_long_window():
    groups = groups_for([ratio_slo(min_events=500, tiers=[
        {"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m"},
        {"action": "page", "budget_percent": 5, "long_window": "6h", "short_window": "30m", "min_events": 20},
    ])])
    expr = alert(groups, "SLOErrorBudgetFastBurn")["expr"]
    gates = re.findall(r"vigil:slo_requests:increase(\w+)\{[^}]*\} >= (\d+)", expr)
    # The events of the long window, counted; the tier's own min_events wins over the SLO's.
    assert sorted((w, int(n)) for w, n in gates) == [("1h", 500), ("6h", 20)]
    assert ">=" not in alert(groups_for([ratio_slo()]), "SLOErrorBudgetFastBurn")["expr"]


def test_for_is_carried_to_the_alert():
    groups = groups_for([ratio_slo(tiers=[
        {"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m", "for": "2m"},
        {"action": "ticket", "budget_percent": 10, "long_window": "1d", "short_window": "2h"},
    ])])
    assert alert(groups, "SLOErrorBudgetFastBurn")["for"] == "2m"
    assert "for" not in alert(groups, "SLOErrorBudgetSlowBurn")


def test_only_page_tiers_give_only_the_page_alert():
    groups = groups_for([ratio_slo(tiers=[{"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m"}])])
    assert [r["alert"] for r in rules(groups) if "alert" in r] == ["SLOErrorBudgetFastBurn"]


def test_no_data_alert_is_off_by_default():
    assert not [r for r in rules(groups_for([ratio_slo()])) if r.get("alert") == "SLONoData"]
    groups = groups_for([ratio_slo(no_data=True)])
    rule = alert(groups, "SLONoData")
    assert rule["for"] == "15m" and rule["labels"] == dict(IDENT, severity="warning")
    assert functions(rule["expr"]) == ["absent", "absent"]
    assert {n for n, m, _w in selectors(rule["expr"])} == {"vigil:slo_requests_per_second:rate5m", "vigil:slo_errors_per_second:rate5m"}
    assert alert(groups_for([ratio_slo(no_data={"for": "1h"})]), "SLONoData")["for"] == "1h"


# ---------------------------------------------------------------- dashboard series

def test_dashboard_series():
    groups = groups_for([ratio_slo(objective="99.95")])
    budget = next(g for g in groups if g["name"].endswith("/budget"))
    names = [r["record"] for r in budget["rules"]]
    assert names == ["vigil:slo_requests:increase30d", "vigil:slo_errors:increase30d", "vigil:slo_error_ratio:rate30d",
                     "vigil:slo_objective:ratio", "vigil:slo_error_budget:ratio", "vigil:slo_error_budget_remaining:ratio"]
    assert record(groups, "vigil:slo_objective:ratio")["expr"] == "vector(0.9995)"
    assert record(groups, "vigil:slo_error_budget:ratio")["expr"] == "vector(0.0005)"
    remaining = promql_parser.parse(record(groups, "vigil:slo_error_budget_remaining:ratio")["expr"])
    # 1 - (period's error ratio / budget): the share of the budget left
    assert str(remaining.op) == "-" and remaining.lhs.val == 1
    assert selectors(remaining) == [("vigil:slo_error_ratio:rate30d", IDENT_MATCHERS, None)]
    burn = promql_parser.parse(record(groups, "vigil:slo_current_burn_rate:ratio")["expr"])
    assert selectors(burn) == [("vigil:slo_error_ratio:rate1h", IDENT_MATCHERS, None)] and burn.rhs.val == pytest.approx(0.0005)
    for rule in budget["rules"]:
        assert rule["labels"] == IDENT
    assert "interval" not in budget


def test_budget_interval_setting():
    team, _settings = load([ratio_slo()])
    settings = team_settings({"slo_budget_interval": "5m"}, Problems())
    budget = [g for g in slo_rules.team_groups(team, settings) if g["name"].endswith("/budget")]
    assert [g["interval"] for g in budget] == ["5m"]


# ---------------------------------------------------------------- names and determinism

def test_group_names_cannot_collide():
    problems = Problems()
    settings = team_settings({}, problems)
    teams = parse_teams([(VAR, {"services": [
        {"name": "a-b", "slos": [ratio_slo(name="c")]},
        {"name": "a", "slos": [ratio_slo(name="b-c"), ratio_slo(name="budget")]},
        {"name": "a-b-c", "slos": [ratio_slo(name="budget")]},
    ]}, "shop")], settings, problems)
    names = [g["name"] for g in slo_rules.team_groups(teams[0], settings)]
    assert len(names) == len(set(names)) == 8


def test_same_input_in_any_order_gives_the_same_rules():
    tiers = [
        {"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m"},
        {"action": "page", "budget_percent": 5, "long_window": "6h", "short_window": "30m"},
        {"action": "ticket", "budget_percent": 10, "long_window": "1d", "short_window": "2h"},
    ]
    slos = [ratio_slo(name="b", tiers=tiers), ratio_slo(name="a", min_events=3)]
    reference = json.dumps(groups_for(slos), sort_keys=True)
    for order in itertools.permutations(tiers):
        for slo_order in (slos, slos[::-1]):
            changed = [dict(s, tiers=list(order)) if s["name"] == "b" else s for s in slo_order]
            assert json.dumps(groups_for(changed), sort_keys=True) == reference


# ---------------------------------------------------------------- lint

def never_fire_boundary(percent, long_s, period_s=30 * D):
    """The lowest objective at which the tier can fire: threshold = factor x (1 - o) < 1  <=>  o > 1 - 1/factor."""
    factor = Fraction(percent, 100) * Fraction(period_s, long_s)
    return 100 * (1 - 1 / factor)


def lint_for(slos, settings=None, service_extra=None):
    team, parsed = load(slos, settings=settings, service_extra=service_extra)
    return slo_rules.lint(team, parsed)


def test_the_issue_example_14_4x_cannot_fire_below_93_06():
    boundary = never_fire_boundary(2, H)
    assert "%.2f" % float(boundary) == "93.06"
    [warning] = [w for w in lint_for([ratio_slo(objective=93)]) if "can never fire" in w]
    assert warning.startswith("observability_team_shop.services[0].slos[0]: the page tier (2% of the budget in 1h, burn factor 14.4x)")
    assert "93.06%" in warning and "objective 93%" in warning
    assert not [w for w in lint_for([ratio_slo(objective=93.1)]) if "can never fire" in w]


@pytest.mark.parametrize("objective", [50, 80, 83, 84, 90, 93, 94, 99])
def test_never_fire_warnings_match_the_arithmetic(objective):
    expected = sorted("%s tier (%d%% of the budget in %s" % (a, p, WINDOW_NAMES[lw]) for a, p, lw, _sw in SPEC_TIERS
                      if objective <= never_fire_boundary(p, lw))
    found = sorted(re.search(r"the (\w+ tier \(\d+% of the budget in \w+)", w).group(1) for w in lint_for([ratio_slo(objective=objective)])
                   if "can never fire" in w)
    assert found == expected


@pytest.mark.parametrize("interval, printed, warns", [
    ("15s", "15s", False), ("1m", "1m", False), ("75s", "1m15s", False), ("80s", "1m20s", True), ("2m", "2m", True)])
def test_short_window_under_four_scrape_intervals(interval, printed, warns):
    """The shortest window (5m) needs four scrapes of the service's monitor: 4 x 75s = 5m is just enough."""
    found = [w for w in lint_for([ratio_slo()], service_extra={"monitor": {"interval": interval}}) if "four scrape intervals" in w]
    assert bool(found) is warns
    if warns:
        assert "shortest window 5m" in found[0] and "(%s)" % printed in found[0]


def test_short_window_lint_falls_back_to_the_global_scrape_interval():
    assert [w for w in lint_for([ratio_slo()], settings={"scrape_interval": "2m"}) if "four scrape intervals" in w]
    assert not [w for w in lint_for([ratio_slo()], settings={"scrape_interval": "1m"}) if "four scrape intervals" in w]


@pytest.mark.parametrize("retention, too_long", [("35d", []), ("30d", []), ("15d", ["30d"]), ("2d", ["3d", "30d"])])
def test_windows_longer_than_retention(retention, too_long):
    found = [w for w in lint_for([ratio_slo()], settings={"retention": retention}) if "retention" in w]
    if not too_long:
        assert found == []
    else:
        [warning] = found
        assert all(w in warning for w in too_long) and retention in warning


@pytest.mark.parametrize("interval, warns", [(None, False), ("1m", False), ("5m", False), ("10m", True)])
def test_budget_interval_longer_than_the_lookback(interval, warns):
    settings = {"slo_budget_interval": interval} if interval else {}
    found = [w for w in lint_for([ratio_slo()], settings=settings) if "lookback" in w]
    assert bool(found) is warns


def test_lint_is_quiet_for_a_sound_slo_and_ordered():
    assert lint_for([ratio_slo()], settings={"retention": "35d"}) == []
    both = lint_for([ratio_slo(name="z", objective=90), ratio_slo(name="a", objective=90)])
    # SLO a (input slos[1]) first, whatever the input order
    assert [w.split(":", 1)[0].rsplit(".", 1)[1] for w in both] == ["slos[1]", "slos[0]"]


def test_a_latency_selector_of_negative_matchers_only_reads_the_histogram():
    # Valid PromQL once the histogram's name is part of it, as in the rules (the selector alone would match everything).
    slo = {"name": "latency", "objective": 99, "latency": {
        "histogram": "apiserver_request_duration_seconds", "threshold": 1, "selector": '{verb!="WATCH",verb!="CONNECT"}'}}
    groups = groups_for([slo])
    requests = promql_parser.parse(record(groups, "vigil:slo_requests_per_second:rate5m")["expr"])
    [(name, matchers, _window)] = selectors(requests)
    assert name == "apiserver_request_duration_seconds_count"
    assert matchers == frozenset({("verb", "!=", "WATCH"), ("verb", "!=", "CONNECT"), ("namespace", "=", "shop")})
    errors = promql_parser.parse(record(groups, "vigil:slo_errors_per_second:rate5m")["expr"])
    [(bucket, bucket_matchers, _w)] = selectors(errors.rhs)
    assert bucket == "apiserver_request_duration_seconds_bucket" and ("verb", "!=", "WATCH") in bucket_matchers


def test_an_slo_names_labels_and_annotates_its_alerts_and_may_drop_one():
    groups = groups_for([ratio_slo(labels={"category": "availability", "tier": "2"}, alerting={
        "page": {"name": "MyServiceHighErrorRate", "labels": {"routing_key": "myteam"},
                 "annotations": {"summary": "High error rate on {{ $labels.service }}"}},
        "ticket": {"name": "MyServiceHighErrorRate", "labels": {"slack_channel": "#alerts"}, "enabled": True},
    })])
    page, ticket = [r for r in rules(groups) if r.get("alert") == "MyServiceHighErrorRate"]
    assert page["labels"]["severity"] == "critical" and ticket["labels"]["severity"] == "warning"
    assert {k: page["labels"][k] for k in ("category", "tier", "routing_key")} == {"category": "availability", "tier": "2", "routing_key": "myteam"}
    assert ticket["labels"]["slack_channel"] == "#alerts" and "routing_key" not in ticket["labels"]
    # The identity and routing labels stay the collection's.
    assert {k: page["labels"][k] for k in IDENT} == IDENT
    # Inventory text reaches Prometheus' template engine literally.
    assert page["annotations"]["summary"] == 'High error rate on {{ "{{" }} $labels.service }}'
    assert "SLOErrorBudgetFastBurn" not in json.dumps(groups)
    only_page = groups_for([ratio_slo(alerting={"ticket": {"enabled": False}})])
    assert [r["alert"] for r in rules(only_page) if "alert" in r] == ["SLOErrorBudgetFastBurn"]
