# -*- coding: utf-8 -*-
"""Grafana correlation: every link names a datasource that exists, derived fields find the trace ID in real
log lines, link variables survive Grafana's provisioning expansion, and the KPS release carries it all."""

from __future__ import annotations

import re

import pytest
from ansible_collections.vigil.observability.tests.support.reference_checks import linked_uids

from ansible_collections.vigil.observability.plugins.module_utils.platform import datasources as ds
from ansible_collections.vigil.observability.tests.support import plan as plan_helpers

CHART = {"release": "kube-prometheus-stack", "namespace": "monitoring", "chart": "kube-prometheus-stack",
         "repository": "https://prometheus-community.github.io/helm-charts", "version": "88.5.3"}
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


# The datasources' settings by field, and the variable each is read from (pipeline/compose).
VARIABLES = {"loki_enabled": "kube_prometheus_stack_loki_datasource", "tempo_enabled": "kube_prometheus_stack_tempo_datasource",
             "loki_tenant": "kube_prometheus_stack_loki_tenant", "loki_url": "kube_prometheus_stack_loki_url",
             "loki_uid": "observability_loki_datasource_uid", "tempo_uid": "observability_tempo_datasource_uid"}


def parse(raw):
    return plan_helpers.config({VARIABLES[key]: value for key, value in raw.items()}).datasources


def unescape(text):
    """What Grafana's provisioning leaves of a value: $$ is a literal $ (a lone $NAME would be an env variable)."""
    assert not re.search(r"(?<!\$)\$(?!\$)", text.replace("$$", "")), "unescaped $ in %r" % text
    return text.replace("$$", "$")


def all_datasources(values):
    sidecar = values["grafana"]["sidecar"]["datasources"]
    return [{"uid": sidecar["uid"], "type": "prometheus", "jsonData": dict(sidecar.get("extraJsonData") or {})},
            {"uid": sidecar["alertmanager"]["uid"], "type": "alertmanager", "jsonData": {}}] + values["grafana"]["additionalDataSources"]


@pytest.mark.parametrize("raw", [{}, {"loki_enabled": False}, {"tempo_enabled": False}, {"loki_uid": "logs", "tempo_uid": "traces"}])
def test_every_link_points_at_an_existing_datasource(raw):
    names = {"loki_enabled": "kube_prometheus_stack_loki_datasource", "tempo_enabled": "kube_prometheus_stack_tempo_datasource",
             "loki_uid": "observability_loki_datasource_uid", "tempo_uid": "observability_tempo_datasource_uid"}
    values = plan_helpers.values(plan_helpers.build({names[k]: v for k, v in raw.items()}), "kube_prometheus_stack")
    sources = all_datasources(values)
    uids = {s["uid"] for s in sources}
    assert len(uids) == len(sources)
    for source in sources:
        for uid in linked_uids(source):
            assert uid in uids, "%s links to missing %s" % (source["uid"], uid)
    sidecar = values["grafana"]["sidecar"]["datasources"]
    assert "exemplarTraceIdDestinations" not in sidecar  # the chart's own setting takes one label only
    exemplars = (sidecar.get("extraJsonData") or {}).get("exemplarTraceIdDestinations")
    tempo_on = raw.get("tempo_enabled", True)
    assert bool(exemplars) == tempo_on
    if tempo_on:
        # The collector's exemplars say trace_id, Tempo's metrics generator's traceID: both open the trace.
        assert sorted(e["name"] for e in exemplars) == ["traceID", "trace_id"]
        assert {e["datasourceUid"] for e in exemplars} == {raw.get("tempo_uid", "tempo")} <= uids


def test_loki_lines_open_their_trace():
    loki, _tempo = ds.grafana_datasources(parse({}))[0]
    regexes = [f for f in loki["jsonData"]["derivedFields"] if f["matcherType"] == "regex"]
    lines = ['{"level":"error","traceId":"%s","msg":"boom"}' % TRACE, '{"trace_id": "%s", "level": "info"}' % TRACE]
    for line in lines:
        found = [re.search(f["matcherRegex"], line) for f in regexes]
        assert [m.group(1) for m in found if m] == [TRACE], line
    assert not any(re.search(f["matcherRegex"], '{"msg":"no trace here"}') for f in regexes)
    labels = [f for f in loki["jsonData"]["derivedFields"] if f["matcherType"] == "label"]
    assert [f["matcherRegex"] for f in labels] == ["trace_id"]
    for field in loki["jsonData"]["derivedFields"]:
        assert field["datasourceUid"] == "tempo"
        assert unescape(field["url"]) == "${__value.raw}"


def test_tempo_links_traces_to_logs_metrics_and_the_service_map():
    _loki, tempo = ds.grafana_datasources(parse({}))[0]
    data = tempo["jsonData"]
    assert data["tracesToLogsV2"]["datasourceUid"] == "loki" and data["tracesToLogsV2"]["filterByTraceID"] is True
    assert {"key": "service.name", "value": "service_name"} in data["tracesToLogsV2"]["tags"]
    assert data["tracesToMetrics"]["datasourceUid"] == "prometheus"
    assert data["serviceMap"]["datasourceUid"] == "prometheus"
    assert data["nodeGraph"]["enabled"] is True
    for query in data["tracesToMetrics"]["queries"]:
        # The span metrics Tempo's generator writes, filtered by the span's tags.
        assert "traces_spanmetrics_" in query["query"] and "{$__tags" in unescape(query["query"])


def test_without_loki_tempo_has_no_log_links():
    sources, exemplar = ds.grafana_datasources(parse({"loki_enabled": False}))
    assert [s["uid"] for s in sources] == ["tempo"] and exemplar == "tempo"
    assert "tracesToLogsV2" not in sources[0]["jsonData"]


def test_multi_tenant_loki_gets_the_tenant_header():
    loki = ds.grafana_datasources(parse({"loki_tenant": "payments|checkout", "tempo_enabled": False}))[0][0]
    assert loki["jsonData"]["httpHeaderName1"] == "X-Scope-OrgID"
    assert loki["secureJsonData"]["httpHeaderValue1"] == "payments|checkout"
    assert "derivedFields" not in loki["jsonData"]


def test_bad_settings_are_named():
    text = "\n".join(plan_helpers.problems({"kube_prometheus_stack_loki_url": "loki:3100", "observability_tempo_datasource_uid": "has space",
                                            "kube_prometheus_stack_loki_tenant": "a b", "kube_prometheus_stack_loki_datasource": "maybe"}))
    for expected in ("kube_prometheus_stack_loki_url: must be an http(s) URL",
                     "observability_tempo_datasource_uid: must be a Grafana UID",
                     "kube_prometheus_stack_loki_tenant: must be a Loki tenant ID",
                     "kube_prometheus_stack_loki_datasource: must be true or false"):
        assert expected in text
    found = plan_helpers.problems({"observability_loki_datasource_uid": "x", "observability_tempo_datasource_uid": "x"})
    assert "observability_tempo_datasource_uid: must differ from loki_uid (x)" in found, found


def test_the_links_are_wired_from_the_releases_unless_set():
    assert parse({}).loki_url == "http://loki-gateway.monitoring.svc.cluster.local"
    assert parse({}).tempo_url == "http://tempo.monitoring.svc.cluster.local:3200"
    assert parse({"loki_url": "https://logs.example.com"}).loki_url == "https://logs.example.com"
