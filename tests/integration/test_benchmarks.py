# -*- coding: utf-8 -*-
"""The benchmark scripts keep working against the core and the real tools, at tiny sizes.

The figures themselves are in docs/benchmarks.md; these runs only prove the scripts run and that
what the evaluation benchmark compares is sound: our SLO rules and the Sloth-style rules, on the
same raw data in a real Prometheus, record the error ratio the traffic model implies and fire the
same alerts, while ours query fewer samples.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.vigil.observability.benchmarks import generation, rule_eval_cost


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
    run = json.loads(out.read_text())["runs"][0]
    # 26 hours at 0.5x the budget burn, the last at 20x: every window ends in the 20x hour, so the page tier (1h and
    # 5m above 14.4x) fires; the 6h and 3d windows average (5 x 0.5 + 20) / 6 = 3.75x and (25 x 0.5 + 20) / 26 = 1.25x
    # (the 3d window holds the 26 hours there are), above 1x, so the ticket tier (3d and 6h above 1x) fires too.
    assert run["alerts"] == {"ours": {"page": "firing", "ticket": "firing"}, "sloth": {"page": "firing", "ticket": "firing"}}
    expected = {"5m": 20, "1h": 20, "2h": (0.5 + 20) / 2, "6h": (5 * 0.5 + 20) / 6, "1d": (23 * 0.5 + 20) / 24,
                "3d": (25 * 0.5 + 20) / 26, "30d": (25 * 0.5 + 20) / 26}
    got = {w: (ours, sloth) for w, _truth, ours, sloth in run["windows"]}
    for window, burn in expected.items():
        ours, sloth = got[window]
        # The recorded history was computed layer by layer, so our long windows (sums of hourly blocks) hold the
        # whole 26 hours as Sloth's raw rate()s do.
        assert ours == pytest.approx(burn, rel=0.05), window
        assert sloth == pytest.approx(burn, rel=0.05), window
    truth, ours_left, sloth_left = run["budget_left"]
    assert truth == pytest.approx(1 - (25 * 0.5 + 20) / 26, rel=0.05)
    assert ours_left == pytest.approx(truth, rel=0.05)
    # Sloth's budget averages its 5m ratio, which trails the step to 20x by about 2.5 minutes: in 26 hours that is
    # 20 x 2.5 / 60 / 26 = 0.03 of the budget left over (a month makes it smaller).
    assert sloth_left == pytest.approx(truth + 0.032, abs=0.015)
    # Every rule whose history other rules read was backfilled: ours in layers (hourly blocks before the sums that
    # read them), Sloth's 5m ratio that its 30d average reads.
    layers = run["layers"]
    assert "slo:sli_error:ratio_rate5m" in layers[0]
    assert any("vigil:slo_requests:block1h" in layer for layer in layers) and len(layers) >= 4
    assert run["ratio_all"] > 5 and run["ratio_alert"] > 5
    assert run["missed_iterations"] == 0


@pytest.mark.slow
@pytest.mark.usefixtures("promtool", "prometheus_binary")
def test_slo_edges_smoke_replays_both_rule_sets_in_prometheus(tmp_path):
    from ansible_collections.vigil.observability.benchmarks import slo_edges  # pylint: disable=import-outside-toplevel

    out = tmp_path / "edges.json"
    assert slo_edges.main(["--smoke", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["problems"] == []
    rows = {row["scenario"]: row for row in figures["rows"]}
    outage = rows["outage"]["edges"]["page"]
    # Every request fails for 30 minutes: the first 1m evaluation already holds 1 minute of errors in the 5m window
    # (20%, above 14.4 x 0.1%), and the page resolves when the 30m window of the 6h tier is clean again, at 1 hour.
    assert outage["exact"] == [60, 3600]
    assert outage["ours"] == [60, 3600] and outage["sloth"] == [60, 3600]
    gap = rows["gap25"]
    # 20 minutes of 100% errors at 10 requests/s inside a 25-minute scrape gap that ends 2h25m into the phases: the
    # page fires at the first evaluation once scraping resumes, and every window of 1h or more holds the 12,000 errors.
    assert gap["gap"]["resume"] == 2 * 3600 + 25 * 60
    assert gap["edges"]["page"]["ours"][0] == gap["gap"]["resume"]
    for check in gap["gap"]["counts"]:
        assert check["expected"] == pytest.approx(12000)
        assert check["ours"] == pytest.approx(12000, rel=0.01), check
    # A 60-minute Prometheus restart (nothing scraped, no rule evaluated) holding 40 minutes of 100% errors: 24,000
    # errors, in every window of 1h or more once it is back, and the ticket fires at its first evaluation.
    restart = rows["restart60"]
    assert restart["gap"]["resume"] == 3 * 3600
    assert restart["edges"]["ticket"]["ours"][0] == restart["gap"]["resume"]
    for check in restart["gap"]["counts"]:
        assert check["expected"] == pytest.approx(24000)
        assert check["ours"] == pytest.approx(24000, rel=0.01), check
    # 30 minutes after: 24,000 errors of the requests since the last scrape before the restart, 30s before it began
    # (90.5 minutes x 600), all counted from the resume on.
    assert restart["gap"]["ratio_1h"]["ours"] == pytest.approx(24000 / (90.5 * 600), rel=0.01)
    # The 30d budget: 12,000 errors of (4 days + 5h25m) x 10 requests/s at a 0.1% budget.
    spent = 12000 / ((4 * 86400 + 2 * 3600 + 25 * 60 + 3 * 3600) * 10) / 0.001
    assert gap["budget"]["exact"] == pytest.approx(1 - spent)
    assert gap["budget"]["ours"] == pytest.approx(1 - spent, rel=0.01)


def test_the_side_by_side_baseline_is_a_collection_tree_of_the_commit(tmp_path):
    from ansible_collections.vigil.observability.benchmarks import baseline  # pylint: disable=import-outside-toplevel

    root = baseline.extract("HEAD", tmp_path / "base")
    tree = root / "ansible_collections" / "vigil" / "observability"
    assert (tree / "galaxy.yml").is_file() and (tree / "playbooks" / "site.yml").is_file()
    assert not (tree / ".git").exists()


def test_the_cost_model_meets_the_targets_and_grows_only_through_raw_reads():
    from ansible_collections.vigil.observability.benchmarks import rule_cost_model  # pylint: disable=import-outside-toplevel

    rows = {(r["series"], r["eval_interval_s"]): r for r in rule_cost_model.table([1000, 10000, 100000])}
    for interval in (30, 60):
        small = rows[(1000, interval)]
        # docs/benchmarks.md's targets (samples per evaluation, Sloth's over ours) at 1,000 raw series, a month of history:
        # alert path 25x, budget 8x, all rules 20x.
        assert small["ratio_alert"] >= 25 and small["ratio_budget"] >= 8 and small["ratio_all"] >= 20, small
        for series in (10000, 100000):
            big = rows[(series, interval)]
            # What is not a raw read costs the same whatever the number of raw series.
            assert big["ours"]["all"] - big["ours"]["raw"] == small["ours"]["all"] - small["ours"]["raw"]
            assert big["ours"]["raw"] == small["ours"]["raw"] * series // 1000
    # The model counts what a range read holds: Sloth's 3d window over 1,000 series scraped every 30s is 8,640 x 1,400.
    assert rule_cost_model.rule_samples('sum(rate(x{code=~"5.."}[3d])) / sum(rate(x[3d]))', 1000, 30) == 8640 * 1400
    assert rule_cost_model.rule_samples("sum(vigil:slo_requests:block1d offset 2d)", 1000, 30) == 1
