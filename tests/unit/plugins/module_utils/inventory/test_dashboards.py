# -*- coding: utf-8 -*-
"""inventory/dashboards: a team's own dashboards as the inventory gives them: each bad entry a clear error at its path,
and no two teams claiming one dashboard UID."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.tests.support.dashboard_inputs import SHOP, load


@pytest.mark.parametrize("entry, where, message", [
    ({"name": "x", "json": "{not json"}, "dashboards[0].json", "is not valid JSON"),
    ({"name": "x", "json": "[1, 2]"}, "dashboards[0].json", "must be a JSON object"),
    ({"name": "x", "json": '{"title": "t", "v": NaN}'}, "dashboards[0].json", "is not valid JSON"),
    ({"name": "x", "json": {"title": "t", "uid": "u" * 41}}, "dashboards[0].json.uid", "Grafana UID"),
    ({"name": "x", "json": {"panels": []}}, "dashboards[0].json.title", "is required"),
    ({"name": "x", "json": {"title": "t", "panels": {}}}, "dashboards[0].json.panels", "must be a list"),
    ({"name": "x"}, "dashboards[0].json", "is required"),
    ({"name": "Bad Name", "json": {"title": "t"}}, "dashboards[0].name", "valid Kubernetes name"),
    ({"name": "x", "json": {"title": "t"}, "file": "x.json"}, "dashboards[0].file", "unknown key"),
])
def test_bad_team_dashboards_are_clear_errors(entry, where, message):
    _teams, _settings, problems = load({"shop": dict(SHOP, dashboards=[entry])})
    path = "observability_team_shop.%s" % where
    assert any(p.startswith(path + ":") and message in p for p in problems), problems


def test_two_teams_cannot_claim_one_dashboard_uid():
    dash = [{"name": "overview", "json": {"title": "Overview", "uid": "overview"}}]
    _teams, _settings, problems = load({"shop": dict(SHOP, dashboards=dash), "cart": {"dashboards": dash}})
    assert any("json.uid" in p and "'overview' is also the uid" in p for p in problems), problems
