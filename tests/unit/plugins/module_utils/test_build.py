# -*- coding: utf-8 -*-
"""The teams' part of the plan (through tests.support.team_plan, the real build_plan): everything is validated before
anything is returned, every problem at once; the same inventory in any order gives byte-identical files; promtool
gates the rules."""

from __future__ import annotations

import copy
import random

import pytest

from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import check, render

MANAGED_BY = "app.kubernetes.io/managed-by"
TEAM_LABEL = "vigil.observability/team"


def ratio_slo(name="availability", **changes):
    slo = {"name": name, "objective": 99.9, "errors": 'http_requests_total{job="api",code=~"5.."}', "total": 'http_requests_total{job="api"}'}
    slo.update(changes)
    return slo


def inventory():
    team_vars = {
        "observability_team_payments": {
            "namespace": "payments",
            "labels": {"cost_center": "cc-42", "tier": "1"},
            "clusters": ["prod", "staging"],
            "services": [
                {"name": "payment-service", "runbook_url": "https://r/p", "slos": [
                    ratio_slo(),
                    ratio_slo("errors-fast", tiers=[
                        {"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m"},
                        {"action": "page", "budget_percent": 5, "long_window": "6h", "short_window": "30m"},
                        {"action": "ticket", "budget_percent": 10, "long_window": "1d", "short_window": "2h"},
                    ]),
                    {"name": "latency", "objective": 99,
                     "latency": {"histogram": "http_request_duration_seconds", "threshold": 0.5, "selector": '{job="payment-service"}'}},
                ]},
                {"name": "ledger", "slos": [ratio_slo(min_events=10, no_data=True)]},
            ],
        },
        "observability_team_checkout": {"clusters": ["prod"], "services": [{"name": "cart", "slos": [ratio_slo(period="28d")]}]},
    }
    team_list = [{"name": "search", "services": [{"name": "query", "slos": [ratio_slo(objective="99.5")]}]},
                 {"name": "idle"}]
    return team_vars, team_list


SETTINGS = {"clusters": ["prod", "staging"], "retention": "35d"}


def shuffled(team_vars, team_list, seed):
    """The same inventory with every order that carries no meaning changed."""
    rng = random.Random(seed)
    team_vars = copy.deepcopy(team_vars)
    team_list = copy.deepcopy(team_list)
    for team in list(team_vars.values()) + team_list:
        rng.shuffle(team.get("services", []))
        for service in team.get("services", []):
            rng.shuffle(service.get("slos", []))
            for slo in service.get("slos", []):
                rng.shuffle(slo.get("tiers", []))
        if "labels" in team:
            team["labels"] = dict(rng.sample(sorted(team["labels"].items()), len(team["labels"])))
        if "clusters" in team:
            rng.shuffle(team["clusters"])
    team_vars = dict(rng.sample(sorted(team_vars.items()), len(team_vars)))
    rng.shuffle(team_list)
    return team_vars, team_list


def rendered(result):
    """Every file the render mode would write, as bytes."""
    return {scope: {path: text.encode("utf-8") for path, text in render.object_files(objects).items()}
            for scope, objects in result["scopes"].items()}


def test_same_input_byte_identical_output_in_any_order():
    team_vars, team_list = inventory()
    reference = rendered(build.build("prod", team_vars, team_list, SETTINGS, promtool="skip"))
    assert reference["team/payments"]
    assert rendered(build.build("prod", team_vars, team_list, SETTINGS, promtool="skip")) == reference
    for seed in range(4):
        assert rendered(build.build("prod", *shuffled(team_vars, team_list, seed), SETTINGS, promtool="skip")) == reference


def test_scopes_teams_and_labels():
    team_vars, team_list = inventory()
    staging = build.build("staging", team_vars, team_list, SETTINGS, promtool="skip")
    assert staging["teams"] == ["idle", "payments", "search"]  # checkout only runs on prod
    assert sorted(k for k in staging["scopes"] if k.startswith("team/")) == ["team/idle", "team/payments", "team/search"]
    # A team without services has no rules, but is a scope (so what it had before is pruned).
    assert [o for o in staging["scopes"]["team/idle"] if o["kind"] == "PrometheusRule"] == []
    rules = [o for o in staging["objects"] if o["kind"] == "PrometheusRule" and o["metadata"]["labels"].get("app.kubernetes.io/component") == "slo"]
    # One PrometheusRule per service with SLOs: <team>-<service>-slos.
    assert sorted((o["metadata"]["namespace"], o["metadata"]["name"]) for o in rules) == [
        ("payments", "payments-ledger-slos"), ("payments", "payments-payment-service-slos"), ("search", "search-query-slos")]
    for obj in staging["objects"]:
        labels = obj["metadata"]["labels"]
        assert labels[MANAGED_BY] == "vigil.observability"
    for obj in rules:
        assert obj["metadata"]["labels"][TEAM_LABEL] == obj["metadata"]["name"].split("-")[0]
    assert sorted(build.rule_files(rules)) == ["payments/payments-ledger-slos", "payments/payments-payment-service-slos",
                                               "search/search-query-slos"]
    # Each holds exactly its service's SLOs, two groups per SLO.
    by_name = {o["metadata"]["name"]: [g["name"] for g in o["spec"]["groups"]] for o in rules}
    assert by_name["payments-ledger-slos"] == ["slo/payments/ledger/availability", "slo/payments/ledger/availability/budget"]
    assert len(by_name["payments-payment-service-slos"]) == 6


def test_only_teams():
    team_vars, team_list = inventory()
    result = build.build("prod", team_vars, team_list, SETTINGS, only_teams=["checkout"], promtool="skip")
    assert result["teams"] == ["checkout"] and [k for k in result["scopes"] if k.startswith("team/")] == ["team/checkout"]
    with pytest.raises(build.PlanError, match="observability_only_teams: names unknown team 'nope'"):
        build.build("prod", team_vars, team_list, SETTINGS, only_teams=["checkout", "nope"], promtool="skip")


def test_every_problem_at_once_and_nothing_built():
    team_vars, team_list = inventory()
    team_vars["observability_team_payments"]["services"][0]["slos"][0]["objective"] = 120
    team_vars["observability_team_checkout"]["services"][0]["slos"][0]["errors"] = 'x{a="1"'
    team_list[0]["services"][0]["slos"][0]["tiers"] = [{"action": "page"}]
    team_list.append({"name": "payments"})
    with pytest.raises(build.PlanError) as info:
        build.build("prod", team_vars, team_list, dict(SETTINGS, slo_period="a month"), promtool="skip")
    paths = [p.split(": ", 1)[0] for p in info.value.problems]
    assert paths == [
        "observability_slo_period",
        "observability_team_checkout.services[0].slos[0].errors",
        "observability_team_payments.services[0].slos[0].objective",
        "observability_teams[0].services[0].slos[0].tiers[0].budget_percent",
        "observability_teams[0].services[0].slos[0].tiers[0].long_window",
        "observability_teams[0].services[0].slos[0].tiers[0].short_window",
        "observability_teams[2]",
    ]
    assert "observability_team_payments.services[0].slos[0].objective: must be between 0 and 100 (exclusive), got 120" in str(info.value)
    assert str(info.value).startswith("7 problems in the observability inventory:")


def test_lint_warnings_are_returned():
    team_vars = {"observability_team_a": {"services": [{"name": "s", "slos": [ratio_slo(objective=90)]}]}}
    result = build.build("c", team_vars, [], {"retention": "15d"}, promtool="skip")
    assert any("can never fire" in w for w in result["warnings_lint"])
    assert any("retention" in w for w in result["warnings_lint"])


def test_promtool_gate(promtool, monkeypatch, tmp_path):
    team_vars, team_list = inventory()
    assert build.build("prod", team_vars, team_list, SETTINGS, promtool="require")["promtool_checked"] is True
    assert build.build("prod", team_vars, team_list, SETTINGS, promtool="auto")["promtool_checked"] is True
    assert build.build("prod", team_vars, team_list, SETTINGS, promtool="skip")["promtool_checked"] is False
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without promtool
    assert build.build("prod", team_vars, team_list, SETTINGS, promtool="auto")["promtool_checked"] is False
    with pytest.raises(build.PlanError, match="observability_promtool: is require, but promtool is not on PATH"):
        build.build("prod", team_vars, team_list, SETTINGS, promtool="require")


def test_rules_promtool_rejects_stop_the_build(promtool):
    bad = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
           "metadata": {"name": "broken", "namespace": "x", "labels": {}},
           "spec": {"groups": [{"name": "g", "rules": [{"record": "r", "expr": "sum(rate(x[5m])"}]}]}}
    problems = Problems()
    assert check.rule_problems({"team/x": [bad]}, {"team/x": "observability_team_x"}, problems, "require") is True
    (item,) = problems.pairs
    assert item[0] == "observability_team_x" and "fail promtool check rules" in item[1] and "x/broken" in item[1]
    problems = Problems()
    assert check.rule_problems({}, {}, problems, "require") is True and not problems
