#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Rule evaluation cost of one SLO on a real Prometheus with a month of history: our rules against Sloth's.

Usage: .venv/bin/python benchmarks/rule_eval_cost.py [--intervals 30s 1m] [--history-days 31] [--instances 200]
(with PYTHONPATH=.venv/collections, as `make bench` runs it: the benchmarks import the collection by name)
                                                     [--sloth-rules examples/_gen/getting-started.yml] [--smoke]

The SLO is Sloth's getting-started example: 99.9% of `http_request_duration_seconds_count{job="myservice"}` without
a 5xx or 429 `code`, over 30 days. What it does, all on 127.0.0.1 with free ports and a temp data dir, once per
evaluation interval:
  1. raw data: the last --raw-days (4) of the counters of 200 instances x 5 codes (1,000 raw series) scraped every
     30s, errors at 0.5x the budget burn and 20x in the last hour; and, for the whole --history-days (31), the same
     counters summed by code into 5 series of another job, from which the recorded history is computed. No rule
     reads raw data older than 3 days (Sloth's longest window), so the month of 1,000 raw series is not needed.
     Both go in with `promtool tsdb create-blocks-from openmetrics`.
  2. recorded history, layer by layer: every recording rule whose history some rule reads (over a range or at an
     offset), and what those depend on. Rules that read only raw series come first; each next layer reads
     the layers before it. Prometheus itself computes each layer, a `query_range` at the evaluation interval
     over the month (what `promtool tsdb create-blocks-from rules` does, which cannot chain dependent rules and
     writes one block per rule and 2 hours), the raw selector pointed at the summed copy; each layer becomes one
     block, and Prometheus restarts to read it before the next layer.
  3. Prometheus restarts with it all and compacts the blocks in; both rule sets are loaded at that interval
     while a small exporter continues the 1,000 raw counters live. The cost is Prometheus' own figures: the
     samples each rule's query touches (stats=all, totalQueryableSamples) beside what rule_cost_model.py counts
     from the rules; each group's evaluationTime over --evaluations evaluations; the median query time of each
     rule's expression over --repeats instant queries.
  4. prints both rule sets' cost, the ratios on the alert path, the budget path and all rules, each window's error
     ratio and the 30d budget left against the truth, and which alerts fire.

Our rules come from the collection's core (slo.slo_groups). Sloth's are the file --sloth-rules names (Sloth's own
generated examples/_gen/getting-started.yml, never committed here), or else written here as Sloth v0.16 generates
them (sloth_groups: each window 5m..3d a ratio of rate()s over the raw counters, the 30d period an average of the 5m
ratio, metadata recordings, the multiwindow alerts).
--smoke runs a tiny version (20 series, 26 hours, a 5s interval) to check the script works.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import yaml

from ansible_collections.vigil.observability.benchmarks import rule_cost_model
from ansible_collections.vigil.observability.benchmarks.slo_rules import (
    BAD, GOOD, HISTORY_JOB, JOB, METRIC, NAMESPACE, SLOTH_WINDOWS, alert_names, load_sloth_rules, our_groups, seconds, sloth_groups)
from ansible_collections.vigil.observability.plugins.module_utils.generators import slo
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import decimal_str
from ansible_collections.vigil.observability.tests.support import promql_ast
from ansible_collections.vigil.observability.tests.support.e2e_helpers import LocalServer

REPO = Path(__file__).resolve().parents[1]

# query_range returns at most 11,000 points per series; ask for a day or less at a time.
QUERY_POINTS = 10000


# ---------------------------------------------------------------------------------------------
# Recorded history, layer by layer


def history_layers(groups, every=False):
    """The recording rules to backfill, in layers: each layer reads raw series or the layers before it.

    They are the rules whose series some rule reads over a range or at an offset, and every rule those read.
    The other recorded series are read only at the evaluation instant: their history changes nothing in the cost.
    With `every`, all recording rules (slo_edges.py replays them all).
    """
    records = {}
    for group in groups:
        for rule in group["rules"]:
            if "record" in rule:
                records.setdefault(rule["record"], []).append(dict(rule, interval=group.get("interval")))
    reads = {name: {n for r in rules for n, _w, _o in promql_ast.reads(r["expr"]) if n in records} for name, rules in records.items()}
    wanted = set(records) if every else {
        n for group in groups for rule in group["rules"] for n, window, offset in promql_ast.reads(rule["expr"]) if n in records and (window or offset)}
    stack = list(wanted)
    while stack:
        for name in reads[stack.pop()] - wanted:
            wanted.add(name)
            stack.append(name)
    depth = {}

    def depth_of(name, seen=()):
        if name not in depth:
            if name in seen:
                raise RuntimeError("recording rules read each other in a cycle: %s" % (seen + (name,),))
            depth[name] = 1 + max((depth_of(n, seen + (name,)) for n in reads[name]), default=0)
        return depth[name]

    layers = {}
    for name in sorted(wanted):
        layers.setdefault(depth_of(name), []).extend(records[name])
    return [layers[k] for k in sorted(layers)]


def history_expr(expr):
    """The rule's expression with its raw selectors pointed at the summed copy of the counters."""
    return expr.replace('job="%s"' % JOB, 'job="%s"' % HISTORY_JOB)


def _om_labels(labels):
    def esc(value):
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return "{%s}" % ",".join('%s="%s"' % (k, esc(v)) for k, v in sorted(labels.items())) if labels else ""


def compute_layer(prom, rules, start, end, step, path):
    """Each rule evaluated by Prometheus at every `step` from start to end, written as OpenMetrics; returns samples."""
    series = {}
    chunk = QUERY_POINTS * step
    for rule in rules:
        at = start
        while at <= end:
            stop = min(end, at + chunk - step)
            data = prom.api("/api/v1/query_range", query=history_expr(rule["expr"]), start=str(at), end=str(stop), step=str(step))[0]
            for result in data["result"]:
                labels = {k: v for k, v in result["metric"].items() if k != "__name__"}
                labels.update(rule.get("labels") or {})
                series.setdefault((rule["record"], _om_labels(labels)), []).extend(result["values"])
            at = stop + step
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for (name, labels), values in sorted(series.items()):
            out.write("".join("%s%s %s %s\n" % (name, labels, value, ts) for ts, value in values))
            count += len(values)
        out.write("# EOF\n")
    return count


# ---------------------------------------------------------------------------------------------
# Raw data: counters as a function of time


class Traffic:
    """Deterministic counters: each instance serves a constant rate; the error share follows phases."""

    def __init__(self, instances, budget, start, phases):
        self.instances = ["i-%03d" % i for i in range(instances)]
        # 5 to 15 requests per second per instance, spread evenly (golden-ratio steps).
        self.rates = [5 + 10 * ((i * 0.6180339887) % 1) for i in range(instances)]
        self.start = start  # every counter is 0 here
        # phases: (time the phase begins, burn rate), oldest first; the first covers `start`, the last runs on.
        self.phases = [(max(begin, start), burn * budget) for begin, burn in phases]
        # (labels, instance rate, 5xx or not, share of the good or bad requests) of every series.
        self.series = [('{code="%s",instance="%s",job="%s",namespace="%s"}' % (code, name, JOB, NAMESPACE), rate, code.startswith("5"), share)
                       for name, rate in zip(self.instances, self.rates) for code, share in GOOD + BAD]
        total = sum(self.rates)
        self.summed = [('{code="%s",instance="all",job="%s",namespace="%s"}' % (code, HISTORY_JOB, NAMESPACE), total, code.startswith("5"), share)
                       for code, share in GOOD + BAD]

    def bad_seconds(self, t):
        """Integral of the error share from `start` to t: bad requests per unit of request rate."""
        total = 0.0
        for k, (begin, share) in enumerate(self.phases):
            stop = min(self.phases[k + 1][0] if k + 1 < len(self.phases) else t, t)
            if stop > begin:
                total += (stop - begin) * share
        return total

    def values(self, t, series=None):
        """Every counter's value at time t."""
        bad = self.bad_seconds(t)
        good = (t - self.start) - bad
        return [(labels, rate * share * (bad if is_bad else good)) for labels, rate, is_bad, share in (series or self.series)]

    def window_ratio(self, t, window):
        """The error ratio over (t - window, t], from the phases: what both rule sets should record."""
        return (self.bad_seconds(t) - self.bad_seconds(t - window)) / window


def write_openmetrics(path, traffic, start, end, step, raw_from):
    """The summed counters from start, and the raw ones from raw_from, to end, every `step` seconds; returns samples."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for series in (traffic.summed, traffic.series):
            first = start if series is traffic.summed else raw_from
            for t in range(first, end + 1, step):
                values = traffic.values(t, series)
                out.write("".join("%s%s %.3f %d\n" % (METRIC, labels, value, t) for labels, value in values))
                count += len(values)
        out.write("# EOF\n")
    return count


class Exporter(LocalServer):
    """Serves the same counters at the current time, so data keeps coming after the backfill."""

    def __init__(self, traffic):
        traffic_ref = traffic

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                body = "".join("%s%s %.3f\n" % (METRIC, labels, value) for labels, value in traffic_ref.values(time.time()))
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._serve(Handler)


# ---------------------------------------------------------------------------------------------
# Prometheus


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Prometheus:
    """A Prometheus on 127.0.0.1 scraping the exporter; rules come from workdir/rules/*.yml on reload."""

    def __init__(self, binary, workdir, data_dir, scrape_port, scrape_interval, eval_interval, flags=()):
        self.binary, self.workdir, self.data_dir, self.flags = binary, workdir, data_dir, list(flags)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.config = os.path.join(workdir, "prometheus.yml")
        self.rules_dir = os.path.join(workdir, "rules")
        os.makedirs(self.rules_dir, exist_ok=True)
        with open(self.config, "w", encoding="utf-8") as handle:
            yaml.safe_dump({
                "global": {"scrape_interval": scrape_interval, "evaluation_interval": eval_interval},
                "rule_files": [os.path.join(self.rules_dir, "*.yml")],
                # No scrape port: nothing is scraped (slo_edges.py replays rules over imported data only).
                "scrape_configs": [{
                    "job_name": JOB, "honor_labels": True, "scrape_timeout": "10s",
                    "static_configs": [{"targets": ["127.0.0.1:%d" % scrape_port]}],
                }] if scrape_port else [],
            }, handle)
        self.proc = None
        self.log = None

    def start(self, timeout=120):
        self.log = open(os.path.join(self.workdir, "prometheus-%d.log" % self.port), "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen([  # pylint: disable=consider-using-with
            self.binary, "--config.file=" + self.config, "--storage.tsdb.path=" + self.data_dir,
            "--web.listen-address=127.0.0.1:%d" % self.port, "--storage.tsdb.retention.time=90d",
        ] + self.flags, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited with %s; see %s" % (self.proc.returncode, self.log.name))
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("prometheus did not become ready in %d s" % timeout)

    def load_rules(self, groups, timeout=60):
        """Reload the rule files (SIGHUP) and wait until Prometheus lists `groups` rule groups."""
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.api("/api/v1/rules")[0]["groups"]) == groups:
                return
            time.sleep(0.5)
        raise RuntimeError("prometheus did not load %d rule groups; see %s" % (groups, self.log.name))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
        self.proc = None

    def api(self, path, **params):
        data = urllib.parse.urlencode(params).encode("utf-8") if params else None
        with urllib.request.urlopen(self.url + path, data=data, timeout=120) as resp:
            body = json.load(resp)
        if body.get("status") != "success":
            raise RuntimeError("%s: %s" % (path, body))
        return body["data"], body

    def metric(self, name):
        """Sum of a metric of Prometheus' own /metrics, by exact name (any labels)."""
        with urllib.request.urlopen(self.url + "/metrics", timeout=30) as resp:
            text = resp.read().decode("utf-8")
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total


def run(cmd, what):
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%s):\n%s\n%s" % (what, " ".join(cmd), proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def move_blocks(src, dst):
    moved = 0
    for name in sorted(os.listdir(src)):
        if os.path.isfile(os.path.join(src, name, "meta.json")):
            shutil.move(os.path.join(src, name), os.path.join(dst, name))
            moved += 1
    return moved


# ---------------------------------------------------------------------------------------------
# Measurement


def wait_compacted(prom, started, quiet=8, timeout=300):
    """Wait until Prometheus has merged the overlapping backfilled blocks (about a minute after start).

    Measuring while it compacts would charge the compaction to whichever rules run then. Done means:
    it has compacted, and neither the compaction count nor the loaded blocks changed for `quiet` seconds.
    """
    last, still = None, 0
    while time.monotonic() - started < timeout:
        now = (prom.metric("prometheus_tsdb_compactions_total"), prom.metric("prometheus_tsdb_blocks_loaded"))
        still = still + 1 if now == last else 0
        if now[0] >= 1 and still >= quiet:
            return
        last = now
        time.sleep(1)
    raise RuntimeError("prometheus did not finish compacting the backfilled blocks in %d s" % timeout)


def rule_set(group_name):
    return "sloth" if group_name.startswith("sloth-") else "ours"


def query_times(prom, groups, at, repeats):
    """Median over `repeats` instant queries of each rule's expression: Prometheus' own evalTotalTime, by rule."""
    out = {}
    for group in groups:
        for rule in group["rules"]:
            took = []
            for _k in range(repeats):
                _data, body = prom.api("/api/v1/query", query=rule["expr"], time="%.3f" % at, stats="all")
                took.append(body["data"]["stats"]["timings"]["evalTotalTime"])
            out[(rule_set(group["name"]), rule.get("record") or rule.get("alert"))] = out.get(
                (rule_set(group["name"]), rule.get("record") or rule.get("alert")), 0.0) + statistics.median(took)
    return out


def collect_evaluations(prom, groups, evaluations, interval, since, timeout):
    """Poll /api/v1/rules until each of `groups` groups has `evaluations` evaluations after `since`; one figure each."""
    seen = {}  # group -> {lastEvaluation: (evaluationTime, {rule: evaluationTime})}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = prom.api("/api/v1/rules")[0]
        for group in data["groups"]:
            if parse_time(group.get("lastEvaluation", "")) < since:
                continue
            per_rule = {(r.get("name"), r.get("type"), i): r.get("evaluationTime", 0.0) for i, r in enumerate(group["rules"])}
            seen.setdefault(group["name"], {})[group["lastEvaluation"]] = (group["evaluationTime"], per_rule)
        if len(seen) >= groups and all(len(v) >= evaluations for v in seen.values()):
            break
        time.sleep(max(0.5, interval / 4))
    return seen


def query_samples(prom, groups, at):
    """Samples each rule's expression touches at one instant (Prometheus' query stats), by rule set."""
    per_set, per_rule = {}, []
    for group in groups:
        for rule in group["rules"]:
            _data, body = prom.api("/api/v1/query", query=rule["expr"], time="%.3f" % at, stats="all")
            samples = body["data"].get("stats", {}).get("samples", {}).get("totalQueryableSamples")
            if samples is None:
                raise RuntimeError("this Prometheus does not report query samples (stats=all)")
            name = rule.get("record") or rule.get("alert")
            per_rule.append((rule_set(group["name"]), name, samples))
            per_set[rule_set(group["name"])] = per_set.get(rule_set(group["name"]), 0) + samples
    return per_set, per_rule


def alerts_by_set(prom, sloth_alerts):
    """What fires, by rule set and action (page or ticket)."""
    data = prom.api("/api/v1/alerts")[0]
    out = {"ours": {}, "sloth": {}}
    for alert in data["alerts"]:
        labels = alert["labels"]
        if labels.get("alertname") in sloth_alerts:
            out["sloth"][labels.get("sloth_severity", "?")] = alert["state"]
        elif labels.get("alertname") in slo.ALERT_NAMES.values():
            action = next(a for a, n in slo.ALERT_NAMES.items() if n == labels["alertname"])
            out["ours"][action] = alert["state"]
    return out


def instant(prom, query, at):
    data = prom.api("/api/v1/query", query=query, time="%.3f" % at)[0]
    return float(data["result"][0]["value"][1]) if data["result"] else None


def with_interval(groups, interval):
    return [dict(group, interval=interval) for group in groups]


def blocks_from_openmetrics(args, path, out_dir, hours, data_dir):
    # One block as long as the data: the importer reads the whole file once per block.
    run([args.promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", "--max-block-duration=%dh" % hours,
         path, out_dir], "openmetrics import of %s" % os.path.basename(path))
    os.unlink(path)
    return move_blocks(out_dir, data_dir)


def run_once(args, ours, sloth, the_slo, interval, step):  # pylint: disable=too-many-locals,too-many-statements
    """One measurement at one evaluation interval; returns its figures."""
    scrape = seconds(args.scrape_interval)
    eval_s = seconds(interval)
    budget = float(the_slo.error_budget)
    ours, sloth = with_interval(ours, interval), with_interval(sloth, interval)
    sloth_alerts = alert_names(sloth)
    end = int(time.time()) // scrape * scrape
    start = end - int(args.history_days * 86400) // scrape * scrape
    raw_from = end - int(args.raw_days * 86400) // scrape * scrape
    # Half the budget burn for the month, 20x from the last hour on: the page alert fires, the ticket alert does not.
    traffic = Traffic(args.instances, budget, start, [(start - 1, 0.5), (end - 3600, 20.0)])
    hours = int(math.ceil(args.history_days * 24 / 2.0)) * 2 + 48
    workdir = tempfile.mkdtemp(prefix="vigil-bench-eval-")
    data_dir = os.path.join(workdir, "data")
    os.makedirs(data_dir)
    proms = []

    def new_prometheus():
        prom = Prometheus(args.prometheus, workdir, data_dir, exporter.port, args.scrape_interval, interval)
        proms.append(prom)
        prom.start()
        return prom

    try:
        with Exporter(traffic) as exporter:
            # 1. Raw data: the 1,000 counters for the last days, their sum by code for the whole history.
            om = os.path.join(workdir, "raw.om")
            samples = write_openmetrics(om, traffic, start, end, scrape, raw_from)
            step("[%s] wrote %d raw samples: %d series x %.1f days and %d summed x %.1f days, every %s (%.0f MB)" % (
                interval, samples, len(traffic.series), args.raw_days, len(traffic.summed), args.history_days,
                args.scrape_interval, os.path.getsize(om) / 1e6))
            blocks_from_openmetrics(args, om, os.path.join(workdir, "blocks-raw"), hours, data_dir)

            # 2. Recorded history, one layer at a time, computed by Prometheus from what the layers before recorded.
            layers = history_layers(ours + sloth)
            recorded = 0
            for k, layer in enumerate(layers):
                prom = new_prometheus()
                path = os.path.join(workdir, "layer-%d.om" % k)
                recorded += compute_layer(prom, layer, start, end, eval_s, path)
                prom.stop()
                blocks_from_openmetrics(args, path, os.path.join(workdir, "blocks-%d" % k), hours, data_dir)
            step("[%s] recorded history: %d samples of %d rules in %d layers, every %s over %.1f days" % (
                interval, recorded, sum(len(layer) for layer in layers), len(layers), interval, args.history_days))

            # 3. Restart with it all; let Prometheus merge the overlapping blocks before any rule runs.
            prom = new_prometheus()
            if not args.smoke:
                wait_compacted(prom, time.monotonic())
            for name, groups in (("ours", ours), ("sloth", sloth)):
                path = os.path.join(prom.rules_dir, "%s.yml" % name)
                with open(path, "w", encoding="utf-8") as handle:
                    yaml.safe_dump({"groups": groups}, handle, sort_keys=False, width=1000)
                run([args.promtool, "check", "rules", path], "promtool check rules %s" % name)
            loaded = time.time()
            prom.load_rules(len(ours) + len(sloth))
            # Two evaluations, so that each alert has run after the recordings it reads.
            collect_evaluations(prom, len(ours) + len(sloth), 2, eval_s, since=loaded, timeout=eval_s * 8 + 120)
            at = time.time()
            windows = []
            for window in SLOTH_WINDOWS + (str(the_slo.period),):
                windows.append((window, traffic.window_ratio(at, min(seconds(window), at - start)) / budget,
                                _ratio(instant(prom, slo.record_name("error_ratio", window), at), budget),
                                _ratio(instant(prom, "slo:sli_error:ratio_rate%s" % window, at), budget)))
            budget_left = (1 - traffic.window_ratio(at, min(seconds(str(the_slo.period)), at - start)) / budget,
                           instant(prom, "vigil:slo_error_budget_remaining:ratio", at),
                           instant(prom, "slo:period_error_budget_remaining:ratio", at))
            _per_set, samples_rule = query_samples(prom, ours + sloth, at)
            times_rule = query_times(prom, ours + sloth, at, args.repeats)
            alerts = alerts_by_set(prom, sloth_alerts)
            step("[%s] rules loaded and measured; now %d evaluations of every group" % (interval, args.evaluations))
            seen = collect_evaluations(prom, len(ours) + len(sloth), args.evaluations, eval_s, since=time.time(),
                                       timeout=args.evaluations * eval_s * 3 + 120)
            missed = prom.metric("prometheus_rule_group_iterations_missed_total")
            prom.stop()
    finally:
        for prom in proms:
            prom.stop()
        if args.keep:
            print("work dir kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    measured = {"samples_rule": samples_rule, "times_rule": times_rule, "seen": seen, "windows": windows,
                "budget_left": budget_left, "alerts": alerts, "missed": missed, "layers": layers}
    return figures_of(args, interval, ours, sloth, traffic, measured)


def figures_of(args, interval, ours, sloth, traffic, measured):  # pylint: disable=too-many-locals
    """The run's figures: `measured` holds what Prometheus reported (samples, times, evaluations, values, alerts)."""

    samples_rule, times_rule, seen = measured["samples_rule"], measured["times_rule"], measured["seen"]
    windows, budget_left, alerts = measured["windows"], measured["budget_left"], measured["alerts"]
    missed, layers = measured["missed"], measured["layers"]

    sets = {"ours": (ours, list(slo.ALERT_NAMES.values()), ["vigil:slo_error_budget_remaining:ratio"]),
            "sloth": (sloth, alert_names(sloth), ["slo:period_error_budget_remaining:ratio"])}
    samples_of = {(s, name): n for s, name, n in samples_rule}
    out = {"interval": interval, "series": len(traffic.series), "history_days": args.history_days, "raw_days": args.raw_days,
           "scrape_interval": args.scrape_interval, "layers": [sorted({r["record"] for r in layer}) for layer in layers],
           "windows": windows, "budget_left": budget_left, "alerts": alerts, "missed_iterations": missed, "sets": {}}
    for set_name, (groups, alert_rules, budget_rules) in sets.items():
        alert, budget = rule_cost_model.paths(groups, alert_rules, budget_rules)
        measured = {"alert": 0, "budget": 0, "all": 0}
        took = {"alert": 0.0, "budget": 0.0, "all": 0.0}
        for group in groups:
            for rule in group["rules"]:
                name = rule.get("record") or rule.get("alert")
                path = "alert" if name in alert else "budget" if name in budget else None
                for key in ("all", path):
                    if key:
                        measured[key] += samples_of.get((set_name, name), 0)
                        took[key] += times_rule.get((set_name, name), 0.0)
        model = rule_cost_model.cost(groups, len(traffic.series), seconds(interval), alert_rules, budget_rules)
        cost, _per_rule = summarize(seen)
        out["sets"][set_name] = {"samples": measured, "model": {k: model[k] for k in measured}, "query_seconds": took,
                                 "evaluation": cost[set_name]}
    for key in ("alert", "budget", "all"):
        out["ratio_" + key] = out["sets"]["sloth"]["samples"][key] / max(1, out["sets"]["ours"]["samples"][key])
        out["time_ratio_" + key] = out["sets"]["sloth"]["query_seconds"][key] / max(1e-9, out["sets"]["ours"]["query_seconds"][key])
    out["evaluation_ratio"] = out["sets"]["sloth"]["evaluation"]["median"] / max(1e-9, out["sets"]["ours"]["evaluation"]["median"])
    return out


def report(args, the_slo, run_figures):
    print()
    print("One SLO (objective %s%%, period %s): %d raw series scraped every %s for %.1f days; recorded history %.1f days;" % (
        decimal_str(the_slo.objective), the_slo.period, run_figures[0]["series"], args.scrape_interval, args.raw_days, args.history_days))
    print("Sloth's rules: %s. Prometheus %s, %d CPUs." % (
        args.sloth_rules or "as Sloth v0.16 generates them (sloth_groups)", _version(args.prometheus), os.cpu_count() or 0))
    for fig in run_figures:
        ours, sloth = fig["sets"]["ours"], fig["sets"]["sloth"]
        print()
        print("evaluation interval %s (history recorded at the same interval, %d layers)" % (fig["interval"], len(fig["layers"])))
        print("%-8s %14s %14s %14s %14s %8s %10s %10s %7s" % (
            "path", "ours", "ours model", "Sloth", "Sloth model", "ratio", "ours ms", "Sloth ms", "ratio"))
        for key in ("alert", "budget", "all"):
            print("%-8s %14d %14d %14d %14d %7.1fx %10.2f %10.2f %6.1fx" % (
                key, ours["samples"][key], ours["model"][key], sloth["samples"][key], sloth["model"][key], fig["ratio_" + key],
                ours["query_seconds"][key] * 1e3, sloth["query_seconds"][key] * 1e3, fig["time_ratio_" + key]))
        print("(samples: totalQueryableSamples of each rule's query; model: rule_cost_model.py; ms: sum of each rule's median"
              " evalTotalTime over %d queries)" % args.repeats)
        print("group evaluationTime, sum of the groups' medians over %d evaluations: ours %.2f ms, Sloth %.2f ms (%.1fx)" % (
            min(g["evaluations"] for s in ("ours", "sloth") for g in fig["sets"][s]["evaluation"]["groups"].values()),
            ours["evaluation"]["median"] * 1e3, sloth["evaluation"]["median"] * 1e3, fig["evaluation_ratio"]))
        print("error ratio over each window, in multiples of the error budget:")
        print("  %-8s %10s %10s %10s" % ("window", "truth", "ours", "Sloth"))
        for window, expected, mine, theirs in fig["windows"]:
            print("  %-8s %10.4f %10s %10s" % (window, expected, _fmt(mine), _fmt(theirs)))
        print("  %-8s %10.4f %10s %10s" % ("budget left", fig["budget_left"][0], _fmt(fig["budget_left"][1]), _fmt(fig["budget_left"][2])))
        for set_name in ("ours", "sloth"):
            print("alerts %-6s: %s" % (set_name, ", ".join("%s %s" % kv for kv in sorted(fig["alerts"][set_name].items())) or "none"))
        print("missed group iterations: %d" % fig["missed_iterations"])


def met(args, fig):
    return (fig["ratio_alert"] >= args.target_alert and fig["ratio_budget"] >= args.target_budget
            and fig["ratio_all"] >= args.target_all and fig["alerts"]["ours"] == fig["alerts"]["sloth"] and bool(fig["alerts"]["ours"]))


T0 = time.monotonic()


def step(text):
    print("[%7.1f s] %s" % (time.monotonic() - T0, text), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intervals", nargs="+", default=["30s", "1m"], help="evaluation intervals, one run each")
    parser.add_argument("--history-days", type=float, default=31.0, help="days of recorded history (and of the summed counters)")
    parser.add_argument("--raw-days", type=float, default=4.0, help="days of the raw counters (Sloth reads 3)")
    parser.add_argument("--instances", type=int, default=200, help="instances; 5 codes each make the raw series")
    parser.add_argument("--scrape-interval", default="30s")
    parser.add_argument("--evaluations", type=int, default=6, help="evaluations of every group to take the median of")
    parser.add_argument("--repeats", type=int, default=5, help="instant queries of each rule to take the median of")
    parser.add_argument("--objective", type=float, default=99.9)
    parser.add_argument("--sloth-rules", help="Sloth's generated examples/_gen/getting-started.yml (default: sloth_groups)")
    parser.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    parser.add_argument("--promtool", default=shutil.which("promtool") or "/usr/bin/promtool")
    parser.add_argument("--keep", action="store_true", help="keep the work dirs (data, rules, logs)")
    parser.add_argument("--smoke", action="store_true", help="tiny run to check the script: 20 series, 26 hours, 5s")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "out" / "rule_eval_cost.json"), help="where to write the figures")
    parser.add_argument("--target-alert", type=float, default=25.0, help="required samples ratio Sloth / ours, alert path")
    parser.add_argument("--target-budget", type=float, default=8.0, help="the same, budget path")
    parser.add_argument("--target-all", type=float, default=20.0, help="the same, all rules")
    args = parser.parse_args(argv)
    if args.smoke:
        args.history_days = args.raw_days = 26 / 24
        args.instances, args.intervals, args.evaluations, args.repeats = 4, ["5s"], 3, 2
    ours, the_slo = our_groups(args.objective)
    sloth = load_sloth_rules(args.sloth_rules) if args.sloth_rules else sloth_groups(the_slo)
    run_figures = [run_once(args, ours, sloth, the_slo, interval, step) for interval in args.intervals]
    report(args, the_slo, run_figures)
    ok = all(met(args, fig) for fig in run_figures)
    print("targets (samples ratio: alert path %gx, budget path %gx, all rules %gx; the same alerts) -> %s" % (
        args.target_alert, args.target_budget, args.target_all, "met" if ok else "MISSED"))
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as handle:
        json.dump({"smoke": args.smoke, "sloth_rules": args.sloth_rules, "runs": run_figures}, handle, indent=2, sort_keys=True)
    return 0 if (ok or args.smoke) else 1


def summarize(seen):
    """Per rule set: the sum over its groups of each group's mean and median evaluation time; per rule: its times."""
    cost = {}
    for set_name in ("ours", "sloth"):
        groups = sorted(g for g in seen if rule_set(g) == set_name)
        times = {g: [v[0] for v in seen[g].values()] for g in groups}
        cost[set_name] = {
            "mean": sum(statistics.mean(times[g]) for g in groups),
            "median": sum(statistics.median(times[g]) for g in groups),
            "groups": {g: {"mean": statistics.mean(times[g]), "median": statistics.median(times[g]), "evaluations": len(times[g])}
                       for g in groups},
        }
    per_rule = {}
    for group, evals in seen.items():
        for _ts, (_total, rules) in evals.items():
            for (name, _kind, index), took in rules.items():
                per_rule.setdefault((rule_set(group), group, index, name), []).append(took)
    return cost, sorted(per_rule.items())


def parse_time(text):
    """Seconds since the epoch of an RFC 3339 time with nanoseconds, as Prometheus writes lastEvaluation."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text or "")
    if not match:
        return 0.0
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    whole = datetime.datetime.fromisoformat(match.group(1) + zone).timestamp()
    return whole + float("0" + (match.group(2) or ".0"))


def _ratio(value, budget):
    return None if value is None else value / budget


def _fmt(value):
    return "absent" if value is None else "%.3f" % value


def _version(binary):
    proc = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    first = (proc.stdout or proc.stderr).splitlines()
    return first[0].split()[2] if first and len(first[0].split()) > 2 else "?"


if __name__ == "__main__":
    sys.exit(main())
