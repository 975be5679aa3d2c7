# -*- coding: utf-8 -*-
"""Templating the inventory (plugin_utils/inventory_vars.py `resolve`) with ansible-core's own Templar: an undefined
variable or a Jinja syntax error is reported at the full path of each failing field, every one at once, with the
undefined name; the message never holds the template's text or a value an error quotes (docs/alerting.md, Secrets).

The variables are loaded from YAML as Ansible loads group_vars (trusted as templates), so what is asserted is what
ansible-core 2.19 really says. Expected messages are written by hand.
"""

from __future__ import annotations

import textwrap

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.vigil.observability.plugins.plugin_utils import inventory_vars

SECRETS = ["sk-pasted-next-to-the-variable", "xoxb-inline-in-the-expression", "s3cr3t-vault-value", "defined-secret-token"]

INVENTORY = """
vault_defined: s3cr3t-vault-value
vault_token: defined-secret-token
observability_team_payments:
  labels: {cost_center: cc-42}
  alerting:
    receivers:
      slack:
        channel: "#payments"
        api_url: "https://hooks.slack.example/{{ vault_payments_slack }}/sk-pasted-next-to-the-variable"
      pagerduty: {routing_key: "{{ vault_token }}"}
  services:
    - name: checkout
    - name: "{{ servcie_name }}"
      runbook_url: "{{ 'xoxb-inline-in-the-expression' oops }}"
      slos:
        - name: availability
          description: "{{ lookup('file', vault_defined) }}"
observability_team_search:
  services:
    - name: "{{ vault_defined.missing }}"
observability_team_ok:
  services: [{name: "{{ 'api' }}"}]
observability_alertmanager:
  default_receiver: platform
  receivers:
    slack: {channel: "#platform", api_url: "{{ vault_platform_slack_url }}"}
"""


def _resolve(tmp_path, text):
    path = tmp_path / "all.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    loader = DataLoader()
    variables = loader.load_from_file(str(path), trusted_as_template=True)
    return inventory_vars.resolve(variables, Templar(loader=loader), loader)


@pytest.fixture()
def resolved(tmp_path):
    return _resolve(tmp_path, INVENTORY)


def test_every_failing_field_is_named_at_its_full_path_with_the_undefined_name(resolved):
    _values, problems, _raw = resolved
    assert problems == [
        ("observability_alertmanager.receivers.slack.api_url", "cannot be templated: 'vault_platform_slack_url' is undefined"),
        ("observability_team_payments.alerting.receivers.slack.api_url", "cannot be templated: 'vault_payments_slack' is undefined"),
        ("observability_team_payments.services[1].name", "cannot be templated: 'servcie_name' is undefined"),
        ("observability_team_payments.services[1].runbook_url",
         "cannot be templated: Jinja syntax error: expected token 'end of print statement', got 'oops'"),
        ("observability_team_payments.services[1].slos[0].description",
         "cannot be templated: the lookup plugin 'file' failed (its message is not shown: it may quote a value)"),
        ("observability_team_search.services[0].name", "cannot be templated: a str has no attribute 'missing' (undefined)"),
    ]


def test_no_message_holds_a_template_text_or_a_value(resolved):
    _values, problems, _raw = resolved
    text = repr(problems)
    for secret in SECRETS:
        assert secret not in text
    assert "{{" not in text and "hooks.slack.example" not in text


def test_failing_variables_are_left_out_and_the_others_resolved(resolved):
    values, _problems, raw = resolved
    assert "observability_team_payments" not in values and "observability_team_search" not in values
    assert values["observability_team_ok"] == {"services": [{"name": "api"}]}
    # The untemplated input is kept for the masking of the failure (plugins/action/plan.py).
    assert "observability_team_payments" in raw


def test_a_whole_variable_template_is_named_at_the_variable(tmp_path):
    _values, problems, _raw = _resolve(tmp_path, """
        observability_team_x: "{{ team_x_from_elsewhere }}"
        observability_team_y: "{{ oops oops }}"
    """)
    assert problems == [
        ("observability_team_x", "cannot be templated: 'team_x_from_elsewhere' is undefined"),
        ("observability_team_y", "cannot be templated: Jinja syntax error: expected token 'end of print statement', got 'oops'"),
    ]


def test_an_undefined_name_in_a_referenced_variable_is_reported_at_the_field_that_uses_it(tmp_path):
    _values, problems, _raw = _resolve(tmp_path, """
        vault_slack: "{{ vault_slack_typo }}"
        observability_team_x:
          alerting: {receivers: {slack: {channel: "#x", api_url: "{{ vault_slack }}"}}}
    """)
    assert problems == [("observability_team_x.alerting.receivers.slack.api_url",
                         "cannot be templated: 'vault_slack_typo' is undefined")]


def test_syntax_errors_keep_jinja_words_and_leave_out_other_quoted_text(tmp_path):
    _values, problems, _raw = _resolve(tmp_path, """
        observability_team_x:
          services:
            - name: "{{ 'not-a-name-sk-1' + }}"
            - name: "{% endif %} sk-after-the-tag"
            - name: "{{ x | no_such_filter }}"
            - name: "{{ 1 ñame-sk-2 }}"
    """)
    assert problems == [
        ("observability_team_x.services[0].name", "cannot be templated: Jinja syntax error: unexpected 'end of print statement'"),
        ("observability_team_x.services[1].name", "cannot be templated: Jinja syntax error: Encountered unknown tag 'endif'."),
        ("observability_team_x.services[2].name", "cannot be templated: Jinja syntax error: No filter named 'no_such_filter'."),
        ("observability_team_x.services[3].name", "cannot be templated: Jinja syntax error: expected token 'end of print statement', got '...'"),
    ]
    assert "sk-" not in repr(problems)


def test_omit_in_a_field_is_no_problem(tmp_path):
    values, problems, _raw = _resolve(tmp_path, """
        observability_team_x:
          labels: {a: "{{ omit }}", b: kept}
    """)
    assert problems == []
    assert values["observability_team_x"] == {"labels": {"b": "kept"}}


def test_a_team_rules_prometheus_templates_are_kept_as_written_and_the_rest_templated(tmp_path):
    # Labels and annotations of a team's rules, and its rule tests, are Prometheus templates: pasted as the team has
    # them, never read by Jinja. Every other field, the rule's expr and for included, is templated as usual.
    values, problems, _raw = _resolve(tmp_path, """
        payments_window: 5m
        observability_team_payments:
          rules:
            - alert: PaymentsDown
              expr: "up{job=\\"{{ 'payment' }}-service\\"} == 0"
              for: "{{ payments_window }}"
              labels: {severity: critical, instance: "{{ $labels.instance }}"}
              annotations: {description: "{{ $value | humanizePercentage }} {{ with $labels }}{{ .job }}{{ end }}",
                            raw: "{% raw %}{{ $value }}{% endraw %} of {{ 'requests' }}"}
          services:
            - name: api
              rules: [{alert: A, expr: up, labels: {severity: info}, annotations: {summary: "{{ $labels.job }}"}}]
          rule_tests:
            - alert_rule_test: [{alertname: A, exp_alerts: [{exp_annotations: {summary: "{{ not jinja }}"}}]}]
        observability_teams:
          - name: search
            rules: [{alert: B, expr: up, labels: {severity: info}, annotations: {summary: "{{ $value }}"}}]
    """)
    assert problems == []
    rule = values["observability_team_payments"]["rules"][0]
    assert rule["expr"] == 'up{job="payment-service"} == 0' and rule["for"] == "5m"
    assert rule["labels"] == {"severity": "critical", "instance": "{{ $labels.instance }}"}
    # Ansible's own escape still works: Jinja takes the raw block away (and templates the rest of that value).
    assert rule["annotations"] == {"description": "{{ $value | humanizePercentage }} {{ with $labels }}{{ .job }}{{ end }}",
                                   "raw": "{{ $value }} of requests"}
    assert values["observability_team_payments"]["services"][0]["rules"][0]["annotations"] == {"summary": "{{ $labels.job }}"}
    exp = values["observability_team_payments"]["rule_tests"][0]["alert_rule_test"][0]["exp_alerts"][0]
    assert exp == {"exp_annotations": {"summary": "{{ not jinja }}"}}
    assert values["observability_teams"][0]["rules"][0]["annotations"] == {"summary": "{{ $value }}"}
