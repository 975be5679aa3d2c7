# -*- coding: utf-8 -*-
"""Golden-signal and self-check alerts under the real promtool: every group passes `check rules --lint-fatal`,
and `test rules` shows each alert firing on its symptom and silent on a healthy series.

Series are built from arithmetic stated next to them (e.g. 2 errors in 100 requests is 2%, above the 1% default),
and the expected labels from docs/monitors-and-alerts.md: team, namespace, service and severity.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.plugins.module_utils.generators import golden
from ansible_collections.vigil.observability.plugins.module_utils.core import objects
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.tests.support.plan import team_settings
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.toolcheck import promtool_check_rules
from ansible_collections.vigil.observability.tests.support.playbook_helpers import example_team_vars
from ansible_collections.vigil.observability.tests.support.promtool_helpers import for_promtool

TEAM_VARS = {
    "observability_team_shop": {
        "namespace": "shop-ns",
        "labels": {"tier": "backend"},
        "services": [
            {"name": "api", "golden_signals": {"saturation": {"threshold": 50, "severity": "critical"}}},
            {"name": "cart", "metrics": {"requests": "cart_operations_total", "status_label": "result", "error_pattern": "error|timeout"},
             "golden_signals": {"latency": False}},
        ],
    },
}
# Default severities (docs/monitors-and-alerts.md): error rate critical, latency and traffic drop warning; saturation is set above.
SEVERITY = {"HighErrorRate": "critical", "HighLatency": "warning", "TrafficDropped": "warning", "RequestQueueDepthHigh": "critical"}


def team_groups(keep_annotations=False):
    result = build.build("c1", TEAM_VARS, [], {}, promtool="skip")
    groups = [g for o in result["objects"] if o["kind"] == "PrometheusRule"
              and o["metadata"]["labels"][objects.COMPONENT_LABEL] == "golden-signals" for g in o["spec"]["groups"]]
    return for_promtool(groups, keep_annotations)


def self_check(keep_annotations=False):
    return for_promtool(golden.self_check_groups(team_settings({}, Problems())), keep_annotations)


def counter(*segments):
    """A counter sampled every minute: (minutes, increase per minute) segments, `None` for minutes without samples."""
    parts, value = [], 0
    for index, (minutes, slope) in enumerate(segments):
        if slope is None:
            parts.append("_x%d" % minutes)
            continue
        start = value if index == 0 else value + slope
        count = minutes if index == 0 else minutes - 1
        parts.append("%s+%sx%d" % (_num(start), _num(slope), count))
        value += slope * minutes
    return " ".join(parts)


def _num(value):
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def run_tests(promtool, tmp_path, groups, tests):
    (tmp_path / "rules.json").write_text(json.dumps({"groups": groups}))
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump({"rule_files": ["rules.json"], "evaluation_interval": "1m", "tests": tests}))
    proc = subprocess.run([promtool, "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def alert(service, name, **extra):
    labels = {"team": "shop", "namespace": "shop-ns", "service": service, "severity": SEVERITY[name], "tier": "backend"}
    labels.update(extra)
    return labels


def api(metric, **labels):
    return "%s{%s}" % (metric, ",".join('%s="%s"' % kv for kv in sorted(dict({"job": "api", "namespace": "shop-ns"}, **labels).items())))


def case(alertname, minute, series, expected):
    return {
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in series],
        "alert_rule_test": [{"eval_time": "%dm" % minute, "alertname": alertname,
                             "exp_alerts": [{"exp_labels": e} for e in expected]}],
    }


REQ = "http_requests_total"
BUCKET = "http_request_duration_seconds_bucket"

GOLDEN_CASES = {
    # 2 of every 100 requests fail: 2% > 1%, for longer than 5m.
    "error rate fires": case("HighErrorRate", 20, [
        (api(REQ, status="200"), counter((30, 98))), (api(REQ, status="500"), counter((30, 2)))],
        [alert("api", "HighErrorRate")]),
    # 0.5% < 1%.
    "error rate healthy": case("HighErrorRate", 20, [
        (api(REQ, status="200"), counter((30, 99.5))), (api(REQ, status="503"), counter((30, 0.5)))], []),
    # 2% errors for 3 minutes only (minutes 10-13): shorter than `for: 5m`.
    "error rate brief spike": case("HighErrorRate", 20, [
        (api(REQ, status="200"), counter((30, 98))), (api(REQ, status="500"), counter((10, 0), (3, 2), (17, 0)))], []),
    # Every request of another namespace's `api` fails: not this service.
    "error rate other namespace": case("HighErrorRate", 20, [
        (api(REQ, status="200"), counter((30, 100))), (api(REQ, status="500", namespace="other"), counter((30, 100)))], []),
    # cart counts operations in cart_operations_total with result=error|timeout: 3 + 2 of 100 = 5%.
    "error rate custom metric names": case("HighErrorRate", 20, [
        ('cart_operations_total{job="cart",namespace="shop-ns",result="ok"}', counter((30, 95))),
        ('cart_operations_total{job="cart",namespace="shop-ns",result="error"}', counter((30, 3))),
        ('cart_operations_total{job="cart",namespace="shop-ns",result="timeout"}', counter((30, 2)))],
        [alert("cart", "HighErrorRate")]),
    # Every request takes 1-2s: p99 = 1 + 0.99 x (2 - 1) = 1.99s > 1s.
    "latency fires": case("HighLatency", 20, [
        (api(BUCKET, le="0.5"), counter((30, 0))), (api(BUCKET, le="1"), counter((30, 0))),
        (api(BUCKET, le="2"), counter((30, 60))), (api(BUCKET, le="+Inf"), counter((30, 60)))],
        [alert("api", "HighLatency")]),
    # Every request under 0.5s: p99 = 0.495s.
    "latency healthy": case("HighLatency", 20, [
        (api(BUCKET, le="0.5"), counter((30, 60))), (api(BUCKET, le="1"), counter((30, 60))),
        (api(BUCKET, le="2"), counter((30, 60))), (api(BUCKET, le="+Inf"), counter((30, 60)))], []),
    # The busiest instance has 80 queued, above 50.
    "saturation fires": case("RequestQueueDepthHigh", 20, [
        (api("http_request_queue_depth", pod="a"), "80x30"), (api("http_request_queue_depth", pod="b"), "20x30")],
        [alert("api", "RequestQueueDepthHigh")]),
    "saturation healthy": case("RequestQueueDepthHigh", 20, [
        (api("http_request_queue_depth", pod="a"), "10x30"), (api("http_request_queue_depth", pod="b"), "20x30")], []),
    # 10 req/s for 70 minutes, then 1 req/s: at minute 100, 1 < 0.5 x 10 (minute 40).
    "traffic drop fires": case("TrafficDropped", 100, [(api(REQ, status="200"), counter((70, 600), (60, 60)))],
                               [alert("api", "TrafficDropped")]),
    # The service's series disappear after minute 70: nothing served is a drop too.
    "traffic drop on vanished series": case("TrafficDropped", 100, [(api(REQ, status="200"), counter((70, 600), (60, None)))],
                                            [alert("api", "TrafficDropped")]),
    "traffic drop healthy": case("TrafficDropped", 100, [(api(REQ, status="200"), counter((130, 600)))], []),
    # Traffic was already near zero (3 per minute = 0.05/s) and stopped: silent.
    "traffic drop near zero": case("TrafficDropped", 100, [(api(REQ, status="200"), counter((70, 3), (60, 0)))], []),
}


def test_golden_groups_pass_promtool_check_rules_lint_fatal(promtool):
    assert promtool_check_rules({"golden": {"groups": team_groups(True)}, "self-check": {"groups": self_check(True)}},
                                promtool=promtool) == {}


def test_example_inventory_rules_pass_promtool(promtool):
    team_vars = example_team_vars()
    for cluster in ("prod-eu", "staging-eu"):
        result = build.build(cluster, team_vars, [], {"clusters": ["prod-eu", "staging-eu"]}, promtool="skip")
        files = build.rule_files(result["objects"])
        assert any("golden" in g["name"] for f in files.values() for g in f["groups"])
        assert promtool_check_rules(files, promtool=promtool) == {}


def test_golden_alerts_fire_on_the_symptom_and_stay_silent_when_healthy(promtool, tmp_path):
    names = sorted(GOLDEN_CASES)
    run_tests(promtool, tmp_path, team_groups(), [GOLDEN_CASES[n] for n in names])
    # Every golden-signal alert has a firing and a silent case above.
    for name in golden.ALERT_NAMES.values():
        cases = [c["alert_rule_test"][0] for c in GOLDEN_CASES.values() if c["alert_rule_test"][0]["alertname"] == name]
        assert any(c["exp_alerts"] for c in cases) and any(not c["exp_alerts"] for c in cases), name


def _failures(metric, extra, slope=1):
    """A failure counter that rises by `slope` per minute for 30 minutes; a flat one when slope is 0."""
    labels = dict({"job": "comp", "namespace": "monitoring"}, **extra)
    return "%s{%s}" % (metric, ",".join('%s="%s"' % kv for kv in sorted(labels.items()))), counter((30, slope))


ALLOY = {"host": "loki-gateway", "tenant": "", "component_id": "loki.write.default", "component_path": "/"}
# (alert, series for the symptom, labels the alert is grouped by, extra static labels).
SELF_CASES = [
    ("ScrapeTargetDown", [('up{job="comp",namespace="monitoring",instance="a:1"}', "0x30"),
                          ('up{job="comp",namespace="monitoring",instance="b:1"}', "1x30")],
     [('up{job="comp",namespace="monitoring",instance="a:1"}', "1x30")], {"job": "comp", "namespace": "monitoring"}, {}),
    ("PrometheusRuleEvaluationFailures", [_failures("prometheus_rule_evaluation_failures_total", {"rule_group": "g"})],
     [_failures("prometheus_rule_evaluation_failures_total", {"rule_group": "g"}, 0)],
     {"job": "comp", "namespace": "monitoring", "rule_group": "g"}, {}),
    ("PrometheusRuleEvaluationsMissed", [_failures("prometheus_rule_group_iterations_missed_total", {"rule_group": "g"})],
     [_failures("prometheus_rule_group_iterations_missed_total", {"rule_group": "g"}, 0)],
     {"job": "comp", "namespace": "monitoring", "rule_group": "g"}, {}),
    ("AlertmanagerNotificationsFailing", [_failures("alertmanager_notifications_failed_total", {"integration": "slack", "reason": "other"})],
     [_failures("alertmanager_notifications_failed_total", {"integration": "slack", "reason": "other"}, 0)],
     {"job": "comp", "namespace": "monitoring", "integration": "slack"}, {}),
    ("LokiLinesDiscarded", [_failures("loki_discarded_samples_total", {"reason": "rate_limited", "tenant": "t1"})],
     [_failures("loki_discarded_samples_total", {"reason": "rate_limited", "tenant": "t1"}, 0)],
     {"job": "comp", "namespace": "monitoring", "reason": "rate_limited", "tenant": "t1"}, {}),
    # Alloy's loki.write series carry host, tenant and (drops) reason, and the component's id and path.
    ("AlloyLogEntriesDropped", [_failures("loki_write_dropped_entries_total", dict(ALLOY, reason="ingester_error"))],
     [_failures("loki_write_dropped_entries_total", dict(ALLOY, reason="ingester_error"), 0)],
     {"job": "comp", "namespace": "monitoring", "host": "loki-gateway", "reason": "ingester_error"}, {}),
    # Failed pushes (no response: -1) beside successful ones; healthy is only 2xx rising.
    ("AlloyLogWritesFailing", [_failures("loki_write_request_duration_seconds_count", dict(ALLOY, status_code="-1")),
                               _failures("loki_write_request_duration_seconds_count", dict(ALLOY, status_code="204"))],
     [_failures("loki_write_request_duration_seconds_count", dict(ALLOY, status_code="-1"), 0),
      _failures("loki_write_request_duration_seconds_count", dict(ALLOY, status_code="204"))],
     {"job": "comp", "namespace": "monitoring", "host": "loki-gateway", "status_code": "-1"}, {}),
    # The collector's names with the _total suffix (a reader configured with type suffixes)...
    ("OtelCollectorExportFailing", [_failures("otelcol_exporter_send_failed_spans_total", {"exporter": "otlp/tempo"})],
     [_failures("otelcol_exporter_send_failed_spans_total", {"exporter": "otlp/tempo"}, 0)],
     {"job": "comp", "namespace": "monitoring", "exporter": "otlp/tempo"}, {"signal": "traces"}),
    ("OtelCollectorExportFailing", [_failures("otelcol_exporter_send_failed_metric_points_total", {"exporter": "prometheusremotewrite"})],
     [_failures("otelcol_exporter_send_failed_metric_points_total", {"exporter": "prometheusremotewrite"}, 0)],
     {"job": "comp", "namespace": "monitoring", "exporter": "prometheusremotewrite"}, {"signal": "metrics"}),
    # ...and without it (the collector's default reader since 0.152, and any reader that leaves the suffix option unset).
    ("OtelCollectorExportFailing", [_failures("otelcol_exporter_send_failed_log_records", {"exporter": "otlphttp/loki"})],
     [_failures("otelcol_exporter_send_failed_log_records", {"exporter": "otlphttp/loki"}, 0)],
     {"job": "comp", "namespace": "monitoring", "exporter": "otlphttp/loki"}, {"signal": "logs"}),
    ("TempoSpansDiscarded", [_failures("tempo_discarded_spans_total", {"reason": "rate_limited", "tenant": "t1"})],
     [_failures("tempo_discarded_spans_total", {"reason": "rate_limited", "tenant": "t1"}, 0)],
     {"job": "comp", "namespace": "monitoring", "reason": "rate_limited", "tenant": "t1"}, {}),
    # Tempo 2: distributor to ingester appends; Tempo 3: distributor to Kafka.
    ("TempoIngestionFailing", [_failures("tempo_distributor_ingester_append_failures_total", {"ingester": "10.0.0.1:9095"})],
     [_failures("tempo_distributor_ingester_append_failures_total", {"ingester": "10.0.0.1:9095"}, 0)],
     {"job": "comp", "namespace": "monitoring"}, {}),
    ("TempoIngestionFailing", [_failures("tempo_distributor_produce_failures_total", {"reason": "timeout"})],
     [_failures("tempo_distributor_produce_failures_total", {"reason": "timeout"}, 0)],
     {"job": "comp", "namespace": "monitoring"}, {}),
]


def test_self_check_alerts_fire_on_the_symptom_and_stay_silent_when_healthy(promtool, tmp_path):
    groups = self_check()
    static = {}
    for rule in groups[0]["rules"]:
        static.setdefault(rule["alert"], []).append(rule["labels"])
    tests = []
    for name, symptom, healthy, grouping, extra in SELF_CASES:
        # severity and component are the rule's own; which one applies is picked by the case's extra labels.
        (labels,) = [dict(s) for s in static[name] if all(s.get(k) == v for k, v in extra.items())]
        labels.update(grouping)
        tests.append(case(name, 20, symptom, [labels]))
        tests.append(case(name, 20, healthy, []))
    run_tests(promtool, tmp_path, groups, tests)
    assert {c[0] for c in SELF_CASES} == set(static)


def test_a_target_down_for_less_than_five_minutes_is_silent(promtool, tmp_path):
    down_briefly = "1x10 0x3 1x16"  # down at minutes 11-13 only
    run_tests(promtool, tmp_path, self_check(), [case("ScrapeTargetDown", 20, [('up{job="comp",namespace="monitoring"}', down_briefly)], [])])


def _render(template, values):
    """The text Prometheus renders: each {{ $value | f }} replaced from `values[f]`, each {{ $labels.x }} from `values`."""
    text = re.sub(r"\{\{ \$value \| (\w+) \}\}", lambda m: values[m.group(1)], template)
    text = re.sub(r"\{\{ \$value \}\}", lambda m: values["value"], text)
    return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: values[m.group(1)], text)


def test_annotations_render_the_value(promtool, tmp_path):
    groups = team_groups(keep_annotations=True) + self_check(keep_annotations=True)
    rules = {r["alert"]: r for g in groups for r in g["rules"] if r.get("labels", {}).get("service", "api") == "api"}
    expected_error = {k: _render(v, {"humanizePercentage": "2%"}) for k, v in rules["HighErrorRate"]["annotations"].items()}
    expected_latency = {k: _render(v, {"humanizeDuration": "1.99s"}) for k, v in rules["HighLatency"]["annotations"].items()}
    expected_down = {k: _render(v, {"value": "1", "job": "comp", "namespace": "monitoring"})
                     for k, v in rules["ScrapeTargetDown"]["annotations"].items()}
    assert "2%" in expected_error["description"] and "1.99s" in expected_latency["description"]
    err = case("HighErrorRate", 20, [(api(REQ, status="200"), counter((30, 98))), (api(REQ, status="500"), counter((30, 2)))],
               [alert("api", "HighErrorRate")])
    err["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"] = expected_error
    lat = case("HighLatency", 20, [(api(BUCKET, le="1"), counter((30, 0))), (api(BUCKET, le="2"), counter((30, 60))),
                                   (api(BUCKET, le="+Inf"), counter((30, 60)))], [alert("api", "HighLatency")])
    lat["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"] = expected_latency
    down_labels = dict(rules["ScrapeTargetDown"]["labels"], job="comp", namespace="monitoring")
    down = case("ScrapeTargetDown", 20, [('up{job="comp",namespace="monitoring",instance="a"}', "0x30")], [down_labels])
    down["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"] = expected_down
    run_tests(promtool, tmp_path, groups, [err, lat, down])


@pytest.mark.parametrize("broken", ["error rate fires", "traffic drop near zero"])
def test_the_harness_notices_a_wrong_expectation(promtool, tmp_path, broken):
    # Guards the tests above: flipping an expectation makes promtool fail.
    wrong = json.loads(json.dumps(GOLDEN_CASES[broken]))
    test = wrong["alert_rule_test"][0]
    test["exp_alerts"] = [] if test["exp_alerts"] else [{"exp_labels": alert("api", test["alertname"])}]
    with pytest.raises(AssertionError):
        run_tests(promtool, tmp_path, team_groups(), [wrong])
