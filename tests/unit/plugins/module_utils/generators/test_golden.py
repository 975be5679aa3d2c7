# -*- coding: utf-8 -*-
"""generators/golden: golden-signal alerts and the platform self-check: which alerts exist with which labels, what series
they read (checked by parsing the expressions, not by comparing text), and that every self-check alert reads series a
monitor of the platform scrapes, in both profiles."""

from __future__ import annotations

from collections import namedtuple

import promql_parser
import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.generators import golden
from ansible_collections.vigil.observability.plugins.module_utils.generators import cluster as manifests
from ansible_collections.vigil.observability.plugins.module_utils.core import objects
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.tests.support.golden_inputs import load
from ansible_collections.vigil.observability.tests.support.plan import team_settings
from ansible_collections.vigil.observability.tests.support.profiles import PROFILES

# Each signal's alert and default severity (docs/monitors-and-alerts.md); saturation has no alert until a threshold is set.
SPEC = {
    "error_rate": ("HighErrorRate", "critical"),
    "latency": ("HighLatency", "warning"),
    "saturation": ("RequestQueueDepthHigh", None),
    "traffic_drop": ("TrafficDropped", "warning"),
}


def rules_of(service, team_extra=None, settings_raw=None):
    teams, settings, problems = load(service, team_extra, settings_raw)
    assert problems == []
    groups = golden.team_groups(teams[0], settings)
    return [rule for group in groups for rule in group["rules"]]


def by_alert(rules):
    return {r["alert"]: r for r in rules}


def selectors(expr):
    """(metric name, {label: (op, value)}, offset) of every vector selector in a PromQL expression."""
    found = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            matchers = {m.name: (str(m.op).rsplit(".", 1)[-1], m.value) for m in node.matchers.matchers}
            found.append((node.name, matchers, node.offset))

    promql_parser.walk(promql_parser.parse(expr), visit, None)
    return found


def test_defaults_are_the_three_alerts_of_the_design_with_their_severities():
    rules = rules_of({"name": "api"})
    alerts = by_alert(rules)
    assert sorted(alerts) == sorted(SPEC[s][0] for s in ("error_rate", "latency", "traffic_drop"))
    for signal in ("error_rate", "latency", "traffic_drop"):
        name, severity = SPEC[signal]
        labels = alerts[name]["labels"]
        assert labels == {"team": "shop", "namespace": "shop-ns", "service": "api", "severity": severity}
        assert "{{ $value" in alerts[name]["annotations"]["description"]
        assert alerts[name]["annotations"]["summary"]
    assert alerts["HighErrorRate"]["for"] == "5m" and alerts["HighLatency"]["for"] == "5m"


def test_default_series_are_the_design_metrics_selected_by_namespace_and_job():
    alerts = by_alert(rules_of({"name": "api"}))
    wanted = {"job": ("Equal", "api"), "namespace": ("Equal", "shop-ns")}
    err = selectors(alerts["HighErrorRate"]["expr"])
    assert {name for name, _m, _o in err} == {"http_requests_total"}
    assert all({k: m[k] for k in wanted} == wanted for _n, m, _o in err)
    # One side counts 5xx on `status`, the other all requests.
    assert sorted(m.get("status", ("", ""))[1] for _n, m, _o in err) == ["", "5.."]
    assert {name for name, _m, _o in selectors(alerts["HighLatency"]["expr"])} == {"http_request_duration_seconds_bucket"}
    drop = selectors(alerts["TrafficDropped"]["expr"])
    assert {o for _n, _m, o in drop if o} and all(str(o) in ("1:00:00", "3600s", "1h") for _n, _m, o in drop if o)
    assert any(o is None for _n, _m, o in drop)


def test_metric_names_labels_and_selector_are_set_per_service():
    service = {
        "name": "cart",
        "metrics": {"selector": '{app="cart", env!="test"}', "requests": "cart_operations_total", "status_label": "result",
                    "error_pattern": "error|timeout", "duration_histogram": "cart_seconds", "queue_depth": "cart_inflight"},
        "golden_signals": {"saturation": {"threshold": 40, "severity": "critical"}},
    }
    alerts = by_alert(rules_of(service))
    assert set(alerts) == {"HighErrorRate", "HighLatency", "RequestQueueDepthHigh", "TrafficDropped"}
    expected = {"app": ("Equal", "cart"), "env": ("NotEqual", "test")}
    for rule in alerts.values():
        for name, matchers, _o in selectors(rule["expr"]):
            # The service's own selector replaces job; the team's namespace is always added (docs/tenancy.md).
            assert "job" not in matchers and matchers["namespace"] == ("Equal", "shop-ns")
            assert {k: matchers[k] for k in expected} == expected, rule["expr"]
            assert name in ("cart_operations_total", "cart_seconds_bucket", "cart_inflight")
    err = selectors(alerts["HighErrorRate"]["expr"])
    assert any(m.get("result") == ("Re", "error|timeout") for _n, m, _o in err)
    assert alerts["RequestQueueDepthHigh"]["labels"]["severity"] == "critical"
    assert {n for n, _m, _o in selectors(alerts["RequestQueueDepthHigh"]["expr"])} == {"cart_inflight"}


def test_each_signal_can_be_turned_off_and_saturation_needs_a_threshold():
    for off in ("error_rate", "latency", "traffic_drop"):
        alerts = by_alert(rules_of({"name": "api", "golden_signals": {off: False}}))
        assert SPEC[off][0] not in alerts and len(alerts) == 2
    all_off = {"name": "api", "golden_signals": {s: False for s in SPEC}}
    teams, settings, problems = load(all_off)
    assert problems == [] and golden.team_groups(teams[0], settings) == []
    _t, _s, problems = load({"name": "api", "golden_signals": {"saturation": True}})
    assert any("golden_signals.saturation: needs a threshold" in p for p in problems), problems


def test_thresholds_windows_and_for_are_adjustable():
    alerts = by_alert(rules_of({"name": "api", "golden_signals": {
        "error_rate": {"threshold_percent": 2.5, "window": "10m", "for": "15m", "severity": "warning"},
        "latency": {"threshold": 0.25, "quantile": 0.95},
        "traffic_drop": {"ratio": 0.3, "min_rate": 2, "offset": "1d", "window": "30m"},
    }}))
    # The value a threshold is compared with, read from the parsed expression.
    err = promql_parser.parse(alerts["HighErrorRate"]["expr"])
    assert str(err.op) == ">" and float(err.rhs.val) == 0.025
    assert alerts["HighErrorRate"]["for"] == "15m" and alerts["HighErrorRate"]["labels"]["severity"] == "warning"
    lat = promql_parser.parse(alerts["HighLatency"]["expr"])
    assert str(lat.op) == ">" and float(lat.rhs.val) == 0.25 and float(lat.lhs.args[0].val) == 0.95
    drop = alerts["TrafficDropped"]["expr"]
    assert "offset 1d" in drop and "[30m]" in drop and "> 2" in drop and "< 0.3 *" in drop


def test_inventory_text_cannot_inject_go_templates_or_promql():
    rules = rules_of({"name": "api", "runbook_url": "https://rb.example.com/{{ .Secret }}",
                      "metrics": {"error_pattern": '5..|"x"'}}, team_extra={"labels": {"owner": "{{ $labels.x }}"}})
    for rule in rules:
        assert rule["annotations"]["runbook_url"] == 'https://rb.example.com/{{ "{{" }} .Secret }}'
        assert rule["labels"]["owner"] == '{{ "{{" }} $labels.x }}'
        for _name, matchers, _o in selectors(rule["expr"]):
            if "status" in matchers:
                assert matchers["status"] == ("Re", '5..|"x"')  # one matcher holding the whole text


def test_runbook_links_fall_back_to_the_platform_base_url():
    alerts = by_alert(rules_of({"name": "api", "golden_signals": {"latency": {"runbook_url": "https://rb/latency"}}},
                               settings_raw={"runbook_base_url": "https://runbooks.example.com/alerts/"}))
    assert alerts["HighLatency"]["annotations"]["runbook_url"] == "https://rb/latency"
    assert alerts["HighErrorRate"]["annotations"]["runbook_url"] == "https://runbooks.example.com/alerts/HighErrorRate"
    assert "runbook_url" not in by_alert(rules_of({"name": "api"}))["HighErrorRate"]["annotations"]


def test_golden_rules_live_in_their_own_prometheus_rule_in_the_team_namespace():
    teams, settings, _problems = load({"name": "api"})
    rules = [o for o in manifests.team_objects(teams[0], settings)
             if o["kind"] == "PrometheusRule" and o["metadata"]["labels"][objects.COMPONENT_LABEL] == "golden-signals"]
    assert len(rules) == 1
    assert rules[0]["metadata"]["namespace"] == "shop-ns"
    assert rules[0]["metadata"]["labels"][objects.TEAM_LABEL] == "shop"


# The platform self-check's alerts (docs/monitors-and-alerts.md), with metric names checked against upstream sources at the pinned versions
# (Prometheus 3.x, Alertmanager 0.34, Loki 3.7, OTel Collector 0.158, Tempo 2.10 and 3.0, Alloy 1.18).
SELF_CHECK_METRICS = {
    "ScrapeTargetDown": {"up"},
    "PrometheusRuleEvaluationFailures": {"prometheus_rule_evaluation_failures_total"},
    "PrometheusRuleEvaluationsMissed": {"prometheus_rule_group_iterations_missed_total"},
    "AlertmanagerNotificationsFailing": {"alertmanager_notifications_failed_total"},
    "LokiLinesDiscarded": {"loki_discarded_samples_total"},
    # Alloy's loki.write (internal/component/common/loki/client/metrics.go): drops, and every push by HTTP status.
    "AlloyLogEntriesDropped": {"loki_write_dropped_entries_total"},
    "AlloyLogWritesFailing": {"loki_write_request_duration_seconds_count"},
    "OtelCollectorExportFailing": {"otelcol_exporter_send_failed_spans", "otelcol_exporter_send_failed_metric_points",
                                   "otelcol_exporter_send_failed_log_records"},
    "TempoSpansDiscarded": {"tempo_discarded_spans_total"},
    "TempoIngestionFailing": {"tempo_distributor_ingester_append_failures_total", "tempo_distributor_produce_failures_total"},
}


def _names_read(expr):
    """Metric names a selector reads: its name, or each alternative of a __name__ regex (with or without _total)."""
    names = set()
    for name, matchers, _o in selectors(expr):
        if name:
            names.add(name)
        elif "__name__" in matchers:
            names.update(alt[:-len("_total")] if alt.endswith("_total") and alt.startswith("otelcol_") else alt
                         for alt in matchers["__name__"][1].split("|"))
    return names


def test_self_check_rule_covers_every_component_in_the_platform_namespace():
    problems = Problems()
    settings = team_settings({"platform_namespace": "observability"}, problems)
    bundle = manifests.build_cluster("c1", [], settings)
    (rule,) = bundle.scopes[manifests.PLATFORM_SCOPE]
    assert rule["kind"] == "PrometheusRule" and rule["metadata"]["namespace"] == "observability"
    assert objects.TEAM_LABEL not in rule["metadata"]["labels"]  # never pruned as a team's object
    read = {}
    for group in rule["spec"]["groups"]:
        for r in group["rules"]:
            read.setdefault(r["alert"], set()).update(_names_read(r["expr"]))
            assert r["labels"]["severity"] in ("critical", "warning")
    assert read == SELF_CHECK_METRICS
    otel = [r for g in rule["spec"]["groups"] for r in g["rules"] if r["alert"] == "OtelCollectorExportFailing"]
    assert sorted(r["labels"]["signal"] for r in otel) == ["logs", "metrics", "traces"]


def test_scrape_target_down_is_grouped_by_job_and_namespace():
    (group,) = golden.self_check_groups(team_settings({}, Problems()))
    rule = next(r for r in group["rules"] if r["alert"] == "ScrapeTargetDown")
    expr = promql_parser.parse(rule["expr"])
    assert sorted(expr.modifier.labels) == ["job", "namespace"]
    assert rule["for"] == "5m"
    (up,) = selectors(rule["expr"])
    assert up[0] == "up"


def test_a_window_under_four_scrape_intervals_is_a_lint_warning():
    teams, settings, problems = load({"name": "api", "monitor": {"interval": "2m"}})
    assert problems == []
    warnings = manifests.build_cluster("c1", teams, settings).warnings
    # 5m windows against a 2m interval: error_rate, latency and traffic_drop.
    assert sorted(w.split(":")[0].rsplit(".", 1)[-1] for w in warnings if "golden_signals" in w) == ["error_rate", "latency", "traffic_drop"]
    teams, settings, _problems = load({"name": "api", "monitor": {"interval": "30s"}})
    assert not [w for w in manifests.build_cluster("c1", teams, settings).warnings if "golden_signals" in w]


def test_a_monitor_scraping_other_namespaces_still_reads_the_team_namespace():
    # The operator labels what a team's monitor scrapes with the monitor's namespace, wherever the targets run.
    teams, settings, problems = load({"name": "api", "monitor": {"namespaces": ["shop-a"]}},
                                     extra_teams=[{"name": "other", "namespace": "shop-a", "shares_namespace_with": ["shop"]}])
    assert problems == []
    shop = next(t for t in teams if t.name == "shop")
    for group in golden.team_groups(shop, settings):
        for rule in group["rules"]:
            for _name, matchers, _o in selectors(rule["expr"]):
                assert matchers["namespace"] == ("Equal", "shop-ns") and matchers["job"] == ("Equal", "api")


# ---------------------------------------------------------------- the platform watches itself
# Every self-check alert reads series that a monitor of the platform scrapes, in both profiles.
#
# The table below is written from the upstream sources and the pinned charts, not from the code under test: which
# metric families each alert reads, and which release's values switch (or which custom resource field) makes the
# monitor that scrapes them. The chart gate (`make test-charts`, tests/charts/test_charts.py) proves on the templated
# charts that those monitors select real Services and pods on ports they name. That the OpenTelemetry collectors serve
# their own metrics where the operator's monitoring Service points: platform/test_opentelemetry.py.

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
