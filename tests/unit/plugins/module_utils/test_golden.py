# -*- coding: utf-8 -*-
"""Golden-signal alerts and the platform self-check: which alerts exist with which labels, what series they read
(checked by parsing the expressions, not by comparing text), settings and their errors."""

from __future__ import annotations

import promql_parser
import pytest

from ansible_collections.vigil.observability.plugins.module_utils.generators import golden
from ansible_collections.vigil.observability.plugins.module_utils.generators import cluster as manifests
from ansible_collections.vigil.observability.plugins.module_utils.core import objects
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.inventory.teams import parse_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings

VAR = "observability_team_shop"
# Each signal's alert and default severity (docs/monitors-and-alerts.md); saturation has no alert until a threshold is set.
SPEC = {
    "error_rate": ("HighErrorRate", "critical"),
    "latency": ("HighLatency", "warning"),
    "saturation": ("RequestQueueDepthHigh", None),
    "traffic_drop": ("TrafficDropped", "warning"),
}


def load(service, team_extra=None, settings_raw=None, extra_teams=()):
    problems = Problems()
    settings = team_settings(settings_raw or {}, problems)
    raw = {"namespace": "shop-ns", "services": [service]}
    raw.update(team_extra or {})
    inputs = [(VAR, raw, "shop")] + [("observability_team_%s" % t["name"], t, None) for t in extra_teams]
    teams = parse_teams(inputs, settings, problems)
    return teams, settings, problems.items


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


@pytest.mark.parametrize("service, where, message", [
    ({"golden_signals": {"error_rate": {"threshold_percent": 120}}}, "golden_signals.error_rate.threshold_percent", "between 0 and 100"),
    ({"golden_signals": {"latency": {"quantile": 1}}}, "golden_signals.latency.quantile", "between 0 and 1"),
    ({"golden_signals": {"latency": {"threshold": 0}}}, "golden_signals.latency.threshold", "greater than 0"),
    ({"golden_signals": {"traffic_drop": {"window": "2h"}}}, "golden_signals.traffic_drop.window", "must not be longer than offset"),
    ({"golden_signals": {"error_rate": {"severity": "page"}}}, "golden_signals.error_rate.severity", "must be one of"),
    ({"golden_signals": {"error_rate": "yes"}}, "golden_signals.error_rate", "must be true, false or a mapping"),
    ({"golden_signals": {"errors": False}}, "golden_signals.errors", "unknown key"),
    ({"golden_signals": {"latency": {"for": "soon"}}}, "golden_signals.latency.for", "Prometheus duration"),
    ({"metrics": {"selector": 'http_requests_total{job="x"}'}}, "metrics.selector", "only label matchers"),
    ({"metrics": {"selector": '{job="x"} or vector(1)'}}, "metrics.selector", "is not a PromQL selector"),
    ({"metrics": {"requests": "http-requests"}}, "metrics.requests", "a metric name"),
    ({"metrics": {"status_label": "status code"}}, "metrics.status_label", "a label name"),
    ({"metrics": {"error_pattern": "5(.."}}, "metrics.error_pattern", "does not parse"),
    ({"metrics": {"duration_histogram": "latency_bucket"}}, "metrics.duration_histogram", "base name"),
])
def test_bad_golden_settings_are_clear_errors(service, where, message):
    service = dict(service, name="api")
    _teams, _settings, problems = load(service)
    path = "%s.services[0].%s" % (VAR, where)
    assert any(p.startswith(path + ":") and message in p for p in problems), problems


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
