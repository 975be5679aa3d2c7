# -*- coding: utf-8 -*-
"""generators/alerting: the route tree, receivers, inhibitions and secret references of the Alertmanager configuration,
checked against docs/alerting.md.

Expected names, matchers and routing come from the contract (receiver `<team>-<key>`, root grouped by alertname,
team and severity at 30s/5m/4h, critical to the paging receiver, everything else to the first other one), not from
the code. No secret value may appear in a configuration, an error message or a repr.
"""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.generators import alerting as generators_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.tests.support.alerting_inputs import (
    ALERTMANAGER,
    OPSGENIE_KEY,
    PD_KEY,
    SECRETS,
    SMTP_PASSWORD,
    assert_no_secret,
    checkout,
    digest,
    load,
    payments,
    receivers_by_name,
    team_vars,
)


def plan_of(team_vars_, alertmanager=None, mode=inventory_alerting.GLOBAL):
    _settings, teams, am = load(team_vars_, alertmanager, mode)
    return generators_alerting.plan(teams, am, "monitoring")


def child(config, team):
    matches = [r for r in config["route"]["routes"] if 'team="%s"' % team in r.get("matchers", [])]
    assert len(matches) == 1, [r.get("matchers") for r in config["route"]["routes"]]
    return matches[0]


# --- the route tree ----------------------------------------------------------------------------------------------


def test_root_routes_to_the_default_receiver_grouped_with_the_contract_defaults():
    config = plan_of(team_vars(payments=payments())).config
    root = config["route"]
    assert root["receiver"] == "platform"
    assert sorted(root["group_by"]) == ["alertname", "severity", "team"]
    assert (root["group_wait"], root["group_interval"], root["repeat_interval"]) == ("30s", "5m", "4h")
    assert "continue" not in root


def test_root_grouping_and_timings_can_be_set():
    am = dict(ALERTMANAGER, group_by=["alertname", "cluster"], group_wait="10s", group_interval="1m", repeat_interval="12h")
    root = plan_of(team_vars(payments=payments()), am).config["route"]
    assert (root["group_by"], root["group_wait"], root["group_interval"], root["repeat_interval"]) == (
        ["alertname", "cluster"], "10s", "1m", "12h")


def test_watchdog_and_info_inhibitor_go_to_a_null_receiver_before_any_team():
    config = plan_of(team_vars(payments=payments())).config
    first = config["route"]["routes"][0]
    assert first["receiver"] == "null"
    assert receivers_by_name(config)["null"] == {"name": "null"}  # no integration: dropped
    (matcher,) = first["matchers"]
    name, op, value = matcher.partition("=~")
    assert (name, op) == ("alertname", "=~")
    assert set(json.loads(value).split("|")) == {"Watchdog", "InfoInhibitor"}


def test_one_child_route_per_team_with_alerting_and_none_for_the_others():
    config = plan_of(team_vars(payments=payments(), checkout=checkout(), search={})).config
    team_children = config["route"]["routes"][1:]
    assert [r["matchers"] for r in team_children] == [['namespace="checkout"', 'team="checkout"'], ['namespace="payments"', 'team="payments"']]
    assert not any(r.get("continue") for r in team_children)  # a team's alerts reach nobody else


def test_receiver_names_are_team_dash_key_and_the_default_keeps_its_name():
    config = plan_of(team_vars(payments=payments(), checkout=checkout())).config
    assert sorted(receivers_by_name(config)) == sorted([
        "null", "platform",
        "payments-pagerduty", "payments-slack", "payments-email", "payments-webhook",
        "checkout-opsgenie", "checkout-msteams",
    ])
    kinds = {name: sorted(k for k in r if k != "name") for name, r in receivers_by_name(config).items()}
    assert kinds["payments-pagerduty"] == ["pagerduty_configs"]
    assert kinds["checkout-msteams"] == ["msteams_configs"]
    assert kinds["platform"] == ["slack_configs"]


@pytest.mark.parametrize("order, pager, fallback", [
    (["pagerduty", "slack", "email", "webhook"], "pagerduty", "slack"),
    (["email", "pagerduty", "webhook", "slack"], "pagerduty", "email"),
    (["webhook", "slack"], None, "webhook"),
    (["opsgenie", "slack"], "opsgenie", "slack"),
])
def test_without_routes_critical_pages_and_everything_else_goes_to_the_first_other_receiver(order, pager, fallback):
    available = dict(payments()["alerting"]["receivers"], opsgenie={"api_key": OPSGENIE_KEY})
    team = {"alerting": {"receivers": {key: available[key] for key in order}}}
    route = child(plan_of(team_vars(payments=team)).config, "payments")
    assert route["receiver"] == "payments-%s" % fallback
    if pager:
        assert route["routes"] == [{"matchers": ['severity="critical"'], "receiver": "payments-%s" % pager}]
    else:
        assert "routes" not in route


def test_team_routes_are_kept_in_order_under_the_team_route_with_their_options():
    routes = [
        {"matchers": ['severity="critical"'], "receiver": "pagerduty", "continue": True},
        {"matchers": ['alertname=~"SLO.*"', 'service!="ledger"'], "receiver": "webhook", "group_wait": "1s"},
        {"receiver": "slack"},
    ]
    route = child(plan_of(team_vars(payments=payments(routes=routes, group_by=["alertname", "service", "slo"],
                                                      repeat_interval="1h"))).config, "payments")
    assert route["group_by"] == ["alertname", "service", "slo"]
    assert route["repeat_interval"] == "1h"
    assert route["routes"] == [
        {"matchers": ['severity="critical"'], "receiver": "payments-pagerduty", "continue": True},
        {"matchers": ['alertname=~"SLO.*"', 'service!="ledger"'], "receiver": "payments-webhook", "group_wait": "1s"},
        {"receiver": "payments-slack"},
    ]


def test_matcher_values_are_escaped_when_printed_back():
    routes = [{"matchers": ["service='we\"ird'"], "receiver": "slack"}]
    route = child(plan_of(team_vars(payments=payments(routes=routes))).config, "payments")
    assert route["routes"][0]["matchers"] == ['service="we\\"ird"']


def test_inhibitions_fast_burn_silences_slow_burn_and_critical_silences_warning():
    rules = plan_of(team_vars(payments=payments())).config["inhibit_rules"]
    by_source = {tuple(r["source_matchers"]): r for r in rules}
    # By severity and the slo label, not by alert name: an SLO may name its alerts (alerting.page.name).
    slo = by_source[('severity="critical"', 'slo=~".+"')]
    assert slo["target_matchers"] == ['severity="warning"', 'slo=~".+"']
    assert {"team", "service", "slo", "namespace"} <= set(slo["equal"])
    sev = by_source[('severity="critical"',)]
    assert sev["target_matchers"] == ['severity="warning"']
    assert {"alertname", "team", "service"} <= set(sev["equal"])


# --- secrets -----------------------------------------------------------------------------------------------------

# What each receiver kind reads from a file in Alertmanager (its documented `*_file` fields).
FILE_FIELDS = {
    "pagerduty_configs": "routing_key_file",
    "opsgenie_configs": "api_key_file",
    "slack_configs": "api_url_file",
    "webhook_configs": "url_file",
    "msteams_configs": "webhook_url_file",
    "email_configs": "auth_password_file",
}


def test_no_secret_in_the_configuration_every_secret_in_a_mounted_file():
    plan = plan_of(team_vars(payments=payments(), checkout=checkout()), dict(ALERTMANAGER, smtp=dict(
        ALERTMANAGER["smtp"], auth_username="am", auth_password=SMTP_PASSWORD)))
    text = yaml.safe_dump(plan.config)
    assert_no_secret(text)
    (secret,) = plan.secrets
    values = {k: v.reveal() for k, v in secret.values}
    assert secret.namespace == "monitoring"
    assert plan.mounted_secrets("monitoring") == [secret.name]
    files = []
    for receiver in plan.config["receivers"]:
        for key, configs in receiver.items():
            if key == "name":
                continue
            for cfg in configs:
                files.append(cfg[FILE_FIELDS[key]])
    files.append(plan.config["global"]["smtp_auth_password_file"])
    prefix = "/etc/alertmanager/secrets/%s/" % secret.name
    assert all(f.startswith(prefix) for f in files), files
    # Each file holds the value of the secret it stands for (the team's and the global SMTP password are the same
    # value here), and nothing else is in the Secret.
    assert sorted(digest(values[f[len(prefix):]]) for f in files) == sorted(digest(s) for s in SECRETS + (SMTP_PASSWORD,))
    assert len(values) == len(files)


def test_secret_keys_name_the_receiver_and_field():
    plan = plan_of(team_vars(payments=payments()))
    keys = plan.secrets[0].keys
    assert "payments-pagerduty.pagerduty.routing_key" in keys
    assert "platform.slack.api_url" in keys
    refs = plan.secret_refs()
    assert refs == [{"name": plan.secrets[0].name, "namespace": "monitoring", "keys": keys,
                     "mounted_at": "/etc/alertmanager/secrets/" + plan.secrets[0].name,
                     "sources": {key: "observability_team_payments.alerting.receivers.%s" % key.split(".", 1)[1]
                                 if key.startswith("payments-") else "observability_alertmanager.receivers.%s" % key.split(".", 1)[1]
                                 for key in keys}}]
    assert_no_secret(json.dumps(refs))


def test_secret_values_never_show_in_reprs():
    plan = plan_of(team_vars(payments=payments()))
    assert_no_secret(repr(plan.secrets))
    _settings, teams, _am = load(team_vars(payments=payments()))
    assert_no_secret(repr(teams))


# --- per namespace -----------------------------------------------------------------------------------------------


def test_per_namespace_mode_moves_team_routes_and_secrets_to_the_team_namespace():
    tv = team_vars(payments=dict(payments(), namespace="pay"), checkout=checkout())
    plan = plan_of(tv, mode=inventory_alerting.PER_NAMESPACE)
    assert_no_secret(yaml.safe_dump(plan.config))
    names = sorted(receivers_by_name(plan.config))
    assert names == ["null", "platform"]  # team receivers live in the AlertmanagerConfig objects
    # The operator adds `continue: true` to a team's route; a stop route after it keeps the alert from the default.
    stops = plan.config["route"]["routes"][1:]
    assert stops == [
        {"receiver": "null", "matchers": ['namespace="checkout"', 'team="checkout"']},
        {"receiver": "null", "matchers": ['namespace="pay"', 'team="payments"']},
    ]
    configs = {team.name: (name, namespace, spec) for team, name, namespace, spec in plan.team_configs}
    name, namespace, spec = configs["payments"]
    assert namespace == "pay"
    assert spec["route"]["matchers"] == [{"name": "team", "value": "payments", "matchType": "="},
                                         {"name": "alertname", "value": "Watchdog|InfoInhibitor", "matchType": "!~"}]
    secrets = {s.team: s for s in plan.secrets}
    assert secrets["payments"].namespace == "pay"
    pd = next(r for r in spec["receivers"] if r["name"] == "payments-pagerduty")["pagerdutyConfigs"][0]
    assert pd["routingKey"]["name"] == secrets["payments"].name
    assert digest(dict(secrets["payments"].values)[pd["routingKey"]["key"]].reveal()) == digest(PD_KEY)
    assert_no_secret(json.dumps(spec))
    assert plan.mounted_secrets("monitoring") == [secrets[None].name]  # the platform's own
