# -*- coding: utf-8 -*-
"""Golden-signal inputs: the teams, settings and problems of one team `shop` (namespace `shop-ns`) with one service,
as parse_teams reads them under the teams' settings."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.inventory.teams import parse_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings

VAR = "observability_team_shop"


def load(service, team_extra=None, settings_raw=None, extra_teams=()):
    problems = Problems()
    settings = team_settings(settings_raw or {}, problems)
    raw = {"namespace": "shop-ns", "services": [service]}
    raw.update(team_extra or {})
    inputs = [(VAR, raw, "shop")] + [("observability_team_%s" % t["name"], t, None) for t in extra_teams]
    teams = parse_teams(inputs, settings, problems)
    return teams, settings, problems.items
