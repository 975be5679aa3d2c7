# -*- coding: utf-8 -*-
"""The slo_burn_rates filter: each tier's burn factor and error-ratio threshold, exact, for one objective."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.vigil.observability.plugins.filter.observability import slo_burn_rates


def test_the_sre_workbook_tiers_for_99_9_over_30_days():
    rates = slo_burn_rates(99.9)
    # 2% of a 30-day budget in 1h burns 14.4 times too fast; with a 0.1% budget that is an error ratio of 1.44%.
    assert [(r["action"], r["long_window"], r["burn_factor"], r["error_ratio_threshold"]) for r in rates] == [
        ("page", "1h", "14.4", "0.0144"), ("page", "6h", "6", "0.006"), ("ticket", "1d", "3", "0.003"), ("ticket", "3d", "1", "0.001")]


def test_own_tiers_and_period():
    (rate,) = slo_burn_rates("99", "28d", [{"action": "page", "budget_percent": 5, "long_window": "2h", "short_window": "10m"}])
    assert rate["burn_factor"] == "16.8" and rate["error_ratio_threshold"] == "0.168"


@pytest.mark.parametrize("args,where", [((100,), "slo_burn_rates.objective"), ((99, "1x"), "slo_burn_rates.period"),
                                        ((99, "30d", [{"action": "page"}]), "slo_burn_rates.tiers[0].budget_percent")])
def test_bad_input_names_the_argument(args, where):
    with pytest.raises(AnsibleFilterError, match=r"%s" % where.replace("[", r"\[").replace("]", r"\]")):
        slo_burn_rates(*args)
