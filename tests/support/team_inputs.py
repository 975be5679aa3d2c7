# -*- coding: utf-8 -*-
"""Team inputs for the tests of the inventory's parsers (inventory/teams, slo, types, naming) and of compose: a ratio or
latency SLO, a team holding SLOs, and what parse_teams makes of them under the teams' settings (the problems, or the
teams and settings of a run that has none)."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.inventory import teams as inventory_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems

VAR = "observability_team_payments"
SLO_PATH = VAR + ".services[0].slos[0]"
KNAME = ("must be a valid Kubernetes name (lower-case letters, digits and '-', starting and ending with a letter or "
         "digit, at most 63 characters), got ")


def ratio_slo(**changes):
    slo = {"name": "availability", "objective": 99.9, "errors": 'http_requests_total{job="api",code=~"5.."}',
           "total": 'http_requests_total{job="api"}'}
    slo.update(changes)
    return {k: v for k, v in slo.items() if v is not None}


def latency_slo(**changes):
    latency = {"histogram": "http_request_duration_seconds", "threshold": 0.5, "selector": '{job="api"}'}
    latency.update(changes)
    return {"name": "latency", "objective": 99, "latency": {k: v for k, v in latency.items() if v is not None}}


def team_with(slos=None, **team_changes):
    body = {"services": [{"name": "api", "slos": slos if slos is not None else [ratio_slo()]}]}
    body.update(team_changes)
    return body


def problems_of(team_vars=None, team_list=None, settings=None):
    problems = Problems()
    parsed_settings = team_settings(settings or {}, problems)
    inputs = inventory_teams.collect_team_inputs(team_vars or {}, team_list)
    inventory_teams.parse_teams(inputs, parsed_settings, problems)
    return problems.items


def parse(team_vars=None, team_list=None, settings=None):
    problems = Problems()
    parsed_settings = team_settings(settings or {}, problems)
    teams = inventory_teams.parse_teams(inventory_teams.collect_team_inputs(team_vars or {}, team_list), parsed_settings, problems)
    assert problems.items == []
    return teams, parsed_settings
