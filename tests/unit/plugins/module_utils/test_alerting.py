# -*- coding: utf-8 -*-
"""Alerting core: the route tree, receivers, inhibitions and secret references, checked against docs/alerting.md.

Expected names, matchers and routing come from the contract (receiver `<team>-<key>`, root grouped by alertname,
team and severity at 30s/5m/4h, critical to the paging receiver, everything else to the first other one), not from
the code. No secret value may appear in a configuration, an error message or a repr.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.generators import alerting as generators_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.tests.support import plan as support_plan
from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.plugins.module_utils.inventory import teams as inventory_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems

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


def plan_of(team_vars_, alertmanager=None, mode=inventory_alerting.GLOBAL):
    _settings, teams, am = load(team_vars_, alertmanager, mode)
    return generators_alerting.plan(teams, am, "monitoring")


def problems_of(team_vars_, alertmanager=None, mode=inventory_alerting.GLOBAL):
    with pytest.raises(build.PlanError) as info:
        load(team_vars_, alertmanager, mode)
    return info.value.problems


def digest(value):
    """Compare secrets by digest, so that a failing assertion never prints one."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def assert_no_secret(text):
    # pytest.fail, not assert: assertion introspection would print the secret it found.
    for secret in SECRETS:
        if secret in text:
            pytest.fail("a secret value leaked (%d characters, not shown)" % len(secret), pytrace=False)


def child(config, team):
    matches = [r for r in config["route"]["routes"] if 'team="%s"' % team in r.get("matchers", [])]
    assert len(matches) == 1, [r.get("matchers") for r in config["route"]["routes"]]
    return matches[0]


def receivers_by_name(config):
    return {r["name"]: r for r in config["receivers"]}


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


# --- build -------------------------------------------------------------------------------------------------------


def test_build_renders_the_configuration_and_returns_secrets_only_on_request():
    tv = team_vars(payments=dict(payments(), clusters=["prod"]), checkout=checkout())
    result = build.build("prod", tv, [], {"clusters": ["prod", "staging"]}, promtool="skip", alertmanager=ALERTMANAGER)
    text = result["files"]["platform"]["alertmanager/alertmanager.yaml"]
    assert yaml.safe_load(text) == result["alertmanager_config"]
    assert "secrets" not in result
    assert_no_secret(json.dumps(result, default=str))
    with_values = build.build("prod", tv, [], {"clusters": ["prod", "staging"]}, promtool="skip", alertmanager=ALERTMANAGER,
                              secret_values=True)
    (secret,) = with_values["secrets"]["platform"]
    assert (secret["kind"], secret["metadata"]["namespace"], secret["type"]) == ("Secret", "monitoring", "Opaque")
    assert digest(secret["stringData"]["payments-pagerduty.pagerduty.routing_key"]) == digest(PD_KEY)
    keys_file = yaml.safe_load(result["files"]["platform"]["alertmanager/secrets.yaml"])
    assert keys_file["secrets"][0]["keys"] == sorted(secret["stringData"])


def test_a_team_on_another_cluster_has_no_route_there():
    tv = team_vars(payments=dict(payments(), clusters=["prod"]), checkout=checkout())
    result = build.build("staging", tv, [], {"clusters": ["prod", "staging"]}, promtool="skip", alertmanager=ALERTMANAGER)
    routes = result["alertmanager_config"]["route"]["routes"]
    assert [r["matchers"] for r in routes[1:]] == [['namespace="checkout"', 'team="checkout"']]


def test_onboarding_some_teams_keeps_every_team_in_the_alertmanager_configuration():
    tv = team_vars(payments=payments(), checkout=checkout())
    full = build.build("prod", tv, [], {}, promtool="skip", alertmanager=ALERTMANAGER)
    partial = build.build("prod", tv, [], {}, only_teams=["checkout"], promtool="skip", alertmanager=ALERTMANAGER)
    assert partial["files"]["platform"] == full["files"]["platform"]
    assert partial["teams"] == ["checkout"]


def test_per_namespace_build_puts_alertmanagerconfigs_in_team_scopes_and_secrets_apart():
    tv = team_vars(payments=payments(), checkout=checkout())
    result = build.build("prod", tv, [], {}, promtool="skip", alertmanager=ALERTMANAGER, alertmanager_mode="per_namespace",
                         secret_values=True)
    amcs = [o for o in result["objects"] if o["kind"] == "AlertmanagerConfig"]
    assert sorted((o["metadata"]["namespace"], o["metadata"]["labels"]["vigil.observability/team"]) for o in amcs) == [
        ("checkout", "checkout"), ("payments", "payments")]
    assert not [o for o in result["objects"] if o["kind"] == "Secret"]
    assert sorted(result["secrets"]) == ["platform", "team/checkout", "team/payments"]
    assert "alertmanager/teams/payments-secrets.yaml" in result["files"]["team/payments"]


def test_configuration_does_not_depend_on_the_order_of_teams():
    tv = team_vars(payments=payments(), checkout=checkout(), search={})
    reordered = dict(reversed(list(copy.deepcopy(tv).items())))
    first = build.build("prod", tv, [], {}, promtool="skip", alertmanager=ALERTMANAGER)
    second = build.build("prod", reordered, [], {}, promtool="skip", alertmanager=ALERTMANAGER)
    assert first["files"] == second["files"]


def test_without_any_alerting_input_alerts_go_to_an_empty_default_receiver():
    result = build.build("prod", team_vars(search={}), [], {}, promtool="skip")
    config = result["alertmanager_config"]
    assert config["route"]["receiver"] == "platform"
    assert receivers_by_name(config)["platform"] == {"name": "platform"}
    assert result["secret_refs"] == []


def test_team_model_carries_the_parsed_alerting_block():
    problems = Problems()
    settings = team_settings({}, problems)
    (team,) = inventory_teams.parse_teams(inventory_teams.collect_team_inputs(team_vars(payments=payments())), settings, problems)
    assert [r.key for r in team.alerting.receivers] == ["pagerduty", "slack", "email", "webhook"]
    assert team.alerting.routes is None
