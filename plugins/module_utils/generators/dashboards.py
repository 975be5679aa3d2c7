# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Grafana dashboards as code, delivered as ConfigMaps the Grafana sidecar picks up.

Per team an SLO dashboard (reading only the series `slo` records) and per service
a RED dashboard (reading only the service's declared metrics), plus the team's own
dashboards from the inventory. UIDs derive from team and name, datasources are
referenced by UID, and the JSON is written with sorted keys, so a render is stable.
"""

from __future__ import annotations

import hashlib
import json
import re
from json.encoder import encode_basestring as _encode_string

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher, Selector, decimal_str, eq, quote
from ansible_collections.vigil.observability.plugins.module_utils.generators import golden
from ansible_collections.vigil.observability.plugins.module_utils.generators.slo import (
    BUDGET_REMAINING,
    CURRENT_BURN,
    ERROR_BUDGET,
    ERROR_RATIO_PREFIX,
    OBJECTIVE,
)
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import CustomDashboard, Service, Settings, Team
from typing import Any, Dict, List, Tuple

SCHEMA_VERSION = 39
RATE_WINDOW = "$__rate_interval"  # Grafana picks it from the scrape interval and the panel's resolution
QUANTILES = ("0.5", "0.9", "0.99")
MAX_UID = 40


def dashboard_uid(team_name: str, name: str) -> str:
    """A Grafana UID (at most 40 characters) that is the same on every run: readable prefix, hash of both parts."""
    digest = hashlib.sha256(("%s/%s" % (team_name, name)).encode("utf-8")).hexdigest()[:8]
    slug = re.sub(r"[^a-zA-Z0-9_-]", "-", "%s-%s" % (team_name, name))[:MAX_UID - len(digest) - 1].rstrip("-")
    return "%s-%s" % (slug, digest)


def slo_uid(team: Team) -> str:
    return dashboard_uid(team.name, "slo")


def red_uid(team: Team, service: Service) -> str:
    return dashboard_uid(team.name, "red-" + service.name)


class _Layout:
    """Panels on Grafana's 24-column grid, numbered in the order they are added."""

    def __init__(self) -> None:
        self.panels = []
        self.x = self.y = self.row_height = 0

    def add(self, panel: Dict[str, Any], width: int, height: int) -> None:
        if self.x + width > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"h": height, "w": width, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += width
        self.row_height = max(self.row_height, height)

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        self.add({"type": "row", "title": title, "collapsed": False, "panels": []}, 24, 1)
        self.x, self.y, self.row_height = 0, self.y + 1, 0


def _prom(settings: Settings) -> Dict[str, str]:
    return {"type": "prometheus", "uid": settings.prometheus_datasource_uid}


def _target(settings: Settings, ref: str, expr: str, legend: str, **extra) -> Dict[str, Any]:
    target = {"datasource": _prom(settings), "refId": ref, "expr": expr, "legendFormat": legend}
    target.update(extra)
    return target


def _refs(targets: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    for index, target in enumerate(targets):
        target["refId"] = chr(ord("A") + index)
    return targets


def _timeseries(settings: Settings, title: str, targets: List[Dict[str, Any]], unit: str, description: str = "") -> Dict[str, Any]:
    panel = {
        "type": "timeseries",
        "title": title,
        "datasource": _prom(settings),
        "targets": _refs(targets),
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
    }
    if description:
        panel["description"] = description
    return panel


def _dashboard(uid: str, title: str, tags: List[str], panels: List[Dict[str, Any]], links: List[Any] = ()) -> Dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": sorted(tags),
        "editable": False,
        "schemaVersion": SCHEMA_VERSION,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "timezone": "browser",
        "graphTooltip": 1,
        "annotations": {"list": []},
        "templating": {"list": []},
        "links": list(links),
        "panels": panels,
    }


def firing_alerts_expr(team: Team) -> str:
    return "sum by (alertname, service, slo, severity) (%s)" % Selector("ALERTS", (eq("alertstate", "firing"), eq("team", team.name)))


# The SLO dashboard is one fixed set of panels over every SLO of the team, picked through two variables (as Sloth's and
# Pyrra's dashboards are): its size does not grow with the team, and a table lists every SLO whatever is picked.
IDENTITY = ("namespace", "service", "slo", "team")
_ON_SLO = "on (%s)" % ", ".join(IDENTITY)
SERVICE_VARIABLE, SLO_VARIABLE = "service", "slo"
_LEGEND = "{{service}} / {{slo}}"


def _picked_matchers(team: Team) -> Tuple[Matcher, ...]:
    return (eq("namespace", team.namespace), Matcher("service", "=~", "$" + SERVICE_VARIABLE),
            Matcher("slo", "=~", "$" + SLO_VARIABLE), eq("team", team.name))


def picked(team: Team, metric: str) -> str:
    """`metric` of the team's SLOs that the dashboard's variables pick (each variable a regex; All is `.+`)."""
    return str(Selector(metric, _picked_matchers(team)))


def _variable(settings: Settings, name: str, label: str, query: str) -> Dict[str, Any]:
    return {
        "name": name, "label": label, "type": "query", "datasource": _prom(settings),
        "definition": query, "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2, "sort": 1, "multi": True, "includeAll": True, "allValue": ".+",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "options": [], "hide": 0,
    }


def slo_variables(team: Team, settings: Settings) -> List[Dict[str, Any]]:
    """Service, then SLO (of the services picked), from the labels of the objective every SLO records."""
    services = Selector(OBJECTIVE, (eq("namespace", team.namespace), eq("team", team.name)))
    slos = services.with_matchers(Matcher("service", "=~", "$" + SERVICE_VARIABLE))
    return [_variable(settings, SERVICE_VARIABLE, "Service", "label_values(%s, service)" % services),
            _variable(settings, SLO_VARIABLE, "SLO", "label_values(%s, slo)" % slos)]


def sli_over_period_expr(team: Team) -> str:
    # The period differs between SLOs: its error ratio is (1 - budget remaining) x budget, whatever the period.
    return "1 - (1 - %s) * %s %s" % (picked(team, BUDGET_REMAINING), _ON_SLO, picked(team, ERROR_BUDGET))


def sli_now_expr(team: Team) -> str:
    # The current burn rate is the error ratio over the shortest long window of the SLO's tiers, divided by the budget.
    return "1 - %s * %s %s" % (picked(team, CURRENT_BURN), _ON_SLO, picked(team, ERROR_BUDGET))


def window_burn_expr(team: Team) -> str:
    """The burn rate over every window an SLO records, the window (from the series name) kept as a label."""
    ratios = str(Selector("", (Matcher("__name__", "=~", re.escape(ERROR_RATIO_PREFIX) + ".+"),) + _picked_matchers(team)))
    # Many windows to one budget: group_left, or Prometheus refuses the match.
    return 'label_replace(%s, "window", "$1", "__name__", %s) / %s group_left %s' % (
        ratios, quote(re.escape(ERROR_RATIO_PREFIX) + "(.+)"), _ON_SLO, picked(team, ERROR_BUDGET))


def _table_target(settings: Settings, ref: str, expr: str) -> Dict[str, Any]:
    return _target(settings, ref, expr, "", instant=True, format="table")


def slo_dashboard(team: Team, settings: Settings) -> Dict[str, Any]:
    layout = _Layout()
    layout.add({
        "type": "table",
        "title": "Firing alerts of %s" % team.name,
        "datasource": _prom(settings),
        "targets": _refs([_target(settings, "A", firing_alerts_expr(team), "", instant=True, format="table")]),
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {"showHeader": True},
        "transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True}}}],
    }, 24, 6)
    if not any(service.slos for service in team.services):
        layout.add({"type": "text", "title": "No SLOs", "options": {"mode": "markdown", "content": (
            "Team %s defines no SLOs yet: add `slos` to its services in the inventory." % team.name)}}, 24, 3)
        return _dashboard(slo_uid(team), "%s / SLOs" % team.name, ["vigil", "slo", "team:%s" % team.name], layout.panels,
                          _red_links(team))
    columns = (("Objective", picked(team, OBJECTIVE), "percentunit"), ("SLI over the period", sli_over_period_expr(team), "percentunit"),
               ("Error budget remaining", picked(team, BUDGET_REMAINING), "percentunit"), ("Burn rate now", picked(team, CURRENT_BURN), "none"))
    renames = {"Value #%s" % chr(ord("A") + index): title for index, (title, _expr, _unit) in enumerate(columns)}
    layout.add({
        "type": "table",
        "title": "SLOs",
        "description": "Every SLO the service and SLO variables pick, one row each.",
        "datasource": _prom(settings),
        "targets": _refs([_table_target(settings, "", expr) for _title, expr, _unit in columns]),
        "fieldConfig": {"defaults": {}, "overrides": [
            {"matcher": {"id": "byName", "options": title}, "properties": [{"id": "unit", "value": unit}]} for title, _expr, unit in columns]},
        "options": {"showHeader": True, "sortBy": [{"displayName": "Error budget remaining", "desc": False}]},
        "transformations": [
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True}, "renameByName": renames,
                                           "indexByName": {"service": 0, "slo": 1}}},
        ],
    }, 24, 8)
    layout.row("Picked SLOs over time")
    layout.add(_timeseries(settings, "SLI", [
        _target(settings, "", sli_now_expr(team), _LEGEND),
        _target(settings, "", picked(team, OBJECTIVE), _LEGEND + " objective"),
    ], "percentunit", description="Share of good events over the shortest long window of each SLO's alerts, "
                                  "beside its objective."), 12, 8)
    layout.add(_timeseries(settings, "Burn rate per window", [
        _target(settings, "", window_burn_expr(team), _LEGEND + " {{window}}"),
    ], "none", description="Error ratio over each window an SLO records, divided by its error budget: 1 burns the budget "
                           "exactly over the period."), 12, 8)
    layout.add(_timeseries(settings, "Error budget remaining", [
        _target(settings, "", picked(team, BUDGET_REMAINING), _LEGEND),
    ], "percentunit", description="Share of the error budget of the SLO period still left."), 12, 8)
    layout.add(_timeseries(settings, "Burn rate now", [
        _target(settings, "", picked(team, CURRENT_BURN), _LEGEND),
    ], "none", description="How many times faster than sustainable the budget burns over the shortest alert window."), 12, 8)
    dashboard = _dashboard(slo_uid(team), "%s / SLOs" % team.name, ["vigil", "slo", "team:%s" % team.name], layout.panels,
                           _red_links(team))
    dashboard["templating"]["list"] = slo_variables(team, settings)
    return dashboard


def _red_links(team: Team) -> List[Dict[str, Any]]:
    # One drop-down of the team's RED dashboards (by their tags), however many services the team has.
    return [{"type": "dashboards", "title": "RED dashboards", "tags": ["red", "team:%s" % team.name], "asDropdown": True,
             "includeVars": False, "keepTime": True, "targetBlank": False}]


def has_histogram(service: Service) -> bool:
    return service.signal("latency") is not None or "duration_histogram" in service.metrics.explicit


def has_queue(service: Service) -> bool:
    return service.signal("saturation") is not None or "queue_depth" in service.metrics.explicit


def _traceql(service: Service) -> str:
    latency = service.signal("latency")
    condition = "status = error"
    if latency is not None:
        condition = "(status = error || duration > %ss)" % decimal_str(latency.threshold)
    return "{ resource.service.name = %s && %s }" % (json.dumps(service.name), condition)


def red_dashboard(team: Team, service: Service, settings: Settings) -> Dict[str, Any]:
    layout = _Layout()
    metrics = service.metrics
    requests = golden.requests_selector(team, service)
    layout.add(_timeseries(settings, "Request rate by %s" % metrics.status_label, [
        _target(settings, "", "sum by (%s) (rate(%s[%s]))" % (metrics.status_label, requests, RATE_WINDOW), "{{%s}}" % metrics.status_label),
    ], "reqps"), 12, 8)
    layout.add(_timeseries(settings, "Error ratio (%s =~ %s)" % (metrics.status_label, metrics.error_pattern), [
        _target(settings, "", golden.error_ratio_expr(team, service, RATE_WINDOW), "errors"),
    ], "percentunit"), 12, 8)
    if has_histogram(service):
        layout.add(_timeseries(settings, "Latency (%s)" % metrics.duration_histogram, [
            _target(settings, "", golden.quantile_expr(team, service, q, RATE_WINDOW), "p" + decimal_str(float(q) * 100), exemplar=True)
            for q in QUANTILES
        ], "s", description="Exemplars link to their traces in Tempo."), 12, 8)
    if has_queue(service):
        layout.add(_timeseries(settings, "Saturation (%s)" % metrics.queue_depth, [
            _target(settings, "", "max(%s)" % golden.queue_selector(team, service), "busiest instance"),
        ], "short"), 12, 8)
    layout.add({
        "type": "table",
        "title": "Failed and slow traces",
        "datasource": {"type": "tempo", "uid": settings.tempo_datasource_uid},
        "targets": _refs([{"datasource": {"type": "tempo", "uid": settings.tempo_datasource_uid}, "refId": "A",
                           "queryType": "traceql", "query": _traceql(service), "limit": 20, "tableType": "traces"}]),
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {"showHeader": True},
    }, 12, 8)
    layout.add({
        "type": "logs",
        "title": "Logs",
        "datasource": {"type": "loki", "uid": settings.loki_datasource_uid},
        "targets": _refs([{"datasource": {"type": "loki", "uid": settings.loki_datasource_uid}, "refId": "A",
                           "expr": "{service_name=%s}" % quote(service.name)}]),
        "options": {"showTime": True, "wrapLogMessage": True, "sortOrder": "Descending"},
    }, 12, 8)
    links = [{"type": "link", "title": "%s SLOs" % team.name, "url": "/d/%s" % slo_uid(team), "targetBlank": False}]
    return _dashboard(red_uid(team, service), "%s / %s / RED" % (team.name, service.name),
                      ["vigil", "red", "team:%s" % team.name], layout.panels, links)


def custom_dashboard(team: Team, dashboard: CustomDashboard) -> Dict[str, Any]:
    content = json.loads(dashboard.json_text)
    if not content.get("uid"):
        content["uid"] = dashboard_uid(team.name, "custom-" + dashboard.name)
    return content


# From this depth (each panel, each templating variable) a value is written on one line by the json module's
# C encoder: a dashboard diff still shows which panel changed, at a fraction of the pure-Python encoder's cost.
ONE_LINE_DEPTH = 2
_one_line = json.JSONEncoder(sort_keys=True, separators=(", ", ": "), ensure_ascii=False).encode


def to_json(dashboard: Any) -> str:
    """The dashboard as JSON with sorted keys: its keys indented two spaces, each panel on one line."""
    out = []
    _encode(dashboard, "\n", out, 0)
    out.append("\n")
    return "".join(out)


def _encode(value: Any, newline: str, out: List[Any], depth: int) -> None:
    if isinstance(value, str):
        out.append(_encode_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float) or depth >= ONE_LINE_DEPTH or not value:
        out.append(_one_line(value))
    elif isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            out.append(_one_line(value))
            return
        inner = newline + "  "
        out.append("{")
        first = True
        for key in sorted(value):
            out.append(inner if first else "," + inner)
            first = False
            out.append(_encode_string(key))
            out.append(": ")
            _encode(value[key], inner, out, depth + 1)
        out.append(newline + "}")
    else:
        inner = newline + "  "
        out.append("[")
        for index, item in enumerate(value):
            out.append(inner if index == 0 else "," + inner)
            _encode(item, inner, out, depth + 1)
        out.append(newline + "]")


def configmap_specs(team: Team, settings: Settings) -> List[Dict[str, Any]]:
    """Every dashboard ConfigMap of a team: name, namespace, the sidecar's label and folder annotation, data."""
    namespace = settings.platform_namespace if settings.dashboard_placement == "platform" else team.namespace
    items = [("%s-slo-dashboard" % team.name, slo_dashboard(team, settings), "")]
    items += [("%s-%s-red-dashboard" % (team.name, s.name), red_dashboard(team, s, settings), s.path) for s in team.services]
    items += [("%s-custom-%s-dashboard" % (team.name, d.name), custom_dashboard(team, d), join_path(d.path, "json")) for d in team.dashboards]
    return [
        {
            "name": name,
            "namespace": namespace,
            "labels": {settings.dashboard_label: settings.dashboard_label_value},
            "annotations": {settings.dashboard_folder_annotation: team.name},
            "data": {"%s.json" % name: to_json(dashboard)},
            "path": path,  # the inventory path it comes from ("" for the team's SLO dashboard)
        }
        for name, dashboard, path in items
    ]
