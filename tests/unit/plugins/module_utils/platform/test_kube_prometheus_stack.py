# -*- coding: utf-8 -*-
"""kube-prometheus-stack values: every key exists in the pinned chart, profiles differ as documented,
overrides merge recursively, and the admin password is never a literal."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.plugins.module_utils.platform.kube_prometheus_stack import kps_values
from ansible_collections.vigil.observability.tests.support.plan import component_settings, problems
from ansible_collections.vigil.observability.tests.support.reference_checks import unknown_value_paths


def settings(cluster="c1", prometheus_retention=None, **raw):
    # The cluster is the inventory host, the retention the platform's (the SLO windows read it too).
    platform = {"observability_prometheus_retention": prometheus_retention} if prometheus_retention else {}
    return component_settings("kube_prometheus_stack", raw, platform, cluster=cluster)


@pytest.fixture(scope="module")
def chart(reference_dir):
    kps_dir = reference_dir / "charts" / "kube-prometheus-stack"
    grafana_dir = reference_dir / "charts" / "grafana"
    kps = yaml.safe_load((kps_dir / "values.yaml").read_text())
    # Grafana's keys come from its subchart, with kube-prometheus-stack's section on top.
    kps["grafana"] = deep_merge(yaml.safe_load((grafana_dir / "values.yaml").read_text()), kps["grafana"])
    text = (kps_dir / "values.yaml").read_text() + (grafana_dir / "values.yaml").read_text()
    return kps, text


@pytest.mark.parametrize("profile", ["small", "production"])
def test_every_key_exists_in_the_pinned_chart(chart, profile):
    reference, text = chart
    values = kps_values(
        settings(profile=profile, cluster="prod-eu", grafana_plugins=["grafana-piechart-panel"],
                 prometheus_storage_class="fast", grafana_storage_class="fast"),
        alertmanager_config={"route": {"receiver": "null"}, "receivers": [{"name": "null"}]},
        alertmanager_secrets=["vigil-alertmanager-receivers"],
        datasources=[{"name": "Loki", "uid": "loki", "type": "loki"}],
        exemplar_trace_uid="tempo",
        alertmanager_config_selector={"matchLabels": {"app.kubernetes.io/managed-by": "vigil.observability"}},
    )
    assert unknown_value_paths(values, reference, text) == []


def test_a_typo_in_a_values_key_is_caught(chart):
    reference, text = chart
    values = kps_values(settings(values={"prometheus": {"prometheusSpec": {"retentionSise": "1GB"}}}))
    assert unknown_value_paths(values, reference, text) == ["prometheus.prometheusSpec.retentionSise"]


def test_platform_wiring():
    values = kps_values(settings(cluster="prod-eu"), exemplar_trace_uid="tempo")
    spec = values["prometheus"]["prometheusSpec"]
    assert "exemplar-storage" in spec["enableFeatures"]
    assert spec["enableRemoteWriteReceiver"] is True
    for kind in ("rule", "serviceMonitor", "podMonitor", "probe", "scrapeConfig"):
        assert spec["%sSelectorNilUsesHelmValues" % kind] is False
    assert spec["externalLabels"] == {"cluster": "prod-eu"}
    sidecar = values["grafana"]["sidecar"]
    assert sidecar["dashboards"]["searchNamespace"] == "ALL"
    assert [(e["name"], e["datasourceUid"]) for e in sidecar["datasources"]["extraJsonData"]["exemplarTraceIdDestinations"]] == [
        ("trace_id", "tempo"), ("traceID", "tempo")]
    assert values["grafana"]["admin"]["existingSecret"] == "grafana-admin"


def test_profiles_size_the_stack_differently():
    small = kps_values(settings(profile="small"))
    prod = kps_values(settings(profile="production"))
    assert small["prometheus"]["prometheusSpec"]["replicas"] == 1
    assert prod["prometheus"]["prometheusSpec"]["replicas"] >= 2
    # Both keep the SLO windows' history across restarts on a volume, capped below its size.
    small_claim = small["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert small_claim["resources"]["requests"]["storage"] == "20Gi"
    assert small["prometheus"]["prometheusSpec"]["retentionSize"] == "18GB"
    claim = prod["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "100Gi"
    assert prod["alertmanager"]["alertmanagerSpec"]["replicas"] >= 2
    assert prod["grafana"]["persistence"]["enabled"] is True and small["grafana"]["persistence"]["enabled"] is False


def test_user_settings_and_overrides_win():
    values = kps_values(settings(profile="production", prometheus_replicas=3, prometheus_retention="60d",
                                 monitor_etcd=False,
                                 values={"prometheus": {"prometheusSpec": {"resources": {"limits": {"memory": "16Gi"}}}}}))
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["replicas"] == 3 and spec["retention"] == "60d"
    assert spec["resources"]["limits"]["memory"] == "16Gi"
    assert spec["resources"]["requests"]["memory"] == "4Gi"  # merged, not replaced
    assert values["kubeEtcd"]["enabled"] is False


def test_bad_settings_are_reported_with_paths():
    text = "\n".join(problems({"kube_prometheus_stack_profile": "huge", "observability_prometheus_retention": "a while",
                               "kube_prometheus_stack_bogus": 1, "kube_prometheus_stack_grafana_admin_secret": "Grafana Admin",
                               "kube_prometheus_stack_values": {"grafana": {"adminPassword": "hunter2"}}}))
    assert "kube_prometheus_stack_profile: must be one of small, production" in text
    assert "observability_prometheus_retention: must be a Prometheus duration" in text
    assert "kube_prometheus_stack_bogus: is not a variable of this collection" in text
    assert "kube_prometheus_stack_grafana_admin_secret: must be a valid Kubernetes name" in text
    assert "kube_prometheus_stack_values.grafana.adminPassword: a literal Grafana password is not allowed" in text
    assert "hunter2" not in text
