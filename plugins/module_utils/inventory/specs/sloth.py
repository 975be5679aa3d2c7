# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sloth's prometheus/v1 specs, as SLOs of the collection's own model (docs/slo.md gives the mapping, field by field)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.inventory.slo import build_slo
from ansible_collections.vigil.observability.plugins.module_utils.inventory.specs.common import (
    SpecDocument, counted_events, ratio_events, read_labels)
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import PAGE, SLO, SLOAlert, TICKET, Settings

SLOTH_VERSION = "prometheus/v1"
_ALERT_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_ANNOTATION_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


def sloth_slos(doc: Dict[str, Any], where: SpecDocument, settings: Settings) -> List[Tuple[str, SLO]]:
    """(service, SLO) of every SLO of a Sloth prometheus/v1 document."""
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
        before = where.ok
        where.ok = True
        native = _sloth_slo(slo, spec_labels, where, ("slos", i), settings)
        if native is not None and where.ok:
            out.append((service, native))
        where.ok = before and where.ok
    return out


def _sloth_slo(slo: Any, spec_labels: Dict[str, str], where: SpecDocument, keys: Tuple[Any, ...], settings: Settings) -> Optional[SLO]:
    if not isinstance(slo, dict):
        where.fail("must be a mapping, got %s" % describe(slo), *keys)
        return None
    for key in sorted(set(slo) - {"name", "description", "objective", "labels", "sli", "alerting", "plugins"}, key=str):
        where.fail("is not a field of a Sloth SLO", *(keys + (key,)))
    if (slo.get("plugins") or {}).get("chain"):
        where.fail("SLO plugins run Sloth's Go code; the collection has none", *(keys + ("plugins",)))
    path = where.at(*keys)
    problems_before = len(where.problems)
    r = Reader(slo, path, where.problems)  # the spec's own fields, read as the native ones are, at their place in the spec
    name = r.name("name", required=True)
    objective = r.decimal("objective", required=True, low=0, high=100)
    description = r.string("description", default="")
    sli = slo.get("sli")
    counted = None
    if not isinstance(sli, dict):
        where.fail("must be a mapping with events or raw", *(keys + ("sli",)))
    elif sli.get("plugin"):
        where.fail("SLI plugins run Sloth's Go code; write the SLI's error and total queries instead", *(keys + ("sli", "plugin")))
    elif sli.get("events"):
        events = sli["events"] if isinstance(sli["events"], dict) else {}
        counted = counted_events(events.get("error_query"), events.get("total_query"), where, *(keys + ("sli", "events")))
    elif sli.get("raw"):
        query = sli["raw"].get("error_ratio_query") if isinstance(sli["raw"], dict) else None
        if not isinstance(query, str):
            where.fail("needs error_ratio_query", *(keys + ("sli", "raw")))
        else:
            counted = ratio_events(query, where, *(keys + ("sli", "raw", "error_ratio_query")))
    else:
        where.fail("needs events (error_query and total_query)", *(keys + ("sli",)))
    labels = dict(spec_labels)
    labels.update(read_labels(slo.get("labels"), where, *(keys + ("labels",))))
    alerting: Tuple[SLOAlert, ...] = ()
    if isinstance(slo.get("alerting"), dict):
        alerting = tuple(_sloth_alert(slo["alerting"], action, where, keys + ("alerting",)) for action in (PAGE, TICKET))
    elif slo.get("alerting") is not None:
        where.fail("must be a mapping, got %s" % describe(slo.get("alerting")), *(keys + ("alerting",)))
    if counted is None or len(where.problems) != problems_before:
        where.ok = False
        return None
    return build_slo(path, where.problems, settings, name=name, objective=objective, period=settings.period,
                     description=description, labels=tuple(sorted(labels.items())), alerting=alerting, **counted)


def _sloth_alert(alerting: Dict[str, Any], action: str, where: SpecDocument, keys: Tuple[Any, ...]) -> SLOAlert:
    key = "page_alert" if action == PAGE else "ticket_alert"
    raw = alerting.get(key) or {}
    if not isinstance(raw, dict):
        where.fail("must be a mapping, got %s" % describe(raw), *(keys + (key,)))
        return SLOAlert(action)
    labels = dict(raw.get("labels") or {}) if isinstance(raw.get("labels"), dict) else raw.get("labels")
    # Sloth's own examples label pages critical and tickets warning: what the collection routes on, so kept as is.
    ours = "critical" if action == PAGE else "warning"
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
        for name, value in source.items():
            if not isinstance(name, str) or not _ANNOTATION_NAME.match(name):
                where.fail("is not an annotation name", *(akeys + (str(name),)))
            else:
                annotations[name] = str(value)
    name = alerting.get("name") or ""
    if name and (not isinstance(name, str) or not _ALERT_NAME.match(name)):
        where.fail("must be an alert name (letters, digits, '_' and ':'), got %s" % describe(name), *(keys + ("name",)))
        name = ""
    return SLOAlert(action, name, tuple(sorted(merged.items())), tuple(sorted(annotations.items())), not bool(raw.get("disable")))
