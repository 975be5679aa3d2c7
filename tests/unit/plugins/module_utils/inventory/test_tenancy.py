# -*- coding: utf-8 -*-
"""inventory/tenancy: which team owns a namespace: two teams cannot both manage one, unless the owner shares it."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.tests.support.team_plan import PlanError


def test_two_teams_cannot_both_manage_one_namespace():
    with pytest.raises(PlanError) as err:
        build.build("c1", {"observability_team_a": {"namespace": "shared"}, "observability_team_b": {"namespace": "shared"}},
                    [], {}, promtool="skip")
    assert "observability_team_b.manage_namespace: namespace 'shared' is already managed by team 'a'" in str(err.value)
    build.build("c1", {"observability_team_a": {"namespace": "shared", "shares_namespace_with": ["b"]},
                       "observability_team_b": {"namespace": "shared", "manage_namespace": False}}, [], {}, promtool="skip")
