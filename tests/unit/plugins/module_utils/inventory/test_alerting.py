# -*- coding: utf-8 -*-
"""inventory/alerting: a team's alerting block and the Alertmanager settings as the inventory gives them: every bad
input a clear error at its variable path, every problem at once, and no secret value in a message (docs/alerting.md)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.plugins.module_utils.inventory import teams as inventory_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.tests.support.alerting_inputs import (
    ALERTMANAGER,
    PD_KEY,
    SLACK_URL,
    SMTP_PASSWORD,
    WEBHOOK_URL,
    assert_no_secret,
    load,
    payments,
    team_vars,
)


def problems_of(team_vars_, alertmanager=None, mode=inventory_alerting.GLOBAL):
    with pytest.raises(build.PlanError) as info:
        load(team_vars_, alertmanager, mode)
    return info.value.problems


# --- bad input ---------------------------------------------------------------------------------------------------

VAR = "observability_team_payments"
RCV = VAR + ".alerting.receivers"


def case(team, expected, alertmanager=None, id=None):  # pylint: disable=redefined-builtin
    """A bad-input case; its inputs are built lazily so that a failing case never prints a secret."""
    return pytest.param(lambda: (copy.deepcopy(team), copy.deepcopy(alertmanager)), expected, id=id)


BAD = [
    case(payments(routes=[{"receiver": "opsgenie"}]),
         [VAR + ".alerting.routes[0].receiver: names receiver 'opsgenie', which the team does not have "
                "(its receivers: pagerduty, slack, email, webhook)"], id="route-unknown-receiver"),
    case({"alerting": {"routes": [{"receiver": "slack"}]}},
         [VAR + ".alerting.routes: the team has routes but no receivers; add them under receivers"], id="routes-no-receivers"),
    case({"alerting": {"receivers": {"pager": {"routing_key": PD_KEY}, "slack": {"api_url": SLACK_URL}}}},
         [RCV + ".pager: unknown receiver kind 'pager' (known: email, msteams, msteamsv2, opsgenie, pagerduty, slack, "
                "webhook); to name a receiver differently, set `kind`"], id="unknown-kind-key"),
    case({"alerting": {"receivers": {"oncall": {"kind": "sms", "url": WEBHOOK_URL}, "slack": {"api_url": SLACK_URL}}}},
         [RCV + ".oncall.kind: unknown receiver kind 'sms' (known: email, msteams, msteamsv2, opsgenie, pagerduty, slack, "
                "webhook)"], id="unknown-kind"),
    case(payments(routes=[{"matchers": ['severity=="critical"'], "receiver": "slack"}]),
         [VAR + ".alerting.routes[0].matchers[0]: is not a matcher"], id="matcher-does-not-parse"),
    case(payments(routes=[{"matchers": ['service=~"(?=x)"'], "receiver": "slack"}]),
         [VAR + ".alerting.routes[0].matchers[0]: is not a matcher"], id="matcher-regex-not-re2"),
    case(payments(routes=[{"matchers": ['severity="critical", service="x"'], "receiver": "slack"}]),
         [VAR + ".alerting.routes[0].matchers[0]: is not a matcher"], id="two-matchers-in-one"),
    case(payments(routes=[{"matchers": ['team="other"'], "receiver": "slack"}]),
         [VAR + ".alerting.routes[0].matchers[0]: must not match on team"], id="matcher-on-team"),
    case({"alerting": {"receivers": {"pagerduty": {}, "slack": {"api_url": SLACK_URL}}}},
         [RCV + ".pagerduty.routing_key: is required"], id="missing-secret"),
    case({"alerting": {"receivers": {"slack": {"api_url": "not a url " + SLACK_URL}}}},
         [RCV + ".slack.api_url: must be an http(s) URL (the value is not shown: it is a secret)"], id="secret-url-invalid"),
    case({"alerting": {"receivers": {"slack": {"api_url": ["x", SLACK_URL]}}}},
         [RCV + ".slack.api_url: must be a non-empty string, got a list"], id="secret-wrong-type"),
    case({"alerting": {"receivers": {"slack": SLACK_URL}}},
         [RCV + ".slack: must be a mapping of the receiver's settings, got a str"], id="receiver-not-a-mapping"),
    case({"alerting": {"receivers": {"slack": {"api_url": SLACK_URL, "chanel": "#x"}}}},
         [RCV + ".slack.chanel: unknown key"], id="receiver-unknown-key"),
    case({"alerting": {"receivers": {"pagerduty": {"routing_key": PD_KEY}}}},
         [RCV + ": has only paging receivers (pagerduty)"], id="only-paging-without-routes"),
    case({"alerting": {"receivers": {"email": {"to": "a@example.com"}}}},
         [RCV + ".email: needs smarthost", RCV + ".email: needs from"], {"default_receiver": "platform"}, id="email-without-smtp"),
    case({"alerting": {"receivers": {"email": {"to": "a@example.com", "auth_password": SMTP_PASSWORD}}}},
         [RCV + ".email.auth_password: needs auth_username"], id="password-without-user"),
    case(payments(), [RCV + ".slack: its receiver name 'payments-slack' is also observability_alertmanager.default_receiver"],
         dict(ALERTMANAGER, default_receiver="payments-slack"), id="receiver-name-collision"),
    case(payments(), ["observability_alertmanager.default_receiver: 'null' is the receiver that drops"],
         dict(ALERTMANAGER, default_receiver="null"), id="default-null"),
    case(payments(group_by=["alertname", "bad-label"]), [VAR + ".alerting.group_by[1]: must be a label name"], id="group-by"),
    case(payments(group_wait="soon"), [VAR + ".alerting.group_wait: must be a Prometheus duration"], id="duration"),
    case({"alerting": {"receivers": {"slack": {"api_url": SLACK_URL}}, "route": []}},
         [VAR + ".alerting.route: unknown key"], id="alerting-unknown-key"),
    case({"alerting": {"receivers": {"Slack_Main": {"kind": "slack", "api_url": SLACK_URL}}}},
         [RCV + ".Slack_Main: a receiver key must be a lower-case name"], id="receiver-key"),
]


@pytest.mark.parametrize("inputs, expected", BAD)
def test_bad_input_is_a_clear_error_naming_the_variable_path(inputs, expected):
    team, alertmanager = inputs()
    problems = problems_of({VAR: team}, alertmanager)
    assert_no_secret("\n".join(problems))
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected):
        assert problem.startswith(start), (problem, start)


def test_every_problem_is_reported_at_once():
    team = payments(routes=[{"receiver": "nope"}, {"matchers": ["x=="], "receiver": "slack"}])
    team["alerting"]["receivers"]["teams"] = {"kind": "teams"}
    problems = problems_of({VAR: team, "observability_team_checkout": {"alerting": {"routes": []}}},
                           dict(ALERTMANAGER, group_wait="never"))
    text = "\n".join(problems)
    for where in (VAR + ".alerting.routes[0].receiver", VAR + ".alerting.routes[1].matchers[0]", RCV + ".teams.kind",
                  "observability_team_checkout.alerting.routes", "observability_alertmanager.group_wait"):
        assert where + ":" in text, text
    assert_no_secret(text)


def test_bad_alertmanager_mode_is_an_error():
    assert problems_of({VAR: payments()}, mode="cluster") == [
        "observability_alertmanager_mode: must be one of global, per_namespace, got 'cluster'"]


def test_team_model_carries_the_parsed_alerting_block():
    problems = Problems()
    settings = team_settings({}, problems)
    (team,) = inventory_teams.parse_teams(inventory_teams.collect_team_inputs(team_vars(payments=payments())), settings, problems)
    assert [r.key for r in team.alerting.receivers] == ["pagerduty", "slack", "email", "webhook"]
    assert team.alerting.routes is None
