# -*- coding: utf-8 -*-
"""pipeline/check.py through the real plan builder: rule objects cut to fit with stable names, a changed service
touching only its own objects, every object within the limits, what cannot fit refused at its inventory path, and
promtool's gate on the rules."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.tests.support.team_inventory import SETTINGS, inventory
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import check as checks

OPERATOR_HALF = 256 * 1024  # what the plan allows of the operator's 512 KiB


def slo(name, job):
    return {"name": name, "objective": 99.9, "errors": 'http_requests_total{job="%s",code=~"5.."}' % job,
            "total": 'http_requests_total{job="%s"}' % job, "labels": {"owner": "x" * 40}}


def team(services):
    return {"observability_team_shop": {"services": services}}


def rule_objects(plan, team_name="shop"):
    return {o["metadata"]["name"]: o for o in plan["scopes"]["team/%s" % team_name]["objects"] if o["kind"] == "PrometheusRule"}


def yaml_bytes(spec):
    return len(yaml.dump(spec, Dumper=yaml.SafeDumper, default_flow_style=False, allow_unicode=True, width=80).encode("utf-8"))


def test_a_service_too_large_for_one_object_is_cut_with_stable_names():
    services = [{"name": "huge", "slos": [slo("slo-%02d" % i, "huge") for i in range(40)]}, {"name": "small", "slos": [slo("a", "small")]}]
    plan = plan_helpers.build(team(services))
    rules = rule_objects(plan)
    slo_parts = sorted(n for n in rules if n.startswith("shop-huge-slos"))
    assert slo_parts[0] == "shop-huge-slos" and len(slo_parts) >= 3
    assert slo_parts[1:] == ["shop-huge-slos-%d" % i for i in range(2, len(slo_parts) + 1)]
    seen = []
    for name in ["shop-huge-slos"] + ["shop-huge-slos-%d" % i for i in range(2, len(slo_parts) + 1)]:
        assert yaml_bytes(rules[name]["spec"]) <= OPERATOR_HALF, name
        seen += [g["name"] for g in rules[name]["spec"]["groups"]]
    # Every SLO's two groups, once each, in SLO name order across the parts.
    assert seen == [g for i in range(40) for g in ("slo/shop/huge/slo-%02d" % i, "slo/shop/huge/slo-%02d/budget" % i)]
    assert list(rule_objects(plan)) == list(rule_objects(plan_helpers.build(team(services))))
    assert "shop-small-slos" in rules and "shop-small-slos-2" not in rules


def test_a_changed_service_touches_only_its_own_objects():
    services = [{"name": "api", "slos": [slo("availability", "api")]}, {"name": "worker", "slos": [slo("availability", "worker")]}]
    before = plan_helpers.build(team(services))["scopes"]["team/shop"]["objects"]
    changed = copy.deepcopy(services)
    changed[1]["slos"][0]["objective"] = 99.5
    after = plan_helpers.build(team(changed))["scopes"]["team/shop"]["objects"]
    differ = sorted(o["metadata"]["name"] for o, p in zip(before, after) if json.dumps(o, sort_keys=True) != json.dumps(p, sort_keys=True))
    assert [o["metadata"]["name"] for o in before] == [o["metadata"]["name"] for o in after]
    assert differ == ["shop-worker-slos"]


def test_a_team_dashboard_that_fits_no_configmap_is_refused_at_its_path():
    big = {"title": "big", "panels": [{"type": "text", "title": "p%d" % i, "options": {"content": "x" * 1000}} for i in range(1100)]}
    lines = plan_helpers.problems(dict(team([{"name": "api"}]), observability_team_shop={
        "services": [{"name": "api"}], "dashboards": [{"name": "ops", "json": big}]}))
    assert len(lines) == 1
    assert lines[0].startswith("observability_team_shop.dashboards[0].json: generates ConfigMap shop/shop-custom-ops-dashboard: "
                               "its data would take ")
    assert "over the 1024.0 KiB (1048576 bytes) the API server accepts" in lines[0]


def test_a_dashboard_just_under_the_limit_is_accepted():
    # Under 1 MiB as written (UTF-8): the old 900 KiB guess on compact JSON with non-ASCII escaped refused it (its CJK
    # text counts six bytes per character escaped, three as UTF-8).
    text = "支付" * 50
    fits = {"title": "cjk", "panels": [{"type": "text", "title": "p%d" % i, "options": {"content": text}} for i in range(2800)]}
    plan = plan_helpers.build({"observability_team_shop": {"services": [{"name": "api"}], "dashboards": [{"name": "ops", "json": fits}]}})
    (cm,) = [o for o in plan["scopes"]["team/shop"]["objects"] if o["metadata"]["name"] == "shop-custom-ops-dashboard"]
    assert 700 * 1024 < len(next(iter(cm["data"].values())).encode("utf-8")) <= 1024 * 1024


def obj(kind, name, namespace="n", **rest):
    return dict({"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}}, **rest)


def test_problems_go_to_the_objects_origin_else_to_its_scope():
    objects = {"team/a": [obj("ConfigMap", "big", data={"k": "x" * (1024 * 1024 + 1)}),
                          obj("ConfigMap", "other", data={"k": "x" * (1024 * 1024 + 1)})]}
    problems = Problems()
    checks.limit_problems(objects, {"team/a": "observability_team_a"}, {("n", "ConfigMap", "big"): "observability_team_a.dashboards[0].json"},
                          problems)
    assert [path for path, _m in problems.pairs] == ["observability_team_a.dashboards[0].json", "observability_team_a"]


def test_rule_group_names_must_be_unique_within_a_namespace():
    rule = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule"}
    objects = {"team/a": [dict(rule, metadata={"name": "a", "namespace": "n"}, spec={"groups": [{"name": "g", "rules": []}]})],
               "team/b": [dict(rule, metadata={"name": "b", "namespace": "n"}, spec={"groups": [{"name": "g", "rules": []}]}),
                          dict(rule, metadata={"name": "c", "namespace": "m"}, spec={"groups": [{"name": "g", "rules": []}]})]}
    problems = Problems()
    checks.rule_group_problems(objects, {"team/a": "observability_team_a", "team/b": "observability_team_b"}, {}, problems)
    assert problems.pairs == [("observability_team_b", "generates rule group 'g' in PrometheusRule n/b, which PrometheusRule n/a also holds")]


def test_a_global_alertmanager_configuration_over_a_secrets_data_is_refused():
    def config(teams):
        return {"route": {"receiver": "platform", "routes": [{"receiver": "t%d-slack" % i, "matchers": ['team="t%d"' % i]}
                                                             for i in range(teams)]},
                "receivers": [{"name": "platform"}] + [{"name": "t%d-slack" % i, "slack_configs": [
                    {"channel": "#team-%d-alerts" % i, "api_url_file": "/etc/alertmanager/secrets/t%d/slack" % i}]} for i in range(teams)]}
    small, large = config(100), config(9000)
    assert yaml_bytes(large) > 1024 * 1024 > yaml_bytes(small)
    problems = Problems()
    checks.alertmanager_config_problems(small, True, problems)
    checks.alertmanager_config_problems(large, False, problems)  # per-namespace: each team's part is its own object
    assert problems.pairs == []
    checks.alertmanager_config_problems(large, True, problems)
    ((path, message),) = problems.pairs
    assert path == "observability_alertmanager_mode" and "its data would take" in message and "per_namespace" in message


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
    assert checks.rule_problems({"team/x": [bad]}, {"team/x": "observability_team_x"}, problems, "require") is True
    (item,) = problems.pairs
    assert item[0] == "observability_team_x" and "fail promtool check rules" in item[1] and "x/broken" in item[1]
    problems = Problems()
    assert checks.rule_problems({}, {}, problems, "require") is True and not problems
