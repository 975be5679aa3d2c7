#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""When each SLO alert fires and resolves: our rules and Sloth's for the same SLO, in one promtool run per scenario,
against the exact workbook arithmetic on the true event counts.

Usage: .venv/bin/python benchmarks/slo_timing.py [--json out.json] [--sloth-examples DIR]
(with PYTHONPATH=.venv/collections, as `make bench` runs it: the benchmarks import the collection by name)

With --sloth-examples (Sloth's examples/ directory of a release, e.g. `git archive v0.16.0 examples` of slok/sloth,
never committed here), it also runs Sloth's own generated rules for its own examples against ours for the same SLOs:
getting-started (99.9%), the Kubernetes API server availability (99.9%) and latency (99%, `{verb!="WATCH"}`) SLOs,
and multifile's 99.99% SLO.

The scenarios and the exact side are those of tests/integration/test_slo_timing_promtool.py (which asserts ours
within 2 minutes); Sloth's rules are its v0.16 output for the same SLO (slo_rules.sloth_groups). promtool
cannot print a value, so each edge is read from a deliberately failing expression test: the first and last
evaluation at which the alert was firing, `min_over_time` and `max_over_time` of `timestamp(ALERTS{...})` over the
whole run; the resolve is the evaluation after the last firing one, when that is before the end. The gap scenario
also prints each rule set's 1h error ratio and 30d budget left after the gap against the truth.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import yaml

from ansible_collections.vigil.observability.benchmarks import slo_rules
from ansible_collections.vigil.observability.tests.support import slo_timing as timing
from ansible_collections.vigil.observability.tests.support.promtool_helpers import for_promtool, write_scenario

REPO = Path(__file__).resolve().parents[1]

_HTTP = ('http_request_duration_seconds_count{namespace="shop",job="myservice",code="200"}',
         'http_request_duration_seconds_count{namespace="shop",job="myservice",code="500"}')
_HTTP_SLO = {"errors": 'http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}',
             "total": 'http_request_duration_seconds_count{job="myservice"}'}
# (name, our SLO, Sloth's generated file, Sloth alert matchers, objective, counters, histogram)
EXAMPLES = [
    ("getting-started", dict(_HTTP_SLO, name="availability", objective=99.9), "getting-started.yml",
     'alertname="MyServiceHighErrorRate"', Fraction(999, 1000), _HTTP, False),
    ("k8s-apiserver-availability", {"name": "availability", "objective": 99.9, "errors": 'apiserver_request_total{code=~"(5..|429)"}',
                                    "total": "apiserver_request_total"}, "kubernetes-apiserver.yml",
     'alertname="K8sApiserverAvailabilityAlert"', Fraction(999, 1000),
     ('apiserver_request_total{namespace="shop",code="200"}', 'apiserver_request_total{namespace="shop",code="500"}'), False),
    ("k8s-apiserver-latency", {"name": "availability", "objective": 99, "latency": {
        "histogram": "apiserver_request_duration_seconds", "threshold": 0.4, "selector": '{verb!="WATCH"}'}},
     "kubernetes-apiserver.yml", 'alertname="K8sApiserverLatencyAlert"', Fraction(99, 100),
     ('apiserver_request_duration_seconds_count{namespace="shop",verb="GET"}',
      'apiserver_request_duration_seconds_bucket{namespace="shop",verb="GET",le="0.4"}'), True),
    ("multifile-99.99", dict(_HTTP_SLO, name="availability", objective=99.99), "multifile.yml",
     'alertname="MyServiceHighErrorRate",sloth_service="myservice2"', Fraction(9999, 10000), _HTTP, False),
]

SETS = {
    "ours": {"page": 'alertname="SLOErrorBudgetFastBurn"', "ticket": 'alertname="SLOErrorBudgetSlowBurn"'},
    "sloth": {"page": 'alertname="%s",sloth_severity="page"' % slo_rules.SLOTH_ALERT,
              "ticket": 'alertname="%s",sloth_severity="ticket"' % slo_rules.SLOTH_ALERT},
}
_GOT = re.compile(r'expr: "(?P<expr>(?:[^"\\]|\\.)*)".*?got: (?P<got>\[\]|\{[^\n]*\} (?P<value>\S+)|nil)', re.S)


def sloth_rules():
    """Sloth's rules for the scenarios' SLO (same selectors, objective, period and tiers)."""
    team_vars = {"observability_team_shop": {"services": [{"name": "api", "slos": [{
        "name": "availability", "objective": 99.9, "errors": 'http_requests_total{job="api",code=~"5.."}',
        "total": 'http_requests_total{job="api"}'}]}]}}
    _settings, teams, _alerting = slo_rules.build.load_all(team_vars, [], {})
    return for_promtool(slo_rules.sloth_groups(teams[0].services[0].slos[0]))


def probes(traffic, step, sets=None):
    """(key, expression) of every edge and value this run reads."""
    out = []
    for set_name, actions in (sets or SETS).items():
        for action, matchers in actions.items():
            ts = 'timestamp(ALERTS{%s,alertstate="firing"})' % matchers
            for edge, fn in (("first", "min_over_time"), ("last", "max_over_time")):
                out.append(("%s/%s/%s" % (set_name, action, edge), "%s(%s[%ds:%ds])" % (fn, ts, traffic.end, step)))
    return out


def run_scenario(promtool, directory, name, traffic, min_events, step, extra_probes=(), groups=None, sets=None):
    groups = groups or (timing.rule_groups(min_events) + sloth_rules())
    checks = probes(traffic, step, sets) + list(extra_probes)
    expr_tests = []
    for check in checks:
        at = check[2] if len(check) > 2 else traffic.end
        # Expect an impossible sample: promtool then prints what the expression gave.
        expr_tests.append({"expr": check[1], "eval_time": "%ds" % at, "exp_samples": [{"labels": "{}", "value": -1}]})
    tests = [{"interval": "%ds" % timing.SCRAPE, "input_series": traffic.series(), "promql_expr_test": expr_tests}]
    path = write_scenario(directory, "%s-%ds" % (name, step), groups, tests, "%ds" % step)
    proc = subprocess.run([promtool, "test", "rules", os.path.basename(path)], cwd=directory, capture_output=True, text=True,
                          timeout=900, check=False)
    found = {}
    for match in _GOT.finditer(proc.stdout + proc.stderr):
        expr = match.group("expr").encode().decode("unicode_escape")
        found[expr] = float(match.group("value")) if match.group("value") else None
    values = {}
    for probe in checks:
        key, expr = probe[0], probe[1]
        values[key] = found.get(expr)
    return values


def example_rows(promtool, directory, examples_dir):
    """Each Sloth example's own generated rules against ours for the same SLO, in every timing scenario."""
    rows = []
    for name, slo, gen_file, matchers, objective, series, histogram in EXAMPLES:
        documents = yaml.safe_load_all(Path(examples_dir, "_gen", gen_file).read_text(encoding="utf-8"))
        sloth = [group for doc in documents if doc for group in doc.get("groups", [])]
        sets = {"ours": SETS["ours"], "sloth": {"page": matchers + ',sloth_severity="page"', "ticket": matchers + ',sloth_severity="ticket"'}}
        for step in (30, 60):
            for scenario, (traffic, min_events, _wants) in timing.scenarios(1 - objective, series=series, histogram=histogram).items():
                if min_events:
                    continue  # Sloth has no min_events
                groups = timing.rule_groups(slo=slo) + for_promtool(sloth)
                values = run_scenario(promtool, directory, "%s-%s" % (name, scenario), traffic, None, step, groups=groups, sets=sets)
                for action in ("page", "ticket"):
                    row = {"example": name, "scenario": scenario, "step": step, "alert": action, "exact": traffic.edges(action, step)}
                    for set_name in sets:
                        row[set_name] = edges(values, set_name, action, step, traffic.end)
                    rows.append(row)
    return rows


def edges(values, set_name, action, step, end):
    first = values.get("%s/%s/first" % (set_name, action))
    last = values.get("%s/%s/last" % (set_name, action))
    if first is None:
        return None, None
    resolve = last + step if last is not None and last + step <= end else None
    return int(first), int(resolve) if resolve is not None else None


def fmt_time(t):
    if t is None:
        return "-"
    return "%dh%02dm%02ds" % (t // 3600, t % 3600 // 60, t % 60)


def fmt_delta(got, exact):
    if got is None or exact is None:
        return "" if got == exact else "(exact %s)" % fmt_time(exact)
    return "%+ds" % (got - exact)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--promtool", default="promtool")
    parser.add_argument("--sloth-examples", help="Sloth's examples/ directory (with _gen/)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        if args.sloth_examples:
            example = example_rows(args.promtool, directory, args.sloth_examples)
            print("%-28s %-16s %-4s %-7s %-22s %-30s %-30s" % ("Sloth example", "scenario", "eval", "alert", "exact", "ours", "Sloth"))
            for row in example:
                exact = row["exact"]
                cells = ["%s %s / %s %s" % (fmt_time(row[k][0]), fmt_delta(row[k][0], exact[0]), fmt_time(row[k][1]), fmt_delta(row[k][1], exact[1]))
                         for k in ("ours", "sloth")]
                print("%-28s %-16s %-4s %-7s %-22s %-30s %-30s" % (row["example"], row["scenario"], "%ds" % row["step"], row["alert"],
                                                                   "%s / %s" % (fmt_time(exact[0]), fmt_time(exact[1])), cells[0], cells[1]))
            rows += example
        for step in (30, 60):
            for name, (traffic, min_events, _wants) in timing.scenarios().items():
                values = run_scenario(args.promtool, directory, name, traffic, min_events, step)
                for action in ("page", "ticket"):
                    exact = traffic.edges(action, step, min_events)
                    row = {"scenario": name, "step": step, "alert": action, "exact": exact}
                    for set_name in SETS:
                        row[set_name] = edges(values, set_name, action, step, traffic.end)
                    rows.append(row)
            gap = timing.gap_traffic()
            after = 6 * timing.H + 25 * timing.M + 30 * timing.M
            extra = [("ours/1h", 'vigil:slo_error_ratio:rate1h', after), ("sloth/1h", 'slo:sli_error:ratio_rate1h', after),
                     ("ours/budget", "vigil:slo_error_budget_remaining:ratio", gap.end),
                     ("sloth/budget", "slo:period_error_budget_remaining:ratio", gap.end)]
            values = run_scenario(args.promtool, directory, "gap", gap, None, step, extra)
            total, bad = gap.window(after, timing.H)
            all_total, all_bad = gap.counts(gap.end)
            exact_budget = 1 - (all_bad / all_total) / timing.BUDGET
            row = {"scenario": "gap", "step": step, "ratio_1h_exact": float(bad / total),
                   "ratio_1h": {s: values.get("%s/1h" % s) for s in SETS}, "budget_exact": float(exact_budget),
                   "budget": {s: values.get("%s/budget" % s) for s in SETS}}
            for action in ("page", "ticket"):
                row[action] = {s: edges(values, s, action, step, gap.end) for s in SETS}
            rows.append(row)
    print("%-16s %-4s %-7s %-22s %-30s %-30s" % ("scenario", "eval", "alert", "exact fire / resolve", "ours", "Sloth"))
    for row in rows:
        if row["scenario"] == "gap":
            continue
        exact = row["exact"]
        cells = []
        for set_name in SETS:
            fire, resolve = row[set_name]
            cells.append("%s %s / %s %s" % (fmt_time(fire), fmt_delta(fire, exact[0]), fmt_time(resolve), fmt_delta(resolve, exact[1])))
        print("%-16s %-4s %-7s %-22s %-30s %-30s" % (row["scenario"], "%ds" % row["step"], row["alert"],
                                                     "%s / %s" % (fmt_time(exact[0]), fmt_time(exact[1])), cells[0], cells[1]))
    for row in rows:
        if row["scenario"] != "gap":
            continue
        print("gap @%ds: 1h error ratio 30m after resume: exact %.4f, ours %s, Sloth %s; 30d budget left at the end: exact %.3f, "
              "ours %s, Sloth %s; page: ours %s, Sloth %s" % (
                  row["step"], row["ratio_1h_exact"], row["ratio_1h"]["ours"], row["ratio_1h"]["sloth"], row["budget_exact"],
                  row["budget"]["ours"], row["budget"]["sloth"], [fmt_time(t) for t in row["page"]["ours"]],
                  [fmt_time(t) for t in row["page"]["sloth"]]))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
