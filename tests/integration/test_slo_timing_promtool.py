# -*- coding: utf-8 -*-
"""SLO alerts fire and resolve on time, and scrape gaps lose no events: the generated rules in the real promtool,
against an exact computation of the SRE workbook arithmetic on the true event counts.

Each scenario is a piecewise-constant traffic of good and bad requests, written as the counters a 30s scrape would
sample (with `_` where a scrape gap leaves no sample). The exact side computes, at every evaluation of the grid, the
true events of every tier's windows and whether a tier fires (both windows above factor x budget, the long window
holding `min_events`); from that come the first firing and the resolve of each alert. promtool then checks, at the
30s and the 1m evaluation interval, that our alert was never firing until 2 minutes before the exact edge, fires 2
minutes after it, still fires 2 minutes before the exact resolve and never fires again from 2 minutes after it.
Silent scenarios check that the alert never fired. The gap scenarios (a 25-minute and a 55-minute scrape gap full of
errors) check that the alert fires once scraping resumes and that the recorded counts of the 1h, 6h and 30d windows
hold every error of the gap.
"""

from __future__ import annotations

import os
from fractions import Fraction

import pytest

from ansible_collections.vigil.observability.tests.support.promtool_helpers import run_parallel, write_scenario
from ansible_collections.vigil.observability.tests.support.slo_timing import (
    ALERTS, D, GAPS, H, M, SCRAPE, TOLERANCE, Traffic, edge_checks, firing_at, gap_checks, gap_traffic, never_firing, phase, rule_groups,
    scenarios)

pytestmark = pytest.mark.slow


def _build(tmp_path):
    paths, expected = {}, {}
    for step in (30, 60):
        groups = rule_groups()
        for name, (traffic, min_events, wants) in scenarios().items():
            groups_used = rule_groups(min_events) if min_events else groups
            alert_tests, expr_tests, edges = [], [], {}
            for action in ("page", "ticket"):
                checks, edge = edge_checks(traffic, action, step, min_events)
                assert (edge[0] is not None) == wants[action], (name, action, edge)
                alert_tests += checks["alert"]
                expr_tests += checks["expr"]
                edges[action] = edge
            test = {"interval": "%ds" % SCRAPE, "input_series": traffic.series(), "alert_rule_test": alert_tests,
                    "promql_expr_test": expr_tests}
            key = "%s@%ds" % (name, step)
            paths[key] = write_scenario(str(tmp_path), key.replace("@", "-"), groups_used, [test], "%ds" % step)
            expected[key] = edges
        for name, (gap, errors, action) in GAPS.items():
            traffic = gap_traffic(gap, errors)
            alert_tests, expr_tests = [], gap_checks(traffic, step, gap)
            # The alert fires once scraping resumes, from the windows whose raw reads reach back before the gap.
            resume = 6 * H + gap * M
            alert_tests.append(firing_at(ALERTS[action], action, resume + TOLERANCE))
            expr_tests += never_firing(ALERTS[action], resume - step)
            key = "%s@%ds" % (name, step)
            test = {"interval": "%ds" % SCRAPE, "input_series": traffic.series(), "alert_rule_test": alert_tests,
                    "promql_expr_test": expr_tests}
            paths[key] = write_scenario(str(tmp_path), key.replace("@", "-"), rule_groups(budget_interval="1m"), [test], "%ds" % step)
    return paths, expected


@pytest.fixture(scope="module")
def timing_results(promtool, tmp_path_factory):
    paths, expected = _build(tmp_path_factory.mktemp("slo-timing"))
    # The longest scenarios first, so that the slowest never starts last.
    order = sorted(paths, key=lambda k: -os.path.getsize(paths[k]))
    results = run_parallel(promtool, [paths[k] for k in order])
    return {k: results[paths[k]] for k in paths}, expected


@pytest.mark.parametrize("scenario", ["%s@%d" % (n, s) for s in (30, 60) for n in
                                      ("burn0.5", "burn2", "burn8", "burn20", "outage", "zero-traffic", "no-error-counter", "min-events", "gap",
                                       "gap55")])
def test_alert_edges_within_two_minutes_of_the_exact_arithmetic(timing_results, scenario):
    results, _expected = timing_results
    returncode, output = results[scenario + "s"]
    assert returncode == 0, "%s:\n%s" % (scenario, output[-6000:])
    assert "SUCCESS" in output


def test_the_exact_side_agrees_with_the_workbook_formula():
    # Constant burn b from a clean history: a window W passes factor x budget after W x factor / b.
    traffic = Traffic([phase(D), phase(2 * H, burn=20)])
    fire, _resolve = traffic.edges("page", 1)
    assert fire == D + H * Fraction(144, 10) / 20 + 1  # 43.2 minutes exactly is not yet above: the next second
    eight = Traffic([phase(6 * H), phase(10 * H, burn=8)])
    assert eight.edges("page", 60)[0] == 6 * H + 6 * H * 6 // 8 + 60  # 4.5h, and the first evaluation after it
