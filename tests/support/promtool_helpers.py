# -*- coding: utf-8 -*-
"""Build SLO rules in-process and run `promtool test rules` scenarios against them, several at once.

Expected firing times come from the tier definitions of docs/slo.md (budget share, long and short
window, period), never from the rules under test: see `burn_factor` and `first_crossing`.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

from ansible_collections.vigil.observability.tests.support import team_plan as build

COMPONENT_LABEL = "app.kubernetes.io/component"
MINUTE = 60

# The default tiers as docs/slo.md states them: (action, budget share %, long window s, short window s).
SPEC_TIERS = (
    ("page", 2, 3600, 300),
    ("page", 5, 6 * 3600, 1800),
    ("ticket", 10, 24 * 3600, 2 * 3600),
    ("ticket", 10, 3 * 24 * 3600, 6 * 3600),
)
DAY = 24 * 3600


def burn_factor(budget_percent, period_s, long_s):
    """Spending `budget_percent` of a `period_s` budget within `long_s` is this many times the sustainable rate."""
    return Fraction(budget_percent, 100) * Fraction(period_s, long_s)


def first_crossing(burn, tiers, period_s=30 * DAY):
    """Seconds after a constant `burn` starts (from a clean history at least as long as every long window)
    until the earliest of `tiers` has both its windows above factor x budget; None if none ever does.

    With errors at burn x budget from t0, a window of length W holds burn x budget x min(x, W) / W at t0 + x,
    so it passes factor x budget at x = W x factor / burn (possible only when factor < burn); the short window,
    being shorter, passes first, so the long window decides.
    """
    times = []
    for _action, percent, long_s, _short_s in tiers:
        factor = burn_factor(percent, period_s, long_s)
        if factor < burn:
            times.append(Fraction(long_s) * factor / Fraction(burn))
    return min(times) if times else None


def slo_rule_groups(team_vars, settings=None, team_list=None, keep_annotations=False):
    """The rule groups of every SLO PrometheusRule build.build() generates for one cluster."""
    result = build.build("c1", team_vars, team_list or [], settings or {}, promtool="skip")
    groups = []
    for obj in result["objects"]:
        if obj["kind"] == "PrometheusRule" and obj["metadata"]["labels"].get(COMPONENT_LABEL) == "slo":
            groups.extend(obj["spec"]["groups"])
    return for_promtool(groups, keep_annotations)


def for_promtool(groups, keep_annotations=False):
    """A plain-data copy of rule groups for a promtool test file, without annotations unless asked.

    promtool compares annotations exactly, and they do not change when an alert fires.
    """
    groups = json.loads(json.dumps(groups))
    if not keep_annotations:
        for group in groups:
            for rule in group["rules"]:
                rule.pop("annotations", None)
    return groups


def counter(*segments, start=0):
    """promtool series values of a counter sampled every minute: segments of (minutes, increase per minute).

    The first sample (minute 0) is `start`; each segment adds `minutes` samples.
    """
    parts, value, first = [], start, True
    for minutes, slope in segments:
        if first:
            parts.append("%s+%sx%d" % (_num(value), _num(slope), minutes))
            value += slope * minutes
            first = False
        else:
            parts.append("%s+%sx%d" % (_num(value + slope), _num(slope), minutes - 1))
            value += slope * minutes
    return " ".join(parts)


def _num(value):
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return repr(float(value))


def floor_minute(seconds):
    return int(math.floor(Fraction(seconds) / MINUTE))


def ceil_minute(seconds):
    return int(math.ceil(Fraction(seconds) / MINUTE))


def never_fired(alertname, at_minute, labels=None):
    """A promql_expr_test: no alert whose name matches the regex `alertname` was firing at any evaluation
    up to `at_minute` (promtool records ALERTS like Prometheus does)."""
    matchers = ['alertname=~"%s"' % alertname, 'alertstate="firing"'] + ['%s="%s"' % kv for kv in sorted((labels or {}).items())]
    return {
        "expr": "count_over_time(ALERTS{%s}[%dm])" % (",".join(matchers), at_minute),
        "eval_time": "%dm" % at_minute,
        "exp_samples": [],
    }


def fires(alertname, at_minute, labels):
    return {"eval_time": "%dm" % at_minute, "alertname": alertname, "exp_alerts": [{"exp_labels": dict(labels)}]}


def silent(alertname, at_minute):
    return {"eval_time": "%dm" % at_minute, "alertname": alertname, "exp_alerts": []}


def write_scenario(directory, name, groups, tests, evaluation_interval="1m"):
    rules_path = os.path.join(directory, "%s-rules.json" % name)
    test_path = os.path.join(directory, "%s-test.json" % name)
    with open(rules_path, "w", encoding="utf-8") as handle:
        json.dump({"groups": groups}, handle, indent=1, sort_keys=True)
    with open(test_path, "w", encoding="utf-8") as handle:
        json.dump({
            "rule_files": [os.path.basename(rules_path)],
            "evaluation_interval": evaluation_interval,
            "tests": tests,
        }, handle, indent=1, sort_keys=True)
    return test_path


def run_parallel(promtool, test_paths, jobs=None):
    """Run `promtool test rules` on each file (give the slowest first), `jobs` at a time; {path: (returncode, output)}."""
    def run(path):
        proc = subprocess.run([promtool, "test", "rules", os.path.basename(path)], cwd=os.path.dirname(path),
                              capture_output=True, text=True, timeout=300, check=False)
        return path, (proc.returncode, proc.stdout + proc.stderr)

    with ThreadPoolExecutor(max_workers=jobs or max(2, os.cpu_count() or 2)) as pool:
        return dict(pool.map(run, test_paths))
