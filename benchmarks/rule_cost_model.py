#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Samples each SLO rule set reads per evaluation, counted from the rules themselves, at any number of raw series.

Usage: .venv/bin/python benchmarks/rule_cost_model.py [--series 1000 10000 100000] [--json out.json]
(with PYTHONPATH=.venv/collections, as `make bench` runs it: the benchmarks import the collection by name)

The count is what Prometheus reports as a query's queryable samples once the history is there. A range selector
`x[W]` reads W / interval samples of each series it matches: the scrape interval for raw series, the evaluation
interval for recorded ones. An instant selector, with or without `offset`, reads one sample of each. Raw selectors
match the benchmark's traffic: N series in 5 status codes, 2 of them 5xx (errors match 2/5 of them). Recorded
selectors match one series (every recorded SLO series is summed to one). The history is taken to be a month, so every
window is full: this is the steady-state cost, which a 3-day measurement (rule_eval_cost.py) cannot show for 30d
windows.

Paths: the *alert path* is every rule the two burn-rate alerts depend on; the *budget path* is every rule only the 30d
error budget depends on. For Sloth (its v0.16 output for the same SLO: its own generated file with --sloth-rules, else
as slo_rules.sloth_groups writes it) that is the 30d ratio, an average of the 5m ratio; for ours the period's sums
of daily and weekly counts. rule_eval_cost.py measures the same counts on a real Prometheus with a month of history.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ansible_collections.vigil.observability.benchmarks import slo_rules
from ansible_collections.vigil.observability.tests.support import promql_ast

SCRAPE = 30
ERROR_SHARE = (2, 5)


def selector_reads(expr):
    """(metric, matchers, range seconds or None) of every selector in an expression (tests' independent parser)."""
    return promql_ast.selectors(expr)


def rule_samples(expr, series, eval_interval, scrape=SCRAPE):
    """Samples one evaluation of `expr` reads with `series` raw series behind the SLO."""
    total = 0
    for name, matchers, window in selector_reads(expr):
        recorded = name.startswith(("vigil:", "slo:"))
        if recorded:
            matched = 1
        else:
            errors = any("5.." in value for _label, _op, value in matchers)
            matched = series * ERROR_SHARE[0] // ERROR_SHARE[1] if errors else series
        per_series = window // (eval_interval if recorded else scrape) if window else 1
        total += matched * per_series
    return total


def _outputs(rule):
    return rule.get("record") or rule.get("alert")


def dependencies(groups, targets):
    """The names of `targets` and of every recorded series they read, transitively."""
    by_name = {}
    for group in groups:
        for rule in group["rules"]:
            by_name.setdefault(_outputs(rule), []).append(rule)
    needed, stack = set(), list(targets)
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        needed.add(name)
        for rule in by_name.get(name, []):
            stack.extend(n for n, _t, _w in selector_reads(rule["expr"]) if n in by_name)
    return needed


def paths(groups, alert_names, budget_names):
    alert = dependencies(groups, alert_names)
    budget = dependencies(groups, budget_names) - alert
    return alert, budget


def cost(groups, series, eval_interval, alert_names, budget_names):
    alert, budget = paths(groups, alert_names, budget_names)
    out = {"alert": 0, "budget": 0, "all": 0, "raw": 0}
    for group in groups:
        for rule in group["rules"]:
            samples = rule_samples(rule["expr"], series, eval_interval)
            out["all"] += samples
            out["raw"] += samples - rule_samples(rule["expr"], 0, eval_interval)
            if _outputs(rule) in alert:
                out["alert"] += samples
            elif _outputs(rule) in budget:
                out["budget"] += samples
    return out


def rule_sets(sloth_rules=None):
    """Ours and Sloth's for the getting-started SLO: Sloth's own generated file when given, else sloth_groups."""
    ours, the_slo = slo_rules.our_groups(99.9)
    sloth = slo_rules.load_sloth_rules(sloth_rules) if sloth_rules else slo_rules.sloth_groups(the_slo)
    return {
        "ours": (ours, ["SLOErrorBudgetFastBurn", "SLOErrorBudgetSlowBurn"], ["vigil:slo_error_budget_remaining:ratio"]),
        "sloth": (sloth, slo_rules.alert_names(sloth), ["slo:period_error_budget_remaining:ratio"]),
    }


def table(series_counts, intervals=(30, 60), sloth_rules=None):
    rows = []
    sets = rule_sets(sloth_rules)
    for interval in intervals:
        for series in series_counts:
            row = {"series": series, "eval_interval_s": interval}
            for name, (groups, alerts, budget) in sets.items():
                row[name] = cost(groups, series, interval, alerts, budget)
            for key in ("alert", "budget", "all"):
                row["ratio_" + key] = row["sloth"][key] / max(1, row["ours"][key])
            rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--series", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--sloth-rules", help="Sloth's generated examples/_gen/getting-started.yml (default: sloth_groups)")
    args = parser.parse_args(argv)
    rows = table(args.series, sloth_rules=args.sloth_rules)
    print("%-8s %-6s %-7s %14s %14s %8s" % ("series", "eval", "path", "ours", "Sloth", "ratio"))
    for row in rows:
        for key in ("alert", "budget", "all"):
            print("%-8d %-6s %-7s %14d %14d %7.1fx" % (row["series"], "%ds" % row["eval_interval_s"], key, row["ours"][key],
                                                       row["sloth"][key], row["ratio_" + key]))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
