# -*- coding: utf-8 -*-
"""The plan: one build of everything, every problem at once by variable, and each shared setting read by every
consumer from its one definition (changed here, followed everywhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.plugins.module_utils.core.objects import FIELD_MANAGER, MANAGED_KINDS
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.plan import PlanError

ROLES = Path(__file__).resolve().parents[4] / "roles"
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
