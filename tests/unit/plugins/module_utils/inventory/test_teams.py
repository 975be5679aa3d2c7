# -*- coding: utf-8 -*-
"""inventory/teams: teams and services as the inventory gives them: names from variables and the list, input order
that carries no meaning, and every validation problem of teams and services, each with its variable path, all
reported at once. (SLOs, monitors, golden signals and dashboards have their own tests.)"""

from __future__ import annotations

import copy
import random

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.inventory import teams as inventory_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import ModelError, Problems
from ansible_collections.vigil.observability.tests.support.team_inputs import KNAME, SLO_PATH, VAR, latency_slo, parse, problems_of, ratio_slo, team_with
from ansible_collections.vigil.observability.tests.support.team_inventory import team_objects
from ansible_collections.vigil.observability.tests.support.team_plan import PlanError


def test_team_names_from_variables_and_the_list():
    teams, _settings = parse({
        "observability_team_payments_eu": {},
        "observability_team_x": {"name": "renamed", "namespace": "shared", "labels": {"tier": 1}, "clusters": ["b", "a", "a"]},
        "not_a_team": {"name": "ignored"},
    }, [{"name": "listed"}], settings={"clusters": ["a", "b"]})
    assert [(t.name, t.namespace, t.path) for t in teams] == [
        ("listed", "listed", "observability_teams[0]"),
        ("payments-eu", "payments-eu", "observability_team_payments_eu"),
        ("renamed", "shared", "observability_team_x"),
    ]
    renamed = teams[2]
    assert renamed.labels == (("tier", "1"),) and renamed.clusters == ("a", "b")
    assert renamed.on_cluster("a") and not renamed.on_cluster("c")


def test_input_order_does_not_matter():
    team_vars = {
        "observability_team_b": team_with([ratio_slo(name="z"), ratio_slo(name="a")]),
        "observability_team_a": {"services": [{"name": "s2"}, {"name": "s1", "slos": [latency_slo()]}]},
    }
    team_list = [{"name": "d"}, {"name": "c", "labels": {"y": "1", "x": "2"}}]
    reference = parse(team_vars, team_list)[0]
    rng = random.Random(7)
    for _attempt in range(5):
        shuffled_vars = dict(rng.sample(sorted(team_vars.items()), len(team_vars)))
        shuffled_list = rng.sample(team_list, len(team_list))
        shuffled = copy.deepcopy(shuffled_vars)
        for body in shuffled.values():
            rng.shuffle(body["services"])
        teams = parse(shuffled, shuffled_list)[0]
        # Paths name where each item came from; everything else is the same.
        strip = [(t.name, t.namespace, t.labels, t.clusters, [(s.name, sorted(o.name for o in s.slos)) for s in t.services])
                 for t in teams]
        assert strip == [(t.name, t.namespace, t.labels, t.clusters, [(s.name, sorted(o.name for o in s.slos)) for s in t.services])
                         for t in reference]


CASES = [
    # teams
    pytest.param({}, {"a": {"name": "x"}}, None, ["observability_teams: must be a list of team mappings, got {'a': {'name': 'x'}}"],
                 id="team-list-not-a-list"),
    pytest.param({}, "payments", None, ["observability_teams: must be a list of team mappings, got 'payments'"], id="team-list-string"),
    pytest.param({"observability_team_Pay": {}}, None, None, [
        "observability_team_Pay: the variable name gives team name 'Pay', which is not a valid Kubernetes name; set `name`"],
        id="team-var-name-invalid"),
    pytest.param({VAR: ["x"]}, None, None, [VAR + ": must be a mapping, got ['x']"], id="team-not-a-mapping"),
    pytest.param({}, [{"namespace": "x"}], None, ["observability_teams[0].name: is required"], id="team-list-name-required"),
    pytest.param({}, ["x"], None, ["observability_teams[0]: must be a mapping, got 'x'"], id="team-list-item-not-mapping"),
    pytest.param({VAR: {"name": "Pay"}}, None, None, [VAR + ".name: " + KNAME + "'Pay'"], id="team-name-invalid"),
    pytest.param({VAR: {"name": "p\n"}}, None, None, [VAR + ".name: " + KNAME + "'p\\n'"], id="team-name-trailing-newline"),
    pytest.param({VAR: {"namespace": "a_b"}}, None, None, [VAR + ".namespace: " + KNAME + "'a_b'"], id="team-namespace-invalid"),
    pytest.param({VAR: {"labels": {"1x": "a", "ok": [1]}}}, None, None, [
        VAR + ".labels.1x: is not a valid Prometheus label name", VAR + ".labels.ok: must be a string, got [1]"], id="team-labels-invalid"),
    pytest.param({VAR: {"labels": "a=b"}}, None, None, [VAR + ".labels: must be a mapping, got 'a=b'"], id="team-labels-not-mapping"),
    *[pytest.param({VAR: {"labels": {name: "x"}}}, None, None, [VAR + ".labels.%s: is set by the platform and cannot be overridden" % name],
                   id="team-label-reserved-" + name) for name in ("alertname", "namespace", "service", "severity", "slo", "team")],
    pytest.param({VAR: {"clusters": ["prod", "mars"]}}, None, {"clusters": ["prod"]}, [
        VAR + ".clusters: names 'mars', which is not a host of observability_clusters (prod)"], id="team-cluster-unknown"),
    pytest.param({VAR: {"clusters": "prod"}}, None, None, [VAR + ".clusters: must be a list, got 'prod'"], id="team-clusters-not-list"),
    pytest.param({VAR: {"clusters": [1]}}, None, None, [VAR + ".clusters[0]: must be a string, got 1"], id="team-cluster-not-string"),
    pytest.param({VAR: {"services": {"name": "a"}}}, None, None, [VAR + ".services: must be a list, got {'name': 'a'}"],
                 id="team-services-not-list"),
    pytest.param({VAR: {"onwer": "me"}}, None, None, [
        VAR + ".onwer: unknown key (known keys: alerting, clusters, dashboards, instrumentation, labels, manage_namespace, name, "
        "namespace, namespace_labels, rbac, rule_tests, rules, services, shares_namespace_with, slo_specs)"], id="team-unknown-key"),
    pytest.param({VAR: {}}, [{"name": "payments"}], None, [
        "observability_teams[0]: duplicate team name 'payments' (also defined by %s)" % VAR], id="team-duplicate-var-and-list"),
    pytest.param({}, [{"name": "a"}, {"name": "a"}], None, [
        "observability_teams[1]: duplicate team name 'a' (also defined by observability_teams[0])"], id="team-duplicate-in-list"),
    # services
    pytest.param({VAR: {"services": [{}]}}, None, None, [VAR + ".services[0].name: is required"], id="service-name-required"),
    pytest.param({VAR: {"services": [{"name": "API"}]}}, None, None, [VAR + ".services[0].name: " + KNAME + "'API'"], id="service-name-invalid"),
    pytest.param({VAR: {"services": ["api"]}}, None, None, [VAR + ".services[0]: must be a mapping, got 'api'"], id="service-not-mapping"),
    pytest.param({VAR: {"services": [{"name": "a"}, {"name": "b"}, {"name": "a"}]}}, None, None, [
        VAR + ".services[2].name: duplicate service name 'a' (first at %s.services[0])" % VAR], id="service-duplicate"),
    pytest.param({VAR: {"services": [{"name": "a", "slos": "x"}]}}, None, None, [VAR + ".services[0].slos: must be a list, got 'x'"],
                 id="service-slos-not-list"),
    pytest.param({VAR: {"services": [{"name": "a", "runbook_url": 5}]}}, None, None, [VAR + ".services[0].runbook_url: must be a string, got 5"],
                 id="service-runbook-not-string"),
    pytest.param({VAR: team_with([ratio_slo(), ratio_slo()])}, None, None, [
        VAR + ".services[0].slos[1].name: duplicate SLO name 'availability' (first at %s)" % SLO_PATH], id="slo-duplicate"),
]


@pytest.mark.parametrize("team_vars, team_list, settings, expected", CASES)
def test_validation_problem(team_vars, team_list, settings, expected):
    assert problems_of(team_vars, team_list, settings) == expected


def test_every_problem_at_once():
    """One run reports the problems of every team, service and SLO, in input order, and raises once."""
    team_vars = {
        "observability_team_a": {"namespace": "A", "services": [
            {"name": "s", "slos": [ratio_slo(objective=120), latency_slo(threshold=-1)]},
            {"name": "S"},
        ]},
        "observability_team_b": {"services": [{"name": "t", "slos": [ratio_slo(period="1 day", errors="up{")]}], "extra": 1},
    }
    problems = Problems()
    settings = team_settings({}, problems)
    with pytest.raises(ModelError) as info:
        inventory_teams.parse_teams(inventory_teams.collect_team_inputs(team_vars, [{"name": "c", "services": [{"slos": []}]}]), settings)
    found = info.value.problems
    assert [p.split(":", 1)[0] for p in found] == [
        "observability_team_a.namespace",
        "observability_team_a.services[0].slos[0].objective",
        "observability_team_a.services[0].slos[1].latency.threshold",
        "observability_team_a.services[1].name",
        "observability_team_b.extra",
        "observability_team_b.services[0].slos[0].period",
        "observability_team_b.services[0].slos[0].errors",
        "observability_teams[0].services[0].name",
    ]


@pytest.mark.parametrize("labels,problem", [
    ({"bad key!": "x"}, "namespace_labels.bad key!: is not a valid Kubernetes label key"),
    ({"ok": "not ok!"}, "namespace_labels.ok: is not a valid Kubernetes label value"),
    ({"ok": "x" * 64}, "namespace_labels.ok: is not a valid Kubernetes label value"),
])
def test_bad_namespace_labels_are_named(labels, problem):
    with pytest.raises(PlanError) as err:
        team_objects({"namespace_labels": labels})
    assert "observability_team_payments." + problem in str(err.value)
