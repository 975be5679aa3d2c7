# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SLO multi-window multi-burn-rate rules, built to be cheap to evaluate.

Level 1 reads the raw counters once, at the shortest window, and records bad and
all events per second, summed to one series per SLO. Level 2 derives every
longer window from those recorded series as a ratio of sums (traffic-weighted),
so a 3-day window reads one series, not every raw series of the service.
"""

from __future__ import annotations

import functools
from fractions import Fraction

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core import gotemplate
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Selector, decimal_str, eq, le_matcher
from ansible_collections.vigil.observability.plugins.module_utils.inventory.naming import slo_identity
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import SLO, Service, Settings, Team, Tier, PAGE
from typing import Any, Dict, List, Optional, Tuple

PREFIX = "vigil:slo_"
ALERT_NAMES = {PAGE: "SLOErrorBudgetFastBurn", "ticket": "SLOErrorBudgetSlowBurn"}
SEVERITIES = {PAGE: "critical", "ticket": "warning"}
NO_DATA_ALERT = "SLONoData"
DEFAULT_NO_DATA_FOR = Duration.parse("15m")
LOOKBACK = Duration.parse("5m")  # Prometheus' default query.lookback-delta


def record_name(kind: str, window: Optional[Any] = None) -> str:
    """Recorded series names, e.g. vigil:slo_error_ratio:rate1h."""
    if kind in ("errors_per_second", "requests_per_second", "error_ratio"):
        return "%s%s:rate%s" % (PREFIX, kind, window)
    return "%s%s" % (PREFIX, kind)


OBJECTIVE = record_name("objective:ratio")
ERROR_BUDGET = record_name("error_budget:ratio")
BUDGET_REMAINING = record_name("error_budget_remaining:ratio")
CURRENT_BURN = record_name("current_burn_rate:ratio")


def template_literal(text: str) -> str:
    """Make inventory text safe inside Prometheus' Go templates (annotations and alert labels)."""
    return gotemplate.literal(text)


def base_window(slo: SLO) -> Duration:
    """The one window at which the raw series are read: the shortest of all tiers."""
    return min(min(t.short_window for t in slo.tiers), min(t.long_window for t in slo.tiers))


def windows(slo: SLO) -> List[Duration]:
    """Every window the rules record, shortest first, including the period."""
    found = {slo.period}
    for tier in slo.tiers:
        found.update((tier.short_window, tier.long_window))
    return sorted(found)


def threshold(slo: SLO, tier: Tier) -> Fraction:
    """Error ratio above which a tier fires: burn factor x error budget, exact."""
    return tier.burn_factor(slo.period) * slo.error_budget


def slo_selector(metric: str, team: Team, service: Service, slo: SLO) -> str:
    """`metric` selected by the SLO's identity labels (the text is built once per SLO)."""
    return metric + _identity_text(team.namespace, service.name, slo.name, team.name)


_sel = slo_selector


@functools.lru_cache(maxsize=4096)
def _identity_text(namespace: str, service: str, slo: str, team: str) -> str:
    """The escaped identity matchers of one SLO, built once: every rule of the SLO selects by them."""
    return str(Selector("", tuple(eq(k, v) for k, v in (("namespace", namespace), ("service", service), ("slo", slo), ("team", team)))))


def _raw_rates(team: Team, service: Service, slo: SLO, window: Duration) -> Tuple[str, str]:
    """(requests, errors) PromQL reading the raw series at `window`."""
    if slo.latency:
        lat = slo.latency
        scoped = lat.selector.in_namespace(team.namespace)
        count = Selector(lat.histogram + "_count", scoped.matchers)
        good = Selector(lat.histogram + "_bucket", scoped.matchers).with_matchers(le_matcher(lat.threshold))
        requests = "sum(rate(%s[%s]))" % (count, window)
        # Bad = all (the requests series this group has just recorded) - good. A missing threshold bucket
        # leaves errors absent, so the no-data alert can catch a wrong threshold.
        errors = "sum(%s) - sum(rate(%s[%s]))" % (_sel(record_name("requests_per_second", window), team, service, slo), good, window)
        return requests, errors
    requests = "sum(rate(%s[%s]))" % (slo.total.in_namespace(team.namespace), window)
    # An error counter that has not been created yet means zero errors, with the SLO's labels; the
    # zero comes from the requests series this group has just recorded, not a second read of the raw series.
    errors = "sum(rate(%s[%s])) or 0 * sum(%s)" % (slo.errors.in_namespace(team.namespace), window,
                                                   _sel(record_name("requests_per_second", window), team, service, slo))
    return requests, errors


def _ratio_expr(team: Team, service: Service, slo: SLO, window: Duration, base: Duration) -> str:
    errors = _sel(record_name("errors_per_second", base), team, service, slo)
    requests = _sel(record_name("requests_per_second", base), team, service, slo)
    if window == base:
        return "%s / %s" % (errors, requests)
    return "sum_over_time(%s[%s]) / sum_over_time(%s[%s])" % (errors, window, requests, window)


def _tier_condition(team: Team, service: Service, slo: SLO, tier: Tier, base: Duration) -> str:
    limit = decimal_str(threshold(slo, tier))
    long_ratio = _sel(record_name("error_ratio", tier.long_window), team, service, slo)
    short_ratio = _sel(record_name("error_ratio", tier.short_window), team, service, slo)
    cond = "%s > %s and %s > %s" % (long_ratio, limit, short_ratio, limit)
    min_events = tier.min_events or slo.min_events
    if min_events:
        requests = _sel(record_name("requests_per_second", base), team, service, slo)
        cond += " and avg_over_time(%s[%s]) * %s >= %d" % (requests, tier.long_window, decimal_str(Fraction(tier.long_window.ms, 1000)), min_events)
    return "(%s)" % cond


def _percent(value: Fraction) -> str:
    return decimal_str(value) + "%"


def _readable(value: Fraction) -> str:
    """For people: exact when short (14.4), else three decimals (0.233 for 7/30)."""
    text = decimal_str(value)
    if "." in text and len(text.split(".")[1]) > 4:
        return decimal_str(Fraction(round(value * 1000), 1000))
    return text


def _alert(team: Team, service: Service, slo: SLO, action: str, tiers: List[Tier], base: Duration) -> Dict[str, Any]:
    budget = decimal_str(slo.error_budget)
    expr = " or ".join(_tier_condition(team, service, slo, t, base) for t in tiers)
    tier_text = "; ".join(
        "%s of the budget within %s (%sx)" % (_percent(t.budget_percent), t.long_window, _readable(t.burn_factor(slo.period)))
        for t in tiers
    )
    labels = {k: template_literal(v) for k, v in team.labels}
    labels.update(slo_identity(team, service, slo))
    labels["severity"] = SEVERITIES[action]
    what = slo.description or "%s SLO of %s" % (slo.name, service.name)
    annotations = {
        "summary": template_literal("%s is burning its error budget too fast (%s)" % (what, "page" if action == PAGE else "ticket")),
        # printf, not humanize: humanize prints a 0.3x burn (possible on 7d periods) as "300m".
        "description": "{{ $labels.service }} burns the {{ $labels.slo }} error budget {{ printf \"%%.2f\" $value }}x faster than "
        "sustainable. Objective %s over %s, error budget %s of events. This alert fires when: %s."
        % (_percent(slo.objective), slo.period, _percent(slo.error_budget * 100), tier_text),
    }
    runbook = slo.runbook_url or service.runbook_url
    if runbook:
        annotations["runbook_url"] = template_literal(runbook)
    if slo.dashboard_url:
        annotations["dashboard_url"] = template_literal(slo.dashboard_url)
    rule = {
        "alert": ALERT_NAMES[action],
        # Dividing by the budget makes the alert's value the burn rate.
        "expr": "(%s) / %s" % (expr, budget),
        "labels": labels,
        "annotations": annotations,
    }
    if tiers[0].for_:
        rule["for"] = str(tiers[0].for_)
    return rule


def slo_groups(team: Team, service: Service, slo: SLO, settings: Settings) -> List[Dict[str, Any]]:
    """The rule groups of one SLO: the fast group (SLI, windows, alerts) and the budget group."""
    base = base_window(slo)
    ident = dict(slo_identity(team, service, slo))
    requests, errors = _raw_rates(team, service, slo, base)
    rules = [
        {"record": record_name("requests_per_second", base), "expr": requests, "labels": dict(ident)},
        {"record": record_name("errors_per_second", base), "expr": errors, "labels": dict(ident)},
    ]
    for window in windows(slo):
        if window == slo.period and window != base:
            continue  # recorded in the slower budget group
        rules.append({"record": record_name("error_ratio", window), "expr": _ratio_expr(team, service, slo, window, base), "labels": dict(ident)})
    current = min(t.long_window for t in slo.tiers)
    rules.append({
        "record": CURRENT_BURN,
        "expr": "%s / %s" % (_sel(record_name("error_ratio", current), team, service, slo), decimal_str(slo.error_budget)),
        "labels": dict(ident),
    })
    by_action = {}
    # Sorted, so that listing the same tiers in another order renders the same rules.
    for tier in sorted(slo.tiers, key=_tier_key):
        by_action.setdefault((tier.action, tier.for_.ms if tier.for_ else 0), []).append(tier)
    for (action, _for_ms), tiers in sorted(by_action.items(), key=lambda kv: (kv[0][0] != PAGE, kv[0][1])):
        rules.append(_alert(team, service, slo, action, tiers, base))
    if slo.no_data:
        names = [record_name("requests_per_second", base), record_name("errors_per_second", base)]
        labels = {k: template_literal(v) for k, v in team.labels}
        labels.update(ident)
        labels["severity"] = "warning"
        rules.append({
            "alert": NO_DATA_ALERT,
            "expr": " or ".join("absent(%s)" % _sel(n, team, service, slo) for n in names),
            "for": str(slo.no_data_for or DEFAULT_NO_DATA_FOR),
            "labels": labels,
            "annotations": {
                "summary": template_literal("No SLI data for the %s SLO of %s" % (slo.name, service.name)),
                "description": "The series behind the {{ $labels.slo }} SLO of {{ $labels.service }} are missing, so its "
                "burn-rate alerts cannot fire. Check the service's scrape target and the SLO's selectors.",
            },
        })

    budget_rules = []
    if slo.period != base:
        budget_rules.append({"record": record_name("error_ratio", slo.period), "expr": _ratio_expr(team, service, slo, slo.period, base),
                             "labels": dict(ident)})
    budget_rules += [
        {"record": OBJECTIVE, "expr": "vector(%s)" % decimal_str(slo.objective / 100), "labels": dict(ident)},
        {"record": ERROR_BUDGET, "expr": "vector(%s)" % decimal_str(slo.error_budget), "labels": dict(ident)},
        {
            "record": BUDGET_REMAINING,
            "expr": "1 - %s / %s" % (_sel(record_name("error_ratio", slo.period), team, service, slo), decimal_str(slo.error_budget)),
            "labels": dict(ident),
        },
    ]
    # '/' cannot occur in service or SLO names, so no two SLOs share a group name
    # (with '-', service a-b SLO c and service a SLO b-c would both be slo-a-b-c).
    name = group_name(service, slo)
    budget_group = {"name": name + "/budget", "rules": budget_rules}
    if settings.budget_interval:
        budget_group["interval"] = str(settings.budget_interval)
    return [{"name": name, "rules": rules}, budget_group]


def group_name(service: Service, slo: SLO) -> str:
    return "slo/%s/%s" % (service.name, slo.name)


def _tier_key(tier: Tier) -> Tuple[Duration, Duration, Fraction, int]:
    return (tier.long_window, tier.short_window, tier.budget_percent, tier.min_events or 0)


def team_groups(team: Team, settings: Settings) -> List[Any]:
    groups = []
    for service in team.services:
        for slo in sorted(service.slos, key=lambda s: s.name):
            groups.extend(slo_groups(team, service, slo, settings))
    return groups


def lint(team: Team, settings: Settings) -> List[Any]:
    """Warnings about SLOs that are valid but will not behave as the user likely expects."""
    warnings = []
    if settings.budget_interval and settings.budget_interval > LOOKBACK and any(s.slos for s in team.services):
        warnings.append(
            "%s: slo_budget_interval %s is longer than Prometheus' %s lookback, so the error budget series go stale "
            "between evaluations and dashboards show gaps" % (team.path or team.name, settings.budget_interval, LOOKBACK))
    for service in team.services:
        interval = (service.monitor.interval if service.monitor and service.monitor.interval else None) or settings.scrape_interval
        for slo in sorted(service.slos, key=lambda s: s.name):
            where = slo.path or "%s/%s/%s" % (team.name, service.name, slo.name)
            for tier in sorted(slo.tiers, key=lambda t: (t.action != PAGE,) + _tier_key(t)):
                factor = tier.burn_factor(slo.period)
                if threshold(slo, tier) >= 1:
                    lowest = 100 * (1 - 1 / factor)
                    warnings.append(
                        "%s: the %s tier (%s of the budget in %s, burn factor %sx) can never fire at objective %s: it needs "
                        "an error ratio of %s, above 100%%; it can fire only with objectives above %s%%"
                        % (where, tier.action, _percent(tier.budget_percent), tier.long_window, decimal_str(factor),
                           _percent(slo.objective), decimal_str(threshold(slo, tier)), "%.2f" % float(lowest))
                    )
            base = base_window(slo)
            if base.ms < 4 * interval.ms:
                warnings.append(
                    "%s: the shortest window %s is under four scrape intervals (%s); rates over it will be noisy or empty"
                    % (where, base, interval)
                )
            if settings.retention:
                too_long = [w for w in windows(slo) if w > settings.retention]
                if too_long:
                    warnings.append(
                        "%s: %s longer than the Prometheus retention %s, so the error budget and long-window burn "
                        "rates undercount" % (where, "windows %s are" % ", ".join(str(w) for w in too_long) if len(too_long) > 1
                                              else "window %s is" % too_long[0], settings.retention)
                    )
    return warnings
