# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenSLO v1 specs (Service, SLO, SLI, AlertPolicy, AlertCondition), as SLOs of the collection's own model
(docs/slo.md gives the mapping, field by field)."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher, Selector
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe, to_fraction
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.inventory.slo import build_slo
from ansible_collections.vigil.observability.plugins.module_utils.inventory.specs.common import (
    NOT_SUM_RATE, SpecDocument, parse, read_labels, selector_of)
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import (
    PAGE, SLO, SLOAlert, TICKET, Latency, Settings, Tier)

OPENSLO_VERSION = "openslo/v1"


# ---------------------------------------------------------------------------------------------
# OpenSLO v1


def openslo_slos(doc: Dict[str, Any], where: SpecDocument, siblings: List[Tuple[SpecDocument, Dict[str, Any]]],
                 settings: Settings, team: str = "") -> List[Tuple[str, SLO]]:
    """(service, SLO) of an OpenSLO SLO document (its SLI, AlertPolicies and AlertConditions inline or among `siblings`)."""
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else None
    if spec is None:
        where.fail("must be a mapping", "spec")
        return []
    name = meta.get("name")
    if not is_dns_label(name):
        where.fail("must be an SLO name (a Kubernetes name), got %s" % describe(name), "metadata", "name")
    service = spec.get("service")
    if not is_dns_label(service):
        where.fail("must be a service name (a Kubernetes name), got %s" % describe(service), "spec", "service")
    description = spec.get("description") if isinstance(spec.get("description"), str) else ""
    method = spec.get("budgetingMethod")
    if method is None:
        where.fail("is required: Occurrences, the one method the collection counts (its error budget is a share of events)",
                   "spec", "budgetingMethod")
    elif method != "Occurrences":
        where.fail("%s cannot be counted: the collection's error budget is a share of events (Occurrences)" % describe(method),
                   "spec", "budgetingMethod")
    period = _openslo_window(spec.get("timeWindow"), where, settings)
    tiers, alerting, no_data = None, (), False
    if spec.get("alertPolicies"):
        # Burn rates are shares of the SLO's own window: without one, the team's period would change their meaning.
        own_period = period if spec.get("timeWindow") is not None else None
        tiers, alerting, no_data = _openslo_alerting(spec["alertPolicies"], own_period, where, siblings)
    sli, sli_keys = _openslo_indicator(spec, where, siblings)
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or len(objectives) != 1 or not isinstance(objectives[0], dict):
        where.fail("must hold exactly one objective: write one SLO per objective", "spec", "objectives")
        return []
    objective = objectives[0]
    target = _openslo_target(objective, where)
    counted = _openslo_sli(sli, objective, where, sli_keys) if sli is not None else None
    labels = _openslo_labels(meta.get("labels"), where, team)
    if not where.ok or counted is None:
        return []
    slo = build_slo(where.at("spec"), where.problems, settings, name=name, objective=target, period=period, tiers=tiers,
                    paths={"period": where.at("spec", "timeWindow")}, description=description, labels=tuple(sorted(labels.items())),
                    alerting=alerting, no_data=no_data, **counted)
    return [(service, slo)] if slo is not None else []


def _openslo_window(windows: Any, where: SpecDocument, settings: Settings) -> Optional[Duration]:
    if windows is None:
        return settings.period  # the team's slo_period
    if not isinstance(windows, list) or len(windows) != 1 or not isinstance(windows[0], dict):
        where.fail("must hold exactly one time window", "spec", "timeWindow")
        return None
    window = windows[0]
    if window.get("calendar") or window.get("isRolling") is not True:
        where.fail("calendar windows cannot be expressed: the collection's SLO period is rolling (isRolling: true)", "spec", "timeWindow", 0)
        return None
    try:
        return Duration.parse(str(window.get("duration")))
    except ValueError as exc:
        where.fail("is not a duration: %s" % exc, "spec", "timeWindow", 0, "duration")
        return None


_SEVERITY_ACTIONS = {"page": PAGE, "critical": PAGE, "ticket": TICKET, "warning": TICKET}


def _named(item: Any, kind: str, ref_key: str, siblings, where: SpecDocument, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    """An inline OpenSLO object of `kind`, or the document of this entry its `ref_key` names."""
    if isinstance(item, dict) and item.get(ref_key):
        for _other, doc in siblings:
            if doc.get("kind") == kind and (doc.get("metadata") or {}).get("name") == item[ref_key]:
                return doc
        where.fail("names no %s of this spec entry (%s)" % (kind, describe(item[ref_key])), *(keys + (ref_key,)))
        return None
    if isinstance(item, dict) and item.get("kind") == kind:
        return item
    where.fail("must be an inline %s or a %s" % (kind, ref_key), *keys)
    return None


def _openslo_alerting(policies: Any, period: Optional[Duration], where: SpecDocument,
                      siblings) -> Tuple[Optional[Tuple[Tier, ...]], Tuple[SLOAlert, ...], bool]:
    """AlertPolicies of burn-rate AlertConditions, as native tiers (single-window: short = long), the alerts' names and
    whether to alert on no data.

    A condition (severity, threshold burn rate, lookbackWindow, alertAfter) is a tier: page for a page or critical
    severity, ticket for ticket or warning; its budget share is threshold x lookbackWindow / period.
    """
    if not isinstance(policies, list):
        where.fail("must be a list", "spec", "alertPolicies")
        return None, (), False
    if period is None:
        where.fail("alert policies need the SLO's rolling timeWindow (their burn rates are shares of it)", "spec", "alertPolicies")
        return None, (), False
    tiers: List[Tier] = []
    first_for: Dict[str, Tuple[Tuple[Any, ...], Optional[Duration]]] = {}
    names: Dict[str, str] = {}
    no_data = False
    for i, item in enumerate(policies):
        keys = ("spec", "alertPolicies", i)
        policy = _named(item, "AlertPolicy", "alertPolicyRef", siblings, where, keys)
        if policy is None:
            continue
        pspec = policy.get("spec") if isinstance(policy.get("spec"), dict) else {}
        if pspec.get("notificationTargets"):
            where.fail("notification targets cannot be expressed: the team's alerting receivers and routes say where alerts go",
                       *(keys + ("spec", "notificationTargets")))
        if pspec.get("alertWhenBreaching") is False:
            where.fail("alertWhenBreaching false cannot be expressed: the tiers alert when the budget burns", *(keys + ("spec", "alertWhenBreaching")))
        no_data = no_data or pspec.get("alertWhenNoData") is True
        name = (policy.get("metadata") or {}).get("name")
        conditions = pspec.get("conditions")
        if not isinstance(conditions, list) or not conditions:
            where.fail("needs conditions", *(keys + ("spec", "conditions")))
            continue
        for j, entry in enumerate(conditions):
            ckeys = keys + ("spec", "conditions", j)
            condition = _named(entry, "AlertCondition", "conditionRef", siblings, where, ckeys)
            if condition is None:
                continue
            tier = _openslo_tier(condition, period, where, ckeys)
            if tier is None:
                continue
            # The tiers of one action make one alert rule: two alertAfter values would make two rules with the same labels.
            first = first_for.setdefault(tier.action, (ckeys, tier.for_))
            if first[1] != tier.for_:
                where.fail("must be the same for every %s condition (%s has %s), got %s" % (
                    tier.action, where.at(*first[0]), first[1] or "none", tier.for_ or "none"),
                    *(ckeys + ("spec", "condition", "alertAfter")))
                continue
            tiers.append(tier)
            if isinstance(name, str) and name:
                if names.setdefault(tier.action, name) != name:
                    message = "names the %s alert %s, another policy %s: one name per action" % (
                        tier.action, describe(name), describe(names[tier.action]))
                    where.fail(message, *keys)
    if not tiers:
        return None, (), no_data
    alerting = tuple(SLOAlert(action, _alert_name(names[action]) if action in names else "",
                              enabled=any(t.action == action for t in tiers)) for action in (PAGE, TICKET)
                     if action in names or not any(t.action == action for t in tiers))
    return tuple(tiers), alerting, no_data


def _alert_name(name: str) -> str:
    """An OpenSLO policy name as an alert name: its words joined, each capitalized (fast-burn -> FastBurn)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part) or name


def _openslo_tier(condition: Dict[str, Any], period: Duration, where: SpecDocument, keys: Tuple[Any, ...]) -> Optional[Tier]:
    cspec = condition.get("spec") if isinstance(condition.get("spec"), dict) else {}
    severity = str(cspec.get("severity", "")).lower()
    action = _SEVERITY_ACTIONS.get(severity)
    if action is None:
        where.fail("severity %s cannot be routed: page or critical pages, ticket or warning tickets" % describe(cspec.get("severity")),
                   *(keys + ("spec", "severity")))
        return None
    rule = cspec.get("condition") if isinstance(cspec.get("condition"), dict) else {}
    if rule.get("kind") != "burnrate":
        where.fail("only burnrate conditions map to the tiers, got %s" % describe(rule.get("kind")), *(keys + ("spec", "condition", "kind")))
        return None
    if rule.get("op", "gte") not in ("gt", "gte"):
        where.fail("a burn-rate tier fires above its threshold: op must be gt or gte, got %s" % describe(rule.get("op")),
                   *(keys + ("spec", "condition", "op")))
        return None
    try:
        threshold = to_fraction(rule.get("threshold"))
        window = Duration.parse(str(rule.get("lookbackWindow")))
        after = Duration.parse(str(rule["alertAfter"])) if rule.get("alertAfter") else None
    except (OverflowError, ValueError):
        threshold = None
    if threshold is None:
        where.fail("needs a numeric threshold, a lookbackWindow duration and an alertAfter duration if any", *(keys + ("spec", "condition")))
        return None
    share = threshold * Fraction(window.ms, period.ms) * 100
    if not 0 < share <= 100:
        where.fail("burn rate %s over %s spends %s%% of the %s budget: it must spend more than 0 and at most 100" % (
            _number(threshold), window, _number(share), period), *(keys + ("spec", "condition", "threshold")))
        return None
    if window > period:
        where.fail("must not be longer than the SLO's timeWindow (%s), got %s" % (period, window), *(keys + ("spec", "condition", "lookbackWindow")))
        return None
    return Tier(action, share, window, window, after)


def _number(value: Fraction) -> str:
    """An exact number as a user wrote it: 14.4, 2, 0.1 (to 6 decimals when it does not end)."""
    text = ("%.6f" % value).rstrip("0").rstrip(".") if value.denominator != 1 else str(value.numerator)
    return text


def _openslo_target(objective: Dict[str, Any], where: SpecDocument) -> Optional[Fraction]:
    """The objective in percent, as the native model holds it (target is a share, targetPercent a percentage)."""
    keys = ("spec", "objectives", 0)
    problems_before = len(where.problems)
    r = Reader(objective, where.at(*keys), where.problems)
    if "target" in objective and "targetPercent" not in objective:
        value = r.decimal("target", low=0, high=1)
        percent = value * 100 if value is not None else None
    elif "targetPercent" in objective and "target" not in objective:
        percent = r.decimal("targetPercent", low=0, high=100)
    else:
        where.fail("needs exactly one of target and targetPercent", *keys)
        return None
    if len(where.problems) != problems_before:
        where.ok = False
    return percent


def _openslo_indicator(spec: Dict[str, Any], where: SpecDocument, siblings) -> Tuple[Optional[Dict[str, Any]], Tuple[Any, ...]]:
    if isinstance(spec.get("indicator"), dict):
        return spec["indicator"].get("spec"), ("spec", "indicator", "spec")
    ref = spec.get("indicatorRef")
    if ref:
        for other, doc in siblings:
            if doc.get("kind") == "SLI" and (doc.get("metadata") or {}).get("name") == ref:
                return doc.get("spec"), ("spec",) if other is where else ("spec", "indicatorRef")
        where.fail("names no SLI of this spec entry (%s)" % describe(ref), "spec", "indicatorRef")
        return None, ()
    where.fail("needs an indicator or an indicatorRef", "spec")
    return None, ()


def _query(metric: Any, where: SpecDocument, *keys: Any) -> Optional[str]:
    source = metric.get("metricSource") if isinstance(metric, dict) else None
    if not isinstance(source, dict):
        where.fail("needs a metricSource", *keys)
        return None
    kind = str(source.get("type") or "Prometheus")
    if kind.lower() != "prometheus":
        where.fail("%s is not Prometheus: the collection writes Prometheus rules" % describe(source.get("type")), *(keys + ("metricSource", "type")))
        return None
    query = (source.get("spec") or {}).get("query") if isinstance(source.get("spec"), dict) else None
    if not isinstance(query, str):
        where.fail("needs spec.query", *(keys + ("metricSource",)))
        return None
    return query.strip()


def _counter(query: str, where: SpecDocument, *keys: Any) -> Optional[Selector]:
    """The counter selector of an OpenSLO query: a bare selector, or a sum of its rates."""
    tree = parse(query, where, *keys)
    selector = selector_of(tree, where, *keys, bare=True) if tree is not None else None
    if tree is not None and selector is None and where.ok:
        where.fail(NOT_SUM_RATE % "or a counter selector", *keys)
    return selector


def _openslo_sli(sli: Any, objective: Dict[str, Any], where: SpecDocument, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    if not isinstance(sli, dict):
        where.fail("must be a mapping", *keys)
        return None
    if isinstance(sli.get("ratioMetric"), dict):
        return _openslo_ratio(sli["ratioMetric"], where, keys + ("ratioMetric",))
    if isinstance(sli.get("thresholdMetric"), dict):
        return _openslo_threshold(sli["thresholdMetric"], objective, where, keys + ("thresholdMetric",))
    where.fail("needs ratioMetric or thresholdMetric", *keys)
    return None


def _openslo_ratio(ratio: Dict[str, Any], where: SpecDocument, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    if "raw" in ratio:
        where.fail("a precomputed ratio cannot be counted as events: give bad (or good) and total", *(keys + ("raw",)))
        return None
    if ratio.get("counter") is False:
        where.fail("a gauge cannot be counted as events: the collection needs counters (counter: true)", *(keys + ("counter",)))
        return None
    total_query = _query(ratio.get("total"), where, *(keys + ("total",)))
    if total_query is None:
        return None
    total = _counter(total_query, where, *(keys + ("total",)))
    if "bad" in ratio and "good" not in ratio:
        bad_query = _query(ratio.get("bad"), where, *(keys + ("bad",)))
        if bad_query is None:
            return None
        bad = _counter(bad_query, where, *(keys + ("bad",)))
        return {"errors": bad, "total": total} if bad is not None and total is not None else None
    if "good" in ratio and "bad" not in ratio:
        good_query = _query(ratio.get("good"), where, *(keys + ("good",)))
        if good_query is None:
            return None
        good = _counter(good_query, where, *(keys + ("good",)))
        if good is None or total is None:
            return None
        return _complement(good, total, where, keys + ("good",))
    where.fail("needs exactly one of good and bad, with total", *keys)
    return None


_NEGATE = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}


def _complement(good: Selector, total: Selector, where: SpecDocument, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    """Bad events = total events that are not good: exact when good is total plus one matcher, which is negated."""
    good_set = {(m.name, m.op, m.value) for m in good.matchers}
    total_set = {(m.name, m.op, m.value) for m in total.matchers}
    extra = good_set - total_set
    if good.metric != total.metric or not total_set <= good_set or len(extra) != 1:
        where.fail("good must be total's selector with one more matcher, which the collection negates to count bad events "
                   "(total minus good is not one selector otherwise): give bad instead", *keys)
        return None
    name, op, value = extra.pop()
    return {"errors": Selector(total.metric, tuple(total.matchers) + (Matcher(name, _NEGATE[op], value),)), "total": total}


def _openslo_threshold(metric: Dict[str, Any], objective: Dict[str, Any], where: SpecDocument, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    query = _query(metric, where, *keys)
    if query is None:
        return None
    tree = parse(query, where, *keys)
    parsed = selector_of(tree, where, *keys, bare=True) if tree is not None else None
    if parsed is None:
        if tree is not None and where.ok:
            where.fail(NOT_SUM_RATE % "or a histogram's bucket selector", *keys)
        return None
    if not parsed.metric.endswith("_bucket") or any(m.name == "le" for m in parsed.matchers):
        where.fail("a threshold on a query's value is a Timeslices SLI: only a histogram's buckets (<name>_bucket{...}, no le) count "
                   "the events under a threshold", *keys)
        return None
    op, value = objective.get("op"), objective.get("value")
    if op not in ("lte", "lt") or isinstance(value, bool) or not isinstance(value, (int, float)):
        where.fail("a latency objective needs op lte (or lt) and a numeric value: the events at or under a bucket bound are good",
                   "spec", "objectives", 0)
        return None
    histogram = parsed.metric[:-len("_bucket")]
    threshold = to_fraction(value)
    if threshold is None or threshold < 0:
        where.fail("a latency objective's value must be a number of seconds, at least 0", "spec", "objectives", 0, "value")
        return None
    return {"latency": Latency(histogram, threshold, Selector(histogram, parsed.matchers))}


def _openslo_labels(raw: Any, where: SpecDocument, team: str = "") -> Dict[str, str]:
    """OpenSLO labels: a value or a list of values per key; a list of more than one cannot be one Prometheus label."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        where.fail("must be a mapping, got %s" % describe(raw), "metadata", "labels")
        return {}
    flat = {}
    for key, value in raw.items():
        if isinstance(value, list):
            if len(value) != 1:
                where.fail("holds %d values: a Prometheus label holds one" % len(value), "metadata", "labels", key)
                continue
            value = value[0]
        flat[key] = value
    return read_labels(flat, where, "metadata", "labels", team=team)
