#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Alert edges of our SLO rules and of Sloth's own, evaluated by a real Prometheus over a month of history with
1,000 raw series per SLO, at the 30s and the 1m evaluation interval, against the exact workbook arithmetic.

Usage: .venv/bin/python benchmarks/slo_edges.py --sloth-rules <slok/sloth v0.16.0>/examples/_gen/getting-started.yml
(with PYTHONPATH=.venv/collections, as `make bench` runs it: the benchmarks import the collection by name)
                                                [--intervals 30s 1m] [--instances 200] [--scenarios NAME ...] [--smoke]

Every scenario is one SLO, Sloth's getting-started (99.9% of `http_request_duration_seconds_count` without a 5xx
or 429 `code`, 30 days), over its own job served by 200 instances x 5 codes: 1,000 raw series per SLO, all the
scenarios side by side in one Prometheus. Its traffic is a month of history (clean, 0.5x, or low traffic) and then
the measured phases: those of tests/integration/test_slo_timing_promtool.py, lengthened where a month of clean
history changes what fires (2x needs 36 hours to fill the 3d window); and 5xx series that appear with their
first error, a 60-minute scrape gap, and a 60-minute Prometheus restart.
Ours come from the collection's core; Sloth's are its own generated file with `myservice` renamed per scenario
(or, without --sloth-rules, slo_rules.sloth_groups).

1. Raw data, with `promtool tsdb create-blocks-from openmetrics`: each scenario's 1,000 counters scraped every 30s
   from 3 days and an hour before the measured phases (Sloth's longest raw window is 3d) to their end, with no
   sample inside a scrape gap; and for the month before, the same counters summed by code (5 series of another
   job), from which the history is computed.
2. Every rule, layer by layer, evaluated by Prometheus itself: a `query_range` of its expression at the evaluation
   interval is what the rule manager computes at each of its evaluations. A layer reads raw series and the layers
   before it; each becomes one block, and Prometheus restarts to read it before the next one. Over the month
   before the measured phases, only the rules whose history some rule reads (raw selectors pointed at the summed
   copy); over the measured phases, every rule, on the 1,000 raw series. Prometheus runs with a lookback of half
   an interval, so that a series a rule did not write at an evaluation is absent at it, as the staleness marker
   of a live rule manager makes it. In a `partition` gap the rules keep evaluating; in a `restart` gap
   (Prometheus down) no evaluation inside it exists.
3. Each alert rule's expression as a `query_range` over the measured phases: the alert fires at every evaluation
   that returns a series (after its `for`, which neither set has). Its first firing and the resolve after it are
   compared with the exact edges: the workbook arithmetic on the true event counts at the same evaluations
   (test_slo_timing_promtool.Traffic). In a gap scenario, the alert must fire within 2 minutes of scraping
   resuming, and our recorded error counts of 1h, 6h, 1d, 3d and 30d must hold every error of the gap.
4. The 30d budget left at the end, ours and Sloth's, against the truth.

The exit status is 0 when every edge of ours is within --tolerance (2 minutes) of the exact one, every gap alert
fires on time and every gap count is within 1%. --smoke runs a tiny version (2 instances, 4 days, 1m, 3 scenarios).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import yaml

from ansible_collections.vigil.observability.benchmarks import rule_eval_cost as rec
from ansible_collections.vigil.observability.benchmarks import slo_rules
from ansible_collections.vigil.observability.benchmarks.slo_timing import fmt_delta, fmt_time
from ansible_collections.vigil.observability.plugins.module_utils.generators import slo
from ansible_collections.vigil.observability.tests.support import slo_timing as timing

BENCH = Path(__file__).resolve().parent

M, H, D = 60, 3600, 86400
SCRAPE = timing.SCRAPE
NAMESPACE = slo_rules.NAMESPACE
SLOTH_NAME = "myservice"  # what Sloth's getting-started calls its service and job
# Sloth's longest raw window, and an hour more, before the measured phases.
RAW_BEFORE = 3 * D + H
CHECK_WINDOWS = (("1h", H), ("6h", 6 * H), ("1d", D), ("3d", 3 * D))


class Scenario:
    """A month of history, then the measured phases; `gap` is (minutes, minutes of errors inside, kind)."""

    def __init__(self, service, history, measured, error_counter=True, min_events=None, gap=None, fires=None, errors_appear=False):
        self.service, self.min_events, self.gap, self.fires = service, min_events, gap, fires
        # The 5xx series exist only from their first error on, as a client library creates a label set when first used.
        self.errors_appear = errors_appear
        self.history = sum(p["seconds"] for p in history)
        self.traffic = timing.Traffic(history + measured, error_counter=error_counter)
        self.error_counter = error_counter
        self.length = self.traffic.end - self.history
        # The gap, relative to the start of the history, when there is one.
        self.gap_span = None
        if gap:
            begin = self.history + 2 * H
            self.gap_span = (begin, begin + gap[0] * M)


def _gap_phases(minutes, errors):
    phase = timing.phase
    lead = (minutes - errors) // 2
    return [phase(2 * H), phase(lead * M, scraped=False), phase(errors * M, burn=1 / timing.BUDGET, scraped=False),
            phase((minutes - lead - errors) * M, scraped=False), phase(3 * H)]


def scenarios(history):
    phase = timing.phase
    low = Fraction(1, 100)
    everything = 1 / timing.BUDGET
    return {
        # 0.5x for the month and after it: nothing fires; half the budget is spent.
        "burn0.5": Scenario("burn05", [phase(history, burn=Fraction(1, 2))], [phase(12 * H, burn=Fraction(1, 2))]),
        # 2x after a clean month: the 3d ticket tier once its window passes 1x (36 hours); resolves 3 hours after.
        "burn2": Scenario("burn2", [phase(history)], [phase(48 * H, burn=2), phase(4 * H)]),
        # 8x: the 6h page tier at 4.5 hours, the 1d ticket tier at 9 hours; both resolve after it stops.
        "burn8": Scenario("burn8", [phase(history)], [phase(10 * H, burn=8), phase(6 * H)]),
        # 20x after a clean month (a clean day and more): the 1h page tier at 43.2 minutes.
        "burn20": Scenario("burn20", [phase(history)], [phase(2 * H, burn=20), phase(3 * H)]),
        "outage": Scenario("outage", [phase(history)], [phase(30 * M, burn=everything), phase(3 * H)]),
        "zero-traffic": Scenario("zero", [phase(history)], [phase(2 * H, burn=20), phase(2 * H, traffic=0)]),
        "no-error-counter": Scenario("noerr", [phase(history)], [phase(6 * H)], error_counter=False),
        # No 5xx series for the month; they appear with the first error of a 20x burn.
        "error-counter-appears": Scenario("appears", [phase(history)], [phase(2 * H, burn=20), phase(3 * H)], errors_appear=True),
        # 0.01 requests/s for the month, then 100% errors: the 1h tiers hold 36 events, under min_events 100.
        "min-events": Scenario("minev", [phase(history, traffic=low)], [phase(3 * H, burn=everything, traffic=low)], min_events=100),
        # Scrape gaps full of errors. A 25-minute one is inside the 30m window, so the page fires once scraping
        # resumes; a 55-minute one is not, and the 2h window (the ticket) holds it. A 60-minute gap, and a 60-minute
        # restart: nothing is scraped or evaluated inside it.
        "gap25": Scenario("gap25", [phase(history)], _gap_phases(25, 20), gap=(25, 20, "partition"), fires="page"),
        "gap55": Scenario("gap55", [phase(history)], _gap_phases(55, 50), gap=(55, 50, "partition"), fires="ticket"),
        "gap60": Scenario("gap60", [phase(history)], _gap_phases(60, 40), gap=(60, 40, "partition"), fires="ticket"),
        "restart60": Scenario("restart60", [phase(history)], _gap_phases(60, 40), gap=(60, 40, "restart"), fires="ticket"),
    }


# ---------------------------------------------------------------------------------------------
# Rules


def selectors(service):
    job = 'job="%s"' % service
    return '%s{%s,code=~"(5..|429)"}' % (slo_rules.METRIC, job), '%s{%s}' % (slo_rules.METRIC, job)


def our_rules(chosen):
    """Our groups per scenario, from the core: one team, one service per scenario."""
    services = []
    for scen in chosen.values():
        errors, total = selectors(scen.service)
        the_slo = {"name": "availability", "objective": 99.9, "errors": errors, "total": total}
        if scen.min_events:
            the_slo["min_events"] = scen.min_events
        services.append({"name": scen.service, "slos": [the_slo]})
    settings, teams, _alerting = slo_rules.build.load_all({"observability_team_%s" % NAMESPACE: {"services": services}}, [], {})
    team = teams[0]
    return {service.name: slo.slo_groups(team, service, service.slos[0], settings) for service in team.services}


def sloth_rules(chosen, path):
    """Sloth's groups per scenario: its own file (checked to read getting-started's counters), renamed."""
    if path:
        slo_rules.load_sloth_rules(path)
        text = Path(path).read_text(encoding="utf-8")
    else:
        _team, _service, the_slo, _settings = slo_rules.our_slo(99.9)
        text = yaml.safe_dump({"groups": slo_rules.sloth_groups(the_slo)}, sort_keys=False, width=1000)
    out = {}
    for scen in chosen.values():
        documents = yaml.safe_load_all(text.replace(SLOTH_NAME, scen.service))
        out[scen.service] = [group for doc in documents if doc for group in doc.get("groups", [])]
    return out


def layer_plan(groups):
    """(depth of every recorded series, the series whose history some rule reads over a range or an offset)."""
    depth = {r["record"]: k for k, layer in enumerate(rec.history_layers(groups, every=True), 1) for r in layer}
    wanted = {r["record"] for layer in rec.history_layers(groups) for r in layer}
    return depth, wanted


def history_expr(expr, service):
    return expr.replace('job="%s"' % service, 'job="%s-history"' % service)


# ---------------------------------------------------------------------------------------------
# Raw data


def instance_weights(instances):
    rates = [5 + 10 * ((i * 0.6180339887) % 1) for i in range(instances)]
    total = sum(rates)
    return ["i-%03d" % i for i in range(instances)], [r / total for r in rates]


def write_raw(path, scen, instances, h0, start, end):
    """The scenario's counters: summed by code over the history, the raw ones from RAW_BEFORE before `start`."""
    names, weights = instance_weights(instances)
    codes = list(slo_rules.GOOD) + (list(slo_rules.BAD) if scen.error_counter else [])
    raw = [('%s{code="%s",instance="%s",job="%s",namespace="%s"}' % (slo_rules.METRIC, code, name, scen.service, NAMESPACE),
            weight * share, code.startswith("5")) for name, weight in zip(names, weights) for code, share in codes]
    summed = [('%s{code="%s",instance="all",job="%s-history",namespace="%s"}' % (slo_rules.METRIC, code, scen.service, NAMESPACE),
               share, code.startswith("5")) for code, share in codes]
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for series, first, last in ((summed, h0, start), (raw, start - RAW_BEFORE, end)):
            for t in range(first, last + 1, SCRAPE):
                if not scen.traffic.scraped(t - h0):
                    continue
                total, bad = scen.traffic.counts(t - h0)
                good, bad = float(total - bad), float(bad)
                lines = ["%s %.12g %d\n" % (labels, factor * (bad if is_bad else good), t) for labels, factor, is_bad in series
                         if not (is_bad and scen.errors_appear and not bad)]
                out.write("".join(lines))
                count += len(lines)
        out.write("# EOF\n")
    return count


# ---------------------------------------------------------------------------------------------
# Replay


class Replay:
    """The Prometheus of one evaluation interval; each layer is computed, imported, and read by the next."""

    def __init__(self, args, workdir, data_dir, step, hours):
        self.args, self.workdir, self.data_dir, self.step, self.hours = args, workdir, data_dir, step, hours

    def prometheus(self):
        prom = rec.Prometheus(self.args.prometheus, self.workdir, self.data_dir, 0, "%ds" % SCRAPE, "%ds" % self.step,
                              flags=["--query.lookback-delta=%ds" % (self.step // 2)])
        prom.start()
        return prom

    def query_range(self, prom, expr, start, end):
        chunk = rec.QUERY_POINTS * self.step
        out = {}
        at = start
        while at <= end:
            stop = min(end, at + chunk - self.step)
            data = prom.api("/api/v1/query_range", query=expr, start=str(at), end=str(stop), step=str(self.step))[0]
            for result in data["result"]:
                labels = tuple(sorted((k, v) for k, v in result["metric"].items() if k != "__name__"))
                out.setdefault(labels, []).extend((int(float(ts)), value) for ts, value in result["values"])
            at = stop + self.step
        return out

    def layer(self, k, jobs):
        """jobs: (rule, expression, [(start, end)], down) of this layer; returns the samples written."""
        prom = self.prometheus()
        series = {}
        try:
            for rule, expr, spans, down in jobs:
                for start, end in spans:
                    for labels, values in self.query_range(prom, expr, start, end).items():
                        merged = dict(labels)
                        merged.update(rule.get("labels") or {})
                        kept = [(ts, v) for ts, v in values if not (down and down[0] <= ts < down[1])]
                        series.setdefault((rule["record"], rec._om_labels(merged)), []).extend(kept)  # pylint: disable=protected-access
        finally:
            prom.stop()
        path = os.path.join(self.workdir, "layer-%d.om" % k)
        count = 0
        with open(path, "w", encoding="utf-8") as out:
            for (name, labels), values in sorted(series.items()):
                out.write("".join("%s%s %s %d\n" % (name, labels, value, ts) for ts, value in sorted(values)))
                count += len(values)
            out.write("# EOF\n")
        rec.blocks_from_openmetrics(self.args, path, os.path.join(self.workdir, "blocks-%d" % k), self.hours, self.data_dir)
        return count


def firing_steps(prom, replay, rule, start, end, down):
    """The evaluations at which the alert fires: its expression returns a series for its whole `for`."""
    result = replay.query_range(prom, rule["expr"], start, end)
    true_at = {ts for values in result.values() for ts, _v in values}
    hold = slo_rules.seconds(rule["for"]) if rule.get("for") else 0
    fired, since = set(), None
    for t in range(start, end + 1, replay.step):
        if down and down[0] <= t < down[1]:
            since = None  # no evaluation: a restart forgets pending alerts
            continue
        if t in true_at:
            since = t if since is None else since
            if t - since >= hold:
                fired.add(t)
        else:
            since = None
    return fired


def edges_of(fired, start, end, step):
    """(first firing, the first evaluation after it that does not fire), relative to `start`; None when never."""
    first = resolve = None
    for t in range(start, end + 1, step):
        if first is None and t in fired:
            first = t
        elif first is not None and t not in fired:
            resolve = t
            break
    return (None if first is None else first - start), (None if resolve is None else resolve - start)


def exact_edges(scen, action, step):
    """The exact edges on the same evaluations, relative to the start of the measured phases."""
    fire = resolve = None
    for t in range(scen.history, scen.traffic.end + 1, step):
        state = scen.traffic.firing(action, t, scen.min_events)
        if fire is None and state:
            fire = t
        elif fire is not None and not state:
            resolve = t
            break
    return (None if fire is None else fire - scen.history), (None if resolve is None else resolve - scen.history)


def run_interval(args, chosen, ours, sloth, raw_dir, interval, h0s, end):  # pylint: disable=too-many-locals
    step = slo_rules.seconds(interval)
    workdir = tempfile.mkdtemp(prefix="vigil-bench-edges-")
    data_dir = os.path.join(workdir, "data")
    shutil.copytree(raw_dir, data_dir)
    hours = int(math.ceil((end - min(h0s.values())) / 7200.0)) * 2 + 2
    replay = Replay(args, workdir, data_dir, step, hours)
    rows = []
    try:
        groups = [g for svc in ours for g in ours[svc] + sloth[svc]]
        depth, wanted = layer_plan(groups)
        recorded = 0
        for k in range(1, max(depth.values()) + 1):
            jobs = []
            for name, scen in chosen.items():
                svc = scen.service
                start = end - scen.length
                down = None
                if scen.gap and scen.gap[2] == "restart":
                    down = (h0s[name] + scen.gap_span[0], h0s[name] + scen.gap_span[1])
                for group in ours[svc] + sloth[svc]:
                    for rule in group["rules"]:
                        if depth.get(rule.get("record")) != k:
                            continue
                        if rule["record"] in wanted:
                            jobs.append((rule, history_expr(rule["expr"], svc), [(h0s[name], start - step)], None))
                        jobs.append((rule, rule["expr"], [(start, end)], down))
            recorded += replay.layer(k, jobs)
            rec.step("[%s] layer %d of %d: %d rules; %d samples recorded so far" % (interval, k, max(depth.values()), len(jobs), recorded))
        prom = replay.prometheus()
        try:
            for name, scen in chosen.items():
                rows.append(scenario_row(prom, replay, name, scen, ours, sloth, h0s[name], end))
        finally:
            prom.stop()
    finally:
        if args.keep:
            print("work dir kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return rows


def scenario_row(prom, replay, name, scen, ours, sloth, h0, end):  # pylint: disable=too-many-arguments,too-many-locals
    step, svc = replay.step, scen.service
    start = end - scen.length
    down = None
    if scen.gap and scen.gap[2] == "restart":
        down = (h0 + scen.gap_span[0], h0 + scen.gap_span[1])
    row = {"scenario": name, "interval": step, "edges": {}}
    for action in ("page", "ticket"):
        row["edges"][action] = {"exact": exact_edges(scen, action, step)}
    names = {v: k for k, v in slo.ALERT_NAMES.items()}
    for set_name, groups in (("ours", ours[svc]), ("sloth", sloth[svc])):
        for group in groups:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                action = names.get(rule["alert"]) if set_name == "ours" else (rule.get("labels") or {}).get("sloth_severity")
                if action not in ("page", "ticket"):
                    continue
                fired = firing_steps(prom, replay, rule, start, end, down)
                row["edges"][action][set_name] = edges_of(fired, start, end, step)
    # The 30d budget left at the end.
    total, bad = scen.traffic.window(scen.traffic.end, timing.PERIOD)
    row["budget"] = {"exact": float(1 - bad / total / timing.BUDGET) if total else None,
                     "ours": rec.instant(prom, 'vigil:slo_error_budget_remaining:ratio{service="%s"}' % svc, end),
                     "sloth": rec.instant(prom, 'slo:period_error_budget_remaining:ratio{sloth_service="%s"}' % svc, end)}
    if scen.gap:
        row["gap"] = gap_checks(prom, scen, h0, step)
    return row


def gap_checks(prom, scen, h0, step):
    """Our recorded error counts after scraping resumes against every error of the gap; the 1h ratios of both."""
    resume = scen.gap_span[1]
    checks = []
    for t in (resume + 2 * step, resume + 30 * M, resume + 50 * M):
        for window, seconds in CHECK_WINDOWS:
            checks.append((t, window, seconds))
    for t in (resume + 10 * M, resume + 2 * H):
        checks.append((t, "30d", timing.PERIOD))
    out = []
    for t, window, seconds in checks:
        # The gap's errors happened at unknown times inside it: they count from the resume on.
        expected = float(scen.traffic.counts(t)[1] - scen.traffic.observed(max(0, t - seconds))[1])
        got = rec.instant(prom, 'vigil:slo_errors:increase%s{service="%s"}' % (window, scen.service), h0 + t)
        out.append({"after_resume": t - resume, "window": window, "expected": expected, "ours": got})
    t = resume + 30 * M
    total, bad = scen.traffic.counts(t)
    total_then, bad_then = scen.traffic.observed(t - H)
    ratio = {"after_resume": t - resume, "exact": float((bad - bad_then) / (total - total_then)),
             "ours": rec.instant(prom, 'vigil:slo_error_ratio:rate1h{service="%s"}' % scen.service, h0 + t),
             "sloth": rec.instant(prom, 'slo:sli_error:ratio_rate1h{sloth_service="%s"}' % scen.service, h0 + t)}
    return {"counts": out, "ratio_1h": ratio, "resume": resume - scen.history}


# ---------------------------------------------------------------------------------------------
# Verdict and report


def verdicts(rows, tolerance):
    """Every failure of ours: an edge off the exact one, a gap alert late, a gap count off."""
    problems = []
    for row in rows:
        where = "%s @%ds" % (row["scenario"], row["interval"])
        if "gap" in row:
            resume = row["gap"]["resume"]
            for action, edge in row["edges"].items():
                first = edge["ours"][0]
                if first is not None and first < resume:
                    problems.append("%s: %s fired at %s, before scraping resumed" % (where, action, fmt_time(first)))
            wanted = row["fires"]
            first = row["edges"][wanted]["ours"][0]
            if first is None or first > resume + tolerance:
                problems.append("%s: %s fired at %s, scraping resumed at %s" % (where, wanted, fmt_time(first), fmt_time(resume)))
            for check in row["gap"]["counts"]:
                got, expected = check["ours"], check["expected"]
                if got is None or abs(got - expected) > 0.01 * expected:
                    problems.append("%s: errors over %s, %s after resuming: %s, expected %.3f" % (
                        where, check["window"], fmt_time(check["after_resume"]), got, expected))
            continue
        for action, edge in row["edges"].items():
            for got, exact, what in zip(edge["ours"], edge["exact"], ("fires", "resolves")):
                if (got is None) != (exact is None) or (got is not None and abs(got - exact) > tolerance):
                    problems.append("%s: %s %s at %s, exact %s" % (where, action, what, fmt_time(got), fmt_time(exact)))
    return problems


def report(rows):
    print()
    print("%-22s %-4s %-7s %-22s %-30s %-30s" % ("scenario", "eval", "alert", "exact fire / resolve", "ours", "Sloth"))
    for row in rows:
        for action, edge in row["edges"].items():
            exact = edge["exact"]
            cells = ["%s %s / %s %s" % (fmt_time(edge[k][0]), fmt_delta(edge[k][0], exact[0]), fmt_time(edge[k][1]), fmt_delta(edge[k][1], exact[1]))
                     for k in ("ours", "sloth")]
            print("%-22s %-4s %-7s %-22s %-30s %-30s" % (row["scenario"], "%ds" % row["interval"], action,
                                                         "%s / %s" % (fmt_time(exact[0]), fmt_time(exact[1])), cells[0], cells[1]))
    print()
    print("30d budget left at the end:")
    for row in rows:
        budget = row["budget"]
        print("  %-22s %-4s exact %8s  ours %8s  Sloth %8s" % (row["scenario"], "%ds" % row["interval"], *(
            "absent" if budget[k] is None else "%.3f" % budget[k] for k in ("exact", "ours", "sloth"))))
    for row in rows:
        if "gap" not in row:
            continue
        gap = row["gap"]
        print()
        print("%s @%ds: scraping resumes at %s" % (row["scenario"], row["interval"], fmt_time(gap["resume"])))
        for check in gap["counts"]:
            print("  errors over %-4s %9s after: expected %10.3f, ours %s" % (
                check["window"], fmt_time(check["after_resume"]), check["expected"],
                "absent" if check["ours"] is None else "%.3f" % check["ours"]))
        ratio = gap["ratio_1h"]
        print("  1h error ratio %s after: exact %.4f, ours %s, Sloth %s" % (fmt_time(ratio["after_resume"]), ratio["exact"], *(
            "absent" if ratio[k] is None else "%.4f" % ratio[k] for k in ("ours", "sloth"))))


def main(argv=None):  # pylint: disable=too-many-locals
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--intervals", nargs="+", default=["30s", "1m"])
    parser.add_argument("--history-days", type=float, default=31.0, help="days of history before the measured phases")
    parser.add_argument("--instances", type=int, default=200, help="instances per SLO; 5 codes each make its raw series")
    parser.add_argument("--scenarios", nargs="+", help="run only these scenarios")
    parser.add_argument("--tolerance", type=int, default=2 * M, help="seconds an edge of ours may be off the exact one")
    parser.add_argument("--sloth-rules", help="Sloth's generated examples/_gen/getting-started.yml (default: slo_rules.sloth_groups)")
    parser.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    parser.add_argument("--promtool", default=shutil.which("promtool") or "/usr/bin/promtool")
    parser.add_argument("--keep", action="store_true", help="keep the work dirs")
    parser.add_argument("--smoke", action="store_true", help="tiny run: 2 instances, 4 days of history, 1m, outage, gap25 and restart60")
    parser.add_argument("--json", default=str(BENCH / "out" / "slo_edges.json"))
    args = parser.parse_args(argv)
    if args.smoke:
        args.instances, args.history_days, args.intervals = 2, 4.0, ["1m"]
        args.scenarios = args.scenarios or ["outage", "gap25", "restart60"]
    history = int(args.history_days * D) // H * H
    if history < RAW_BEFORE:
        parser.error("--history-days must cover Sloth's 3d window and an hour")
    every = scenarios(history)
    chosen = {k: v for k, v in every.items() if not args.scenarios or k in args.scenarios}
    if not chosen:
        parser.error("no such scenario; there are: %s" % ", ".join(every))
    ours, sloth = our_rules(chosen), sloth_rules(chosen, args.sloth_rules)
    # Every scenario ends at the same hour, an hour ago; its history begins `history` before its measured phases.
    end = int(time.time()) // H * H - H
    h0s = {name: end - scen.traffic.end for name, scen in chosen.items()}
    raw_dir = tempfile.mkdtemp(prefix="vigil-bench-edges-raw-")
    rows = []
    try:
        samples = 0
        for name, scen in chosen.items():
            path = os.path.join(raw_dir, "%s.om" % scen.service)
            samples += write_raw(path, scen, args.instances, h0s[name], end - scen.length, end)
            hours = int(math.ceil((end - h0s[name]) / 7200.0)) * 2 + 2
            rec.blocks_from_openmetrics(args, path, os.path.join(raw_dir, "blocks-%s" % scen.service), hours, raw_dir)
            shutil.rmtree(os.path.join(raw_dir, "blocks-%s" % scen.service), ignore_errors=True)
            rec.step("raw data of %s: %d samples so far" % (name, samples))
        for interval in args.intervals:
            got = run_interval(args, chosen, ours, sloth, raw_dir, interval, h0s, end)
            for row in got:
                row["fires"] = chosen[row["scenario"]].fires
            rows += got
    finally:
        shutil.rmtree(raw_dir, ignore_errors=True)
    report(rows)
    problems = verdicts(rows, args.tolerance)
    print()
    print("%d scenarios x %d intervals, %d raw series per SLO, %.0f days of history: %s" % (
        len(chosen), len(args.intervals), args.instances * (len(slo_rules.GOOD) + len(slo_rules.BAD)), args.history_days,
        "every edge of ours within %ds of the exact one, gaps counted" % args.tolerance if not problems else "MISSED"))
    for problem in problems:
        print("  " + problem)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as handle:
        json.dump({"smoke": args.smoke, "sloth_rules": args.sloth_rules, "instances": args.instances,
                   "history_days": args.history_days, "rows": rows, "problems": problems}, handle, indent=2, sort_keys=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
