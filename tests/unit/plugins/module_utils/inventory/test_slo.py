# -*- coding: utf-8 -*-
"""inventory/slo: a service's SLOs as the inventory gives them: the defaults docs/slo.md documents, settings and SLOs
overriding them, exact objectives and thresholds, and every validation problem of SLOs, latency and tiers, each with its
variable path."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.tests.support.team_inputs import KNAME, SLO_PATH, VAR, latency_slo, parse, problems_of, ratio_slo, team_with

HOUR, DAY = 3600, 24 * 3600


# ---------------------------------------------------------------- defaults and arithmetic

def test_defaults_documented_in_slo_md():
    teams, settings = parse({VAR: team_with()})
    [team] = teams
    assert (team.name, team.namespace, team.clusters, team.labels) == ("payments", "payments", None, ())
    assert team.on_cluster("anything")
    [slo] = team.services[0].slos
    assert slo.period == Duration.parse("30d") and slo.kind == "ratio"
    assert (slo.min_events, slo.no_data, slo.no_data_for) == (None, False, None)
    assert slo.error_budget == Fraction(1, 1000)
    # Default tiers, as docs/slo.md states them.
    spec = [("page", 2, HOUR, 300), ("page", 5, 6 * HOUR, 1800), ("ticket", 10, DAY, 2 * HOUR), ("ticket", 10, 3 * DAY, 6 * HOUR)]
    assert [(t.action, t.budget_percent, t.long_window.ms // 1000, t.short_window.ms // 1000, t.for_, t.min_events)
            for t in slo.tiers] == [s + (None, None) for s in spec]
    assert settings.tiers == slo.tiers


def test_settings_override_period_and_tiers_and_slos_override_settings():
    tiers = [{"action": "page", "budget_percent": 5, "long_window": "1h", "short_window": "5m", "for": "2m", "min_events": 10}]
    teams, settings = parse({VAR: team_with([ratio_slo(), ratio_slo(name="fast", tiers=[
        {"action": "ticket", "budget_percent": 50, "long_window": "2h", "short_window": "10m"}])])},
        settings={"slo_period": "28d", "slo_tiers": tiers})
    default, own = sorted(teams[0].services[0].slos, key=lambda s: s.name)
    assert default.period == Duration.parse("28d")
    assert [(t.action, t.budget_percent, str(t.long_window), str(t.for_), t.min_events) for t in default.tiers] == [
        ("page", 5, "1h", "2m", 10)]
    assert [(t.action, t.budget_percent) for t in own.tiers] == [("ticket", 50)]
    assert settings.period == Duration.parse("28d")


@pytest.mark.parametrize("no_data, expected", [
    (True, (True, None)), (False, (False, None)), ({"for": "30m"}, (True, Duration.parse("30m"))),
    ({"enabled": False, "for": "5m"}, (False, Duration.parse("5m"))), ({}, (True, None)),
])
def test_no_data_forms(no_data, expected):
    teams, _settings = parse({VAR: team_with([ratio_slo(no_data=no_data)])})
    slo = teams[0].services[0].slos[0]
    assert (slo.no_data, slo.no_data_for) == expected


def test_objective_and_threshold_are_exact():
    teams, _settings = parse({VAR: team_with([ratio_slo(objective="99.95"), latency_slo(threshold=0.1)])})
    slos = {s.name: s for s in teams[0].services[0].slos}
    assert slos["availability"].objective == Fraction(9995, 100)
    assert slos["availability"].error_budget == Fraction(5, 10000)
    assert slos["latency"].latency.threshold == Fraction(1, 10) and slos["latency"].kind == "latency"
    assert [str(m) for m in slos["latency"].latency.selector.matchers] == ['job="api"']


# ---------------------------------------------------------------- every validation problem

def slo_case(case_id, expected, **changes):
    return pytest.param({VAR: team_with([ratio_slo(**changes)])}, None, None, expected, id=case_id)


def latency_case(case_id, expected, **changes):
    return pytest.param({VAR: team_with([latency_slo(**changes)])}, None, None, expected, id=case_id)


def tier_case(case_id, tier, expected, period=None):
    base = {"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m"}
    base.update(tier)
    base = {k: v for k, v in base.items() if v is not None}
    slo = ratio_slo(tiers=[base], period=period)
    return pytest.param({VAR: team_with([slo])}, None, None, expected, id=case_id)


P = SLO_PATH
T = SLO_PATH + ".tiers[0]"
LAT = SLO_PATH + ".latency"
RATIO_NEEDS = "a ratio SLO needs both errors and total (counters of bad and of all events); a latency SLO needs latency"

CASES = [
    # SLOs
    pytest.param({VAR: team_with(["x"])}, None, None, [P + ": must be a mapping, got 'x'"], id="slo-not-mapping"),
    slo_case("slo-name-required", [P + ".name: is required"], name=None),
    slo_case("slo-name-invalid", [P + ".name: " + KNAME + "'Avail'"], name="Avail"),
    slo_case("slo-objective-required", [P + ".objective: is required"], objective=None),
    slo_case("slo-objective-120", [P + ".objective: must be between 0 and 100 (exclusive), got 120"], objective=120),
    slo_case("slo-objective-100", [P + ".objective: must be between 0 and 100 (exclusive), got 100"], objective=100),
    slo_case("slo-objective-0", [P + ".objective: must be between 0 and 100 (exclusive), got 0"], objective=0),
    slo_case("slo-objective-text", [P + ".objective: must be a number, got '99.9%'"], objective="99.9%"),
    slo_case("slo-period-invalid", [P + ".period: must be a Prometheus duration such as 30s, 5m or 1h30m, got '30 days'"], period="30 days"),
    slo_case("slo-period-shorter-than-default-tier", [
        P + ".period: is shorter than the ticket tier's long window 3d; set tiers for this SLO"], period="2d"),
    slo_case("slo-errors-not-selector", [P + ".errors: is not a PromQL selector: unexpected '(x[5m])' at position 4 of 'rate(x[5m])': "
                                         "only a metric name and label matchers are allowed"], errors="rate(x[5m])"),
    slo_case("slo-total-no-metric", [P + '.total: must name the counter, as in http_requests_total{job="api"}'], total='{job="api"}'),
    slo_case("slo-errors-only", [P + ": " + RATIO_NEEDS], total=None),
    slo_case("slo-total-only", [P + ": " + RATIO_NEEDS], errors=None),
    slo_case("slo-nothing", [P + ": " + RATIO_NEEDS], errors=None, total=None),
    slo_case("slo-ratio-and-latency", [P + ": set either errors and total (a ratio SLO) or latency, not both"],
             latency={"histogram": "h", "threshold": 1, "selector": '{a="b"}'}),
    slo_case("slo-min-events-zero", [P + ".min_events: must be at least 1, got 0"], min_events=0),
    slo_case("slo-min-events-float", [P + ".min_events: must be a whole number, got 1.5"], min_events=1.5),
    slo_case("slo-no-data-string", [P + ".no_data: must be true, false or a mapping with enabled and for, got 'yes'"], no_data="yes"),
    slo_case("slo-no-data-bad-keys", [P + ".no_data.enabled: must be true or false, got 'on'",
                                      P + ".no_data.for: must be a Prometheus duration such as 30s, 5m or 1h30m, got 'soon'",
                                      P + ".no_data.after: unknown key (known keys: enabled, for)"],
             no_data={"enabled": "on", "for": "soon", "after": 1}),
    slo_case("slo-description-not-string", [P + ".description: must be a string, got 5"], description=5),
    slo_case("slo-runbook-not-string", [P + ".runbook_url: must be a string, got ['x']"], runbook_url=["x"]),
    slo_case("slo-dashboard-not-string", [P + ".dashboard_url: must be a string, got True"], dashboard_url=True),
    slo_case("slo-tiers-not-list", [P + ".tiers: must be a list, got 'fast'"], tiers="fast"),
    slo_case("slo-unknown-key", [P + ".objectve: unknown key (known keys: alerting, dashboard_url, description, errors, labels, latency, "
                                     "min_events, name, no_data, objective, period, runbook_url, tiers, total)"], objectve=99),
    slo_case("slo-labels-reserved", [P + ".labels.severity: is set by the collection (routing and identity: alertname, alertstate, cluster, "
                                         "job, namespace, prometheus, prometheus_replica, service, severity, slo, team); use another label"],
             labels={"severity": "pageteam", "category": "availability"}),
    slo_case("slo-labels-bad-name", [P + ".labels.my-label: is not a Prometheus label name"], labels={"my-label": "x"}),
    slo_case("slo-alert-name", [P + ".alerting.page.name: must be an alert name (letters, digits, '_' and ':'), got 'High error rate'"],
             alerting={"page": {"name": "High error rate"}}),
    slo_case("slo-alert-unknown-action", [P + ".alerting.warn: unknown key (known keys: page, ticket)"], alerting={"warn": {}}),
    # latency
    pytest.param({VAR: team_with([{"name": "l", "objective": 99, "latency": 0.5}])}, None, None, [P + ".latency: must be a mapping, got 0.5"],
                 id="latency-not-mapping"),
    latency_case("latency-histogram-required", [LAT + ".histogram: is required"], histogram=None),
    latency_case("latency-histogram-not-metric", [LAT + ".histogram: must be a metric name, got 'http-duration'"], histogram="http-duration"),
    latency_case("latency-histogram-newline", [LAT + ".histogram: must be a metric name, got 'h\\n'"], histogram="h\n"),
    latency_case("latency-histogram-bucket-suffix", [
        LAT + ".histogram: must be the histogram's base name without _bucket, _count or _sum, got 'h_bucket'"], histogram="h_bucket"),
    latency_case("latency-threshold-required", [LAT + ".threshold: is required"], threshold=None),
    latency_case("latency-threshold-zero", [LAT + ".threshold: must be greater than 0, got 0"], threshold=0),
    latency_case("latency-threshold-text", [LAT + ".threshold: must be a number, got '500ms'"], threshold="500ms"),
    latency_case("latency-selector-required", [LAT + ".selector: is required"], selector=None),
    latency_case("latency-selector-with-metric", [
        LAT + ".selector: must hold only label matchers such as '{job=\"api\"}'; the metric is `histogram`"], selector='h{job="api"}'),
    latency_case("latency-selector-le", [LAT + ".selector: must not match on `le`; it is set from `threshold`"], selector='{job="a",le="1"}'),
    latency_case("latency-selector-invalid", [LAT + ".selector: is not a PromQL selector: empty selector"], selector="{}"),
    latency_case("latency-unknown-key", [LAT + ".quantile: unknown key (known keys: histogram, selector, threshold)"], quantile=0.99),
    # tiers
    pytest.param({VAR: team_with([ratio_slo(tiers=["fast"])])}, None, None, [T + ": must be a mapping, got 'fast'"], id="tier-not-mapping"),
    tier_case("tier-action-required", {"action": None}, [T + ".action: is required"]),
    tier_case("tier-action-invalid", {"action": "email"}, [T + ".action: must be one of page, ticket, got 'email'"]),
    tier_case("tier-budget-required", {"budget_percent": None}, [T + ".budget_percent: is required"]),
    tier_case("tier-budget-zero", {"budget_percent": 0}, [T + ".budget_percent: must be between 0 and 100 (excluding 0), got 0"]),
    tier_case("tier-budget-over", {"budget_percent": 101}, [T + ".budget_percent: must be between 0 and 100 (excluding 0), got 101"]),
    tier_case("tier-long-required", {"long_window": None}, [T + ".long_window: is required"]),
    tier_case("tier-short-invalid", {"short_window": "5"}, [T + ".short_window: must be a Prometheus duration such as 30s, 5m or 1h30m, got '5'"]),
    tier_case("tier-short-longer", {"short_window": "2h"}, [T + ".short_window: must not be longer than long_window (1h), got 2h"]),
    tier_case("tier-long-over-period", {"long_window": "2d", "short_window": "1h"}, [
        T + ".long_window: must not be longer than the SLO period (1d), got 2d"], period="1d"),
    tier_case("tier-both-window-problems", {"long_window": "2d", "short_window": "3d"}, [
        T + ".short_window: must not be longer than long_window (2d), got 3d",
        T + ".long_window: must not be longer than the SLO period (1d), got 2d"], period="1d"),
    tier_case("tier-for-invalid", {"for": "2"}, [T + ".for: must be a Prometheus duration such as 30s, 5m or 1h30m, got '2'"]),
    tier_case("tier-min-events-invalid", {"min_events": -5}, [T + ".min_events: must be at least 1, got -5"]),
    tier_case("tier-unknown-key", {"severity": "critical"}, [
        T + ".severity: unknown key (known keys: action, budget_percent, burn_rate, for, long_window, min_events, short_window)"]),
    tier_case("tier-burn-rate-and-budget", {"burn_rate": 14.4}, [T + ": set budget_percent or burn_rate, not both"]),
    tier_case("tier-burn-rate-over-budget", {"budget_percent": None, "burn_rate": 30}, [
        T + ".burn_rate: spends 125.0% of the budget within 1h: at most 100%"], period="1d"),
    pytest.param({VAR: team_with([ratio_slo(tiers=[
        {"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m", "for": "2m"},
        {"action": "ticket", "budget_percent": 10, "long_window": "1d", "short_window": "2h"},
        {"action": "page", "budget_percent": 5, "long_window": "6h", "short_window": "30m"},
    ])])}, None, None, [SLO_PATH + ".tiers[2].for: must be the same for every page tier (%s.tiers[0] has 2m), got none" % SLO_PATH],
        id="tier-for-differs-within-action"),
]


@pytest.mark.parametrize("team_vars, team_list, settings, expected", CASES)
def test_validation_problem(team_vars, team_list, settings, expected):
    assert problems_of(team_vars, team_list, settings) == expected


def test_the_issue_example_message():
    team = {"services": [{"name": "api", "slos": [ratio_slo(), ratio_slo(name="latency", objective=120)]}]}
    assert problems_of({VAR: team}) == [
        "observability_team_payments.services[0].slos[1].objective: must be between 0 and 100 (exclusive), got 120"]
