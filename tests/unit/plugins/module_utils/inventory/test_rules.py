# -*- coding: utf-8 -*-
"""inventory.rules: a team's own rules and its promtool tests, read and checked at each field."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.inventory.rules import parse_rule_tests, parse_rules
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import TeamRule

P = "observability_team_payments.rules"
ALERT = {"alert": "PaymentsDown", "expr": 'up{job="payment-service"} == 0', "for": "5m", "labels": {"severity": "critical"},
         "annotations": {"summary": "{{ $labels.instance }} is down"}}


def rules(*items, service="", services=("payment-service",)):
    problems = Problems()
    out = parse_rules([("%s[%d]" % (P, i), item) for i, item in enumerate(items)], problems, "payments", "payments", services, service)
    return out, problems.items


def test_a_pasted_alert_and_recording_rule_are_read_as_written():
    record = {"record": "payments:up:sum", "expr": "sum by (job) (up)", "labels": {"tier": "1"}}
    (alert, rec), found = rules(ALERT, record)
    assert not found
    assert alert == TeamRule("alert", "PaymentsDown", 'up{job="payment-service"} == 0', Duration.parse("5m"), None,
                             (("severity", "critical"),), (("summary", "{{ $labels.instance }} is down"),), P + "[0]")
    assert rec.kind == "record" and rec.labels == (("tier", "1"),) and rec.for_ is None


@pytest.mark.parametrize("change, expected", [
    ({"expr": "sum(rate(x[5m])"}, ".expr: is not a PromQL expression the platform can use: does not parse as PromQL"),
    ({"expr": 'up{namespace="checkout"}'}, '.expr: must not match on namespace other than namespace="payments"'),
    ({"expr": 'up{namespace=~"pay.*"}'}, '.expr: must not match on namespace other than namespace="payments"'),
    ({"expr": 'up{a="1" or b="2"}'}, ".expr: is not a PromQL expression the platform can use: up uses `or` between matchers"),
    ({"labels": {"severity": "page"}}, ".labels.severity: must be one of critical, warning, info"),
    ({"labels": {}}, ".labels.severity: is required"),
    ({"labels": {"severity": "critical", "team": "checkout"}}, ".labels.team: must be 'payments'"),
    ({"labels": {"severity": "critical", "namespace": "checkout"}}, ".labels.namespace: must be 'payments'"),
    ({"labels": {"severity": "critical", "service": "ledger"}}, ".labels.service: must be 'payment-service'"),
    ({"labels": {"severity": "critical", "slo": "x"}}, ".labels.slo: is set by the platform"),
    ({"labels": {"severity": "critical", "alertname": "x"}}, ".labels.alertname: is set by the platform"),
    ({"labels": {"severity": "critical", "__tmp": "x"}}, ".labels.__tmp: is not a label name a rule may set"),
    ({"labels": {"severity": "critical", "n": 3}}, ".labels.n: must be a string, got 3"),
    ({"annotations": {"d": '{{ with query "up" }}{{ . }}{{ end }}'}}, ".annotations.d: calls query, which queries Prometheus"),
    ({"annotations": {"d": "{{ $value"}}, ".annotations.d: is not a template Prometheus can run"),
    ({"annotations": {"bad-name": "x"}}, ".annotations.bad-name: is not an annotation name"),
    ({"alert": "Bad Name"}, ".alert: must be an alert name"),
    ({"record": "x:y"}, ": needs exactly one of alert (an alerting rule) and record (a recording rule)"),
    ({"for": "soon"}, ".for: "),
    ({"bogus": 1}, ".bogus: unknown key"),
])
def test_what_reaches_past_the_team_is_refused_at_its_field(change, expected):
    found = rules(dict(ALERT, **change))[1]
    assert any(line.startswith(P + "[0]" + expected) for line in found), found


def test_a_recording_rule_writes_no_platform_series_and_has_no_alert_fields():
    found = rules({"record": "vigil:slo_requests:rate5m", "expr": "sum(up)", "for": "1m", "annotations": {"a": "b"},
                   "labels": {"severity": "critical"}})[1]
    for expected in (".record: names a series of the platform", ".for: is for alerting rules", ".annotations: is for alerting rules",
                     ".labels.severity: is for alerting rules"):
        assert any(line.startswith(P + "[0]" + expected) for line in found), (expected, found)


def test_every_problem_of_every_rule_at_once():
    found = rules(dict(ALERT, expr="sum("), dict(ALERT, labels={"severity": "x"}), {"record": "ok:x", "expr": "up"})[1]
    assert [line.split(":", 1)[0] for line in found] == [P + "[0].expr", P + "[1].labels.severity"]


def test_a_service_rule_may_name_only_its_service():
    assert not rules(dict(ALERT, labels={"severity": "info", "service": "api"}), service="api", services=())[1]
    found = rules(dict(ALERT, labels={"severity": "info", "service": "web"}), service="api", services=())[1]
    assert found == [P + "[0].labels.service: must be 'api': the platform labels the team's rules with its own service, which routes them"]


TEST = {"interval": "1m",
        "input_series": [{"series": 'up{job="payment-service"}', "values": "0x10"}],
        "alert_rule_test": [{"eval_time": "10m", "alertname": "PaymentsDown",
                             "exp_alerts": [{"exp_labels": {"severity": "critical", "job": "payment-service"}}]}]}


def read_tests(*items):
    problems = Problems()
    out = parse_rule_tests([("observability_team_payments.rule_tests[%d]" % i, item) for i, item in enumerate(items)], problems,
                           "payments", "payments")
    return out, problems.items


def test_a_test_reads_the_teams_namespace_as_the_cluster_does():
    (test,), found = read_tests(TEST)
    assert not found and test.path == "observability_team_payments.rule_tests[0]"
    assert test.test["input_series"] == [{"series": 'up{job="payment-service",namespace="payments"}', "values": "0x10"}]
    [expected] = test.test["alert_rule_test"][0]["exp_alerts"]
    assert expected["exp_labels"] == {"team": "payments", "namespace": "payments", "severity": "critical", "job": "payment-service"}
    assert test.test["interval"] == "1m" and "promql_expr_test" not in test.test


@pytest.mark.parametrize("change, expected", [
    ({"input_series": [{"series": 'up{namespace="checkout"}', "values": "1x5"}]}, ".input_series[0].series: is in another namespace"),
    ({"input_series": [{"series": 'up{job=~"a.*"}', "values": "1x5"}]}, '.input_series[0].series: is a series'),
    ({"input_series": [{"series": "up{", "values": "1x5"}]}, ".input_series[0].series: is not a series"),
    ({"input_series": [{"series": "up", "values": [1, 2]}]}, ".input_series[0].values: must be promtool's expanding notation"),
    ({"alert_rule_test": [], "promql_expr_test": []}, ": tests nothing"),
    ({"promql_expr_test": [{"expr": "sum(", "eval_time": "1m"}]}, ".promql_expr_test[0].expr: is not a PromQL expression"),
    ({"evaluation_interval": "1m"}, ".evaluation_interval: unknown key"),
])
def test_a_test_that_promtool_could_not_run_is_refused_at_its_field(change, expected):
    found = read_tests(dict(TEST, **change))[1]
    assert any(line.startswith("observability_team_payments.rule_tests[0]" + expected) for line in found), found
