# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Grafana's Loki and Tempo datasources, wired so that metrics, traces and logs link to each other.

Prometheus exemplars open the trace (kube_prometheus_stack sets that on the Prometheus datasource),
Loki lines open the trace of their trace ID, and Tempo opens the logs of a trace, the metrics of its
service, the service map and the node graph. UIDs are fixed so links and dashboards never dangle.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from typing import Any, Dict, Optional

_UID = r"^[a-zA-Z0-9_-]{1,40}\Z"
_URL = r"^https?://\S+\Z"
_TENANT = r"([a-zA-Z0-9!._*'()-]{1,150}(\|[a-zA-Z0-9!._*'()-]{1,150})*)?"

# The label Tempo's span metrics and the OTLP-to-Prometheus conversion give the service.
SPAN_METRICS_SERVICE_LABEL = "service"
# The trace ID label of exemplars and of logs' structured metadata (Loki's OTLP ingestion and our Alloy pipeline).
TRACE_ID_LABEL = "trace_id"


@dataclass(frozen=True)
class DatasourceSettings:
    loki_enabled: bool
    loki_url: str  # empty until wired: the plan derives it from the Service registry unless set
    loki_uid: str
    loki_tenant: str  # X-Scope-OrgID for a multi-tenant Loki; several as a|b
    tempo_enabled: bool
    tempo_url: str
    tempo_uid: str
    prometheus_uid: str


def parse_datasource_settings(
    raw: Dict[str, Any],
    problems: Problems,
    prometheus_uid: str,
    path: str = "",
    paths: Optional[Any] = None,
) -> DatasourceSettings:
    """The datasources' settings, as the plan gathers them (kube_prometheus_stack_* and the platform's UIDs)."""
    r = Reader(raw, path, problems, paths)
    uid_what = "a Grafana UID (at most 40 letters, digits, '-', '_')"
    settings = DatasourceSettings(
        loki_enabled=r.boolean("loki_enabled", required=True),
        # The links: absent unless the inventory sets them (wired from the Service registry then).
        loki_url=r.string("loki_url", default="", pattern=_URL, what="an http(s) URL"),
        loki_uid=r.string("loki_uid", required=True, pattern=_UID, what=uid_what),
        loki_tenant=r.string("loki_tenant", required=True, pattern=_TENANT, what="a Loki tenant ID (or several joined with '|')"),
        tempo_enabled=r.boolean("tempo_enabled", required=True),
        tempo_url=r.string("tempo_url", default="", pattern=_URL, what="an http(s) URL"),
        tempo_uid=r.string("tempo_uid", required=True, pattern=_UID, what=uid_what),
        prometheus_uid=prometheus_uid,
    )
    r.done()
    if settings.loki_enabled and settings.tempo_enabled and settings.loki_uid == settings.tempo_uid:
        problems.add(r.sub("tempo_uid"), "must differ from loki_uid (%s)" % settings.loki_uid)
    return settings


def _esc(text: str) -> str:
    # Grafana expands $VAR and ${VAR} in provisioning files; $$ keeps a literal '$' for its link variables.
    return text.replace("$", "$$")


def loki_datasource(settings: DatasourceSettings) -> Dict[str, Any]:
    json_data = {"maxLines": 1000}
    if settings.tempo_enabled:
        link = {"datasourceUid": settings.tempo_uid, "url": _esc("${__value.raw}"), "urlDisplayLabel": "Open trace in Tempo"}
        json_data["derivedFields"] = [
            # Structured metadata (OTLP logs, and JSON fields our Alloy pipeline lifts) ...
            dict(link, name="trace_id", matcherType="label", matcherRegex=TRACE_ID_LABEL),
            # ... and the raw JSON line, for logs that reached Loki some other way.
            dict(link, name="traceId", matcherType="regex", matcherRegex=r'"traceId"\s*:\s*"([0-9a-fA-F]{16,32})"'),
            dict(link, name="trace_id (line)", matcherType="regex", matcherRegex=r'"trace_id"\s*:\s*"([0-9a-fA-F]{16,32})"'),
        ]
    ds = {"name": "Loki", "type": "loki", "uid": settings.loki_uid, "access": "proxy", "url": settings.loki_url,
          "editable": False, "jsonData": json_data}
    if settings.loki_tenant:
        json_data["httpHeaderName1"] = "X-Scope-OrgID"
        ds["secureJsonData"] = {"httpHeaderValue1": settings.loki_tenant}
    return ds


def tempo_datasource(settings: DatasourceSettings) -> Dict[str, Any]:
    service = [{"key": "service.name", "value": SPAN_METRICS_SERVICE_LABEL}]
    json_data = {
        "nodeGraph": {"enabled": True},
        "serviceMap": {"datasourceUid": settings.prometheus_uid},
        "search": {"hide": False},
        "traceQuery": {"timeShiftEnabled": True, "spanStartTimeShift": "-30m", "spanEndTimeShift": "30m"},
        "tracesToMetrics": {
            "datasourceUid": settings.prometheus_uid,
            "spanStartTimeShift": "-10m",
            "spanEndTimeShift": "10m",
            "tags": service,
            "queries": [
                {"name": "Request rate", "query": _esc("sum(rate(traces_spanmetrics_calls_total{$__tags}[5m]))")},
                {"name": "Error rate", "query": _esc('sum(rate(traces_spanmetrics_calls_total{$__tags,status_code="STATUS_CODE_ERROR"}[5m]))')},
                {"name": "p95 latency",
                 "query": _esc("histogram_quantile(0.95, sum by (le) (rate(traces_spanmetrics_latency_bucket{$__tags}[5m])))")},
            ],
        },
    }
    if settings.loki_enabled:
        json_data["tracesToLogsV2"] = {
            "datasourceUid": settings.loki_uid,
            "spanStartTimeShift": "-5m",
            "spanEndTimeShift": "5m",
            # Logs of the span's service, filtered by the trace ID: service_name is a label of OTLP logs (from
            # service.name) and of pod logs (Alloy names it as the operator names the service).
            "tags": [{"key": "service.name", "value": "service_name"}],
            "filterByTraceID": True,
            "filterBySpanID": False,
        }
        json_data["lokiSearch"] = {"datasourceUid": settings.loki_uid}
    return {"name": "Tempo", "type": "tempo", "uid": settings.tempo_uid, "access": "proxy", "url": settings.tempo_url,
            "editable": False, "jsonData": json_data}


def grafana_datasources(settings: DatasourceSettings) -> Any:
    """The additional datasources (sorted by UID) and the UID Prometheus exemplars link to (None without Tempo)."""
    out = []
    if settings.loki_enabled:
        out.append(loki_datasource(settings))
    if settings.tempo_enabled:
        out.append(tempo_datasource(settings))
    return sorted(out, key=lambda ds: ds["uid"]), (settings.tempo_uid if settings.tempo_enabled else None)
