# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service's SLOs: objective, period, the good and bad events (ratio or latency), burn-rate tiers and their alerts.

Output is inventory/types' SLO and Tier; every problem at its inventory path."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import re
from fractions import Fraction
from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import SelectorError, parse_selector
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import RESERVED_ALERT_LABELS
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import (
    _LABEL_NAME,
    Latency,
    PAGE,
    Settings,
    SLO,
    SLOAlert,
    TICKET,
    Tier,
)


def parse_tiers(items: Sequence[Tuple[str, Any]], problems: Problems, period: Optional[Duration] = None) -> Tuple[Tier, ...]:
    """Parse a list of tier mappings (global or per SLO)."""
    tiers, first_for = [], {}
    for path, raw in items:
        r = Reader(raw, path, problems)
        action = r.string("action", required=True, choices=(PAGE, TICKET))
        # The share of the budget spent within long_window, or the burn rate itself (Sloth's and OpenSLO's terms).
        by_rate = r.has("burn_rate") and not r.has("budget_percent")
        budget = None if by_rate else r.decimal("budget_percent", required=True, low=0, high=100, high_open=False)
        rate = r.decimal("burn_rate", low=0) if r.has("burn_rate") else None
        if r.has("burn_rate") and r.has("budget_percent"):
            problems.add(path, "set budget_percent or burn_rate, not both")
        long_window = r.duration("long_window", required=True)
        short_window = r.duration("short_window", required=True)
        for_ = r.duration("for")
        min_events = r.integer("min_events", minimum=1)
        r.done()
        bad = False
        if by_rate and rate is not None and long_window and period:
            budget = rate * Fraction(long_window.ms, period.ms) * 100
            if budget > 100:
                problems.add(join_path(path, "burn_rate"), "spends %s%% of the budget within %s: at most 100%%" % (float(budget), long_window))
                bad = True
        elif by_rate and rate is not None and long_window and not period:
            problems.add(join_path(path, "burn_rate"), "needs the SLO's period: set it on an SLO's tiers, or use budget_percent")
            bad = True
        # short_window equal to long_window makes a single-window tier (an OpenSLO burn-rate condition).
        if long_window and short_window and short_window > long_window:
            problems.add(join_path(path, "short_window"), "must not be longer than long_window (%s), got %s" % (long_window, short_window))
            bad = True
        if period and long_window and long_window > period:
            problems.add(join_path(path, "long_window"), "must not be longer than the SLO period (%s), got %s" % (period, long_window))
            bad = True
        if bad or None in (action, budget, long_window, short_window):
            continue
        # The tiers of one action make one alert rule: two `for` values would make two rules with the same labels.
        first = first_for.setdefault(action, (path, for_))
        if first[1] != for_:
            problems.add(join_path(path, "for"), "must be the same for every %s tier (%s has %s), got %s" % (
                action, first[0], first[1] or "none", for_ or "none"))
            continue
        tiers.append(Tier(action, budget, long_window, short_window, for_, min_events))
    return tuple(tiers)


def _parse_latency(raw, path, problems):
    r = Reader(raw, path, problems)
    histogram = r.string("histogram", required=True, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z", what="a metric name")
    threshold = r.decimal("threshold", required=True, low=0)
    text = r.raw("selector")
    braces = bool(histogram) and isinstance(text, str) and text.strip().startswith("{")
    if braces:
        # Read with the histogram's name, which the rules add: negative matchers alone (`{verb!="WATCH"}`) then select.
        selector = _histogram_matchers(histogram, text, r.sub("selector"), problems)
    else:
        selector = r.selector("selector", required=True)
    r.done()
    if selector is not None and selector.metric and not braces:
        problems.add(join_path(path, "selector"), "must hold only label matchers such as '{job=\"api\"}'; the metric is `histogram`")
        return None
    if histogram and histogram.endswith(("_bucket", "_count", "_sum")):
        problems.add(join_path(path, "histogram"), "must be the histogram's base name without _bucket, _count or _sum, got %s" % describe(histogram))
        return None
    for matcher in selector.matchers if selector else ():
        if matcher.name == "le":
            problems.add(join_path(path, "selector"), "must not match on `le`; it is set from `threshold`")
            return None
    if None in (histogram, threshold, selector):
        return None
    return Latency(histogram, threshold, selector)


def _histogram_matchers(histogram: str, text: str, path: str, problems: Problems) -> Any:
    try:
        parsed = parse_selector(histogram + text.strip())
    except SelectorError as exc:
        problems.add(path, "is not a PromQL selector: %s" % exc)
        return None
    if not parsed.matchers:
        problems.add(path, "is not a PromQL selector: empty selector")
        return None
    if any(m.name == "__name__" for m in parsed.matchers):
        problems.add(path, "must hold only label matchers such as '{job=\"api\"}'; the metric is `histogram`")
        return None
    return parsed


def parse_slo(raw: Any, path: str, problems: Problems, settings: Settings) -> Optional[SLO]:
    r = Reader(raw, path, problems)
    name = r.name("name", required=True)
    objective = r.decimal("objective", required=True, low=0, high=100)
    period = r.duration("period", default=settings.period)
    errors = r.selector("errors")
    total = r.selector("total")
    latency_raw = r.raw("latency")  # read even when absent, so `latency` is listed among the known keys
    latency = _parse_latency(latency_raw, r.sub("latency"), problems) if r.has("latency") else None
    tier_items = r.items("tiers")
    min_events = r.integer("min_events", minimum=1)
    no_data_raw = r.raw("no_data", False)
    description = r.string("description", default="")
    runbook_url = r.string("runbook_url", default="")
    dashboard_url = r.string("dashboard_url", default="")
    labels = parse_alert_labels(r.raw("labels"), r.sub("labels"), problems) if r.has("labels") else ()
    alerting = _parse_slo_alerting(r.raw("alerting"), r.sub("alerting"), problems) if r.has("alerting") else ()
    r.done()

    no_data, no_data_for = False, None
    if isinstance(no_data_raw, bool):
        no_data = no_data_raw
    elif isinstance(no_data_raw, dict):
        nd = Reader(no_data_raw, r.sub("no_data"), problems)
        no_data = nd.boolean("enabled", default=True)
        no_data_for = nd.duration("for")
        nd.done()
    else:
        problems.add(r.sub("no_data"), "must be true, false or a mapping with enabled and for, got %s" % describe(no_data_raw))

    if not r.ok:
        pass  # already reported: the SLO is not a mapping
    elif r.has("latency") and (errors or total or r.has("errors") or r.has("total")):
        problems.add(path, "set either errors and total (a ratio SLO) or latency, not both")
    elif not r.has("latency") and (r.has("errors") != r.has("total") or not r.has("errors")):
        problems.add(path, "a ratio SLO needs both errors and total (counters of bad and of all events); a latency SLO needs latency")
    tiers = parse_tiers(tier_items, problems, period) if tier_items else None
    return build_slo(path, problems, settings, name=name, objective=objective, period=period, errors=errors, total=total,
                     latency=latency, tiers=tiers, min_events=min_events, no_data=no_data, no_data_for=no_data_for,
                     description=description, runbook_url=runbook_url, dashboard_url=dashboard_url, labels=labels,
                     alerting=alerting)


def build_slo(path: str, problems: Problems, settings: Settings, name: Optional[str], objective: Optional[Fraction],
              period: Optional[Duration], errors: Any = None, total: Any = None, latency: Optional[Latency] = None,
              tiers: Optional[Tuple[Tier, ...]] = None, paths: Optional[Dict[str, str]] = None, **rest: Any) -> Optional[SLO]:
    """The SLO of parts already read and typed (by parse_slo, or a spec importer from its own fields): the checks
    across fields every source needs, then the SLO, or None when a part is missing. `paths` says where `errors`,
    `total` and `period` are when not at `<path>.<field>`; `tiers` None takes the team's tiers; `rest` the SLO's other
    fields (min_events, no_data, labels, alerting...)."""
    where = dict({key: join_path(path, key) for key in ("errors", "total", "period")}, **(paths or {}))
    for key, selector in (("errors", errors), ("total", total)):
        if selector is not None and not selector.metric:
            problems.add(where[key], "must name the counter, as in http_requests_total{job=\"api\"}")
    if tiers is None:
        tiers = settings.tiers
        for tier in tiers if period else ():
            if tier.long_window > period:
                problems.add(where["period"], "is shorter than the %s tier's long window %s; set tiers for this SLO" % (tier.action, tier.long_window))
                break
    if None in (name, objective, period):
        return None
    return SLO(name=name, objective=objective, period=period, errors=errors, total=total, latency=latency, tiers=tiers,
               path=path, **rest)


_ALERT_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"


def parse_alert_labels(raw: Any, path: str, problems: Problems) -> tuple:
    """An SLO's extra alert labels: valid label names and string values, none of the collection's own."""
    if not isinstance(raw, dict):
        problems.add(path, "must be a mapping of label names to values, got %s" % describe(raw))
        return ()
    out = []
    for key, value in sorted(raw.items(), key=lambda kv: str(kv[0])):
        where = join_path(path, str(key))
        if not isinstance(key, str) or not re.match(_LABEL_NAME, key):
            problems.add(where, "is not a Prometheus label name")
        elif key in RESERVED_ALERT_LABELS or key.startswith("__"):
            problems.add(where, "is set by the collection (routing and identity: %s); use another label" % ", ".join(RESERVED_ALERT_LABELS))
        elif not isinstance(value, str):
            problems.add(where, "must be a string, got %s" % describe(value))
        else:
            out.append((key, value))
    return tuple(out)


def _parse_slo_alerting(raw: Any, path: str, problems: Problems) -> tuple:
    """alerting: {page: {...}, ticket: {...}}, each with name, labels, annotations and enabled."""
    r = Reader(raw, path, problems)
    out = []
    for action in (PAGE, TICKET):
        if not r.has(action):
            continue
        a = Reader(r.raw(action), r.sub(action), problems)
        name = a.string("name", default="", pattern=_ALERT_NAME, what="an alert name (letters, digits, '_' and ':')")
        labels = parse_alert_labels(a.raw("labels"), a.sub("labels"), problems) if a.has("labels") else ()
        annotations = ()
        if a.has("annotations"):
            raw_annotations = a.raw("annotations")
            if not isinstance(raw_annotations, dict):
                problems.add(a.sub("annotations"), "must be a mapping, got %s" % describe(raw_annotations))
            else:
                pairs = []
                for key, value in sorted(raw_annotations.items(), key=lambda kv: str(kv[0])):
                    if not isinstance(key, str) or not re.match(_LABEL_NAME, key):
                        problems.add(join_path(a.sub("annotations"), str(key)), "is not an annotation name")
                    elif not isinstance(value, str):
                        problems.add(join_path(a.sub("annotations"), key), "must be a string, got %s" % describe(value))
                    else:
                        pairs.append((key, value))
                annotations = tuple(pairs)
        enabled = a.boolean("enabled", default=True)
        a.done()
        out.append(SLOAlert(action, name or "", labels, annotations, bool(enabled)))
    r.done()
    return tuple(out)
