# -*- coding: utf-8 -*-
"""The platform watches itself: every self-check alert reads series that a monitor of the platform scrapes, in both
profiles, and the OpenTelemetry collectors serve their own metrics where the operator's monitoring Service points.

The table below is written from the upstream sources and the pinned charts, not from the code under test: which
metric families each alert reads, and which release's values switch (or which custom resource field) makes the
monitor that scrapes them. The chart gate (`make test-charts`, tests/charts/test_charts.py) proves on the templated
charts that those monitors select real Services and pods on ports they name.
"""

from __future__ import annotations

from collections import namedtuple

import promql_parser
import pytest
import yaml

from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge

# A monitor: the release whose chart makes it and the values key that turns it on, or (release "collectors") the field
# of every OpenTelemetryCollector with which the operator makes a ServiceMonitor for its monitoring Service.
Monitor = namedtuple("Monitor", "release switch")
PROMETHEUS = Monitor("kube_prometheus_stack", "prometheus.serviceMonitor.selfMonitor")
ALERTMANAGER = Monitor("kube_prometheus_stack", "alertmanager.serviceMonitor.selfMonitor")
LOKI = Monitor("loki", "monitoring.serviceMonitor.enabled")
TEMPO = Monitor("tempo", "serviceMonitor.enabled")  # the single-binary `tempo` chart in both profiles
ALLOY = Monitor("alloy", "serviceMonitor.enabled")
COLLECTORS = Monitor("collectors", "spec.observability.metrics.enableMetrics")
# Not read by any alert, but scraped all the same (their targets count in ScrapeTargetDown).
OPERATOR = Monitor("opentelemetry", "manager.serviceMonitor.enabled")
GRAFANA = Monitor("kube_prometheus_stack", "grafana.serviceMonitor.enabled")

# alert -> {metric family: the monitor whose targets expose it}. Sources: Prometheus (`up` is written by Prometheus
# for every target of every monitor; its own rule metrics), Alertmanager notify metrics, Loki v3.7.6
# pkg/validation/validate.go, Alloy v1.18.1 internal/component/common/loki/client/metrics.go (loki.write), the
# collector v0.158.0 exporter/exporterhelper/metadata.yaml (otelcol_ prefix; `_total` only with type suffixes),
# Tempo v2.10.8 modules/overrides/discarded_spans.go and modules/distributor/distributor.go, Tempo v3.0.3
# pkg/ingest/writer_client.go (distributor to Kafka).
SELF_CHECK_SOURCES = {
    "ScrapeTargetDown": {"up": PROMETHEUS},
    "PrometheusRuleEvaluationFailures": {"prometheus_rule_evaluation_failures_total": PROMETHEUS},
    "PrometheusRuleEvaluationsMissed": {"prometheus_rule_group_iterations_missed_total": PROMETHEUS},
    "AlertmanagerNotificationsFailing": {"alertmanager_notifications_failed_total": ALERTMANAGER},
    "LokiLinesDiscarded": {"loki_discarded_samples_total": LOKI},
    "AlloyLogEntriesDropped": {"loki_write_dropped_entries_total": ALLOY},
    "AlloyLogWritesFailing": {"loki_write_request_duration_seconds_count": ALLOY},
    "OtelCollectorExportFailing": {
        "otelcol_exporter_send_failed_spans": COLLECTORS, "otelcol_exporter_send_failed_spans_total": COLLECTORS,
        "otelcol_exporter_send_failed_metric_points": COLLECTORS, "otelcol_exporter_send_failed_metric_points_total": COLLECTORS,
        "otelcol_exporter_send_failed_log_records": COLLECTORS, "otelcol_exporter_send_failed_log_records_total": COLLECTORS,
    },
    "TempoSpansDiscarded": {"tempo_discarded_spans_total": TEMPO},
    "TempoIngestionFailing": {"tempo_distributor_ingester_append_failures_total": TEMPO, "tempo_distributor_produce_failures_total": TEMPO},
}
EVERY_MONITOR = sorted({m for reads in SELF_CHECK_SOURCES.values() for m in reads.values()} | {OPERATOR, GRAFANA})

# Variables of each profile; production needs object storage for Loki and Tempo.
PROFILES = {
    "small": {},
    "production": {
        "observability_profile": "production",
        "loki_object_storage": {"type": "s3", "region": "eu-west-1", "buckets": {"chunks": "c-chunks"}, "credentials_secret": "loki-s3"},
        "tempo_s3": {"bucket": "t-traces", "region": "eu-west-1", "credentials_secret": "tempo-s3"},
    },
}
CHART_DEFAULTS = {"kube_prometheus_stack": "kube-prometheus-stack", "loki": "loki", "tempo": "tempo", "alloy": "alloy",
                  "opentelemetry": "opentelemetry-operator"}


def families(expr):
    """Metric families a PromQL expression reads: each selector's name, or each alternative of its __name__ regex."""
    found = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                found.add(node.name)
            for matcher in node.matchers.matchers:
                if matcher.name == "__name__":
                    assert str(matcher.op) in ("MatchOp.Equal", "MatchOp.Re"), expr
                    alternatives = matcher.value.split("|")
                    assert all(a.replace("_", "").isalnum() for a in alternatives), "not a plain list of names: %s" % matcher.value
                    found.update(alternatives)

    promql_parser.walk(promql_parser.parse(expr), visit, None)
    return found


def by_clause(expr):
    """Labels of the outermost aggregation's `by`, the labels an alert is grouped by."""
    node = promql_parser.parse(expr)
    while not isinstance(node, promql_parser.AggregateExpr):
        node = node.lhs
    return set(node.modifier.labels)


def self_check_rules(plan):
    rules = [o for o in plan["scopes"]["platform"]["objects"] if o["kind"] == "PrometheusRule"]
    return [r for rule in rules for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]


@pytest.fixture(scope="module", params=sorted(PROFILES))
def plan(request):
    return plan_helpers.build(PROFILES[request.param])


def test_every_alert_reads_exactly_the_families_the_table_names(plan):
    rules = self_check_rules(plan)
    read = {}
    for rule in rules:
        read.setdefault(rule["alert"], set()).update(families(rule["expr"]))
    assert read == {alert: set(sources) for alert, sources in SELF_CHECK_SOURCES.items()}


def test_every_alert_is_grouped_by_the_job_and_namespace_the_monitors_give_their_targets(plan):
    # Every monitor labels its targets with job (the Service's name, Loki's <namespace>/<Service>) and namespace.
    for rule in self_check_rules(plan):
        assert {"job", "namespace"} <= by_clause(rule["expr"]), rule["alert"]


def _lookup(values, dotted):
    for key in dotted.split("."):
        if not isinstance(values, dict) or key not in values:
            return None
        values = values[key]
    return values


@pytest.fixture(scope="module")
def chart_defaults(reference_dir):
    charts = reference_dir / "charts"
    defaults = {release: yaml.safe_load((charts / name / "values.yaml").read_text()) for release, name in CHART_DEFAULTS.items()}
    # Grafana is kube-prometheus-stack's subchart: its defaults, with the stack's section on top.
    grafana = yaml.safe_load((charts / "grafana" / "values.yaml").read_text())
    defaults["kube_prometheus_stack"]["grafana"] = deep_merge(grafana, defaults["kube_prometheus_stack"]["grafana"])
    return defaults


@pytest.mark.parametrize("monitor", EVERY_MONITOR, ids=lambda m: "%s:%s" % m)
def test_each_monitor_is_switched_on_in_both_profiles(plan, chart_defaults, monitor):
    if monitor.release == "collectors":
        collectors = [o for o in plan["scopes"]["release/opentelemetry-operator"]["objects"] if o["kind"] == "OpenTelemetryCollector"]
        assert sorted(c["metadata"]["name"] for c in collectors) == ["vigil-agent", "vigil-events"]
        for collector in collectors:
            assert _lookup(collector, monitor.switch) is True, collector["metadata"]["name"]
            # The operator makes no ServiceMonitor for a sidecar (it makes a PodMonitor instead).
            assert collector["spec"]["mode"] in ("daemonset", "deployment", "statefulset")
        return
    rendered = plan["releases"][monitor.release]["values"]
    # What Helm renders with: the chart's defaults, then these values; a key we leave unset keeps the chart's default.
    assert _lookup(deep_merge(chart_defaults[monitor.release], rendered), monitor.switch) is True
    assert _lookup(rendered, monitor.switch) in (True, None)


def test_both_profiles_run_the_charts_whose_switches_the_table_names(plan):
    # tempo-distributed would take metaMonitoring.serviceMonitor instead of serviceMonitor.
    assert {k: r["chart"] for k, r in plan["releases"].items()} == {
        "kube_prometheus_stack": "kube-prometheus-stack", "loki": "loki", "tempo": "tempo", "opentelemetry": "opentelemetry-operator",
        "alloy": "alloy"}


def operator_metrics_port(config):
    """The port of the operator's <collector>-collector-monitoring Service, as opentelemetry-operator v0.158.0 derives it
    (internal/otelconfig/config.go MetricsEndpoint): service.telemetry.metrics.address when set without readers, else the
    first pull reader's Prometheus port, else 8888 (helpers.go defaultServicePort)."""
    metrics = ((config.get("service") or {}).get("telemetry") or {}).get("metrics") or {}
    readers = metrics.get("readers") or []
    if metrics.get("address") and not readers:
        return int(str(metrics["address"]).rsplit(":", 1)[1])
    for reader in readers:
        prometheus = ((reader.get("pull") or {}).get("exporter") or {}).get("prometheus")
        if prometheus is not None:
            return prometheus.get("port") or 8888
    return 8888


def collector_listens_on(config):
    """(host, port) the collector's own Prometheus endpoint binds to (collector v0.158.0, otelconftelemetry): its
    configured pull reader, else the default reader on localhost:8888."""
    metrics = ((config.get("service") or {}).get("telemetry") or {}).get("metrics") or {}
    for reader in metrics.get("readers") or []:
        prometheus = ((reader.get("pull") or {}).get("exporter") or {}).get("prometheus")
        if prometheus is not None:
            return prometheus.get("host"), prometheus.get("port")
    return "localhost", 8888


@pytest.mark.parametrize("spec_vars", [{}, {"opentelemetry_agent_spec": {"config": {"service": {"telemetry": {"metrics": {"level": "detailed"}}}}},
                                            "opentelemetry_events_spec": {"config": {"service": {"telemetry": {"logs": {"level": "warn"}}}}}}],
                         ids=["default", "telemetry-overridden"])
def test_each_collector_serves_its_metrics_on_the_port_the_monitoring_service_names(spec_vars):
    for profile in sorted(PROFILES):
        plan = plan_helpers.build(dict(PROFILES[profile], **spec_vars))
        for obj in plan["scopes"]["release/opentelemetry-operator"]["objects"]:
            if obj["kind"] != "OpenTelemetryCollector":
                continue
            config = obj["spec"]["config"]
            host, port = collector_listens_on(config)
            assert port == operator_metrics_port(config), (profile, obj["metadata"]["name"])
            # Prometheus scrapes from another pod: the endpoint must listen beyond the loopback interface.
            assert host in ("0.0.0.0", "::", ""), (profile, obj["metadata"]["name"], host)
            assert obj["spec"]["observability"]["metrics"]["enableMetrics"] is True


def test_the_port_derivation_follows_the_operator():
    # The helpers above are the tests' reading of the operator and the collector: checked on the cases they tell apart.
    assert operator_metrics_port({}) == 8888 and collector_listens_on({}) == ("localhost", 8888)
    assert operator_metrics_port({"service": {"telemetry": {"metrics": {"address": "0.0.0.0:9999"}}}}) == 9999
    pull = {"service": {"telemetry": {"metrics": {"readers": [{"periodic": {}}, {"pull": {"exporter": {"prometheus": {"host": "0.0.0.0", "port": 9464}}}}]}}}}
    assert operator_metrics_port(pull) == 9464 and collector_listens_on(pull) == ("0.0.0.0", 9464)
