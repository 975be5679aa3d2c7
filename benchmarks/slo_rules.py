# -*- coding: utf-8 -*-
"""The SLO both rule-cost benchmarks compare (rule_eval_cost measures it on a real Prometheus, rule_cost_model counts
it): Sloth's getting-started SLO, as ours (the core's rules) and as Sloth v0.16 generates it."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.vigil.observability.plugins.module_utils.generators import slo
from ansible_collections.vigil.observability.tests.support import promql_ast
from ansible_collections.vigil.observability.tests.support import team_plan as build

# Sloth's getting-started SLO (examples/getting-started.yml of slok/sloth).
METRIC = "http_request_duration_seconds_count"
JOB = "myservice"
ERRORS = '%s{job="%s",code=~"(5..|429)"}' % (METRIC, JOB)
TOTAL = '%s{job="%s"}' % (METRIC, JOB)
# The summed copy of the counters that the recorded history is computed from.
HISTORY_JOB = "myservice-history"
NAMESPACE = "bench"
# Codes and their share of good or bad (5xx) requests.
GOOD = (("200", 0.80), ("201", 0.15), ("404", 0.05))
BAD = (("500", 0.70), ("503", 0.30))
SLOTH_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SLOTH_SERVICE, SLOTH_SLO = "myservice", "requests-availability"
SLOTH_ID = "%s-%s" % (SLOTH_SERVICE, SLOTH_SLO)
SLOTH_ALERT = "MyServiceHighErrorRate"
# The SRE workbook tiers both rule sets implement: (action, short window, long window, burn factor).
SLOTH_TIERS = (("page", "5m", "1h", 14.4), ("page", "30m", "6h", 6), ("ticket", "2h", "1d", 3), ("ticket", "6h", "3d", 1))
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(text):
    return int(text[:-1]) * UNITS[text[-1]]


# ---------------------------------------------------------------------------------------------
# The SLO: ours from the core; Sloth's from its own file or written here as it generates them


def our_slo(objective):
    team_vars = {"observability_team_%s" % NAMESPACE: {"services": [{"name": "api", "slos": [{
        "name": "availability", "objective": objective, "errors": ERRORS, "total": TOTAL,
    }]}]}}
    settings, teams, _alerting = build.load_all(team_vars, [], {})
    team = teams[0]
    service = team.services[0]
    return team, service, service.slos[0], settings


def our_groups(objective):
    team, service, the_slo, settings = our_slo(objective)
    return slo.slo_groups(team, service, the_slo, settings), the_slo


def sloth_groups(the_slo):
    """The rules Sloth v0.16 generates for this SLO (same selectors, windows, tiers and budget)."""
    errors, total = str(the_slo.errors), str(the_slo.total)
    budget = float(the_slo.error_budget)
    objective = float(the_slo.objective / 100)
    ident = {"sloth_id": SLOTH_ID, "sloth_service": SLOTH_SERVICE, "sloth_slo": SLOTH_SLO}
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


def load_sloth_rules(path):
    """Sloth's own generated rules for getting-started; refused unless they read this benchmark's counters."""
    documents = yaml.safe_load_all(Path(path).read_text(encoding="utf-8"))
    groups = [group for doc in documents if doc for group in doc.get("groups", [])]
    raw = {(name, matchers) for group in groups for rule in group["rules"]
           for name, matchers, _w in promql_ast.selectors(rule["expr"]) if not name.startswith("slo:")}
    wanted = {(name, matchers) for expr in (ERRORS, TOTAL) for name, matchers, _w in promql_ast.selectors(expr)}
    if raw != wanted:
        raise SystemExit("%s does not read the getting-started SLO's counters (%s): %s" % (path, ", ".join((ERRORS, TOTAL)), sorted(raw)))
    return groups


def alert_names(groups):
    return sorted({rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule})
