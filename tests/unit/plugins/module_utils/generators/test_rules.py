# -*- coding: utf-8 -*-
"""generators.rules: a team's own rules as rule groups, with the labels every team rule carries."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.generators.rules import service_groups, team_groups
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Service, Team, TeamRule

ALERT = TeamRule("alert", "PaymentsDown", "up == 0", Duration.parse("5m"), Duration.parse("10m"), (("severity", "critical"),),
                 (("summary", "{{ $labels.job }} is down"),), "p")
RECORD = TeamRule("record", "payments:up:sum", "sum(up)", labels=(("tier", "1"),), path="q")


def test_team_rules_carry_the_team_and_its_namespace_and_alerts_the_teams_labels():
    team = Team("payments", "pay", labels=(("cost_center", "{{ cc }}"),), rules=(ALERT, RECORD))
    [group] = team_groups(team)
    assert group["name"] == "rules/payments"
    alert, record = group["rules"]
    assert alert == {"alert": "PaymentsDown", "expr": "up == 0", "for": "5m", "keep_firing_for": "10m",
                     # The team's labels are data, not templates: printed as written.
                     "labels": {"cost_center": '{{ "{{" }} cc }}', "namespace": "pay", "severity": "critical", "team": "payments"},
                     "annotations": {"summary": "{{ $labels.job }} is down"}}
    assert record == {"record": "payments:up:sum", "expr": "sum(up)", "labels": {"namespace": "pay", "team": "payments", "tier": "1"}}


def test_a_services_rules_carry_the_service_and_no_rules_make_no_group():
    team = Team("payments", "pay")
    service = Service("api", None, rules=(ALERT,))
    [group] = service_groups(team, service)
    assert group["name"] == "rules/payments/api" and group["rules"][0]["labels"]["service"] == "api"
    assert team_groups(team) == [] and service_groups(team, Service("web", None)) == []
