# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sloth's specs, as SLOs of the collection's own model: the `prometheus/v1` file and the Kubernetes form
(`sloth.slok.dev/v1` PrometheusServiceLevel, the same fields in camelCase under `spec`). docs/slo.md gives the
mapping, field by field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.inventory.slo import build_slo
from ansible_collections.vigil.observability.plugins.module_utils.inventory.specs.common import (
    SpecDocument, counted_events, ratio_events, read_labels)
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import PAGE, SLO, SLOAlert, TICKET, Settings

SLOTH_VERSION = "prometheus/v1"
SLOTH_KUBERNETES = ("sloth.slok.dev/v1", "PrometheusServiceLevel")
_ALERT_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_ANNOTATION_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_SEVERITY = {PAGE: "critical", TICKET: "warning"}  # what the collection routes a page and a ticket on


@dataclass(frozen=True)
class _Form:
    """Where one of Sloth's two forms keeps each field (the Kubernetes form: under spec, in camelCase)."""

    base: Tuple[Any, ...]
    error_query: str
    total_query: str
    error_ratio_query: str
    page_alert: str
    ticket_alert: str
    slo_plugins: str


FILE = _Form((), "error_query", "total_query", "error_ratio_query", "page_alert", "ticket_alert", "slo_plugins")
KUBERNETES = _Form(("spec",), "errorQuery", "totalQuery", "errorRatioQuery", "pageAlert", "ticketAlert", "sloPlugins")


def sloth_slos(doc: Dict[str, Any], where: SpecDocument, settings: Settings, team: str = "") -> List[Tuple[str, SLO]]:
    """(service, SLO) of every SLO of a Sloth prometheus/v1 document."""
    if doc.get("version") != SLOTH_VERSION:
        where.fail("%s is not a Sloth version the collection reads: prometheus/v1 (or the Kubernetes form, apiVersion: %s, kind: %s)"
                   % (describe(doc.get("version")), SLOTH_KUBERNETES[0], SLOTH_KUBERNETES[1]), "version")
        return []
    for key in sorted(set(doc) - {"version", "service", "labels", "slos", "slo_plugins"}, key=str):
        where.fail("is not a field of a Sloth prometheus/v1 spec", key)
    return _service_slos(doc, where, settings, team, FILE)


def sloth_kubernetes_slos(doc: Dict[str, Any], where: SpecDocument, settings: Settings, team: str = "") -> List[Tuple[str, SLO]]:
    """(service, SLO) of every SLO of a PrometheusServiceLevel; its metadata (name, namespace) is Sloth's object's,
    and the SLOs are the team's, in the team's namespace."""
    if doc.get("kind") != SLOTH_KUBERNETES[1]:
        where.fail("%s is not a kind of %s the collection reads: %s" % (describe(doc.get("kind")), SLOTH_KUBERNETES[0], SLOTH_KUBERNETES[1]),
                   "kind")
        return []
    for key in sorted(set(doc) - {"apiVersion", "kind", "metadata", "spec"}, key=str):
        where.fail("is not a field of a %s" % SLOTH_KUBERNETES[1], key)
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        where.fail("must be a mapping with service and slos, got %s" % describe(spec), "spec")
        return []
    for key in sorted(set(spec) - {"service", "labels", "slos", KUBERNETES.slo_plugins}, key=str):
        where.fail("is not a field of a %s spec" % SLOTH_KUBERNETES[1], "spec", key)
    return _service_slos(spec, where, settings, team, KUBERNETES)


def _service_slos(body: Dict[str, Any], where: SpecDocument, settings: Settings, team: str, form: _Form) -> List[Tuple[str, SLO]]:
    """Every SLO of one service's spec; every problem of every SLO is reported, whichever comes first."""
    base = form.base
    service = body.get("service")
    if not is_dns_label(service):
        where.fail("must be a service name (a Kubernetes name), got %s" % describe(service), *(base + ("service",)))
    if isinstance(body.get(form.slo_plugins), dict) and body[form.slo_plugins].get("chain"):
        where.fail("SLO plugins run Sloth's Go code; the collection has none", *(base + (form.slo_plugins,)))
    spec_labels = read_labels(body.get("labels"), where, *(base + ("labels",)), team=team)
    slos = body.get("slos")
    if not isinstance(slos, list) or not slos:
        where.fail("must be a non-empty list of SLOs", *(base + ("slos",)))
        return []
    out = []
    for i, slo in enumerate(slos):
        before = where.ok
        where.ok = True
        native = _slo(slo, spec_labels, where, base + ("slos", i), settings, team, form)
        if native is not None and where.ok and is_dns_label(service):
            out.append((service, native))
        where.ok = before and where.ok
    return out


def _slo(slo: Any, spec_labels: Dict[str, str], where: SpecDocument, keys: Tuple[Any, ...], settings: Settings, team: str,
         form: _Form) -> Optional[SLO]:
    if not isinstance(slo, dict):
        where.fail("must be a mapping, got %s" % describe(slo), *keys)
        return None
    for key in sorted(set(slo) - {"name", "description", "objective", "labels", "sli", "alerting", "plugins"}, key=str):
        where.fail("is not a field of a Sloth SLO", *(keys + (key,)))
    if isinstance(slo.get("plugins"), dict) and slo["plugins"].get("chain"):
        where.fail("SLO plugins run Sloth's Go code; the collection has none", *(keys + ("plugins",)))
    path = where.at(*keys)
    problems_before = len(where.problems)
    r = Reader(slo, path, where.problems)  # the spec's own fields, read as the native ones are, at their place in the spec
    name = r.name("name", required=True)
    objective = r.decimal("objective", required=True, low=0, high=100)
    description = r.string("description", default="")
    counted = _sli(slo.get("sli"), where, keys + ("sli",), form)
    labels = dict(spec_labels)
    labels.update(read_labels(slo.get("labels"), where, *(keys + ("labels",)), team=team))
    alerting: Tuple[SLOAlert, ...] = ()
    if isinstance(slo.get("alerting"), dict):
        alerting = tuple(_alert(slo["alerting"], action, where, keys + ("alerting",), team, form) for action in (PAGE, TICKET))
    elif slo.get("alerting") is not None:
        where.fail("must be a mapping, got %s" % describe(slo.get("alerting")), *(keys + ("alerting",)))
    if counted is None or len(where.problems) != problems_before:
        where.ok = False
        return None
    return build_slo(path, where.problems, settings, name=name, objective=objective, period=settings.period,
                     description=description, labels=tuple(sorted(labels.items())), alerting=alerting, **counted)


def _sli(sli: Any, where: SpecDocument, keys: Tuple[Any, ...], form: _Form) -> Optional[Dict[str, Any]]:
    if not isinstance(sli, dict):
        where.fail("must be a mapping with events or raw, got %s" % describe(sli), *keys)
        return None
    if sli.get("plugin"):
        where.fail("SLI plugins run Sloth's Go code; write the SLI's error and total queries instead", *(keys + ("plugin",)))
        return None
    if sli.get("events"):
        events = sli["events"] if isinstance(sli["events"], dict) else {}
        return counted_events(events.get(form.error_query), events.get(form.total_query), where, *(keys + ("events",)),
                              names=(form.error_query, form.total_query))
    if sli.get("raw"):
        query = sli["raw"].get(form.error_ratio_query) if isinstance(sli["raw"], dict) else None
        if not isinstance(query, str):
            where.fail("needs %s" % form.error_ratio_query, *(keys + ("raw",)))
            return None
        return ratio_events(query, where, *(keys + ("raw", form.error_ratio_query)))
    where.fail("needs events (%s and %s), raw (%s) or plugin" % (form.error_query, form.total_query, form.error_ratio_query), *keys)
    return None


def _alert(alerting: Dict[str, Any], action: str, where: SpecDocument, keys: Tuple[Any, ...], team: str, form: _Form) -> SLOAlert:
    key = form.page_alert if action == PAGE else form.ticket_alert
    raw = alerting.get(key) or {}
    if not isinstance(raw, dict):
        where.fail("must be a mapping, got %s" % describe(raw), *(keys + (key,)))
        return SLOAlert(action)
    merged = read_labels(alerting.get("labels"), where, *(keys + ("labels",)), team=team, severity=_SEVERITY[action])
    merged.update(read_labels(raw.get("labels"), where, *(keys + (key, "labels")), team=team, severity=_SEVERITY[action]))
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
