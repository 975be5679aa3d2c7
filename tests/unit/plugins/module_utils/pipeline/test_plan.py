# -*- coding: utf-8 -*-
"""The plan: one build of everything, every problem at once by variable, and each shared setting read by every
consumer from its one definition (changed here, followed everywhere).

Its teams' part (through tests.support.team_plan, the real build_plan): everything is validated before anything is
returned, every problem at once; the same inventory in any order gives byte-identical files. Its alerting part: the
Alertmanager configuration rendered, by cluster and by scope, its secrets returned only on request."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.plugins.module_utils.core.objects import FIELD_MANAGER, MANAGED_KINDS
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.plan import PlanError
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import render
from ansible_collections.vigil.observability.tests.support import team_plan
from ansible_collections.vigil.observability.tests.support.team_inventory import SETTINGS, inventory, ratio_slo
from ansible_collections.vigil.observability.tests.support.alerting_inputs import (
    ALERTMANAGER,
    PD_KEY,
    assert_no_secret,
    checkout,
    digest,
    payments,
    receivers_by_name,
    team_vars,
)

ROLES = Path(__file__).resolve().parents[5] / "roles"
TEAM = {"observability_team_shop": {"services": [{"name": "api", "monitor": {"port": "metrics"}, "slos": [
    {"name": "availability", "objective": 99.9, "errors": 'http_requests_total{job="api",code=~"5.."}',
     "total": 'http_requests_total{job="api"}'}]}], "instrumentation": {"languages": ["python"]}}}


def build(**variables):
    return plan_helpers.build(dict(TEAM, **variables))


def urls(plan):
    """Every in-cluster URL each consumer was given."""
    kps = plan["releases"]["kube_prometheus_stack"]["values"]
    datasources = {ds["type"]: ds["url"] for ds in kps["grafana"]["additionalDataSources"]}
    otel = {o["metadata"]["name"]: o for o in plan["scopes"]["release/opentelemetry-operator"]["objects"]
            if o["kind"] == "OpenTelemetryCollector"}
    exporters = otel["vigil-agent"]["spec"]["config"]["exporters"]
    instrumentation = [o for o in plan["scopes"]["team/shop"]["objects"] if o["kind"] == "Instrumentation"][0]
    tempo = plan["releases"]["tempo"]["values"]
    alloy_config = plan["releases"]["alloy"]["values"]["alloy"]["configMap"]["content"]
    return {
        "grafana->loki": datasources["loki"],
        "grafana->tempo": datasources["tempo"],
        "agent->tempo": exporters["otlp/tempo"]["endpoint"],
        "agent->prometheus": exporters["prometheusremotewrite"]["endpoint"],
        "agent->loki": exporters["otlphttp/loki"]["endpoint"],
        "tempo->prometheus": tempo["tempo"]["metricsGenerator"]["remoteWriteUrl"],
        "sdk->agent": instrumentation["spec"]["exporter"]["endpoint"],
        "alloy->loki": [line for line in alloy_config.splitlines() if "url" in line and "/loki/api/v1/push" in line][0],
    }


def test_default_links_name_the_services_the_charts_create():
    assert urls(build()) == {
        "grafana->loki": "http://loki-gateway.monitoring.svc.cluster.local",
        "grafana->tempo": "http://tempo.monitoring.svc.cluster.local:3200",
        "agent->tempo": "tempo.monitoring.svc.cluster.local:4317",
        "agent->prometheus": "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090/api/v1/write",
        "agent->loki": "http://loki-gateway.monitoring.svc.cluster.local/otlp",
        "tempo->prometheus": "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090/api/v1/write",
        "sdk->agent": "http://vigil-agent-collector.monitoring.svc.cluster.local:4318",
        "alloy->loki": '    url = "http://loki-gateway.monitoring.svc.cluster.local/loki/api/v1/push"',
    }


def test_the_platform_namespace_moves_every_release_and_every_link():
    plan = build(observability_platform_namespace="obs")
    assert {r["namespace"] for r in plan["releases"].values()} == {"obs"}
    for link, url in urls(plan).items():
        assert ".obs.svc.cluster.local" in url and ".monitoring." not in url, link


def test_renamed_releases_and_their_own_namespaces_keep_every_link():
    plan = build(loki_release_name="logs", loki_namespace="logging", tempo_release_name="traces", tempo_namespace="tracing",
                 kube_prometheus_stack_release_name="obs", opentelemetry_namespace="otel")
    got = urls(plan)
    # Helm's fullname: the release name, or <release>-<chart> when the release does not contain the chart's name.
    assert got["grafana->loki"] == "http://logs-loki-gateway.logging.svc.cluster.local"
    assert got["agent->loki"] == "http://logs-loki-gateway.logging.svc.cluster.local/otlp"
    assert "logs-loki-gateway.logging.svc" in got["alloy->loki"]
    assert got["grafana->tempo"] == "http://traces-tempo.tracing.svc.cluster.local:3200"
    assert got["agent->tempo"] == "traces-tempo.tracing.svc.cluster.local:4317"
    prometheus = "http://obs-kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090/api/v1/write"
    assert got["agent->prometheus"] == got["tempo->prometheus"] == prometheus
    assert got["sdk->agent"] == "http://vigil-agent-collector.otel.svc.cluster.local:4318"
    assert plan["endpoints"]["loki"] == {"name": "logs-loki-gateway", "namespace": "logging", "ports": {"http": 80}}


def test_fullname_overrides_and_the_26_character_stack_name_are_followed():
    plan = build(kube_prometheus_stack_release_name="platform-observability-production",
                 loki_values={"fullnameOverride": "logstore"})
    got = urls(plan)
    # kube-prometheus-stack cuts its fullname at 26 characters: "platform-observability-pro" + "duction-kube-..." cut.
    assert got["agent->prometheus"].startswith("http://platform-observability-pro-prometheus.monitoring.svc")
    assert got["grafana->loki"] == "http://logstore-gateway.monitoring.svc.cluster.local"


def test_an_explicit_url_still_wins():
    got = urls(build(alloy_loki_push_url="https://loki.example.com/loki/api/v1/push", kube_prometheus_stack_tempo_url="http://t:3200"))
    assert "https://loki.example.com/loki/api/v1/push" in got["alloy->loki"]
    assert got["grafana->tempo"] == "http://t:3200"


def test_dashboard_label_folder_and_datasource_uids_are_one_setting_each():
    plan = build(observability_dashboard_label="team_dash", observability_dashboard_label_value="on",
                 observability_dashboard_folder_annotation="example.com/folder", observability_loki_datasource_uid="logs",
                 observability_tempo_datasource_uid="traces", observability_prometheus_datasource_uid="metrics")
    kps = plan["releases"]["kube_prometheus_stack"]["values"]["grafana"]
    sidecar = kps["sidecar"]["dashboards"]
    assert (sidecar["label"], sidecar["labelValue"], sidecar["folderAnnotation"]) == ("team_dash", "on", "example.com/folder")
    assert kps["sidecar"]["datasources"]["uid"] == "metrics"
    assert {ds["uid"] for ds in kps["additionalDataSources"]} == {"logs", "traces"}
    dashboards = [o for o in plan["scopes"]["team/shop"]["objects"] if o["kind"] == "ConfigMap"]
    assert dashboards
    for cm in dashboards:
        assert cm["metadata"]["labels"]["team_dash"] == "on" and "example.com/folder" in cm["metadata"]["annotations"]
        text = "".join(cm["data"].values())
        assert '"uid": "metrics"' in text and '"uid": "prometheus"' not in text


def test_loki_multi_tenancy_is_one_setting_for_loki_and_alloy():
    single, multi = build(), build(observability_loki_multi_tenant=True)
    assert single["releases"]["loki"]["values"]["loki"]["auth_enabled"] is False
    assert multi["releases"]["loki"]["values"]["loki"]["auth_enabled"] is True
    assert json.dumps(multi["releases"]["alloy"]["values"]) != json.dumps(single["releases"]["alloy"]["values"])
    assert "tenant" in multi["releases"]["alloy"]["values"]["alloy"]["configMap"]["content"]


def test_the_retention_prometheus_keeps_is_the_one_the_lint_reads():
    plan = build(observability_prometheus_retention="40d")
    assert plan["releases"]["kube_prometheus_stack"]["values"]["prometheus"]["prometheusSpec"]["retention"] == "40d"
    short = build(observability_prometheus_retention="7d")
    assert any("retention" in w for w in short["warnings"]) and not any("retention" in w for w in plan["warnings"])


def test_field_manager_and_managed_kinds_come_from_the_plan_only():
    plan = build()
    assert plan["field_manager"] == FIELD_MANAGER
    assert plan["managed_kinds"] == [dict(k) for k in MANAGED_KINDS]
    for path in sorted(ROLES.glob("*/tasks/*.yml")):
        for task in yaml.safe_load(path.read_text()) or []:
            text = json.dumps(task)
            for module in task.values():
                if isinstance(module, dict) and "server_side_apply" in module:
                    assert module["server_side_apply"]["field_manager"] == "{{ observability_plan.field_manager }}", path
            assert "vigil.observability\"," not in text.replace("app.kubernetes.io/managed-by=vigil.observability", ""), path
    teams_apply = yaml.safe_load((ROLES / "teams" / "tasks" / "apply.yml").read_text())
    assert any(task.get("loop") == "{{ observability_plan.managed_kinds }}" for task in teams_apply)


def test_problems_are_pairs_of_path_and_message_from_every_part():
    with pytest.raises(PlanError) as err:
        plan_helpers.build({"loki_retention": "36h", "observability_only_teams": ["nobody"], "tempo_state": "gone",
                            "observability_team_Bad": {}})
    paths = {path for path, _message in err.value.pairs}
    assert {"loki_retention", "observability_only_teams", "tempo_state", "observability_team_Bad"} <= paths
    assert all(isinstance(p, str) and isinstance(m, str) and m for p, m in err.value.pairs)


def test_a_team_cannot_take_another_teams_generated_dashboard_uid():
    from ansible_collections.vigil.observability.plugins.module_utils.generators import dashboards

    class Shop:
        name = "shop"

    taken = dashboards.slo_uid(Shop)
    thief = {"dashboards": [{"name": "mine", "json": {"uid": taken, "title": "mine", "panels": []}}]}
    lines = plan_helpers.problems(dict(TEAM, observability_team_thief=thief))
    assert lines == ["observability_team_thief.dashboards[0].json.uid: %r is the uid of a dashboard generated for "
                     "observability_team_shop" % taken]
    # Its own uid is fine.
    plan_helpers.build(dict(TEAM, observability_team_thief={"dashboards": [{"name": "mine", "json": {"uid": "mine-1", "title": "mine", "panels": []}}]}))


def test_multi_tenant_loki_gets_a_tenant_from_every_writer_and_reader():
    plan = build(observability_loki_multi_tenant=True, observability_team_pay={"namespace": "payments"})
    otel = {o["metadata"]["name"]: o for o in plan["scopes"]["release/opentelemetry-operator"]["objects"]
            if o["kind"] == "OpenTelemetryCollector"}
    for name in ("vigil-agent", "vigil-events"):
        # Application OTLP logs and Kubernetes events go to the platform namespace's tenant.
        assert otel[name]["spec"]["config"]["exporters"]["otlphttp/loki"]["headers"] == {"X-Scope-OrgID": "monitoring"}, name
    loki_ds = [ds for ds in plan["releases"]["kube_prometheus_stack"]["values"]["grafana"]["additionalDataSources"]
               if ds["type"] == "loki"][0]
    # Grafana reads the platform's tenant and every team namespace's on the cluster (Alloy writes each namespace as its own).
    assert loki_ds["jsonData"]["httpHeaderName1"] == "X-Scope-OrgID"
    assert loki_ds["secureJsonData"]["httpHeaderValue1"] == "monitoring|payments|shop"
    single = build(observability_team_pay={"namespace": "payments"})
    assert "headers" not in {o["metadata"]["name"]: o for o in single["scopes"]["release/opentelemetry-operator"]["objects"]
                             if o["kind"] == "OpenTelemetryCollector"}["vigil-agent"]["spec"]["config"]["exporters"]["otlphttp/loki"]
    explicit = build(observability_loki_multi_tenant=True, opentelemetry_loki_tenant="ops", kube_prometheus_stack_loki_tenant="ops")
    assert [ds for ds in explicit["releases"]["kube_prometheus_stack"]["values"]["grafana"]["additionalDataSources"]
            if ds["type"] == "loki"][0]["secureJsonData"]["httpHeaderValue1"] == "ops"


@pytest.mark.parametrize("namespace, why", [
    ("kube-system", "a Kubernetes system namespace"), ("kube-public", "a Kubernetes system namespace"),
    ("default", "Kubernetes' default namespace"), ("monitoring", "the platform namespace (observability_platform_namespace)"),
    ("logging", "the namespace of release loki (loki_namespace)"),
])
def test_teams_cannot_take_system_or_platform_namespaces(namespace, why):
    lines = plan_helpers.problems({"observability_team_intruder": {"namespace": namespace}, "loki_namespace": "logging"})
    assert lines == ["observability_team_intruder.namespace: %r is %s: a team may not use it" % (namespace, why)]


def test_a_team_named_like_a_reserved_namespace_is_refused_by_its_default_namespace():
    lines = plan_helpers.problems({"observability_team_monitoring": {}})
    assert lines == ["observability_team_monitoring.namespace: 'monitoring' is the platform namespace "
                     "(observability_platform_namespace): a team may not use it"]


def test_known_keys_hints_list_every_key_the_reader_accepts():
    lines = plan_helpers.problems({"observability_team_a": {"rbac": {"group": ["x"]}}})
    assert lines == ["observability_team_a.rbac.group: unknown key (known keys: groups, users)"]


# ---------------------------------------------------------------- the teams' part


MANAGED_BY = "app.kubernetes.io/managed-by"
TEAM_LABEL = "vigil.observability/team"


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
    reference = rendered(team_plan.build("prod", team_vars, team_list, SETTINGS, promtool="skip"))
    assert reference["team/payments"]
    assert rendered(team_plan.build("prod", team_vars, team_list, SETTINGS, promtool="skip")) == reference
    for seed in range(4):
        assert rendered(team_plan.build("prod", *shuffled(team_vars, team_list, seed), SETTINGS, promtool="skip")) == reference


def test_scopes_teams_and_labels():
    team_vars, team_list = inventory()
    staging = team_plan.build("staging", team_vars, team_list, SETTINGS, promtool="skip")
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
    assert sorted(team_plan.rule_files(rules)) == ["payments/payments-ledger-slos", "payments/payments-payment-service-slos",
                                                   "search/search-query-slos"]
    # Each holds exactly its service's SLOs, two groups per SLO.
    by_name = {o["metadata"]["name"]: [g["name"] for g in o["spec"]["groups"]] for o in rules}
    assert by_name["payments-ledger-slos"] == ["slo/payments/ledger/availability", "slo/payments/ledger/availability/budget"]
    assert len(by_name["payments-payment-service-slos"]) == 6


def test_only_teams():
    team_vars, team_list = inventory()
    result = team_plan.build("prod", team_vars, team_list, SETTINGS, only_teams=["checkout"], promtool="skip")
    assert result["teams"] == ["checkout"] and [k for k in result["scopes"] if k.startswith("team/")] == ["team/checkout"]
    with pytest.raises(team_plan.PlanError, match="observability_only_teams: names unknown team 'nope'"):
        team_plan.build("prod", team_vars, team_list, SETTINGS, only_teams=["checkout", "nope"], promtool="skip")


def test_every_problem_at_once_and_nothing_built():
    team_vars, team_list = inventory()
    team_vars["observability_team_payments"]["services"][0]["slos"][0]["objective"] = 120
    team_vars["observability_team_checkout"]["services"][0]["slos"][0]["errors"] = 'x{a="1"'
    team_list[0]["services"][0]["slos"][0]["tiers"] = [{"action": "page"}]
    team_list.append({"name": "payments"})
    with pytest.raises(team_plan.PlanError) as info:
        team_plan.build("prod", team_vars, team_list, dict(SETTINGS, slo_period="a month"), promtool="skip")
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
    result = team_plan.build("c", team_vars, [], {"retention": "15d"}, promtool="skip")
    assert any("can never fire" in w for w in result["warnings_lint"])
    assert any("retention" in w for w in result["warnings_lint"])


# ---------------------------------------------------------------- the alerting part


def test_build_renders_the_configuration_and_returns_secrets_only_on_request():
    tv = team_vars(payments=dict(payments(), clusters=["prod"]), checkout=checkout())
    result = team_plan.build("prod", tv, [], {"clusters": ["prod", "staging"]}, promtool="skip", alertmanager=ALERTMANAGER)
    text = result["files"]["platform"]["alertmanager/alertmanager.yaml"]
    assert yaml.safe_load(text) == result["alertmanager_config"]
    assert "secrets" not in result
    assert_no_secret(json.dumps(result, default=str))
    with_values = team_plan.build("prod", tv, [], {"clusters": ["prod", "staging"]}, promtool="skip", alertmanager=ALERTMANAGER,
                                  secret_values=True)
    (secret,) = with_values["secrets"]["platform"]
    assert (secret["kind"], secret["metadata"]["namespace"], secret["type"]) == ("Secret", "monitoring", "Opaque")
    assert digest(secret["stringData"]["payments-pagerduty.pagerduty.routing_key"]) == digest(PD_KEY)
    keys_file = yaml.safe_load(result["files"]["platform"]["alertmanager/secrets.yaml"])
    assert keys_file["secrets"][0]["keys"] == sorted(secret["stringData"])


def test_a_team_on_another_cluster_has_no_route_there():
    tv = team_vars(payments=dict(payments(), clusters=["prod"]), checkout=checkout())
    result = team_plan.build("staging", tv, [], {"clusters": ["prod", "staging"]}, promtool="skip", alertmanager=ALERTMANAGER)
    routes = result["alertmanager_config"]["route"]["routes"]
    assert [r["matchers"] for r in routes[1:]] == [['namespace="checkout"', 'team="checkout"']]


def test_onboarding_some_teams_keeps_every_team_in_the_alertmanager_configuration():
    tv = team_vars(payments=payments(), checkout=checkout())
    full = team_plan.build("prod", tv, [], {}, promtool="skip", alertmanager=ALERTMANAGER)
    partial = team_plan.build("prod", tv, [], {}, only_teams=["checkout"], promtool="skip", alertmanager=ALERTMANAGER)
    assert partial["files"]["platform"] == full["files"]["platform"]
    assert partial["teams"] == ["checkout"]


def test_per_namespace_build_puts_alertmanagerconfigs_in_team_scopes_and_secrets_apart():
    tv = team_vars(payments=payments(), checkout=checkout())
    result = team_plan.build("prod", tv, [], {}, promtool="skip", alertmanager=ALERTMANAGER, alertmanager_mode="per_namespace",
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
    first = team_plan.build("prod", tv, [], {}, promtool="skip", alertmanager=ALERTMANAGER)
    second = team_plan.build("prod", reordered, [], {}, promtool="skip", alertmanager=ALERTMANAGER)
    assert first["files"] == second["files"]


def test_without_any_alerting_input_alerts_go_to_an_empty_default_receiver():
    result = team_plan.build("prod", team_vars(search={}), [], {}, promtool="skip")
    config = result["alertmanager_config"]
    assert config["route"]["receiver"] == "platform"
    assert receivers_by_name(config)["platform"] == {"name": "platform"}
    assert result["secret_refs"] == []
