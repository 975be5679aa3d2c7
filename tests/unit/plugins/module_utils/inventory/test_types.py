# -*- coding: utf-8 -*-
"""inventory/types: a tier's burn factor follows the SLO's period."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ansible_collections.vigil.observability.tests.support.team_inputs import VAR, parse, ratio_slo, team_with


@pytest.mark.parametrize("period_days", [30, 28, 7])
def test_burn_factors_follow_the_period(period_days):
    """Spending p% of the budget within W is a burn of p/100 x period / W, for any period."""
    teams, _settings = parse({VAR: team_with([ratio_slo(period="%dd" % period_days, tiers=[
        {"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m"},
        {"action": "ticket", "budget_percent": 10, "long_window": "3d", "short_window": "6h"},
    ])])})
    slo = teams[0].services[0].slos[0]
    assert [t.burn_factor(slo.period) for t in slo.tiers] == [
        Fraction(2, 100) * period_days * 24, Fraction(10, 100) * Fraction(period_days, 3)]
    if period_days == 30:
        assert [t.burn_factor(slo.period) for t in slo.tiers] == [Fraction("14.4"), 1]
