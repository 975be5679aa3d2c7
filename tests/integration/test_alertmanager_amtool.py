# -*- coding: utf-8 -*-
"""The rendered Alertmanager configuration, checked by the real amtool: it loads, and it routes every
team x severity x alertname, alerts without a team and alerts of an unknown team where the contract says.

amtool here is Debian's 0.25; the configuration targets kube-prometheus-stack's Alertmanager (v0.34). Every key is
checked against the v0.34 fields; the keys 0.25 lacks are rewritten by `for_alertmanager_0_25`, which lists what
it changed, and the test asserts those are the only differences (see docs/alerting.md).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.alertmanager_helpers import amtool_check, amtool_routes, for_alertmanager_0_25, unknown_fields
from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.plugins.module_utils.platform import kube_prometheus_stack as kps
from ansible_collections.vigil.observability.tests.support.plan import component_settings

PAYMENTS = {
    "alerting": {
        "receivers": {
            "pagerduty": {"routing_key": "test-routing-key-payments"},
            "slack": {"channel": "#payments-alerts", "api_url": "https://hooks.slack.example/T/B/payments-slack-token"},
            "email": {"to": "payments-oncall@example.com"},
            "webhook": {"url": "https://hooks.example.com/payments?token=payments-webhook-token"},
        },
        "routes": [
            {"matchers": ['severity="critical"'], "receiver": "pagerduty"},
            {"matchers": ['alertname=~"SLO.+"'], "receiver": "webhook"},
            {"receiver": "slack"},
        ],
        "group_by": ["alertname", "service", "slo"],
    },
}
CHECKOUT = {"alerting": {"receivers": {"opsgenie": {"api_key": "test-opsgenie-key"},
                                       "msteams": {"webhook_url": "https://example.webhook.office.com/checkout-token"}}}}
SEARCH = {"alerting": {"receivers": {"chat": {"kind": "slack", "api_url": "https://hooks.slack.example/T/B/search-token"}}}}
TEAM_VARS = {
    "observability_team_payments": PAYMENTS,
    "observability_team_checkout": CHECKOUT,
    "observability_team_search": SEARCH,
    "observability_team_idle": {},  # a team without alerting: its alerts go to the default receiver
}
ALERTMANAGER = {
    "default_receiver": "platform",
    "receivers": {"slack": {"channel": "#platform-alerts", "api_url": "https://hooks.slack.example/T/B/platform-token"},
                  "email": {"to": "platform@example.com"}},
    "smtp": {"smarthost": "smtp.example.com:587", "from": "alertmanager@example.com", "auth_username": "am",
             "auth_password": "test-smtp-password"},
}


def built(mode="global", team_vars=None):
    return build.build("prod", team_vars or TEAM_VARS, [], {}, promtool="skip", alertmanager=ALERTMANAGER, alertmanager_mode=mode)


@pytest.mark.parametrize("mode", ["global", "per_namespace"])
def test_rendered_configuration_loads_in_alertmanager(amtool, tmp_path, mode):
    result = built(mode)
    text = result["files"]["platform"]["alertmanager/alertmanager.yaml"]
    config = yaml.safe_load(text)
    assert unknown_fields(config, "0.34") == []
    compatible, changes = for_alertmanager_0_25(config)
    # What 0.25 lacks is exactly what the rewrite touched, nothing else.
    assert unknown_fields(compatible, "0.25") == []
    expected_changes = {"global": ["receivers[checkout-msteams].msteams_configs", "receivers[payments-webhook].webhook_configs.url_file"],
                        "per_namespace": []}[mode]
    assert sorted(changes) == expected_changes
    path = tmp_path / "alertmanager.yaml"
    path.write_text(text if not changes else yaml.safe_dump(compatible))
    code, output = amtool_check(amtool, path)
    assert code == 0 and "SUCCESS" in output, output


def test_amtool_rejects_a_broken_configuration(amtool, tmp_path):
    """The check above can fail: a route to a receiver that does not exist is refused."""
    config = copy.deepcopy(built()["alertmanager_config"])
    config["route"]["routes"][1]["receiver"] = "nobody"
    compatible, _changes = for_alertmanager_0_25(config)
    path = tmp_path / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(compatible))
    code, output = amtool_check(amtool, path)
    assert code != 0 and "nobody" in output


def expected_receiver(team, severity, alertname):
    """The contract, written out for the test inventory above."""
    if alertname in ("Watchdog", "InfoInhibitor"):
        return "null"
    if team == "payments":  # its own routes: critical pages, SLO alerts to the webhook, the rest to chat
        if severity == "critical":
            return "payments-pagerduty"
        return "payments-webhook" if alertname.startswith("SLO") else "payments-slack"
    if team == "checkout":  # no routes: critical to the paging receiver, the rest to the first other one
        return "checkout-opsgenie" if severity == "critical" else "checkout-msteams"
    if team == "search":
        return "search-chat"
    return "platform"  # no team, a team without alerting, or a team nobody knows


TEAMS = ["payments", "checkout", "search", "idle", "ghost", None]
SEVERITIES = ["critical", "warning", "info"]
ALERTNAMES = ["SLOErrorBudgetFastBurn", "SLOErrorBudgetSlowBurn", "HighErrorRate", "KubePodCrashLooping", "Watchdog", "InfoInhibitor"]


@pytest.fixture(scope="module")
def routing_config(tmp_path_factory):
    compatible, _changes = for_alertmanager_0_25(built()["alertmanager_config"])
    path = tmp_path_factory.mktemp("routes") / "alertmanager.yaml"
    path.write_text(yaml.safe_dump(compatible))
    return path


@pytest.mark.parametrize("team", TEAMS, ids=lambda t: "team-%s" % (t or "none"))
def test_routing_table(amtool, routing_config, team):
    failures = []
    for severity in SEVERITIES:
        for alertname in ALERTNAMES:
            labels = {"alertname": alertname, "severity": severity, "namespace": team or "kube-system", "service": "api"}
            if team:
                labels["team"] = team
            got = amtool_routes(amtool, routing_config, labels)
            want = [expected_receiver(team, severity, alertname)]
            if got != want:
                failures.append("%s/%s: got %s, want %s" % (severity, alertname, got, want))
    assert not failures, "\n".join(failures)


# --- per namespace: AlertmanagerConfig objects, merged as the Prometheus Operator (v0.93) merges them ------------


def test_alertmanagerconfigs_are_valid_against_the_crd(crd_validator):
    objects = [o for o in built("per_namespace")["objects"] if o["kind"] == "AlertmanagerConfig"]
    assert len(objects) == 3
    for obj in objects:
        assert crd_validator.errors(obj) == [], obj["metadata"]


def _operator_merge(config, amcs):
    """The operator's merge (pkg/alertmanager/amcfg.go, v0.93): each AlertmanagerConfig's route, with receivers named
    <namespace>/<name>/<receiver>, a namespace matcher appended and `continue: true`, goes before the main routes."""

    def prefix(obj, name):
        return "%s/%s/%s" % (obj["metadata"]["namespace"], obj["metadata"]["name"], name)

    def route(obj, spec):
        out = {"receiver": prefix(obj, spec["receiver"])}
        matchers = ['%s%s"%s"' % (m["name"], m.get("matchType", "="), m["value"]) for m in spec.get("matchers", [])]
        if matchers:
            out["matchers"] = matchers
        if spec.get("continue"):
            out["continue"] = True
        if "routes" in spec:
            out["routes"] = [route(obj, child) for child in spec["routes"]]
        return out

    merged = copy.deepcopy(config)
    subroutes = []
    for obj in sorted(amcs, key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"])):
        top = route(obj, obj["spec"]["route"])
        top.setdefault("matchers", []).append('namespace="%s"' % obj["metadata"]["namespace"])
        top["continue"] = True
        subroutes.append(top)
        merged["receivers"].extend({"name": prefix(obj, r["name"])} for r in obj["spec"]["receivers"])
    merged["route"]["routes"] = subroutes + merged["route"]["routes"]
    return merged


def test_per_namespace_team_alerts_reach_only_the_team_after_the_operator_merge(amtool, tmp_path):
    result = built("per_namespace")
    amcs = [o for o in result["objects"] if o["kind"] == "AlertmanagerConfig"]
    merged = _operator_merge(result["alertmanager_config"], amcs)
    path = tmp_path / "merged.yaml"
    path.write_text(yaml.safe_dump(merged))
    assert amtool_check(amtool, path)[0] == 0
    failures = []
    for team in TEAMS:
        for severity in SEVERITIES:
            for alertname in ("SLOErrorBudgetFastBurn", "HighErrorRate", "Watchdog"):
                labels = {"alertname": alertname, "severity": severity, "namespace": team or "kube-system"}
                if team:
                    labels["team"] = team
                got = amtool_routes(amtool, path, labels)
                want = expected_receiver(team, severity, alertname)
                if want.startswith("%s-" % team):
                    # The team's route (continue: true), then the stop route: the alert reaches nobody else.
                    want = ["%s/%s-alerting/%s" % (team, team, want), "null"]
                else:
                    want = [want]
                if got != want:
                    failures.append("%s %s/%s: got %s, want %s" % (team, severity, alertname, got, want))
    assert not failures, "\n".join(failures)


def test_kube_prometheus_stack_values_carry_the_same_configuration_and_mount_the_secret():
    result = built()
    settings = component_settings("kube_prometheus_stack")
    mounted = sorted({ref["name"] for ref in result["secret_refs"] if "mounted_at" in ref})
    values = kps.kps_values(settings, alertmanager_config=result["alertmanager_config"], alertmanager_secrets=mounted)
    rendered = yaml.safe_load(result["files"]["platform"]["alertmanager/alertmanager.yaml"])
    assert values["alertmanager"]["config"] == rendered
    assert values["alertmanager"]["alertmanagerSpec"]["secrets"] == ["vigil-alertmanager-receivers"]
    for ref in result["secret_refs"]:
        assert ref["mounted_at"] == "/etc/alertmanager/secrets/" + ref["name"]
