# -*- coding: utf-8 -*-
"""The SLO rules, proven with the real promtool (2.42): `check rules --lint-fatal`, CRD schemas, and
`test rules` scenarios for the default tiers.

Every firing time is derived from the tier definitions of docs/slo.md (see promtool_helpers.first_crossing):
a constant burn b from a clean history crosses factor x budget on a window W after W x factor / b. The
rules read counters through 5m rates and evaluate every minute (every 2 minutes in the multi-day scenarios),
so an alert may lag that instant by up to the rate window plus two evaluation steps (ramp of the 5m rate,
inclusive range ends), never lead it.
All scenarios run in one pass, several promtool processes at a time.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.toolcheck import promtool_check_rules
from ansible_collections.vigil.observability.tests.support.promtool_helpers import (
    DAY,
    SPEC_TIERS,
    burn_factor,
    ceil_minute,
    counter,
    fires,
    first_crossing,
    floor_minute,
    never_fired,
    run_parallel,
    silent,
    slo_rule_groups,
    write_scenario,
)

REPO = Path(__file__).resolve().parents[2]
PAGE_TIERS = [t for t in SPEC_TIERS if t[0] == "page"]
TICKET_TIERS = [t for t in SPEC_TIERS if t[0] == "ticket"]
FAST, SLOW, NO_DATA = "SLOErrorBudgetFastBurn", "SLOErrorBudgetSlowBurn", "SLONoData"
RATE_WINDOW_S = 5 * 60
TRAFFIC = 60000  # requests per minute (1000/s)


def lower_bound(crossing_s):
    """The last whole minute strictly before the ideal crossing: nothing may have fired by then."""
    minute = floor_minute(crossing_s)
    return minute - 1 if minute * 60 == crossing_s else minute


def upper_bound(crossing_s, step=1):
    """The first evaluation (every `step` minutes) by which the alert must fire: the ideal crossing plus
    the 5m rate window and two evaluation steps."""
    minute = ceil_minute(crossing_s + RATE_WINDOW_S + 2 * step * 60)
    return minute + (-minute) % step


def ratio_slo(job, objective="99.9", **extra):
    slo = {
        "name": "availability",
        "objective": objective,
        "errors": 'http_requests_total{job="%s",code=~"5.."}' % job,
        "total": 'http_requests_total{job="%s"}' % job,
    }
    slo.update(extra)
    return slo


def team(*services, labels=None):
    body = {"labels": labels if labels is not None else {"cost_center": "cc-1"}, "services": list(services)}
    return {"observability_team_shop": body}


def service(name, *slos):
    return {"name": name, "slos": list(slos)}


def alert_labels(svc, severity, slo="availability", extra=None):
    labels = {"team": "shop", "namespace": "shop", "service": svc, "slo": slo, "severity": severity, "cost_center": "cc-1"}
    labels.update(extra or {})
    return labels


def ident(svc, slo="availability"):
    return '{namespace="shop", service="%s", slo="%s", team="shop"}' % (svc, slo)


def requests_series(job, segments, start=0):
    return {"series": 'http_requests_total{namespace="shop",job="%s",code="200"}' % job, "values": counter(*segments, start=start)}


def errors_series(job, segments, start=0):
    return {"series": 'http_requests_total{namespace="shop",job="%s",code="500"}' % job, "values": counter(*segments, start=start)}


def burn_series(job, history_min, burn, budget, after_min, traffic=TRAFFIC):
    """A clean history of `history_min` minutes, then a constant `burn` x `budget` error ratio."""
    errors = Fraction(burn) * budget * traffic
    return [
        requests_series(job, [(history_min, traffic), (after_min, traffic - errors)]),
        errors_series(job, [(history_min, 0), (after_min, errors)]),
    ]


def within(expr, low, high, at_minute, labels):
    """expr lies strictly between low and high at `at_minute` (promtool compares values exactly)."""
    return {
        "expr": "(%s > bool %s) * (%s < bool %s)" % (expr, low, expr, high),
        "eval_time": "%dm" % at_minute,
        "exp_samples": [{"labels": labels, "value": 1}],
    }


def series(name, svc, slo="availability"):
    return '%s{namespace="shop",service="%s",slo="%s",team="shop"}' % (name, svc, slo)


# ---------------------------------------------------------------- scenarios: (groups, tests, simulated minutes, evaluation step in minutes)

def scenario_burn20_pages():
    """A 20x burn pages after the 1h tier's crossing (1h x 14.4 / 20 = 43.2m) and not before; when the
    traffic then stops, the page resolves once the 5m short window holds no traffic (no traffic, no alert)."""
    budget = Fraction(1, 1000)
    history = max(t[2] for t in PAGE_TIERS) // 60  # clean for every page window: 6h
    crossing = first_crossing(20, PAGE_TIERS)
    assert crossing == Fraction(432, 10) * 60  # the arithmetic the docstring states
    lo, hi = lower_bound(crossing), upper_bound(crossing)
    burn_for = hi + 10
    stop = history + burn_for
    after_stop = 5 + 1 + 1  # the 5m short window empties of traffic, plus an evaluation step
    end = stop + after_stop + 2
    reqs = requests_series("api", [(history, TRAFFIC), (burn_for, TRAFFIC - 20 * budget * TRAFFIC), (end - stop, 0)])
    errs = errors_series("api", [(history, 0), (burn_for, 20 * budget * TRAFFIC), (end - stop, 0)])
    groups = slo_rule_groups(team(service("api", ratio_slo("api"))))
    tests = [{
        "interval": "1m",
        "input_series": [reqs, errs],
        "promql_expr_test": [never_fired(FAST, history + lo)],
        "alert_rule_test": [
            fires(FAST, history + hi, alert_labels("api", "critical")),
            silent(FAST, stop + after_stop),
        ],
    }]
    return groups, tests, end, 1


def scenario_burn4_tickets():
    """A 4x burn tickets after 18h (1d x 3 / 4 and 3d x 1 / 4), not before, and never pages (6x > 4x)."""
    budget = Fraction(1, 1000)
    history = max(t[2] for t in SPEC_TIERS) // 60  # 3d: clean for every window
    assert first_crossing(4, PAGE_TIERS) is None
    crossing = first_crossing(4, TICKET_TIERS)
    assert crossing == 18 * 3600
    # Evaluating every 2m halves both the steps and the samples per window: 4x cheaper over 3.75 days.
    step = 2
    lo, hi = lower_bound(crossing), upper_bound(crossing, step)
    end = history + hi + 2
    # The budget group reads 30 days; evaluating it hourly (a real setting) keeps the scenario fast.
    groups = slo_rule_groups(team(service("api", ratio_slo("api"))), settings={"slo_budget_interval": "1h"})
    tests = [{
        "interval": "1m",
        "input_series": burn_series("api", history, 4, budget, end - history),
        "promql_expr_test": [never_fired(SLOW, history + lo), never_fired(FAST, end)],
        "alert_rule_test": [fires(SLOW, history + hi, alert_labels("api", "warning"))],
    }]
    return groups, tests, end, step


def scenario_burn02_silent():
    """A 0.2x burn stays silent for days (every tier needs at least 1x), and the dashboard series agree:
    burn 0.2, error budget remaining 1 - 0.2 = 0.8."""
    budget = Fraction(1, 1000)
    end = 3 * DAY // 60 + 60
    step = 2
    groups = slo_rule_groups(team(service("api", ratio_slo("api"))), settings={"slo_budget_interval": "1h"})
    ident_labels = ident("api")
    tests = [{
        "interval": "1m",
        "input_series": burn_series("api", 0, Fraction(2, 10), budget, end),
        "promql_expr_test": [
            never_fired("SLO.*", end),
            within(series("vigil:slo_current_burn_rate:ratio", "api"), 0.19, 0.21, end, ident_labels),
            within(series("vigil:slo_error_ratio:rate3d", "api"), 0.00019, 0.00021, end, ident_labels),
            within(series("vigil:slo_error_budget_remaining:ratio", "api"), 0.79, 0.81, end, ident_labels),
        ],
    }]
    return groups, tests, end, step


def scenario_quiet():
    """No traffic at all stays silent (and is not 'no data'); a missing error counter counts as zero errors,
    keeps the SLO's labels, and stays silent. Long enough for the 1d window."""
    end = DAY // 60 + 60
    step = 2
    groups = slo_rule_groups(team(
        service("idle", ratio_slo("idle", no_data=True)),
        service("clean", ratio_slo("clean", no_data=True)),
    ))
    tests = [{
        "interval": "1m",
        "input_series": [
            # Counters that exist but never move: zero traffic.
            requests_series("idle", [(end, 0)], start=1000),
            errors_series("idle", [(end, 0)], start=7),
            # Traffic, and no error counter at all (never created).
            requests_series("clean", [(end, TRAFFIC)]),
        ],
        "promql_expr_test": [
            never_fired("SLO.*", end),
            {"expr": series("vigil:slo_requests_per_second:rate5m", "idle"), "eval_time": "%dm" % end,
             "exp_samples": [{"labels": "vigil:slo_requests_per_second:rate5m" + ident("idle"), "value": 0}]},
            {"expr": series("vigil:slo_errors_per_second:rate5m", "clean"), "eval_time": "%dm" % end,
             "exp_samples": [{"labels": "vigil:slo_errors_per_second:rate5m" + ident("clean"), "value": 0}]},
            {"expr": series("vigil:slo_error_ratio:rate1d", "clean"), "eval_time": "%dm" % end,
             "exp_samples": [{"labels": "vigil:slo_error_ratio:rate1d" + ident("clean"), "value": 0}]},
            {"expr": series("vigil:slo_error_budget_remaining:ratio", "clean"), "eval_time": "%dm" % end,
             "exp_samples": [{"labels": "vigil:slo_error_budget_remaining:ratio" + ident("clean"), "value": 1}]},
        ],
    }]
    return groups, tests, end, step


def scenario_traffic_weighted():
    """Longer windows are a ratio of sums, weighted by traffic, not an average of 5m ratios: 5 minutes of
    100% errors at 1/1000 of the usual traffic are 300 bad events among about 3.3 million in the hour,
    a 0.09x burn, so nothing pages, although the 5m window reads 100% errors meanwhile."""
    history = max(t[2] for t in PAGE_TIERS) // 60
    trough = 5
    end = history + trough
    low = TRAFFIC // 1000
    window_requests = (60 - trough) * TRAFFIC + trough * low
    window_ratio = Fraction(trough * low, window_requests)
    assert window_ratio < Fraction(1, 10000)  # well under 14.4 x 0.001, even with a 5m rate window of slack
    groups = slo_rule_groups(team(service("api", ratio_slo("api"))))
    tests = [{
        "interval": "1m",
        "input_series": [
            requests_series("api", [(history, TRAFFIC), (trough, 0)]),
            errors_series("api", [(history, 0), (trough, low)]),
        ],
        "promql_expr_test": [
            never_fired("SLO.*", end),
            within(series("vigil:slo_error_ratio:rate5m", "api"), 0.99, 1.01, end, ident("api")),
            within(series("vigil:slo_error_ratio:rate1h", "api"), 0, 0.0002, end, ident("api")),
        ],
    }]
    return groups, tests, end, 1


def histogram_series(job, history, after, le_one, slow_share):
    """A request-duration histogram: every request under 0.25s for `history` minutes, then `slow_share` of
    them between 1s and 10s. `le_one` is how the 1s bucket is spelled (Prometheus 2: '1', 3: '1.0')."""
    total = 6000
    slow = Fraction(slow_share) * total
    out = []
    for le, fast_after in (("0.25", total - slow), ("0.5", total - slow), (le_one, total - slow), ("10", total), ("+Inf", total)):
        out.append({"series": 'http_request_duration_seconds_bucket{namespace="shop",job="%s",le="%s"}' % (job, le),
                    "values": counter((history, total), (after, fast_after))})
    out.append({"series": 'http_request_duration_seconds_count{namespace="shop",job="%s"}' % job, "values": counter((history, total), (after, total))})
    return out


def latency_slo(job, threshold, **extra):
    slo = {"name": "latency", "objective": 99, "latency": {
        "histogram": "http_request_duration_seconds", "threshold": threshold, "selector": '{job="%s"}' % job}}
    slo.update(extra)
    return slo


def scenario_latency_surge():
    """20% of requests slower than the threshold against a 99% objective is a 20x burn: pages after
    1h x 14.4 / 20 = 43.2m, whether Prometheus spells the bucket le="1" (2.x) or le="1.0" (3.x), and for a
    0.5s threshold. A le="10" bucket holds every request: matching it would hide the surge."""
    history = max(t[2] for t in PAGE_TIERS) // 60
    crossing = first_crossing(Fraction(20), PAGE_TIERS)
    lo, hi = lower_bound(crossing), upper_bound(crossing)
    end = history + hi + 2
    groups = slo_rule_groups(team(
        service("prom2", latency_slo("prom2", 1)),
        service("prom3", latency_slo("prom3", "1.0")),
        service("half", latency_slo("half", 0.5)),
    ))
    inputs = (histogram_series("prom2", history, end - history, "1", "0.2")
              + histogram_series("prom3", history, end - history, "1.0", "0.2")
              + histogram_series("half", history, end - history, "1", "0.2"))
    tests = [{
        "interval": "1m",
        "input_series": inputs,
        "promql_expr_test": [never_fired(FAST, history + lo)],
        "alert_rule_test": [{"eval_time": "%dm" % (history + hi), "alertname": FAST, "exp_alerts": [
            {"exp_labels": alert_labels(svc, "critical", slo="latency")} for svc in ("half", "prom2", "prom3")]}],
    }]
    return groups, tests, end, 1


def scenario_min_events():
    """min_events 1000 on a service with 10 requests a minute and a 20x burn: the 1h tier sees 600 events
    and stays quiet, so the page comes from the 6h tier (3600 events) at 6h x 6 / 20 = 108m. The same
    traffic without min_events pages at 43.2m."""
    budget = Fraction(1, 100)
    history = max(t[2] for t in PAGE_TIERS) // 60
    gated = first_crossing(20, [PAGE_TIERS[1]])
    ungated = first_crossing(20, PAGE_TIERS)
    assert (gated, ungated) == (108 * 60, Fraction(432, 10) * 60)
    end = history + upper_bound(gated) + 2
    groups = slo_rule_groups(team(
        service("gated", ratio_slo("gated", objective=99, min_events=1000)),
        service("ungated", ratio_slo("ungated", objective=99)),
    ))
    inputs = burn_series("gated", history, 20, budget, end - history, traffic=10) + burn_series(
        "ungated", history, 20, budget, end - history, traffic=10)
    tests = [{
        "interval": "1m",
        "input_series": inputs,
        "promql_expr_test": [
            never_fired(FAST, history + lower_bound(gated), {"service": "gated"}),
            never_fired(FAST, history + lower_bound(ungated), {"service": "ungated"}),
        ],
        "alert_rule_test": [
            fires(FAST, history + upper_bound(ungated), alert_labels("ungated", "critical")),
            {"eval_time": "%dm" % (history + upper_bound(gated)), "alertname": FAST, "exp_alerts": [
                {"exp_labels": alert_labels(svc, "critical")} for svc in ("gated", "ungated")]},
        ],
    }]
    return groups, tests, end, 1


def scenario_no_data():
    """The no-data alert (off by default) fires after its `for` (15m default, or as set) when the SLI
    series are missing: no counter at all, or a latency threshold that is no bucket boundary."""
    end = 40
    groups = slo_rule_groups(team(
        service("gone", ratio_slo("gone", no_data=True)),
        service("slowgone", ratio_slo("slowgone", no_data={"for": "30m"})),
        service("offdefault", ratio_slo("offdefault")),
        service("nobucket", latency_slo("nobucket", 2, no_data=True)),
    ))
    tests = [{
        "interval": "1m",
        "input_series": histogram_series("nobucket", 0, end, "1", "0"),
        "promql_expr_test": [
            never_fired(NO_DATA, 14),
            never_fired(NO_DATA, 29, {"service": "slowgone"}),
            never_fired(NO_DATA, end, {"service": "offdefault"}),
        ],
        "alert_rule_test": [
            {"eval_time": "16m", "alertname": NO_DATA, "exp_alerts": [
                {"exp_labels": alert_labels(svc, "warning", slo=slo)} for svc, slo in (("gone", "availability"), ("nobucket", "latency"))]},
            {"eval_time": "31m", "alertname": NO_DATA, "exp_alerts": [
                {"exp_labels": alert_labels(svc, "warning", slo=slo)}
                for svc, slo in (("gone", "availability"), ("nobucket", "latency"), ("slowgone", "availability"))]},
        ],
    }]
    return groups, tests, end, 1


def scenario_annotations():
    """What the on-call reads, expanded by promtool's template engine: the burn rate ($value is the long
    window's ratio over the budget: a constant 20x burn shows 20.00), the budget, the tiers, the links; and
    inventory text holding '{{' stays literal in annotations and labels instead of running as a template."""
    slo = ratio_slo("api", description="Checkout {{ .Evil }} availability",
                    runbook_url="https://runbooks.example.com/{{ $value }}", dashboard_url="https://grafana.example.com/d/slo")
    weekly = ratio_slo("weekly", period="7d")
    groups = slo_rule_groups(team(service("api", slo), service("weekly", weekly), labels={"cost_center": "cc-{{ 1 }}"}),
                             keep_annotations=True)
    budget = Fraction(1, 1000)
    # Objective 99.9% over the default 30d: budget 0.1%; tiers 2% in 1h = 14.4x, 5% in 6h = 6x.
    assert [burn_factor(t[1], 30 * DAY, t[2]) for t in PAGE_TIERS] == [Fraction("14.4"), 6]
    description = ("api burns the availability error budget 20.00x faster than sustainable. Objective 99.9% over 30d, "
                   "error budget 0.1% of events. This alert fires when: 2% of the budget within 1h (14.4x); "
                   "5% of the budget within 6h (6x).")
    # Over 7d, 10% of the budget in 1d is 0.7x and in 3d 7/30 = 0.233x: a 0.5x burn tickets, shown as 0.50
    # (humanize would print "500m").
    assert [burn_factor(t[1], 7 * DAY, t[2]) for t in TICKET_TIERS] == [Fraction(7, 10), Fraction(7, 30)]
    weekly_description = ("weekly burns the availability error budget 0.50x faster than sustainable. Objective 99.9% over 7d, "
                          "error budget 0.1% of events. This alert fires when: 10% of the budget within 1d (0.7x); "
                          "10% of the budget within 3d (0.233x).")
    tests = [{
        "interval": "1m",
        "input_series": burn_series("api", 0, 20, budget, 20) + burn_series("weekly", 0, Fraction(1, 2), budget, 20),
        "alert_rule_test": [{"eval_time": "10m", "alertname": SLOW, "exp_alerts": [
            {"exp_labels": alert_labels("api", "warning", extra={"cost_center": "cc-{{ 1 }}"}), "exp_annotations": {
                "summary": "Checkout {{ .Evil }} availability is burning its error budget too fast (ticket)",
                "description": "api burns the availability error budget 20.00x faster than sustainable. Objective 99.9% over 30d, "
                               "error budget 0.1% of events. This alert fires when: 10% of the budget within 1d (3x); "
                               "10% of the budget within 3d (1x).",
                "runbook_url": "https://runbooks.example.com/{{ $value }}",
                "dashboard_url": "https://grafana.example.com/d/slo",
            }},
            {"exp_labels": alert_labels("weekly", "warning", extra={"cost_center": "cc-{{ 1 }}"}), "exp_annotations": {
                "summary": "availability SLO of weekly is burning its error budget too fast (ticket)",
                "description": weekly_description,
            }},
        ]}, {"eval_time": "10m", "alertname": FAST, "exp_alerts": [{
            "exp_labels": alert_labels("api", "critical", extra={"cost_center": "cc-{{ 1 }}"}),
            "exp_annotations": {
                "summary": "Checkout {{ .Evil }} availability is burning its error budget too fast (page)",
                "description": description,
                "runbook_url": "https://runbooks.example.com/{{ $value }}",
                "dashboard_url": "https://grafana.example.com/d/slo",
            },
        }]}],
    }]
    return groups, tests, 20, 1


SCENARIOS = {
    "burn20_pages": scenario_burn20_pages,
    "burn4_tickets": scenario_burn4_tickets,
    "burn02_silent": scenario_burn02_silent,
    "quiet": scenario_quiet,
    "traffic_weighted": scenario_traffic_weighted,
    "latency_surge": scenario_latency_surge,
    "min_events": scenario_min_events,
    "no_data": scenario_no_data,
    "annotations": scenario_annotations,
}


@pytest.fixture(scope="module")
def scenario_results(promtool, tmp_path_factory):
    directory = tmp_path_factory.mktemp("promtool-scenarios")
    built = {name: make() for name, make in SCENARIOS.items()}
    paths = {name: write_scenario(str(directory), name, groups, tests, "%dm" % step)
             for name, (groups, tests, _end, step) in built.items()}
    # The most evaluations first, so the slowest scenario never starts last.
    order = sorted(paths, key=lambda name: -built[name][2] // built[name][3])
    results = run_parallel(promtool, [paths[name] for name in order])
    return {name: results[paths[name]] for name in paths}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_promtool_scenario(scenario_results, name):
    returncode, output = scenario_results[name]
    assert returncode == 0, "%s: %s\n%s" % (name, SCENARIOS[name].__doc__, output)
    assert "SUCCESS" in output


def test_scenario_rules_pass_promtool_check(promtool):
    """The rules the scenarios test are the rules users get: they pass `promtool check rules --lint-fatal`."""
    files = {name: {"groups": make()[0]} for name, make in SCENARIOS.items()}
    assert promtool_check_rules(files, promtool=promtool, lint_fatal=True) == {}


def test_a_negative_only_latency_selector_passes_promtool(promtool):
    team_vars = {"observability_team_shop": {"services": [{"name": "apiserver", "slos": [{"name": "latency", "objective": 99, "latency": {
        "histogram": "apiserver_request_duration_seconds", "threshold": 1, "selector": '{verb!="WATCH"}'}}]}]}}
    result = build.build("c1", team_vars, [], {}, promtool="skip")
    files = {"%s/%s" % (o["metadata"]["namespace"], o["metadata"]["name"]): {"groups": o["spec"]["groups"]}
             for o in result["objects"] if o["kind"] == "PrometheusRule"}
    assert files and promtool_check_rules(files, promtool=promtool, lint_fatal=True) == {}


# ---------------------------------------------------------------- rendered objects: promtool and CRD

def _example_inputs():
    group_vars = REPO / "inventories" / "example" / "group_vars"
    team_vars, team_list = {}, []
    for path in sorted(group_vars.rglob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in data.items():
            if key.startswith("observability_team_"):
                value.pop("alerting", None)  # alerting: its vault references are templated by Ansible only (docs/alerting.md)
                team_vars[key] = value
            elif key == "observability_teams":
                team_list.extend(value)
    hosts = yaml.safe_load((REPO / "inventories" / "example" / "hosts.yml").read_text(encoding="utf-8"))
    clusters = sorted(hosts["observability_clusters"]["hosts"])
    return team_vars, team_list, clusters


def test_every_prometheusrule_of_the_example_inventory_passes_promtool_and_the_crd(promtool, crd_validator):
    team_vars, team_list, clusters = _example_inputs()
    assert team_vars or team_list, "the example inventory defines no team"
    seen = 0
    for cluster in clusters:
        result = build.build(cluster, team_vars, team_list, {"clusters": clusters, "retention": "35d"}, promtool="skip")
        rules = {}
        for obj in result["objects"]:
            if (obj["apiVersion"], obj["kind"]) in crd_validator.schemas:  # core kinds have no CRD
                assert crd_validator.errors(obj) == [], obj["metadata"]
            if obj["kind"] == "PrometheusRule":
                assert crd_validator.errors(obj) == [], obj["metadata"]
                names = [g["name"] for g in obj["spec"]["groups"]]
                # The CRD makes groups a list-map keyed by name: the API server rejects duplicates.
                assert len(names) == len(set(names)), names
                rules["%s/%s" % (cluster, obj["metadata"]["name"])] = {"groups": obj["spec"]["groups"]}
        assert promtool_check_rules(rules, promtool=promtool, lint_fatal=True) == {}
        seen += len(rules)
    assert seen > 0


def test_kitchen_sink_team_renders_valid_objects(promtool, crd_validator):
    """Every optional feature at once (latency and ratio, per-SLO tiers with for and min_events, no_data,
    links, labels with template text, odd selector values) still gives valid rules and objects."""
    team_vars = team(
        {"name": "a-b", "runbook_url": "https://r.example.com/{{x}}", "slos": [
            ratio_slo('we\\"ird\\\\job', min_events=5, no_data={"enabled": True, "for": "5m"}, dashboard_url="https://d/x",
                      tiers=[{"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m", "for": "2m"},
                             {"action": "page", "budget_percent": 5, "long_window": "6h", "short_window": "30m", "for": "2m"},
                             {"action": "ticket", "budget_percent": 10, "long_window": "1d", "short_window": "2h", "min_events": 50}]),
            latency_slo("x", "0.00001", name="c"),
        ]},
        {"name": "a", "slos": [ratio_slo("y", name="b-c", period="28d"),
                               latency_slo("z", 1000000, period="7d", tiers=[{"action": "page", "budget_percent": 10,
                                                                              "long_window": "1h", "short_window": "5m"}])]},
        labels={"cost_center": "{{ $labels.x }}", "tier": "1"},
    )
    result = build.build("c1", team_vars, [], {}, promtool="skip")
    objects = [o for o in result["objects"] if o["kind"] == "PrometheusRule"]
    assert objects
    for obj in objects:
        assert crd_validator.errors(obj) == []
        names = [g["name"] for g in obj["spec"]["groups"]]
        assert len(names) == len(set(names)), names
    files = {o["metadata"]["name"]: {"groups": o["spec"]["groups"]} for o in objects}
    assert promtool_check_rules(files, promtool=promtool, lint_fatal=True) == {}
    # And build's own promtool gate agrees.
    assert build.build("c1", team_vars, [], {}, promtool="require")["promtool_checked"] is True
    # The odd job value reached PromQL as one escaped matcher value, not as extra matchers.
    exprs = [r["expr"] for o in objects for g in o["spec"]["groups"] for r in g["rules"]]
    assert any('job="we\\"ird\\\\job"' in e for e in exprs)
