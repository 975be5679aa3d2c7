# -*- coding: utf-8 -*-
"""Team alerting inputs that hold secret values, the Alertmanager settings, and the checks that none of those values
leaks: shared by the tests of inventory/alerting, generators/alerting and the plan's alerting part.

`load` reads them the way compose does (tests.support.plan.config); comparing and searching by digest or with
pytest.fail keeps a failing assertion from printing a secret."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.tests.support import plan as support_plan
from ansible_collections.vigil.observability.tests.support import team_plan as build

PD_KEY = "pd-routing-key-7f3a9c1e5b"
SLACK_URL = "https://hooks.slack.example/services/T000/B000/slack-token-4d2e8a"
WEBHOOK_URL = "https://hooks.example.com/payments?token=webhook-token-91b7"
OPSGENIE_KEY = "opsgenie-api-key-0c55d2"
SMTP_PASSWORD = "smtp-password-3e1f77"
PLATFORM_SLACK_URL = "https://hooks.slack.example/services/T000/B111/platform-token-aa12"
TEAMS_URL = "https://example.webhook.office.com/webhookb2/teams-token-5511"
SECRETS = (PD_KEY, SLACK_URL, WEBHOOK_URL, OPSGENIE_KEY, SMTP_PASSWORD, PLATFORM_SLACK_URL, TEAMS_URL)


def payments(**changes):
    team = {
        "alerting": {
            "receivers": {
                "pagerduty": {"routing_key": PD_KEY},
                "slack": {"channel": "#payments-alerts", "api_url": SLACK_URL},
                "email": {"to": "payments-oncall@example.com", "auth_username": "am", "auth_password": SMTP_PASSWORD},
                "webhook": {"url": WEBHOOK_URL},
            },
        }
    }
    team["alerting"].update(changes)
    return team


def checkout():
    return {"alerting": {"receivers": {"opsgenie": {"api_key": OPSGENIE_KEY}, "msteams": {"webhook_url": TEAMS_URL}}}}


ALERTMANAGER = {
    "default_receiver": "platform",
    "receivers": {"slack": {"channel": "#platform-alerts", "api_url": PLATFORM_SLACK_URL}},
    "smtp": {"smarthost": "smtp.example.com:587", "from": "alertmanager@example.com"},
}


def team_vars(**teams):
    return {"observability_team_%s" % name: value for name, value in teams.items()}


def load(team_vars_, alertmanager=None, mode=inventory_alerting.GLOBAL):
    """(the teams' settings, the teams, the Alertmanager settings) of the run, as compose reads them."""
    config = support_plan.config(build.variables(team_vars_, alertmanager=ALERTMANAGER if alertmanager is None else alertmanager,
                                                 alertmanager_mode=mode))
    return config.team_settings, config.teams, config.alertmanager


def digest(value):
    """Compare secrets by digest, so that a failing assertion never prints one."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def assert_no_secret(text):
    # pytest.fail, not assert: assertion introspection would print the secret it found.
    for secret in SECRETS:
        if secret in text:
            pytest.fail("a secret value leaked (%d characters, not shown)" % len(secret), pytrace=False)


def receivers_by_name(config):
    return {r["name"]: r for r in config["receivers"]}
