# -*- coding: utf-8 -*-
"""Monitor inputs: the teams, settings and problems of one team `shop` (namespace `shop-ns`) with one service, beside
two teams that share their namespaces with it, as parse_teams reads them under the teams' settings."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.inventory.teams import parse_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings

VAR = "observability_team_shop"


def load(service, settings_raw=None):
    """Teams, settings and problems for one team `shop` (namespace `shop-ns`) with one service."""
    problems = Problems()
    settings = team_settings(settings_raw or {}, problems)
    # Teams a and b own shop-a and shop-b and share them with shop: its monitors may scrape there.
    neighbours = [("observability_team_%s" % n, {"namespace": "shop-%s" % n, "shares_namespace_with": ["shop"]}, n) for n in "ab"]
    teams = parse_teams([(VAR, {"namespace": "shop-ns", "services": [service]}, "shop")] + neighbours, settings, problems)
    return [t for t in teams if t.name == "shop"], settings, problems.items
