# -*- coding: utf-8 -*-
"""A team's own rules and their promtool tests, run as a user runs them: site.yml on a copy of the example inventory,
and the generated rule objects in promtool, on their own, firing and staying quiet."""

from __future__ import annotations

import copy
import subprocess

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support import team_plan
from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, example_team_vars, run_playbook

SITE = REPO / "playbooks" / "site.yml"
TEAM_FILE = ("group_vars", "all", "team_payments.yml")
PAYMENTS = "observability_team_payments"


def _team_file(inventory):
    return inventory.joinpath(*TEAM_FILE)


def _edit_payments(inventory, edit):
    path = _team_file(inventory)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data[PAYMENTS])
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The seed's two alerts, from the example inventory, in promtool on their own


@pytest.fixture(scope="module")
def payment_rules():
    """The rule groups of payments' own PrometheusRule, built by the real plan from the example inventory."""
    result = team_plan.build("prod-eu", {PAYMENTS: example_team_vars()[PAYMENTS]}, [], {"clusters": ["prod-eu"]}, promtool="skip")
    [obj] = [o for o in result["objects"] if o["kind"] == "PrometheusRule" and o["metadata"]["name"] == "payments-payment-service-rules"]
    assert obj["metadata"]["namespace"] == "payments" and obj["metadata"]["labels"]["app.kubernetes.io/component"] == "rules"
    return obj["spec"]["groups"]


def _promtool_test(promtool, tmp_path, groups, test):
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}), encoding="utf-8")
    (tmp_path / "test.yaml").write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [test]}),
                                        encoding="utf-8")
    proc = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _errors(ratio_percent):
    # Counters in the team's namespace, as the ServiceMonitor scrapes them: `ratio_percent` of requests fail.
    return [{"series": 'http_requests_total{job="payment-service",namespace="payments",status="500"}', "values": "0+%dx40" % ratio_percent},
            {"series": 'http_requests_total{job="payment-service",namespace="payments",status="200"}', "values": "0+%dx40" % (100 - ratio_percent)}]


LABELS = {"severity": "critical", "team": "payments", "namespace": "payments", "service": "payment-service", "cost_center": "cc-42"}


def test_the_error_rate_alert_fires_after_its_for_and_carries_the_routing_labels(promtool, tmp_path, payment_rules):
    test = {"interval": "1m", "input_series": _errors(4), "alert_rule_test": [
        {"eval_time": "5m", "alertname": "PaymentServiceHighErrorRate", "exp_alerts": []},  # pending: for 5m not yet over
        {"eval_time": "12m", "alertname": "PaymentServiceHighErrorRate", "exp_alerts": [
            {"exp_labels": LABELS, "exp_annotations": {
                "summary": "Payment service error rate above 1%", "description": "4% of payment requests fail.",
                "runbook_url": "https://runbooks.example.com/payments/high-error-rate"}}]}]}
    code, out = _promtool_test(promtool, tmp_path, payment_rules, test)
    assert code == 0 and "SUCCESS" in out, out


def test_the_error_rate_alert_stays_quiet_under_its_threshold_and_for_other_namespaces(promtool, tmp_path, payment_rules):
    quiet = {"interval": "1m", "input_series": _errors(1)[:0] + [
        {"series": 'http_requests_total{job="payment-service",namespace="payments",status="500"}', "values": "0+1x40"},
        {"series": 'http_requests_total{job="payment-service",namespace="payments",status="200"}', "values": "0+199x40"}],
        "alert_rule_test": [{"eval_time": "30m", "alertname": "PaymentServiceHighErrorRate", "exp_alerts": []}]}
    code, out = _promtool_test(promtool, tmp_path, payment_rules, quiet)
    assert code == 0 and "SUCCESS" in out, out


def test_the_slow_p99_alert_fires_on_the_histogram_and_not_below_one_second(promtool, tmp_path, payment_rules):
    def buckets(fast, mid, slow):
        bounds = (("0.5", fast), ("1", fast + mid), ("2.5", fast + mid + slow), ("+Inf", fast + mid + slow))
        return [{"series": 'http_request_duration_seconds_bucket{job="payment-service",namespace="payments",le="%s"}' % le,
                 "values": "0+%dx40" % count} for le, count in bounds]
    labels = dict(LABELS, severity="warning")
    slow = {"interval": "1m", "input_series": buckets(90, 5, 5), "alert_rule_test": [
        {"eval_time": "9m", "alertname": "PaymentServiceSlowP99", "exp_alerts": []},
        {"eval_time": "20m", "alertname": "PaymentServiceSlowP99", "exp_alerts": [{"exp_labels": labels, "exp_annotations": {
            "summary": "Payment service p99 latency above 1s", "description": "p99 latency is 2.2s.",
            "runbook_url": "https://runbooks.example.com/payments/slow-p99"}}]}]}
    code, out = _promtool_test(promtool, tmp_path, payment_rules, slow)
    assert code == 0 and "SUCCESS" in out, out
    fast = {"interval": "1m", "input_series": buckets(99, 1, 0),
            "alert_rule_test": [{"eval_time": "30m", "alertname": "PaymentServiceSlowP99", "exp_alerts": []}]}
    code, out = _promtool_test(promtool, tmp_path, payment_rules, fast)
    assert code == 0 and "SUCCESS" in out, out


# ---------------------------------------------------------------------------------------------
# Through site.yml


def test_site_yml_runs_the_team_tests_and_a_failing_test_refuses_the_run(tmp_path, promtool):
    inventory = copy_example_inventory(tmp_path / "inventory")
    out = tmp_path / "out"
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, "-e", "observability_promtool=require")
    assert "rule_tests not run" not in proc.stdout + proc.stderr
    rules = yaml.safe_load((out / "prod-eu" / "manifests" / "payments" / "prometheusrule-payments-payment-service-rules.yaml").read_text())
    alerts = {r["alert"]: r for g in rules["spec"]["groups"] for r in g["rules"]}
    assert sorted(alerts) == ["PaymentServiceHighErrorRate", "PaymentServiceSlowP99"]
    # Prometheus' templates reach the rule as written: Ansible did not template them.
    assert alerts["PaymentServiceHighErrorRate"]["annotations"]["description"] == "{{ $value | humanizePercentage }} of payment requests fail."
    catalogue = (out / "prod-eu" / "catalog" / "index.html").read_text(encoding="utf-8")
    assert "PaymentServiceSlowP99</td><td class=\"warning\">warning</td><td>payment-service</td><td></td><td>payments-slack</td><td>the team</td>" in catalogue

    # The test now expects 4% where 3% fail: the run fails at that test, and nothing is written.
    def expect_four_percent(team):
        team["rule_tests"][0]["alert_rule_test"][1]["exp_alerts"][0]["exp_annotations"]["description"] = "4% of payment requests fail."
    _edit_payments(inventory, expect_four_percent)
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % (tmp_path / "out2"), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "observability_team_payments.rule_tests[0]: the test fails (promtool test rules)" in text, text[-4000:]
    assert "4% of payment requests fail." in text and "3% of payment requests fail." in text  # expected and got
    assert "observability_team_payments.rule_tests[1]" not in text
    assert not (tmp_path / "out2").exists()


def test_what_a_team_rule_may_not_do_is_refused_at_its_field_every_problem_at_once(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")

    def hostile(team):
        rules = team["services"][0]["rules"]
        rules[0]["annotations"]["description"] = '{{ with query "sum(rate(http_requests_total[5m]))" }}{{ . | first | value }}{{ end }}'
        rules[1]["expr"] = 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="checkout"}[5m]))) > 1'
        team["rules"] = [
            {"alert": "Forged", "expr": "up == 0", "labels": {"severity": "critical", "team": "checkout", "slo": "availability"}},
            {"alert": "HighErrorRate", "expr": "up == 0", "labels": {"severity": "warning"}},
            {"record": "vigil:slo_error_ratio:rate5m", "expr": "sum(up)", "for": "5m"},
            {"alert": "Unclosed", "expr": "up == 0", "labels": {"severity": "info", "summary": "{{ $labels.job"}},
        ]
    _edit_payments(inventory, hostile)
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % (tmp_path / "out"), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    base = "observability_team_payments."
    for expected in (
            base + "services[0].rules[0].annotations.description: calls query, which queries Prometheus with its full view",
            base + "services[0].rules[1].expr: must not match on namespace other than namespace=\"payments\"",
            base + "rules[0].labels.team: must be 'payments'",
            base + "rules[0].labels.slo: is set by the platform",
            base + "rules[2].record: names a series of the platform",
            base + "rules[2].for: is for alerting rules",
            base + "rules[3].labels.summary: is not a template Prometheus can run: the action at character 1 is not closed",
    ):
        assert expected in text, (expected, text[-6000:])
    assert not (tmp_path / "out").exists()


def test_an_alert_may_not_take_the_name_of_a_generated_one(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    _edit_payments(inventory, lambda team: team.update(rules=[{"alert": "HighErrorRate", "expr": "up == 0", "labels": {"severity": "warning"}},
                                                              {"alert": "SLOErrorBudgetFastBurn", "expr": "up == 0", "labels": {"severity": "info"}}]))
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % (tmp_path / "out"), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    for index, name in enumerate(("HighErrorRate", "SLOErrorBudgetFastBurn")):
        assert "observability_team_payments.rules[%d].alert: %r is the name of an alert the platform generates" % (index, name) in text, text[-4000:]


def test_one_teams_odd_rules_change_nothing_for_another_team():
    # Valid but odd text in one team's rules (Unicode, braces and quotes in strings, a `}}` inside a template string)
    # leaves every other team's objects byte for byte as they were.
    teams = example_team_vars()
    before = team_plan.build("prod-eu", teams, [], {"clusters": ["prod-eu"]}, promtool="skip")
    odd = copy.deepcopy(teams)
    odd[PAYMENTS]["rules"] = [{"alert": "Odd_Text", "expr": 'sum(rate(x_total{path=~"/a\\\\{[0-9]+\\\\}",q="\\"}}"}[5m])) > 0',
                               "labels": {"severity": "info", "note": "🙂 {{ printf \"%s}}\" $labels.job }}"},
                               "annotations": {"summary": "}} {{ \"{{\" }} ä"}}]
    after = team_plan.build("prod-eu", odd, [], {"clusters": ["prod-eu"]}, promtool="skip")
    others = sorted(scope for scope in before["scopes"] if scope.startswith("team/") and scope != "team/payments")
    assert others and all(before["scopes"][scope] == after["scopes"][scope] for scope in others)
    [rule] = [r for o in after["scopes"]["team/payments"] if o["metadata"]["name"] == "payments-rules"
              for g in o["spec"]["groups"] for r in g["rules"]]
    assert rule["expr"] == odd[PAYMENTS]["rules"][0]["expr"] and rule["labels"]["team"] == "payments"
