# -*- coding: utf-8 -*-
"""The benchmark scripts keep working against the core and the real tools, at tiny sizes.

The figures themselves are in docs/benchmarks.md; these runs only prove the scripts run and that
what the evaluation benchmark compares is sound: our SLO rules and the Sloth-style rules, on the
same raw data in a real Prometheus, record the error ratio the traffic model implies and fire the
same alerts, while ours query fewer samples.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import generation  # noqa: E402  pylint: disable=wrong-import-position
import rule_eval_cost  # noqa: E402  pylint: disable=wrong-import-position


def test_generation_renders_one_file_per_object_and_a_second_render_changes_nothing():
    res = generation.run(teams=3, services=2)
    assert res["objects"] and res["files"] >= len(res["objects"])
    assert res["changed_again"] is False
    _kinds, _groups, records, alerts = generation.count(res["objects"])
    assert records > 0 and alerts > 0


@pytest.mark.slow
@pytest.mark.usefixtures("promtool", "prometheus_binary")
def test_rule_eval_cost_smoke(tmp_path):
    out = tmp_path / "figures.json"
    assert rule_eval_cost.main(["--smoke", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    # 8 hours at 0.5x the budget burn, the last at 20x: every window ends in the 20x hour, so the page
    # tier (1h and 5m above 14.4x) fires; the 6h and 3d windows average (5 x 0.5 + 20) / 6 = 3.75x and
    # (7 x 0.5 + 20) / 8 = 2.94x, above 1x, so the ticket tier (3d and 6h above 1x) fires too.
    assert figures["alerts_first"] == figures["alerts"] == {
        "ours": {"page": "firing", "ticket": "firing"}, "sloth": {"page": "firing", "ticket": "firing"}}
    expected = {"5m": 20, "1h": 20, "6h": (5 * 0.5 + 20) / 6, "3d": (7 * 0.5 + 20) / 8}
    got = {w: (ours, sloth) for w, _model, ours, sloth in figures["windows"]}
    for window, burn in expected.items():
        ours, sloth = got[window]
        # Ours reads 5m rates, so a window lags a burn step by up to 5 minutes: 5/60 of the 1h window.
        assert ours == pytest.approx(burn, rel=0.1) and sloth == pytest.approx(burn, rel=0.05), window
    assert figures["samples"]["sloth"] > 5 * figures["samples"]["ours"]
    assert figures["missed_iterations"] == 0


def test_the_side_by_side_baseline_is_a_collection_tree_of_the_commit(tmp_path):
    import baseline  # noqa: E402  pylint: disable=import-outside-toplevel

    root = baseline.extract("HEAD", tmp_path / "base")
    tree = root / "ansible_collections" / "vigil" / "observability"
    assert (tree / "galaxy.yml").is_file() and (tree / "playbooks" / "site.yml").is_file()
    assert not (tree / ".git").exists()
