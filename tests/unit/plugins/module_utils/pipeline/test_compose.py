# -*- coding: utf-8 -*-
"""pipeline/compose: the teams' settings of a run (the platform's observability_* settings, the teams_* ones, the scrape
interval and the SLO tiers) and the variables the collection does not know, each problem at its variable."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.tests.support.plan import TEAM_SETTING_VARIABLES, problems as plan_problems, team_settings
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.tests.support.team_inputs import KNAME, problems_of

CASES = [
    # settings
    pytest.param({}, None, {"slo_period": "month"}, [
        "observability_slo_period: must be a Prometheus duration such as 30s, 5m or 1h30m, got 'month'"], id="settings-period"),
    pytest.param({}, None, {"scrape_interval": 30}, [
        "kube_prometheus_stack_scrape_interval: must be a Prometheus duration such as 30s, 5m or 1h (a string), got 30"], id="settings-scrape"),
    pytest.param({}, None, {"retention": "15 d"}, [
        "observability_prometheus_retention: must be a Prometheus duration such as 30s, 5m or 1h30m, got '15 d'"], id="settings-retention"),
    pytest.param({}, None, {"slo_budget_interval": "0s"}, [
        "teams_slo_budget_interval: must be longer than zero, got '0s'"], id="settings-budget-interval"),
    pytest.param({}, None, {"slo_tiers": [{"action": "page"}]}, [
        "observability_slo_tiers[0].budget_percent: is required", "observability_slo_tiers[0].long_window: is required",
        "observability_slo_tiers[0].short_window: is required"], id="settings-tiers"),
    # Every release's namespace follows the platform's (role defaults), so each says so at its own variable.
    pytest.param({}, None, {"platform_namespace": "Mon"}, ["observability_platform_namespace: " + KNAME + "'Mon'"] + [
        "%s_namespace: %s'Mon'" % (role, KNAME) for role in ("kube_prometheus_stack", "loki", "tempo", "opentelemetry", "alloy")],
        id="settings-namespace"),
]


@pytest.mark.parametrize("team_vars, team_list, settings, expected", CASES)
def test_validation_problem(team_vars, team_list, settings, expected):
    assert problems_of(team_vars, team_list, settings) == expected


def test_unknown_settings_key():
    [problem] = plan_problems({"observability_slo_perod": "30d"})
    assert problem.startswith("observability_slo_perod: is not a variable of this collection (known: "), problem


@pytest.mark.parametrize("settings, where", [
    ({"dashboard_label": "not a key"}, "dashboard_label"),
    ({"dashboard_label_value": "x" * 64}, "dashboard_label_value"),
    ({"dashboard_placement": "cluster"}, "dashboard_placement"),
    ({"prometheus_datasource_uid": "a" * 41}, "prometheus_datasource_uid"),
    ({"tempo_datasource_uid": "has space"}, "tempo_datasource_uid"),
    ({"runbook_base_url": "runbooks"}, "runbook_base_url"),
])
def test_bad_dashboard_settings_are_errors(settings, where):
    problems = Problems()
    team_settings(settings, problems)
    assert any(p.startswith("%s:" % TEAM_SETTING_VARIABLES[where]) for p in problems.items), problems.items
