# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pyrra's ServiceLevelObjective (`pyrra.dev/v1alpha1`), as an SLO of the collection's own model (docs/slo.md gives
the mapping, field by field).

A Pyrra SLO stands alone: it becomes service `<metadata.name>` with one SLO named after its indicator (`errors` for a
ratio, `latency` for a latency). What the model cannot count exactly is refused at its field: `grouping` (one SLO per
label value), native histograms, a boolean gauge (its samples are not events the rules can count with counters).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Selector
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.inventory.slo import build_slo
from ansible_collections.vigil.observability.plugins.module_utils.inventory.specs.common import (
    SpecDocument, bucket_at_threshold, parse, read_labels, selector_of)
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import PAGE, SLO, SLOAlert, TICKET, Latency, Settings

PYRRA = ("pyrra.dev/v1alpha1", "ServiceLevelObjective")
# Labels of the object that Pyrra puts on its rules (without the prefix); its other labels select the object.
LABEL_PREFIX = "pyrra.dev/"
_SPEC_KEYS = ("target", "window", "description", "indicator", "alerting", "ruleOutput", "partial_response_strategy",
              "performanceOverAccuracy")
# Pyrra's four burn-rate tiers, by the action of the collection's tier each is (the same SRE workbook tiers).
_SEVERITY_KEYS = {PAGE: ("fastBurn", "mediumBurn"), TICKET: ("slowBurn", "longTermBurn")}
_OURS = {PAGE: "critical", TICKET: "warning"}


def pyrra_slos(doc: Dict[str, Any], where: SpecDocument, settings: Settings, team: str = "") -> List[Tuple[str, SLO]]:
    """(service, SLO) of a Pyrra ServiceLevelObjective."""
    if doc.get("kind") != PYRRA[1]:
        where.fail("%s is not a kind of %s the collection reads: %s" % (describe(doc.get("kind")), PYRRA[0], PYRRA[1]), "kind")
        return []
    for key in sorted(set(doc) - {"apiVersion", "kind", "metadata", "spec"}, key=str):
        where.fail("is not a field of a %s" % PYRRA[1], key)
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    name = meta.get("name")
    if not is_dns_label(name):
        where.fail("must be the SLO's name, a Kubernetes name (it becomes the service's), got %s" % describe(name), "metadata", "name")
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        where.fail("must be a mapping with target, window and indicator, got %s" % describe(spec), "spec")
        return []
    for key in sorted(set(spec) - set(_SPEC_KEYS), key=str):
        where.fail("is not a field of a %s spec" % PYRRA[1], "spec", key)
    for key in ("ruleOutput", "partial_response_strategy", "performanceOverAccuracy"):
        if key in spec:
            where.problems.warn(where.at("spec", key), "is not used: it shapes Pyrra's own rule objects, and the collection writes its own")
    path = where.at("spec")
    problems_before = len(where.problems)
    r = Reader(spec, path, where.problems)
    objective = r.decimal("target", required=True, low=0, high=100)
    period = r.duration("window", required=True)
    description = r.string("description", default="")
    counted, kind = _indicator(spec.get("indicator"), where)
    labels = read_labels({k[len(LABEL_PREFIX):]: v for k, v in (meta.get("labels") or {}).items()
                          if isinstance(k, str) and k.startswith(LABEL_PREFIX)} if isinstance(meta.get("labels"), dict) else None,
                         where, "metadata", "labels", team=team)
    alerting, no_data = _alerting(spec.get("alerting"), where, team)
    if counted is None or len(where.problems) != problems_before or not is_dns_label(name):
        return []
    slo = build_slo(path, where.problems, settings, name=kind, objective=objective, period=period,
                    paths={"period": where.at("spec", "window")}, description=description,
                    labels=tuple(sorted(labels.items())), alerting=alerting, no_data=no_data, **counted)
    return [(name, slo)] if slo is not None else []


def _indicator(raw: Any, where: SpecDocument) -> Tuple[Optional[Dict[str, Any]], str]:
    keys = ("spec", "indicator")
    if not isinstance(raw, dict) or len(raw) != 1:
        where.fail("must hold exactly one of ratio, latency, latencyNative and bool_gauge", *keys)
        return None, ""
    [(kind, body)] = raw.items()
    keys += (kind,)
    if kind == "latencyNative":
        where.fail("native histograms cannot be counted by the collection's latency SLO, which reads a classic histogram's buckets "
                   "(<name>_bucket{le=...} and <name>_count): use latency", *keys)
        return None, ""
    if kind == "bool_gauge":
        where.fail("a boolean gauge's samples are not events the collection's rules can count (they count with counters, over "
                   "windows): export a counter of checks and of failed checks and use ratio", *keys)
        return None, ""
    if kind not in ("ratio", "latency"):
        where.fail("is not an indicator of %s %s (ratio, latency, latencyNative, bool_gauge)" % PYRRA, *keys)
        return None, ""
    if not isinstance(body, dict):
        where.fail("must be a mapping, got %s" % describe(body), *keys)
        return None, ""
    if body.get("grouping"):
        where.fail("makes one SLO per value of %s; the collection's SLO is one ratio over all of them: write one SLO per value "
                   "(a matcher each), or leave grouping out" % ", ".join(str(g) for g in body["grouping"]), *(keys + ("grouping",)))
        return None, ""
    names = ("errors", "total") if kind == "ratio" else ("success", "total")
    for key in sorted(set(body) - set(names) - {"grouping"}, key=str):
        where.fail("is not a field of a %s indicator" % kind, *(keys + (key,)))
    selectors = [_metric(body.get(name), where, keys + (name,)) for name in names]
    if None in selectors:
        return None, ""
    if kind == "ratio":
        return {"errors": selectors[0], "total": selectors[1]}, "errors"
    return _latency(selectors[0], selectors[1], where, keys), "latency"


def _metric(raw: Any, where: SpecDocument, keys: Tuple[Any, ...]) -> Optional[Selector]:
    metric = raw.get("metric") if isinstance(raw, dict) else None
    if not isinstance(metric, str):
        where.fail("needs metric, a counter's selector", *keys)
        return None
    tree = parse(metric, where, *(keys + ("metric",)))
    selector = selector_of(tree, where, *(keys + ("metric",)), bare=True) if tree is not None else None
    if tree is not None and selector is None and where.ok:
        where.fail("must be a selector (Pyrra adds the rate itself), got %s" % describe(metric), *(keys + ("metric",)))
    return selector


def _latency(success: Selector, total: Selector, where: SpecDocument, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    """success h_bucket{m, le="T"} over total h_count{m}: the latency SLO of histogram h at threshold T."""
    read = bucket_at_threshold(success)
    if read is None:
        where.fail("must be a histogram's bucket at the threshold, <name>_bucket{...,le=\"<seconds>\"}, a number of seconds",
                   *(keys + ("success", "metric")))
        return None
    histogram, threshold, rest = read
    if total.metric != histogram + "_count" or frozenset(total.matchers) != rest:
        where.fail("must be %s_count with the success metric's matchers but le" % histogram, *(keys + ("total", "metric")))
        return None
    return {"latency": Latency(histogram, threshold, Selector(histogram, tuple(sorted(rest))))}


def _alerting(raw: Any, where: SpecDocument, team: str) -> Tuple[Tuple[SLOAlert, ...], bool]:
    """The page and ticket alerts, and whether the SLO alerts on missing series (Pyrra's `absent`, on by default)."""
    if raw is None:
        return (), True
    keys = ("spec", "alerting")
    r = Reader(raw, where.at(*keys), where.problems)
    disabled = r.boolean("disabled", default=False)
    burnrates = r.boolean("burnrates", default=True)
    absent = r.boolean("absent", default=True)
    name = r.string("name", default="", pattern=r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z", what="an alert name")
    r.raw("absentName")
    severities = r.mapping("severities")
    r.done()
    if r.has("absentName"):
        where.problems.warn(where.at(*(keys + ("absentName",))), "is not used: the collection names its no-data alert itself")
    enabled = not disabled and burnrates
    alerts = []
    for action in (PAGE, TICKET):
        labels = {}
        values = {severities[k] for k in _SEVERITY_KEYS[action] if k in severities}
        if len(values) > 1:
            where.fail("%s hold %s: the collection makes one %s alert of those tiers, with one severity" % (
                " and ".join(_SEVERITY_KEYS[action]), " and ".join(sorted(map(str, values))), action), *(keys + ("severities",)))
        elif values:
            labels = read_labels({"severity": values.pop()}, where, *(keys + ("severities", _SEVERITY_KEYS[action][0])), team=team,
                                 severity=_OURS[action], kept_as="pyrra_severity")
        alerts.append(SLOAlert(action, name or "", tuple(sorted(labels.items())), (), enabled))
    return tuple(alerts), bool(absent and not disabled)
