# -*- coding: utf-8 -*-
"""The SLO dashboard's queries, evaluated by the real promtool on the generated rules: with the variables on All every
panel shows one series per SLO of the team (and none of another team's), picking a service and an SLO narrows it to
that one, and the values are those of the traffic: a clean service keeps its whole budget, a failing one has none left.

Grafana sends a multi-value variable as a regex alternation and All as the variable's allValue (`.+`); the test
substitutes the same before promtool evaluates the query.
"""

from __future__ import annotations

import json
import shutil

import pytest

from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.plugins.module_utils.core import objects
from ansible_collections.vigil.observability.tests.support.promtool_helpers import counter, for_promtool, run_parallel, write_scenario

TIERS = [{"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m"},
         {"action": "ticket", "budget_percent": 10, "long_window": "6h", "short_window": "30m"}]
WINDOWS = {"5m", "30m", "1h", "6h", "1d"}  # every window the SLOs record: the tiers' and the period


def ratio(service):
    return {"name": "availability", "objective": 99.9, "period": "1d", "tiers": TIERS,
            "errors": 'http_requests_total{job="%s",code=~"5.."}' % service, "total": 'http_requests_total{job="%s"}' % service}


TEAMS = {
    "observability_team_shop": {"namespace": "shop", "services": [
        {"name": "clean", "slos": [ratio("clean")]},
        {"name": "failing", "slos": [ratio("failing"), dict(ratio("failing"), name="second")]},
    ]},
    # Another team with the same service and SLO names: the dashboard of shop must never show it.
    "observability_team_other": {"namespace": "other", "services": [{"name": "clean", "slos": [ratio("clean")]}]},
}


def built():
    result = build.build("c1", TEAMS, [], {"clusters": ["c1"]}, promtool="skip")
    groups, dashboard = [], None
    for obj in result["objects"]:
        if obj["kind"] == "PrometheusRule" and obj["metadata"]["labels"].get(objects.COMPONENT_LABEL) == "slo":
            groups.extend(obj["spec"]["groups"])
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == "shop-slo-dashboard":
            (text,) = obj["data"].values()
            dashboard = json.loads(text)
    return for_promtool(groups), dashboard


def panel_expr(dashboard, title, index=0):
    (panel,) = [p for p in dashboard["panels"] if p.get("title") == title]
    return panel["targets"][index]["expr"]


def picked(expr, service=".+", slo=".+"):
    return expr.replace("$service", service).replace("$slo", slo)


def series(namespace, job, code, per_minute, minutes):
    return {"series": 'http_requests_total{namespace="%s",job="%s",code="%s"}' % (namespace, job, code),
            "values": counter((minutes, per_minute))}


def one_each(labels_list):
    return [{"labels": "{%s}" % ",".join('%s="%s"' % kv for kv in sorted(labels.items())), "value": 1} for labels in labels_list]


SLOS = [{"service": "clean", "slo": "availability"}, {"service": "failing", "slo": "availability"}, {"service": "failing", "slo": "second"}]


def test_every_panel_shows_each_slo_of_the_team_and_the_values_of_its_traffic(tmp_path):
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.fail("promtool is not on PATH (Debian: apt-get install prometheus)")
    groups, dashboard = built()
    minutes = 180
    inputs = [series("shop", "clean", "200", 1000, minutes), series("shop", "failing", "500", 1000, minutes),
              series("other", "clean", "500", 1000, minutes)]
    at = "%dm" % minutes
    tests = []
    for title, index in (("SLOs", 0), ("SLOs", 1), ("SLOs", 2), ("SLOs", 3), ("SLI", 0), ("SLI", 1), ("Error budget remaining", 0),
                         ("Burn rate now", 0)):
        expr = picked(panel_expr(dashboard, title, index))
        # One series per SLO of shop, whichever query: other's clean/availability is never among them.
        tests.append({"expr": "count by (namespace, service, slo, team) (%s)" % expr,
                      "eval_time": at, "exp_samples": one_each([dict(s, namespace="shop", team="shop") for s in SLOS])})
        # Picking a service and an SLO shows that SLO alone.
        tests.append({"expr": "count by (service, slo) (%s)" % picked(panel_expr(dashboard, title, index), "failing", "second"),
                      "eval_time": at, "exp_samples": one_each([{"service": "failing", "slo": "second"}])})
    burn = panel_expr(dashboard, "Burn rate per window")
    tests.append({"expr": "count by (service, slo, window) (%s)" % picked(burn), "eval_time": at,
                  "exp_samples": one_each([dict(s, window=w) for s in SLOS for w in sorted(WINDOWS)])})
    # Values: no errors keep the whole budget and burn nothing; only errors burn 1000x (1 / 0.001) and leave none.
    remaining = panel_expr(dashboard, "Error budget remaining")
    now = panel_expr(dashboard, "Burn rate now")
    sli_period = panel_expr(dashboard, "SLOs", 1)
    checks = [
        (picked(remaining, "clean") + " == bool 1", [{"service": "clean", "slo": "availability"}]),
        (picked(now, "clean") + " == bool 0", [{"service": "clean", "slo": "availability"}]),
        (picked(sli_period, "clean") + " == bool 1", [{"service": "clean", "slo": "availability"}]),
        (picked(remaining, "failing") + " < bool 0", SLOS[1:]),
        (picked(now, "failing") + " > bool 999", SLOS[1:]),
        (picked(sli_period, "failing") + " < bool 0.001", SLOS[1:]),
        (picked(burn, "failing", "second") + " > bool 999", [dict(SLOS[2], window=w) for w in sorted(WINDOWS)]),
    ]
    for expr, expected in checks:
        tests.append({"expr": "max by (service, slo%s) (%s)" % (", window" if "window" in expected[0] else "", expr),
                      "eval_time": at, "exp_samples": one_each(expected)})
    path = write_scenario(str(tmp_path), "dashboard", groups, [{"interval": "1m", "input_series": inputs, "promql_expr_test": tests}])
    (code, output), = run_parallel(promtool, [path]).values()
    assert code == 0, output[-6000:]


def test_the_check_fails_when_a_panel_reads_another_teams_slos(tmp_path):
    # Guards the test above: the same checks on a query without the team's matchers must fail.
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.fail("promtool is not on PATH (Debian: apt-get install prometheus)")
    groups, dashboard = built()
    expr = picked(panel_expr(dashboard, "Error budget remaining")).replace('namespace="shop",', "").replace(',team="shop"', "")
    tests = [{"expr": "count by (namespace, service, slo, team) (%s)" % expr, "eval_time": "60m",
              "exp_samples": one_each([dict(s, namespace="shop", team="shop") for s in SLOS])}]
    inputs = [series("shop", "clean", "200", 1000, 60), series("shop", "failing", "500", 1000, 60), series("other", "clean", "500", 1000, 60)]
    path = write_scenario(str(tmp_path), "guard", groups, [{"interval": "1m", "input_series": inputs, "promql_expr_test": tests}])
    (code, output), = run_parallel(promtool, [path]).values()
    assert code != 0 and 'team="other"' in output, output[-3000:]
