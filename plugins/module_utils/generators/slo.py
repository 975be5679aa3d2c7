# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SLO multi-window multi-burn-rate rules: on time, through scrape gaps, and cheap to evaluate.

Every window is a count of events, bad and all, summed to one series per SLO (docs/slo.md):

- windows under an hour read the raw counters (`increase`), the shortest one as a rate for the dashboards;
- the newest hour is two hours read raw less the hour before them, also read raw (`block1h`, and the 1h window):
  a scrape gap or a Prometheus restart of up to an hour inside those two hours counts once, when scraping resumes;
- windows of hours are sums of the hourly blocks at offsets of whole hours; longer ones sum 6h, 1d and 7d sums the
  same way (the newest reading within an hour before each offset), so every window covers exactly its span.

No window of an hour or more reads raw series beyond those two hours, so the cost grows with the number of raw series
only through the raw reads (5m, the other sub-hour windows, 2h, and the hour before the last).
"""

from __future__ import annotations

import functools
from fractions import Fraction

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core import gotemplate
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Selector, decimal_str, eq, le_matcher
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader
from ansible_collections.vigil.observability.plugins.module_utils.inventory.naming import slo_identity
from ansible_collections.vigil.observability.plugins.module_utils.inventory.slo import parse_tiers
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import DEFAULT_TIERS, SLO, Service, Settings, Team, Tier, PAGE
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
ERROR_RATIO_PREFIX = record_name("error_ratio", "")  # every window's error ratio: this and the window


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


def burn_rates(objective: Any, period: Any, tiers: Any, problems: Problems, path: str = "slo_burn_rates") -> List[Dict[str, str]]:
    """Each tier's burn factor and error-ratio threshold for one objective (the slo_burn_rates filter); `tiers` empty:
    the SRE workbook's."""
    r = Reader({"objective": objective, "period": period, "tiers": tiers or []}, path, problems)
    objective = r.decimal("objective", required=True, low=0, high=100)
    period = r.duration("period", required=True)
    items = r.items("tiers")
    parsed = parse_tiers(items or [("default", t) for t in DEFAULT_TIERS], problems, period)
    if problems:
        return []
    probe = SLO(name="probe", objective=objective, period=period, tiers=parsed)
    return [{"action": t.action, "budget_percent": decimal_str(t.budget_percent), "long_window": str(t.long_window),
             "short_window": str(t.short_window), "burn_factor": decimal_str(t.burn_factor(period)),
             "error_ratio_threshold": decimal_str(threshold(probe, t))} for t in parsed]


def slo_selector(metric: str, team: Team, service: Service, slo: SLO) -> str:
    """`metric` selected by the SLO's identity labels (the text is built once per SLO)."""
    return metric + _identity_text(team.namespace, service.name, slo.name, team.name)


_sel = slo_selector


@functools.lru_cache(maxsize=4096)
def _identity_text(namespace: str, service: str, slo: str, team: str) -> str:
    """The escaped identity matchers of one SLO, built once: every rule of the SLO selects by them."""
    return str(Selector("", tuple(eq(k, v) for k, v in (("namespace", namespace), ("service", service), ("slo", slo), ("team", team)))))


HOUR = Duration.parse("1h")
SIX_HOURS = Duration.parse("6h")
DAY = Duration.parse("1d")
WEEK = Duration.parse("7d")
# The sums windows of 12h and more are built of; each is built of the ones before it.
LEVELS = (SIX_HOURS, DAY, WEEK)
REQUESTS, ERRORS = "requests", "errors"
# The recorded raw reads, (window, offset, name) in evaluation order: the newest two hours, and the hour before them.
RAW_READS = ((HOUR * 2, None, "raw2h"), (HOUR, HOUR, "raw1h_offset1h"))


def count_name(kind: str, what: str) -> str:
    """Recorded event counts: vigil:slo_requests:increase6h, vigil:slo_errors:block1h, vigil:slo_requests:raw2h."""
    return "%s%s:%s" % (PREFIX, kind, what)


class _Counts:
    """The PromQL of one SLO's event counts: raw reads, blocks and windows, for requests (all) and errors (bad).

    Built from texts (the identity matchers, the raw selectors), so that the same shape of SLO (base window, windows,
    period, ratio or latency) is built once, with placeholders, and filled in for each SLO (_count_rules).
    """

    def __init__(self, base: Duration, latency: bool, texts: Dict[str, str]) -> None:
        self.base, self.latency, self.texts = base, latency, texts

    def sel(self, name: str) -> str:
        return name + self.texts["ident"]

    def raw(self, kind: str, window: Duration, offset: Optional[Duration] = None) -> str:
        """Events in `window` (ending `offset` ago) read from the raw series; errors after requests of the same window."""
        at = " offset %s" % offset if offset else ""
        if self.latency:
            if kind == REQUESTS:
                return "sum(increase(%s[%s]%s))" % (self.texts["count"], window, at)
            # Bad = all - good; a missing threshold bucket leaves errors absent, so the no-data alert can catch it.
            return "%s - sum(increase(%s[%s]%s))" % (self.recorded_requests(window, offset), self.texts["good"], window, at)
        if kind == REQUESTS:
            return "sum(increase(%s[%s]%s))" % (self.texts["total"], window, at)
        # An error counter not created yet means zero errors: the zero comes from the requests just recorded.
        return "sum(increase(%s[%s]%s)) or 0 * %s" % (self.texts["errors"], window, at, self.recorded_requests(window, offset))

    def recorded_requests(self, window: Duration, offset: Optional[Duration]) -> str:
        """The requests count of the same raw read, recorded just before (the raw rest of a window has none: read it)."""
        name = next((n for w, o, n in RAW_READS if (w, o) == (window, offset)), None)
        if name:
            return "sum(%s)" % self.sel(count_name(REQUESTS, name))
        return "(%s)" % self.raw(REQUESTS, window, offset)

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
                if self.latency:
                    return self._latency_errors(window)
                return "sum(increase(%s[%s])) or 0 * sum(%s)" % (self.texts["errors"], window,
                                                                 self.sel(count_name(REQUESTS, "increase%s" % window)))
            return self.raw(REQUESTS, window)
        hours, rest = divmod(window.ms, HOUR.ms)
        if window == HOUR:
            # Two raw hours less the hour before them, both read now: exact from the first evaluation, and through a
            # scrape gap or a Prometheus restart of up to an hour. Raw series younger than an hour: the two hours hold all.
            return "clamp_min(sum(%s) - sum(%s), 0) or sum(%s)" % (
                self.sel(count_name(kind, "raw2h")), self.sel(count_name(kind, "raw1h_offset1h")), self.sel(count_name(kind, "raw2h")))
        terms = []
        if hours < 12 or window == SIX_HOURS:
            # Hours: the blocks at every whole-hour offset.
            terms += [self.term(kind, "block1h", j * HOUR.ms) for j in range(hours)]
        else:
            # Longer: the odd hours as blocks, then 6h, 1d and 7d sums, newest first; each sum is built of the level
            # below it only (1d is four 6h sums, 7d seven 1d sums), so a window never reads its own series.
            sizes = [size for size in LEVELS if size < window]
            left, counts_by_size = hours * HOUR.ms, {}
            for size in reversed(sizes):
                counts_by_size[size], left = divmod(left, size.ms)
            offset = 0
            terms += [self.term(kind, "block1h", j * HOUR.ms) for j in range(left // HOUR.ms)]
            offset = left
            for size in sizes:
                for _i in range(counts_by_size[size]):
                    terms.append(self.chunk(kind, size, offset))
                    offset += size.ms
        if rest:
            terms.append("(%s or vector(0))" % self.raw(kind, Duration(rest), Duration(hours * HOUR.ms)))
        return " + ".join(terms)

    def chunk(self, kind: str, size: Duration, offset_ms: int) -> str:
        """A recorded 6h or 1d sum ending `offset_ms` ago. Past ones are the newest reading within the hour before that
        instant: a Prometheus restart there leaves them a few minutes early rather than missing."""
        if not offset_ms:
            return self.term(kind, "increase%s" % size, 0)
        return "(sum(last_over_time(%s[1h] offset %s)) or vector(0))" % (self.sel(count_name(kind, "increase%s" % size)), Duration(offset_ms))

    def _latency_errors(self, window: Duration) -> str:
        return "sum(%s) - sum(increase(%s[%s]))" % (self.sel(count_name(REQUESTS, "increase%s" % window)), self.texts["good"], window)


def _scoped(selector: Selector, team: Team) -> Selector:
    """A team's selector read in its namespace; the platform's own SLOs (cluster components) read where they are."""
    return selector if team.reads_all_namespaces else selector.in_namespace(team.namespace)


_PLACEHOLDERS = {key: "\x00%s\x00" % key for key in ("ident", "total", "errors", "count", "good")}


def _texts(team: Team, service: Service, slo: SLO) -> Dict[str, str]:
    """What differs between SLOs of one shape: the identity matchers and the raw selectors, scoped to the namespace."""
    texts = {"ident": _identity_text(team.namespace, service.name, slo.name, team.name)}
    if slo.latency:
        scoped = _scoped(slo.latency.selector, team)
        texts["count"] = str(Selector(slo.latency.histogram + "_count", scoped.matchers))
        texts["good"] = str(Selector(slo.latency.histogram + "_bucket", scoped.matchers).with_matchers(le_matcher(slo.latency.threshold)))
    else:
        texts["total"] = str(_scoped(slo.total, team))
        texts["errors"] = str(_scoped(slo.errors, team))
    return texts


def _shape(slo: SLO) -> Tuple[Any, ...]:
    return (base_window(slo), tuple(windows(slo)), slo.period, slo.latency is not None)


@functools.lru_cache(maxsize=256)
def _count_templates(shape: Tuple[Any, ...]) -> Tuple[Tuple[str, str, Tuple[str, ...]], ...]:
    """Each template as (record, %-format of its literal text, the texts keys its placeholders take in order)."""
    out = []
    for record, template in _count_expressions(shape):
        parts = template.split("\x00")
        out.append((record, "%s".join(part.replace("%", "%%") for part in parts[0::2]), tuple(parts[1::2])))
    return tuple(out)


def _count_expressions(shape: Tuple[Any, ...]) -> Tuple[Tuple[str, str], ...]:
    """(record, expression with placeholders) of every count of the fast group, in evaluation order, and of the period."""
    base, all_windows, period, latency = shape
    counts = _Counts(base, latency, _PLACEHOLDERS)
    out = []
    if any(w >= HOUR for w in all_windows):
        for kind in (REQUESTS, ERRORS):
            for window, offset, name in RAW_READS:
                out.append((count_name(kind, name), counts.raw(kind, window, offset)))
        for kind in (REQUESTS, ERRORS):
            # The newest hour: two hours read raw less the hour before them, also read raw, so that a scrape gap within
            # those two hours counts here once scraping resumes. The hour before is subtracted only when its own block
            # was recorded an hour ago (the raw2h of that evaluation shows it was); when Prometheus did not evaluate then
            # (down, or the rules just deployed), that block is missing, and this one covers both hours.
            raw2h, before = counts.sel(count_name(kind, "raw2h")), counts.sel(count_name(kind, "raw1h_offset1h"))
            out.append((count_name(kind, "block1h"), "clamp_min(sum(%s) - (sum(%s) and on () sum(%s offset 1h) or vector(0)), 0)" % (
                raw2h, before, raw2h)))
    helpers = _helpers(all_windows)
    for window in sorted(set(all_windows) | set(helpers)):
        if window == base or (window == period and window not in helpers):
            continue  # the base is the rate above; the period is in the budget group
        for kind in (REQUESTS, ERRORS):
            out.append((count_name(kind, "increase%s" % window), counts.window(kind, window)))
    if period != base:
        for kind in (REQUESTS, ERRORS):
            out.append(("period:" + count_name(kind, "increase%s" % period), counts.window(kind, period)))
    return tuple(out)


def _helpers(all_windows: Tuple[Duration, ...]) -> List[Duration]:
    return [size for size in LEVELS if any(w > size and w.ms >= 12 * HOUR.ms for w in all_windows)]


def _count_rules(team: Team, service: Service, slo: SLO, ident: Dict[str, str]) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(the counts of the fast group in evaluation order, the period's counts for the budget group)."""
    texts = _texts(team, service, slo)
    fast, budget = [], []
    for record, text, keys in _count_templates(_shape(slo)):
        expr = text % tuple(texts[key] for key in keys)
        if record.startswith("period:"):
            budget.append({"record": record[len("period:"):], "expr": expr, "labels": dict(ident)})
        else:
            fast.append({"record": record, "expr": expr, "labels": dict(ident)})
    return fast, budget


def _raw_rates(team: Team, service: Service, slo: SLO, window: Duration) -> Tuple[str, str]:
    """(requests, errors) per second at the base window, read from the raw series (the dashboards' SLI)."""
    if slo.latency:
        lat = slo.latency
        scoped = _scoped(lat.selector, team)
        count = Selector(lat.histogram + "_count", scoped.matchers)
        good = Selector(lat.histogram + "_bucket", scoped.matchers).with_matchers(le_matcher(lat.threshold))
        requests = "sum(rate(%s[%s]))" % (count, window)
        # Bad = all (the requests series this group has just recorded) - good. A missing threshold bucket
        # leaves errors absent, so the no-data alert can catch a wrong threshold.
        errors = "sum(%s) - sum(rate(%s[%s]))" % (_sel(record_name("requests_per_second", window), team, service, slo), good, window)
        return requests, errors
    requests = "sum(rate(%s[%s]))" % (_scoped(slo.total, team), window)
    # An error counter that has not been created yet means zero errors, with the SLO's labels; the
    # zero comes from the requests series this group has just recorded, not a second read of the raw series.
    errors = "sum(rate(%s[%s])) or 0 * sum(%s)" % (_scoped(slo.errors, team), window,
                                                   _sel(record_name("requests_per_second", window), team, service, slo))
    return requests, errors


def _ratio_expr(team: Team, service: Service, slo: SLO, window: Duration, base: Duration) -> str:
    if window == base:
        return "%s / %s" % (_sel(record_name("errors_per_second", base), team, service, slo),
                            _sel(record_name("requests_per_second", base), team, service, slo))
    return "%s / %s" % (_sel(count_name(ERRORS, "increase%s" % window), team, service, slo),
                        _sel(count_name(REQUESTS, "increase%s" % window), team, service, slo))


def _percent(value: Fraction) -> str:
    return decimal_str(value) + "%"


def _readable(value: Fraction) -> str:
    """For people: exact when short (14.4), else three decimals (0.233 for 7/30)."""
    text = decimal_str(value)
    if "." in text and len(text.split(".")[1]) > 4:
        return decimal_str(Fraction(round(value * 1000), 1000))
    return text


@functools.lru_cache(maxsize=1024)
def _description(objective: Fraction, period: Duration, tiers: Tuple[Tier, ...]) -> str:
    """The alert's description: the same for every SLO with this objective, period and tiers (built once)."""
    budget = 1 - objective / 100
    tier_text = "; ".join(
        "%s of the budget within %s (%sx)" % (_percent(t.budget_percent), t.long_window, _readable(t.burn_factor(period)))
        for t in tiers
    )
    # printf, not humanize: humanize prints a 0.3x burn (possible on 7d periods) as "300m".
    return ("{{ $labels.service }} burns the {{ $labels.slo }} error budget {{ printf \"%%.2f\" $value }}x faster than "
            "sustainable. Objective %s over %s, error budget %s of events. This alert fires when: %s."
            % (_percent(objective), period, _percent(budget * 100), tier_text))


_IDENT = "\x00"  # stands for an SLO's identity matchers in an expression made once per tier set


@functools.lru_cache(maxsize=1024)
def _alert_expr(tiers: Tuple[Tier, ...], objective: Fraction, period: Duration, base: Duration, min_events: Optional[int]) -> str:
    """An alert's expression with `_IDENT` where the SLO's identity goes: the same for every SLO with these tiers,
    objective and period (most SLOs of a platform share a few), so made once."""
    budget = 1 - objective / 100

    def sel(name: str) -> str:
        return name + _IDENT

    conditions = []
    for tier in tiers:
        limit = decimal_str(tier.burn_factor(period) * budget)
        cond = "%s > %s and %s > %s" % (sel(record_name("error_ratio", tier.long_window)), limit,
                                        sel(record_name("error_ratio", tier.short_window)), limit)
        events_min = tier.min_events or min_events
        if events_min:
            if tier.long_window == base:
                events = "%s * %s" % (sel(record_name("requests_per_second", base)), decimal_str(Fraction(base.ms, 1000)))
            else:
                events = sel(count_name(REQUESTS, "increase%s" % tier.long_window))
            cond += " and %s >= %d" % (events, events_min)
        conditions.append("(%s)" % cond)
    # Dividing by the budget makes the alert's value the burn rate.
    return "(%s) / %s" % (" or ".join(conditions), decimal_str(budget))


def _alert(team: Team, service: Service, slo: SLO, action: str, tiers: List[Tier], base: Duration) -> Dict[str, Any]:
    expr = _alert_expr(tuple(tiers), slo.objective, slo.period, base, slo.min_events).replace(
        _IDENT, _identity_text(team.namespace, service.name, slo.name, team.name))
    settings = slo.alert(action)
    labels = {k: template_literal(v) for k, v in team.labels}
    # The SLO's own labels, then the alert's, never the collection's routing and identity labels (parse_alert_labels).
    labels.update((k, template_literal(v)) for k, v in slo.labels)
    labels.update((k, template_literal(v)) for k, v in settings.labels)
    labels.update(slo_identity(team, service, slo))
    labels["severity"] = SEVERITIES[action]
    what = slo.description or "%s SLO of %s" % (slo.name, service.name)
    annotations = {
        "summary": template_literal("%s is burning its error budget too fast (%s)" % (what, "page" if action == PAGE else "ticket")),
        # printf, not humanize: humanize prints a 0.3x burn (possible on 7d periods) as "300m".
        "description": _description(slo.objective, slo.period, tuple(tiers)),
    }
    runbook = slo.runbook_url or service.runbook_url
    if runbook:
        annotations["runbook_url"] = template_literal(runbook)
    if slo.dashboard_url:
        annotations["dashboard_url"] = template_literal(slo.dashboard_url)
    # Inventory text is literal in Prometheus' templates: a template could query any namespace's series.
    annotations.update((k, template_literal(v)) for k, v in settings.annotations)
    rule = {
        "alert": settings.name or ALERT_NAMES[action],
        "expr": expr,
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
    counted, period_counts = _count_rules(team, service, slo, ident)
    rules += counted
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
        if slo.alert(action).enabled:
            rules.append(_alert(team, service, slo, action, tiers, base))
    if slo.no_data:
        names = [record_name("requests_per_second", base), record_name("errors_per_second", base)]
        labels = {k: template_literal(v) for k, v in team.labels}
        labels.update((k, template_literal(v)) for k, v in slo.labels)
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
        budget_rules += period_counts
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
    # '/' cannot occur in team, service or SLO names, so no two SLOs share a group name, even when teams share a
    # namespace (with '-', service a-b SLO c and service a SLO b-c would both be slo-a-b-c).
    name = group_name(team, service, slo)
    budget_group = {"name": name + "/budget", "rules": budget_rules}
    if settings.budget_interval:
        budget_group["interval"] = str(settings.budget_interval)
    return [{"name": name, "rules": rules}, budget_group]


def group_name(team: Team, service: Service, slo: SLO) -> str:
    return "slo/%s/%s/%s" % (team.name, service.name, slo.name)


def _tier_key(tier: Tier) -> Tuple[Duration, Duration, Fraction, int]:
    return (tier.long_window, tier.short_window, tier.budget_percent, tier.min_events or 0)


def service_groups(team: Team, service: Service, settings: Settings) -> List[Any]:
    """The rule groups of a service's SLOs, by SLO name."""
    groups = []
    for slo in sorted(service.slos, key=lambda s: s.name):
        groups.extend(slo_groups(team, service, slo, settings))
    return groups


def team_groups(team: Team, settings: Settings) -> List[Any]:
    return [group for service in team.services for group in service_groups(team, service, settings)]


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
