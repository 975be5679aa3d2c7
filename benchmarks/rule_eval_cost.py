#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Rule evaluation cost of one SLO on a real Prometheus: our rules against Sloth-style rules.

Usage: .venv/bin/python benchmarks/rule_eval_cost.py [--days 3] [--instances 200] [--evaluations 20] [--smoke]

What it does, all on 127.0.0.1 with free ports and a temp data dir:
  1. writes 3 days of http_requests_total for 200 instances x 5 status codes (1,000 raw series) at a
     30s scrape interval as OpenMetrics text, errors at 0.5x the budget burn and 20x in the last hour,
     and backfills it with `promtool tsdb create-blocks-from openmetrics`;
  2. starts Prometheus (no rules) scraping a small exporter that continues the same counters live,
     and backfills, with `promtool tsdb create-blocks-from rules`, the recorded series whose history
     other rules read: our 5m SLI (requests and errors per second) and Sloth's 5m error ratio;
  3. restarts Prometheus with both rule sets at one evaluation interval, waits for the backfilled
     blocks to be compacted in, then reads Prometheus' own figures: each group's evaluationTime from
     /api/v1/rules over many evaluations, and the samples each rule's query touches (stats=all);
  4. prints the cost of each rule set, the ratio, the window ratios side by side and which alerts fire.

Our rules come from the collection's core (slo.slo_groups); the Sloth rules are written here as
Sloth v0.16 generates them (examples/_gen/getting-started.yml): each window 5m..3d a ratio of rate()s over the raw counters, the 30d
period an average of the 5m ratio, metadata recordings, and the same multiwindow alert conditions.
--smoke runs a tiny version (a few series, hours of data, a few evaluations) to check the script works.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".venv" / "collections"
if COLLECTIONS.is_dir():
    sys.path.insert(0, str(COLLECTIONS))
# team_build builds teams the way the plan does; it lives with the unit tests.
sys.path.insert(0, str(REPO / "tests" / "unit" / "plugins" / "module_utils"))

# pylint: disable=wrong-import-position
import team_build as build
from ansible_collections.vigil.observability.plugins.module_utils.generators import slo  # noqa: E402
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import decimal_str  # noqa: E402

METRIC = "http_requests_total"
JOB = "bench"
# Status codes and their share of good (2xx/4xx) or bad (5xx) requests.
GOOD = (("200", 0.80), ("201", 0.15), ("404", 0.05))
BAD = (("500", 0.70), ("503", 0.30))
SLOTH_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SLOTH_ID = "api-availability"
SLOTH_ALERT = "SlothAvailabilitySLO"
# The SRE workbook tiers both rule sets implement: (action, short window, long window, burn factor).
SLOTH_TIERS = (("page", "5m", "1h", 14.4), ("page", "30m", "6h", 6), ("ticket", "2h", "1d", 3), ("ticket", "6h", "3d", 1))
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(text):
    return int(text[:-1]) * UNITS[text[-1]]


# ---------------------------------------------------------------------------------------------
# The SLO: ours from the core, Sloth-style written here


def our_slo(objective):
    team_vars = {"observability_team_bench": {"services": [{"name": "api", "slos": [{
        "name": "availability", "objective": objective,
        "errors": '%s{job="%s",status=~"5.."}' % (METRIC, JOB),
        "total": '%s{job="%s"}' % (METRIC, JOB),
    }]}]}}
    settings, teams, _alerting = build.load_all(team_vars, [], {})
    team = teams[0]
    service = team.services[0]
    return team, service, service.slos[0], settings


def our_groups(objective):
    team, service, the_slo, settings = our_slo(objective)
    return slo.slo_groups(team, service, the_slo, settings), the_slo


def sloth_groups(the_slo):
    """The rules Sloth generates for this SLO (same selectors, windows, tiers and budget)."""
    errors, total = str(the_slo.errors), str(the_slo.total)
    budget = float(the_slo.error_budget)
    objective = float(the_slo.objective / 100)
    ident = {"sloth_id": SLOTH_ID, "sloth_service": "api", "sloth_slo": "availability"}
    sel = "{%s}" % ", ".join('%s="%s"' % kv for kv in sorted(ident.items()))
    sli = [{
        "record": "slo:sli_error:ratio_rate%s" % w,
        "expr": "(sum(rate(%s[%s])))\n/\n(sum(rate(%s[%s])))\n" % (errors, w, total, w),
        "labels": dict(ident, sloth_window=w),
    } for w in SLOTH_WINDOWS]
    period = str(the_slo.period)
    sli.append({
        "record": "slo:sli_error:ratio_rate%s" % period,
        "expr": "sum_over_time(slo:sli_error:ratio_rate5m%s[%s])\n/ ignoring (sloth_window)\n"
                "count_over_time(slo:sli_error:ratio_rate5m%s[%s])\n" % (sel, period, sel, period),
        "labels": {"sloth_window": period},
    })
    join = "\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
    meta = [
        {"record": "slo:objective:ratio", "expr": "vector(%r)" % objective, "labels": dict(ident)},
        {"record": "slo:error_budget:ratio", "expr": "vector(1-%r)" % objective, "labels": dict(ident)},
        {"record": "slo:time_period:days", "expr": "vector(%d)" % (seconds(period) // 86400), "labels": dict(ident)},
        {"record": "slo:current_burn_rate:ratio",
         "expr": "slo:sli_error:ratio_rate5m%s%sslo:error_budget:ratio%s" % (sel, join, sel), "labels": dict(ident)},
        {"record": "slo:period_burn_rate:ratio",
         "expr": "slo:sli_error:ratio_rate%s%s%sslo:error_budget:ratio%s" % (period, sel, join, sel), "labels": dict(ident)},
        {"record": "slo:period_error_budget_remaining:ratio", "expr": "1 - slo:period_burn_rate:ratio%s" % sel, "labels": dict(ident)},
        {"record": "sloth_slo_info", "expr": "vector(1)", "labels": dict(ident, sloth_mode="cli-gen-prom", sloth_spec="prometheus/v1")},
    ]
    alerts = []
    for action in ("page", "ticket"):
        parts = []
        for tier_action, short, long_, factor in SLOTH_TIERS:
            if tier_action != action:
                continue
            # As Sloth v0.16 writes it (examples/_gen/getting-started.yml): each window's condition without its
            # sloth_window label, so that one alert keeps its labels whichever tier holds.
            parts.append("(\n    max(slo:sli_error:ratio_rate%s%s > (%s * %r)) without (sloth_window)\n    and\n"
                         "    max(slo:sli_error:ratio_rate%s%s > (%s * %r)) without (sloth_window)\n)" % (
                             short, sel, factor, budget, long_, sel, factor, budget))
        alerts.append({"alert": SLOTH_ALERT, "expr": "\nor\n".join(parts) + "\n",
                       "labels": {"sloth_severity": action, "severity": "critical" if action == "page" else "warning"}})
    return [
        {"name": "sloth-slo-sli-recordings-" + SLOTH_ID, "rules": sli},
        {"name": "sloth-slo-meta-recordings-" + SLOTH_ID, "rules": meta},
        {"name": "sloth-slo-alerts-" + SLOTH_ID, "rules": alerts},
    ]


def history_rules(ours, sloth):
    """The recording rules whose history other rules read over a range (sum_over_time, count_over_time).

    Backfilling these is what evaluation needs; the other recorded series are read only at the
    evaluation instant, so their history changes nothing in the cost (and Sloth's 1d and 3d windows
    over 3 days of raw data would take long to backfill).
    """
    reads = " ".join(r["expr"] for g in ours + sloth for r in g["rules"] if "_over_time(" in r["expr"])
    pick = [dict(r) for g in ours + sloth for r in g["rules"] if "record" in r and r["record"] + "{" in reads]
    return [{"name": "history", "rules": pick}]


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
        self.series = [('{instance="%s",job="%s",namespace="bench",status="%s"}' % (name, JOB, status), rate, status.startswith("5"), share)
                       for name, rate in zip(self.instances, self.rates) for status, share in GOOD + BAD]

    def bad_seconds(self, t):
        """Integral of the error share from `start` to t: bad requests per unit of request rate."""
        total = 0.0
        for k, (begin, share) in enumerate(self.phases):
            stop = min(self.phases[k + 1][0] if k + 1 < len(self.phases) else t, t)
            if stop > begin:
                total += (stop - begin) * share
        return total

    def values(self, t):
        """Every counter's value at time t."""
        bad = self.bad_seconds(t)
        good = (t - self.start) - bad
        return [(labels, rate * share * (bad if is_bad else good)) for labels, rate, is_bad, share in self.series]

    def window_ratio(self, t, window):
        """The error ratio over (t - window, t], from the phases: what both rule sets should record."""
        return (self.bad_seconds(t) - self.bad_seconds(t - window)) / window


def write_openmetrics(path, traffic, start, end, step):
    """The counters every `step` seconds from start to end, as OpenMetrics text; returns the number of samples."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write("# TYPE %s counter\n" % METRIC[: -len("_total")])
        for t in range(start, end + 1, step):
            values = traffic.values(t)
            out.write("".join("%s%s %.3f %d\n" % (METRIC, labels, value, t) for labels, value in values))
            count += len(values)
        out.write("# EOF\n")
    return count


class Exporter:
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

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------------------------
# Prometheus


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Prometheus:
    """A Prometheus on 127.0.0.1 scraping the exporter; rules come from workdir/rules/*.yml on reload."""

    def __init__(self, binary, workdir, data_dir, scrape_port, scrape_interval, eval_interval):
        self.binary, self.workdir, self.data_dir = binary, workdir, data_dir
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.config = os.path.join(workdir, "prometheus.yml")
        self.rules_dir = os.path.join(workdir, "rules")
        os.makedirs(self.rules_dir, exist_ok=True)
        with open(self.config, "w", encoding="utf-8") as handle:
            yaml.safe_dump({
                "global": {"scrape_interval": scrape_interval, "evaluation_interval": eval_interval},
                "rule_files": [os.path.join(self.rules_dir, "*.yml")],
                "scrape_configs": [{
                    "job_name": JOB, "honor_labels": True, "scrape_timeout": "10s",
                    "static_configs": [{"targets": ["127.0.0.1:%d" % scrape_port]}],
                }],
            }, handle)
        self.proc = None
        self.log = None

    def start(self, timeout=120):
        self.log = open(os.path.join(self.workdir, "prometheus-%d.log" % self.port), "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen([  # pylint: disable=consider-using-with
            self.binary, "--config.file=" + self.config, "--storage.tsdb.path=" + self.data_dir,
            "--web.listen-address=127.0.0.1:%d" % self.port, "--storage.tsdb.retention.time=30d",
        ], stdout=self.log, stderr=subprocess.STDOUT)
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


def alerts_by_set(prom):
    data = prom.api("/api/v1/alerts")[0]
    out = {"ours": {}, "sloth": {}}
    for alert in data["alerts"]:
        labels = alert["labels"]
        if labels.get("alertname") == SLOTH_ALERT:
            out["sloth"][labels["sloth_severity"]] = alert["state"]
        elif labels.get("alertname") in slo.ALERT_NAMES.values():
            action = next(a for a, n in slo.ALERT_NAMES.items() if n == labels["alertname"])
            out["ours"][action] = alert["state"]
    return out


def instant(prom, query, at):
    data = prom.api("/api/v1/query", query=query, time="%.3f" % at)[0]
    return float(data["result"][0]["value"][1]) if data["result"] else None


def main(argv=None):  # pylint: disable=too-many-locals,too-many-statements,too-many-branches
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=3.0, help="days of backfilled raw data")
    parser.add_argument("--instances", type=int, default=200, help="instances; 5 status codes each make the raw series")
    parser.add_argument("--scrape-interval", default="30s")
    parser.add_argument("--history-interval", default="30s", help="evaluation interval of the backfilled recorded history")
    parser.add_argument("--eval-interval", default="5s", help="evaluation interval while measuring (both rule sets)")
    parser.add_argument("--evaluations", type=int, default=20, help="evaluations of every group to average over")
    parser.add_argument("--objective", type=float, default=99.9)
    parser.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus")
    parser.add_argument("--promtool", default=shutil.which("promtool") or "/usr/bin/promtool")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (data, rules, logs)")
    parser.add_argument("--smoke", action="store_true", help="tiny run to check the script: 20 series, 8 hours, 3 evaluations")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "out" / "rule_eval_cost.json"), help="where to write the figures")
    parser.add_argument("--target", type=float, default=20.0, help="required ratio Sloth-style / ours")
    args = parser.parse_args(argv)
    if args.smoke:
        args.days, args.instances, args.evaluations = 8 / 24, 4, 3

    scrape = seconds(args.scrape_interval)
    eval_interval = seconds(args.eval_interval)
    ours, the_slo = our_groups(args.objective)
    sloth = sloth_groups(the_slo)
    for group in ours + sloth:
        group["interval"] = args.eval_interval  # the same for both rule sets
    budget = float(the_slo.error_budget)

    end = int(time.time()) // scrape * scrape
    start = end - int(args.days * 86400) // scrape * scrape
    # Half the budget burn for days, 20x in the last hour: the page alert fires, the ticket alert does not.
    traffic = Traffic(args.instances, budget, start, [(start - 1, 0.5), (end - 3600, 20.0)])

    workdir = tempfile.mkdtemp(prefix="vigil-bench-eval-")
    data_dir = os.path.join(workdir, "data")
    os.makedirs(data_dir)
    proms = []
    t0 = time.monotonic()

    def step(text):
        print("[%6.1f s] %s" % (time.monotonic() - t0, text), flush=True)

    try:
        with Exporter(traffic) as exporter:
            # 1. Raw data.
            om = os.path.join(workdir, "raw.om")
            samples = write_openmetrics(om, traffic, start, end, scrape)
            step("wrote %d raw samples (%d series x %.1f days at %s, %.0f MB OpenMetrics)"
                 % (samples, len(traffic.series), args.days, args.scrape_interval, os.path.getsize(om) / 1e6))
            blocks = os.path.join(workdir, "blocks-raw")
            # Large blocks: the importer reads the whole file once per block.
            run([args.promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                 "--max-block-duration=%dh" % (int(args.days * 24) + 24), om, blocks], "openmetrics backfill")
            os.unlink(om)
            step("backfilled raw data: %d blocks" % move_blocks(blocks, data_dir))

            # 2. Recorded history, evaluated against a Prometheus that has the raw data and keeps scraping.
            prom = Prometheus(args.prometheus, workdir, data_dir, exporter.port, args.scrape_interval, args.eval_interval)
            proms.append(prom)
            prom.start()
            history = history_rules(ours, sloth)
            hist_file = os.path.join(workdir, "history-rules.yml")
            with open(hist_file, "w", encoding="utf-8") as handle:
                yaml.safe_dump({"groups": history}, handle, sort_keys=False)
            rule_blocks = os.path.join(workdir, "blocks-rules")
            run([args.promtool, "tsdb", "create-blocks-from", "rules", "--quiet", "--url=" + prom.url, "--start=%d" % start,
                 "--end=%d" % (int(time.time()) - 1), "--eval-interval=" + args.history_interval, "--output-dir=" + rule_blocks,
                 hist_file], "rules backfill")
            prom.stop()
            step("backfilled recorded history every %s (%s): %d blocks" % (
                args.history_interval, ", ".join(r["record"] for g in history for r in g["rules"]), move_blocks(rule_blocks, data_dir)))

            # 3. Restart with the history; let Prometheus merge the overlapping blocks before any rule runs.
            prom = Prometheus(args.prometheus, workdir, data_dir, exporter.port, args.scrape_interval, args.eval_interval)
            proms.append(prom)
            prom.start()
            started = time.monotonic()
            if not args.smoke:
                wait_compacted(prom, started)
                step("prometheus restarted; backfilled blocks compacted (%d blocks loaded)" % prom.metric("prometheus_tsdb_blocks_loaded"))

            # 4. Both rule sets, checked and loaded.
            for name, groups in (("ours", ours), ("sloth", sloth)):
                path = os.path.join(prom.rules_dir, "%s.yml" % name)
                with open(path, "w", encoding="utf-8") as handle:
                    yaml.safe_dump({"groups": groups}, handle, sort_keys=False, width=1000)
                run([args.promtool, "check", "rules", path], "promtool check rules %s" % name)
            loaded = time.time()
            prom.load_rules(len(ours) + len(sloth))
            # Compare values and alerts right away, while the windows hold history recorded every --history-interval:
            # later, the short measuring interval over-weights the last minutes in our ratio-of-sums windows.
            # Two evaluations, so that each alert group has run after the recording groups it reads.
            collect_evaluations(prom, len(ours) + len(sloth), 2, eval_interval, since=loaded, timeout=120)
            at_first = time.time()
            windows = []
            for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", str(the_slo.period)):
                windows.append((window, traffic.window_ratio(at_first, min(seconds(window), at_first - start)) / budget,
                                _ratio(instant(prom, slo.record_name("error_ratio", window), at_first), budget),
                                _ratio(instant(prom, "slo:sli_error:ratio_rate%s" % window, at_first), budget)))
            alerts_first = alerts_by_set(prom)
            step("rules loaded (evaluation interval %s); measuring %d evaluations" % (args.eval_interval, args.evaluations))

            # 5. The cost, by Prometheus' own figures.
            seen = collect_evaluations(prom, len(ours) + len(sloth), args.evaluations, eval_interval, since=time.time(),
                                       timeout=args.evaluations * eval_interval * 4 + 120)
            at = time.time()
            samples_set, samples_rule = query_samples(prom, ours + sloth, at)
            alerts = alerts_by_set(prom)
            missed = prom.metric("prometheus_rule_group_iterations_missed_total")
            step("collected %d evaluations of every group" % min(len(v) for v in seen.values()))
            prom.stop()
    finally:
        for prom in proms:
            prom.stop()
        if args.keep:
            print("work dir kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    cost, per_rule = summarize(seen)
    ratio_time = cost["sloth"]["median"] / cost["ours"]["median"]
    ratio_mean = cost["sloth"]["mean"] / cost["ours"]["mean"]
    ratio_samples = samples_set["sloth"] / max(1, samples_set["ours"])
    print()
    print("One SLO (objective %s%%, period %s) over %d raw series, %.1f days of data scraped every %s;"
          % (decimal_str(the_slo.objective), the_slo.period, len(traffic.series), args.days, args.scrape_interval))
    print("recorded history every %s, both rule sets evaluated every %s while measuring; Prometheus %s, %d CPUs."
          % (args.history_interval, args.eval_interval, _version(args.prometheus), os.cpu_count() or 0))
    print()
    print("%-6s %-44s %-42s %10s %10s" % ("set", "group", "rule", "median ms", "samples"))
    samples_of = {}
    for set_name, name, samples in samples_rule:
        samples_of.setdefault((set_name, name), []).append(samples)
    for (set_name, group, index, name), times in per_rule:
        found = samples_of.get((set_name, name), [])
        print("%-6s %-44s %-42s %10.3f %10s" % (set_name, group, name, statistics.median(times) * 1e3, found.pop(0) if found else ""))
    print()
    print("%-32s %14s %14s %9s" % ("one evaluation of the rule set", "ours", "Sloth-style", "ratio"))
    print("%-32s %14.3f %14.3f %8.1fx" % ("evaluation time, median (ms)", cost["ours"]["median"] * 1e3, cost["sloth"]["median"] * 1e3, ratio_time))
    print("%-32s %14.3f %14.3f %8.1fx" % ("evaluation time, mean (ms)", cost["ours"]["mean"] * 1e3, cost["sloth"]["mean"] * 1e3, ratio_mean))
    print("%-32s %14d %14d %8.1fx" % ("samples queried", samples_set["ours"], samples_set["sloth"], ratio_samples))
    print("(time: sum over the set's groups of the median of each group's evaluationTime, %d evaluations each)"
          % min(len(v) for v in seen.values()))
    print()
    print("error ratio over each window right after loading the rules, in multiples of the error budget:")
    print("%-8s %12s %12s %12s" % ("window", "expected", "ours", "Sloth-style"))
    for window, expected, mine, theirs in windows:
        print("%-8s %12s %12s %12s" % (window, "%.3f" % expected, _fmt(mine), _fmt(theirs)))
    print()
    same = alerts["ours"] == alerts["sloth"] and alerts_first["ours"] == alerts_first["sloth"]
    for when, found in (("start", alerts_first), ("end", alerts)):
        for set_name in ("ours", "sloth"):
            print("alerts at %-5s %-6s: %s" % (when, set_name, ", ".join("%s %s" % kv for kv in sorted(found[set_name].items())) or "none"))
    print("same alerts: %s; missed group iterations: %d" % ("yes" if same else "NO", missed))
    met = ratio_time >= args.target and same and bool(alerts["ours"])
    print("target: at least %gx cheaper with the same alerts -> %s (%.1fx by median evaluation time, %.1fx by samples queried)"
          % (args.target, "met" if met else "MISSED", ratio_time, ratio_samples))

    figures = {"series": len(traffic.series), "days": args.days, "scrape_interval": args.scrape_interval,
               "history_interval": args.history_interval, "eval_interval": args.eval_interval, "smoke": args.smoke,
               "cost": cost, "ratio_median": ratio_time, "ratio_mean": ratio_mean, "samples": samples_set,
               "samples_per_rule": samples_rule, "ratio_samples": ratio_samples, "alerts_first": alerts_first, "alerts": alerts,
               "same_alerts": same, "windows": windows, "missed_iterations": missed}
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w", encoding="utf-8") as handle:
        json.dump(figures, handle, indent=2, sort_keys=True)
    return 0 if (met or args.smoke) else 1


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
