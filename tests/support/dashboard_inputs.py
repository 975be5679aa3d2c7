# -*- coding: utf-8 -*-
"""Dashboard inputs: a team `shop` with a ratio and a latency SLO and two services, and the teams, settings and
problems parse_teams makes of teams' inputs (by team name) under the teams' settings."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.inventory.teams import parse_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings

SLO_AVAILABILITY = {"name": "availability", "objective": 99.9, "errors": 'http_requests_total{job="api",status=~"5.."}',
                    "total": 'http_requests_total{job="api"}'}
SLO_LATENCY = {"name": "latency", "objective": 99, "period": "7d", "latency": {
    "histogram": "http_request_duration_seconds", "threshold": 0.5, "selector": '{job="api"}'},
    "tiers": [{"action": "page", "budget_percent": 5, "long_window": "1h", "short_window": "5m"},
              {"action": "ticket", "budget_percent": 10, "long_window": "6h", "short_window": "30m"}]}


def load(teams_raw, settings_raw=None):
    problems = Problems()
    settings = team_settings(settings_raw or {}, problems)
    inputs = [("observability_team_%s" % name.replace("-", "_"), raw, name) for name, raw in teams_raw.items()]
    teams = parse_teams(inputs, settings, problems)
    return teams, settings, problems.items


SHOP = {"namespace": "shop-ns", "services": [
    {"name": "api", "slos": [SLO_AVAILABILITY, SLO_LATENCY], "golden_signals": {"saturation": {"threshold": 10}}},
    {"name": "worker", "golden_signals": {"latency": False}},
]}
