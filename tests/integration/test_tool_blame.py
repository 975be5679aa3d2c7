# -*- coding: utf-8 -*-
"""A generated configuration that fails the real amtool or promtool names the team (and the receiver) whose part
fails, never only observability_alertmanager: one team's file must not read as the platform's problem
(docs/tenancy.md, Routing). Each part is checked alone with the real amtool (pipeline/check.py `alertmanager_problems`).

The failing input is text that is no valid Unicode: half of a UTF-16 surrogate pair (a string cut in the middle of an
emoji by a tool that counts UTF-16 units). Nothing else the inventory checks accept makes Debian's amtool fail, so the
route and platform cases call `alertmanager_problems` with hand-made configurations.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest

from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import check as pipeline_check

HALF_EMOJI = "\ud83d"  # the first half of U+1F6A8's surrogate pair, alone
PLATFORM = {"default_receiver": "platform",
            "receivers": {"slack": {"channel": "#platform", "api_url": "https://hooks.slack.example/T/B/platform"}}}


def _slack(channel, token):
    return {"channel": channel, "api_url": "https://hooks.slack.example/T/B/%s" % token}


def _variables(**teams):
    out = {"observability_alertmanager": PLATFORM}
    out.update(("observability_team_%s" % name, team) for name, team in teams.items())
    return out


@pytest.fixture(autouse=True)
def _tools(amtool, promtool):
    return amtool, promtool


def test_a_receiver_amtool_refuses_is_blamed_on_the_team_receiver():
    problems = plan_helpers.problems(_variables(
        good={"alerting": {"receivers": {"slack": _slack("#good-\U0001F6A8", "good")}}},
        broken={"alerting": {"receivers": {"slack": _slack("#broken", "broken-slack"),
                                           "chat": dict(_slack("#cut-" + HALF_EMOJI, "broken-chat"), kind="slack")}}},
    ), tools=True)
    amtool_lines = [p for p in problems if "amtool" in p]
    assert len(amtool_lines) == 1, problems
    line = amtool_lines[0]
    assert line.startswith("observability_team_broken.alerting.receivers.chat: "), line
    assert "(broken-chat)" in line and "invalid Unicode character escape code" in line
    # Neither the platform, the team's other receiver, nor the other team is blamed.
    assert not any(p.startswith(("observability_alertmanager", "observability_team_good")) for p in problems), problems
    assert not any(p.startswith("observability_team_broken.alerting.receivers.slack") for p in problems), problems


def test_a_team_list_entry_is_blamed_at_its_list_path():
    problems = plan_helpers.problems({
        "observability_alertmanager": PLATFORM,
        "observability_teams": [{"name": "listed", "alerting": {"receivers": {"slack": _slack(HALF_EMOJI, "listed")}}}],
    }, tools=True)
    assert [p.split(": ", 1)[0] for p in problems if "amtool" in p] == ["observability_teams[0].alerting.receivers.slack"]


def _rule(team, name, expr, labels):
    return {"kind": "PrometheusRule", "metadata": {"name": "%s-%s" % (team, name), "namespace": team},
            "spec": {"groups": [{"name": "%s/%s" % (team, name), "rules": [{"alert": "Example", "expr": expr, "labels": labels}]}]}}


def test_rules_promtool_refuses_are_blamed_on_the_owning_team():
    # promtool's failures already name the owning scope (`rule_problems`): the scope of a team is its variable.
    objects = {
        "team/good": [_rule("good", "golden", "up == 0", {"cost_center": "\u652f\u4ed8 \U0001F6A8"})],
        "team/broken": [_rule("broken", "golden", "up == 0", {"cost_center": "cc-" + HALF_EMOJI}),
                        _rule("broken", "slos", "up ==", {"cost_center": "cc"})],
        "platform": [_rule("monitoring", "self-check", "up == 0", {})],
    }
    paths = {"team/good": "observability_team_good", "team/broken": "observability_team_broken",
             "platform": "observability_platform_namespace"}
    problems = Problems()
    assert pipeline_check.rule_problems(objects, paths, problems, "require")
    assert [path for path, _message in problems.pairs] == ["observability_team_broken", "observability_team_broken"], problems.pairs
    messages = " ".join(message for _path, message in problems.pairs)
    assert "broken/broken-golden" in messages and "invalid Unicode character escape code" in messages
    assert "broken/broken-slos" in messages


# Hand-made configurations: what the plan generates, with one part broken in a way amtool refuses.
def _team(name, path, keys):
    receivers = tuple(SimpleNamespace(key=key, path="%s.alerting.receivers.%s" % (path, key)) for key in keys)
    return SimpleNamespace(name=name, path=path, alerting=SimpleNamespace(receivers=receivers))


CONFIG = {
    "global": {"resolve_timeout": "5m"},
    "route": {"receiver": "platform", "group_by": ["alertname"], "routes": [
        {"receiver": "null", "matchers": ['alertname=~"Watchdog|InfoInhibitor"']},
        {"receiver": "alpha-slack", "matchers": ['namespace="alpha"', 'team="alpha"'], "routes": [{"receiver": "alpha-email"}]},
        {"receiver": "beta-slack", "matchers": ['namespace="beta"', 'team="beta"']},
    ]},
    "receivers": [
        {"name": "alpha-email", "email_configs": [{"to": "alpha@example.com", "from": "am@example.com", "smarthost": "smtp.example.com:25"}]},
        {"name": "alpha-slack", "slack_configs": [{"channel": "#alpha", "api_url": "https://hooks.slack.example/a"}]},
        {"name": "beta-slack", "slack_configs": [{"channel": "#beta", "api_url": "https://hooks.slack.example/b"}]},
        {"name": "null"},
        {"name": "platform", "slack_configs": [{"channel": "#platform", "api_url": "https://hooks.slack.example/p"}]},
    ],
}
TEAMS = [_team("alpha", "observability_team_alpha", ["slack", "email"]), _team("beta", "observability_team_beta", ["slack"])]


def _check(config):
    problems = Problems()
    checked, _swapped = pipeline_check.alertmanager_problems(config, problems, "require", TEAMS)
    assert checked
    return problems.pairs


def test_a_valid_configuration_has_no_problem():
    assert _check(CONFIG) == []


def test_a_team_route_amtool_refuses_is_blamed_on_the_team_alerting():
    config = copy.deepcopy(CONFIG)
    config["route"]["routes"][1]["routes"][0]["matchers"] = ['severity=~"("']  # not a regular expression
    pairs = _check(config)
    assert [path for path, _message in pairs] == ["observability_team_alpha.alerting"], pairs
    assert "routes generated from it fail amtool check-config" in pairs[0][1]


def test_a_failing_platform_part_stays_the_platform_problem():
    config = copy.deepcopy(CONFIG)
    config["route"]["routes"][0]["matchers"] = ['alertname=~"("']
    pairs = _check(config)
    assert [path for path, _message in pairs] == ["observability_alertmanager"], pairs


def test_two_failing_teams_are_each_named():
    config = copy.deepcopy(CONFIG)
    config["receivers"][0]["email_configs"][0]["to"] = "alpha-" + HALF_EMOJI
    config["receivers"][2]["slack_configs"][0]["channel"] = "#beta-" + HALF_EMOJI
    pairs = _check(config)
    assert sorted(path for path, _message in pairs) == ["observability_team_alpha.alerting.receivers.email",
                                                        "observability_team_beta.alerting.receivers.slack"], pairs
    assert all("invalid Unicode character escape code" in message for _path, message in pairs)
