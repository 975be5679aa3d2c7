# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sloth's prometheus/v1 specs, as SLOs of the collection's own model (docs/slo.md gives the mapping, field by field)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.reader import describe
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.inventory.spec_common import (
    SpecDocument, balanced, counted_events, parse_query, read_labels, selector_text, split_top)

SLOTH_VERSION = "prometheus/v1"


def _sloth_alert(alerting: Dict[str, Any], action: str, where: SpecDocument, keys: Tuple[Any, ...]) -> Dict[str, Any]:
    key = "page_alert" if action == "page" else "ticket_alert"
    raw = alerting.get(key) or {}
    if not isinstance(raw, dict):
        where.fail("must be a mapping, got %s" % describe(raw), *(keys + (key,)))
        return {}
    labels = dict(raw.get("labels") or {}) if isinstance(raw.get("labels"), dict) else raw.get("labels")
    # Sloth's own examples label pages critical and tickets warning: what the collection routes on, so kept as is.
    ours = "critical" if action == "page" else "warning"
    if isinstance(labels, dict) and labels.get("severity") == ours:
        labels.pop("severity")
    merged = read_labels(alerting.get("labels"), where, *(keys + ("labels",)))
    merged.update(read_labels(labels, where, *(keys + (key, "labels"))))
    annotations = {}
    for source, akeys in ((alerting.get("annotations"), keys + ("annotations",)), (raw.get("annotations"), keys + (key, "annotations"))):
        if source is None:
            continue
        if not isinstance(source, dict):
            where.fail("must be a mapping, got %s" % describe(source), *akeys)
            continue
        annotations.update({str(k): str(v) for k, v in source.items()})
    out: Dict[str, Any] = {"enabled": not bool(raw.get("disable"))}
    if alerting.get("name"):
        out["name"] = alerting["name"]
    if merged:
        out["labels"] = merged
    if annotations:
        out["annotations"] = annotations
    return out


# ---------------------------------------------------------------------------------------------
# Sloth prometheus/v1


def sloth_slos(doc: Dict[str, Any], where: SpecDocument) -> List[Tuple[str, Dict[str, Any], str]]:
    if doc.get("version") != SLOTH_VERSION:
        where.fail("%s is not supported: Sloth specs must be version prometheus/v1 (the Kubernetes CRD form is not read)"
                   % describe(doc.get("version")), "version")
        return []
    known = {"version", "service", "labels", "slos", "slo_plugins"}
    for key in sorted(set(doc) - known, key=str):
        where.fail("is not a field of a Sloth prometheus/v1 spec", key)
    service = doc.get("service")
    if not is_dns_label(service):
        where.fail("must be a service name (a Kubernetes name), got %s" % describe(service), "service")
        return []
    if (doc.get("slo_plugins") or {}).get("chain"):
        where.fail("SLO plugins run Sloth's Go code; the collection has none", "slo_plugins")
    spec_labels = read_labels(doc.get("labels"), where, "labels")
    slos = doc.get("slos")
    if not isinstance(slos, list) or not slos:
        where.fail("must be a non-empty list of SLOs", "slos")
        return []
    out = []
    for i, slo in enumerate(slos):
        keys = ("slos", i)
        before = where.ok
        where.ok = True
        native = _sloth_slo(slo, spec_labels, where, keys)
        if native is not None and where.ok:
            out.append((service, native, where.at(*keys)))
        where.ok = before and where.ok
    return out


def _sloth_slo(slo: Any, spec_labels: Dict[str, str], where: SpecDocument, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    if not isinstance(slo, dict):
        where.fail("must be a mapping, got %s" % describe(slo), *keys)
        return None
    for key in sorted(set(slo) - {"name", "description", "objective", "labels", "sli", "alerting", "plugins"}, key=str):
        where.fail("is not a field of a Sloth SLO", *(keys + (key,)))
    if (slo.get("plugins") or {}).get("chain"):
        where.fail("SLO plugins run Sloth's Go code; the collection has none", *(keys + ("plugins",)))
    native: Dict[str, Any] = {"name": slo.get("name"), "objective": slo.get("objective")}
    if slo.get("description"):
        native["description"] = slo["description"]
    sli = slo.get("sli")
    if not isinstance(sli, dict):
        where.fail("must be a mapping with events or raw", *(keys + ("sli",)))
        return None
    if sli.get("plugin"):
        where.fail("SLI plugins run Sloth's Go code; write the SLI's error and total queries instead", *(keys + ("sli", "plugin")))
        return None
    if sli.get("events"):
        events = sli["events"] if isinstance(sli["events"], dict) else {}
        counted = counted_events(events.get("error_query"), events.get("total_query"), where, *(keys + ("sli", "events")))
    elif sli.get("raw"):
        counted = _raw_ratio(sli["raw"], where, *(keys + ("sli", "raw")))
    else:
        where.fail("needs events (error_query and total_query)", *(keys + ("sli",)))
        return None
    if counted is None:
        return None
    native.update(counted)
    labels = dict(spec_labels)
    labels.update(read_labels(slo.get("labels"), where, *(keys + ("labels",))))
    if labels:
        native["labels"] = labels
    alerting = slo.get("alerting")
    if isinstance(alerting, dict):
        native["alerting"] = {action: _sloth_alert(alerting, action, where, keys + ("alerting",)) for action in ("page", "ticket")}
    elif alerting is not None:
        where.fail("must be a mapping, got %s" % describe(alerting), *(keys + ("alerting",)))
    return native


def _raw_ratio(raw: Any, where: SpecDocument, *keys: Any) -> Optional[Dict[str, Any]]:
    """sli.raw's error_ratio_query is counted only when it is sum(rate(errors)) / sum(rate(total))."""
    query = raw.get("error_ratio_query") if isinstance(raw, dict) else None
    if not isinstance(query, str):
        where.fail("needs error_ratio_query", *keys)
        return None
    body = query.strip()
    while body.startswith("(") and body.endswith(")") and balanced(body[1:-1]):
        body = body[1:-1].strip()
    parts = split_top(body, "/")
    texts = [selector_text(p) for p in parts] if parts else [None]
    if len(texts) != 2 or None in texts:
        where.fail("is a ratio the collection cannot count as events: only sum(rate(<errors>[{{.window}}])) / "
                   "sum(rate(<total>[{{.window}}])) maps to errors and total", *(keys + ("error_ratio_query",)))
        return None
    if parse_query(texts[0], where, *keys) is None or parse_query(texts[1], where, *keys) is None:
        return None
    return {"errors": texts[0], "total": texts[1]}
