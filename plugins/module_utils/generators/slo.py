# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SLO multi-window multi-burn-rate rules: on time, through scrape gaps, and cheap to evaluate.

Every window is a count of events, bad and all, summed to one series per SLO (docs/slo.md):

- windows under an hour read the raw counters (`increase`), the shortest one as a rate for the dashboards;
- the newest hour is read raw over two hours less what the hour before it held (`block1h`): a scrape gap of up to
  an hour inside those two hours counts once, when scraping resumes;
- windows of hours are sums of the hourly blocks at offsets of whole hours, and longer ones (the period) sums of
  daily blocks built the same way, so they cover exactly the window and read one sample per block.

No window of an hour or more reads raw series beyond those two hours, so the cost grows with the number of raw series
only through the raw reads (5m, the other sub-hour windows, 1h and 2h).
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


HOUR = Duration.parse("1h")
DAY = Duration.parse("1d")
# Up to this many hours a window is a sum of hourly blocks; longer ones use daily blocks for their whole days.
MAX_HOURLY_TERMS = 48
REQUESTS, ERRORS = "requests", "errors"


def count_name(kind: str, what: str) -> str:
    """Recorded event counts: vigil:slo_requests:increase6h, vigil:slo_errors:block1h, vigil:slo_requests:raw2h."""
    return "%s%s:%s" % (PREFIX, kind, what)


class _Counts:
    """The PromQL of one SLO's event counts: raw reads, blocks and windows, for requests (all) and errors (bad)."""

    def __init__(self, team: Team, service: Service, slo: SLO) -> None:
        self.team, self.service, self.slo = team, service, slo
        self.base = base_window(slo)

    def sel(self, name: str) -> str:
        return _sel(name, self.team, self.service, self.slo)

    def raw(self, kind: str, window: Duration, offset: Optional[Duration] = None) -> str:
        """Events in `window` (ending `offset` ago) read from the raw series; errors after requests of the same window."""
        at = " offset %s" % offset if offset else ""
        namespace = self.team.namespace
        if self.slo.latency:
            lat = self.slo.latency
            scoped = lat.selector.in_namespace(namespace)
            count = Selector(lat.histogram + "_count", scoped.matchers)
            if kind == REQUESTS:
                return "sum(increase(%s[%s]%s))" % (count, window, at)
            good = Selector(lat.histogram + "_bucket", scoped.matchers).with_matchers(le_matcher(lat.threshold))
            # Bad = all - good; a missing threshold bucket leaves errors absent, so the no-data alert can catch it.
            return "%s - sum(increase(%s[%s]%s))" % (self.recorded_requests(window, offset), good, window, at)
        if kind == REQUESTS:
            return "sum(increase(%s[%s]%s))" % (self.slo.total.in_namespace(namespace), window, at)
        # An error counter not created yet means zero errors: the zero comes from the requests just recorded.
        errors = self.slo.errors.in_namespace(namespace)
        return "sum(increase(%s[%s]%s)) or 0 * %s" % (errors, window, at, self.recorded_requests(window, offset))

    def recorded_requests(self, window: Duration, offset: Optional[Duration]) -> str:
        """The requests count of the same raw read, recorded just before (a rem read at an offset has none: read it)."""
        if offset:
            return "(%s)" % self.raw(REQUESTS, window, offset)
        return "sum(%s)" % self.sel(count_name(REQUESTS, "raw%s" % window))

    def term(self, kind: str, what: str, offset_ms: int) -> str:
        """A recorded count read `offset_ms` ago, as 0 when it is missing (before the SLO existed, a Prometheus restart)."""
        at = " offset %s" % Duration(offset_ms) if offset_ms else ""
        return "(sum(%s%s) or vector(0))" % (self.sel(count_name(kind, what)), at)

    def window(self, kind: str, window: Duration) -> str:
        """Events in `window`, from the cheapest exact source."""
        if window == self.base:
            return "%s * %s" % (self.sel(record_name("%s_per_second" % kind, window)), decimal_str(Fraction(window.ms, 1000)))
        if window < HOUR:
            if kind == ERRORS:
                if self.slo.latency:
                    return self._latency_errors(window)
                return "sum(increase(%s[%s])) or 0 * sum(%s)" % (self.slo.errors.in_namespace(self.team.namespace), window,
                                                                 self.sel(count_name(REQUESTS, "increase%s" % window)))
            return self.raw(REQUESTS, window)
        hours, rest = divmod(window.ms, HOUR.ms)
        if window == HOUR:
            # The block, or where its reading of an hour ago is missing (rules just deployed), the raw hour: the block
            # would then hold two hours, right for longer windows (the block before it is missing too), not for this one.
            return "clamp_min(sum(%s) - sum(%s offset 1h), 0) or sum(%s)" % (
                self.sel(count_name(kind, "raw2h")), self.sel(count_name(kind, "raw1h")), self.sel(count_name(kind, "raw1h")))
        terms = []
        if hours <= MAX_HOURLY_TERMS:
            terms += [self.term(kind, "block1h", j * HOUR.ms) for j in range(hours)]
        else:
            days, extra_hours = divmod(hours, 24)
            terms += [self.term(kind, "block1h", j * HOUR.ms) for j in range(extra_hours)]
            terms += [self.term(kind, "block1d", extra_hours * HOUR.ms + i * DAY.ms) for i in range(days)]
        if rest:
            terms.append("(%s or vector(0))" % self.raw(kind, Duration(rest), Duration(hours * HOUR.ms)))
        return " + ".join(terms)

    def _latency_errors(self, window: Duration) -> str:
        lat = self.slo.latency
        scoped = lat.selector.in_namespace(self.team.namespace)
        good = Selector(lat.histogram + "_bucket", scoped.matchers).with_matchers(le_matcher(lat.threshold))
        return "sum(%s) - sum(increase(%s[%s]))" % (self.sel(count_name(REQUESTS, "increase%s" % window)), good, window)


def needs_days(slo: SLO) -> bool:
    return any(w.ms // HOUR.ms > MAX_HOURLY_TERMS for w in windows(slo))


def _count_rules(team: Team, service: Service, slo: SLO, ident: Dict[str, str]) -> List[Dict[str, Any]]:
    """Every event count of the fast group, in evaluation order (each rule may read those before it)."""
    counts = _Counts(team, service, slo)
    out = []

    def rec(kind: str, what: str, expr: str) -> None:
        out.append({"record": count_name(kind, what), "expr": expr, "labels": dict(ident)})

    long_windows = [w for w in windows(slo) if w >= HOUR and w != slo.period]
    if long_windows or slo.period >= HOUR:
        for kind in (REQUESTS, ERRORS):
            rec(kind, "raw1h", counts.raw(kind, HOUR))
            rec(kind, "raw2h", counts.raw(kind, HOUR * 2))
        for kind in (REQUESTS, ERRORS):
            # The newest hour: two hours read raw less the hour before, as read an hour ago. A scrape gap within those
            # two hours counts here once scraping resumes; when the reading of an hour ago is missing, its block is too,
            # and this one covers both hours.
            rec(kind, "block1h", "clamp_min(sum(%s) - %s, 0)" % (counts.sel(count_name(kind, "raw2h")), counts.term(kind, "raw1h", HOUR.ms)))
    if needs_days(slo):
        # Daily blocks, built like the hourly ones from the 1d and 2d sums: the period reads one sample per day.
        for kind in (REQUESTS, ERRORS):
            for days in (1, 2):
                rec(kind, "increase%s" % Duration(days * DAY.ms), counts.window(kind, Duration(days * DAY.ms)))
            two_days = counts.sel(count_name(kind, "increase2d"))
            rec(kind, "block1d", "clamp_min(sum(%s) - %s, 0)" % (two_days, counts.term(kind, "increase1d", DAY.ms)))
    done = {r["record"] for r in out}
    for window in windows(slo):
        if window == counts.base or (window == slo.period and window != counts.base):
            continue  # the base is the rate above; the period is in the budget group
        for kind in (REQUESTS, ERRORS):
            if count_name(kind, "increase%s" % window) not in done:
                rec(kind, "increase%s" % window, counts.window(kind, window))
    return out


def _raw_rates(team: Team, service: Service, slo: SLO, window: Duration) -> Tuple[str, str]:
    """(requests, errors) per second at the base window, read from the raw series (the dashboards' SLI)."""
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
    if window == base:
        return "%s / %s" % (_sel(record_name("errors_per_second", base), team, service, slo),
                            _sel(record_name("requests_per_second", base), team, service, slo))
    return "%s / %s" % (_sel(count_name(ERRORS, "increase%s" % window), team, service, slo),
                        _sel(count_name(REQUESTS, "increase%s" % window), team, service, slo))


def _tier_condition(team: Team, service: Service, slo: SLO, tier: Tier, base: Duration) -> str:
    limit = decimal_str(threshold(slo, tier))
    long_ratio = _sel(record_name("error_ratio", tier.long_window), team, service, slo)
    short_ratio = _sel(record_name("error_ratio", tier.short_window), team, service, slo)
    cond = "%s > %s and %s > %s" % (long_ratio, limit, short_ratio, limit)
    min_events = tier.min_events or slo.min_events
    if min_events:
        if tier.long_window == base:
            events = "%s * %s" % (_sel(record_name("requests_per_second", base), team, service, slo), decimal_str(Fraction(base.ms, 1000)))
        else:
            events = _sel(count_name(REQUESTS, "increase%s" % tier.long_window), team, service, slo)
        cond += " and %s >= %d" % (events, min_events)
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
    rules += _count_rules(team, service, slo, ident)
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
        counts = _Counts(team, service, slo)
        for kind in (REQUESTS, ERRORS):
            budget_rules.append({"record": count_name(kind, "increase%s" % slo.period), "expr": counts.window(kind, slo.period),
                                 "labels": dict(ident)})
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
