# -*- coding: utf-8 -*-
"""generators/monitors: ServiceMonitor / PodMonitor generation: what the CRD fields mean for each inventory setting, and
every generated monitor valid against the Prometheus Operator v0.93 CRDs."""

from __future__ import annotations

import json
import re

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.generators import cluster as manifests
from ansible_collections.vigil.observability.plugins.module_utils.core import objects
from ansible_collections.vigil.observability.tests.support.monitor_inputs import load


def monitor_object(service, settings_raw=None):
    teams, settings, problems = load(service, settings_raw)
    assert problems == []
    found = [o for o in manifests.team_objects(teams[0], settings) if o["kind"] in ("ServiceMonitor", "PodMonitor")]
    assert len(found) == 1, found
    return found[0]


def endpoints(obj):
    return obj["spec"]["endpoints" if obj["kind"] == "ServiceMonitor" else "podMetricsEndpoints"]


def test_defaults_scrape_app_label_on_port_metrics_and_set_job_to_the_service():
    obj = monitor_object({"name": "api", "monitor": {}})
    assert obj["kind"] == "ServiceMonitor"
    assert obj["apiVersion"] == "monitoring.coreos.com/v1"
    assert obj["metadata"]["namespace"] == "shop-ns"
    assert obj["metadata"]["labels"][objects.MANAGED_BY_LABEL] == objects.MANAGED_BY
    assert obj["metadata"]["labels"][objects.TEAM_LABEL] == "shop"
    assert obj["spec"]["selector"] == {"matchLabels": {"app": "api"}}
    (ep,) = endpoints(obj)
    assert (ep["port"], ep["path"]) == ("metrics", "/metrics")
    assert "namespaceSelector" not in obj["spec"]
    # The last relabeling decides the job label: it must set the service name.
    last = ep["relabelings"][-1]
    assert last["targetLabel"] == "job" and last["replacement"] == "api" and last.get("action", "replace") == "replace"


def test_pod_monitor_uses_pod_metrics_endpoints_and_still_sets_job():
    obj = monitor_object({"name": "worker", "monitor": {"kind": "PodMonitor", "port": "http-metrics", "selector": {"app.kubernetes.io/name": "w"}}})
    assert obj["kind"] == "PodMonitor"
    assert "endpoints" not in obj["spec"]
    (ep,) = obj["spec"]["podMetricsEndpoints"]
    assert ep["port"] == "http-metrics"
    assert obj["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "w"}
    assert ep["relabelings"][-1]["replacement"] == "worker"


def test_drop_and_keep_metrics_become_metric_relabelings_on_the_metric_name():
    obj = monitor_object({
        "name": "api",
        "monitor": {"drop_metrics": ["go_gc_.*", "process_.*"], "keep_metrics": ["http_.*", "go_.*", "up"]},
        "golden_signals": {"latency": False},
    })
    (ep,) = endpoints(obj)
    rules = ep["metricRelabelings"]
    drops = [r for r in rules if r["action"] == "drop"]
    keeps = [r for r in rules if r["action"] == "keep"]
    assert all(r["sourceLabels"] == ["__name__"] for r in rules)
    assert sorted(r["regex"] for r in drops) == ["go_gc_.*", "process_.*"]
    assert len(keeps) == 1

    # Prometheus anchors relabel regexes; apply the rules as Prometheus does and see which names survive.
    def stored(name):
        for rule in rules:
            hit = re.fullmatch(rule["regex"], name) is not None
            if (rule["action"] == "drop" and hit) or (rule["action"] == "keep" and not hit):
                return False
        return True

    assert stored("http_requests_total") and stored("up") and stored("go_goroutines")
    assert not stored("go_gc_duration_seconds") and not stored("process_cpu_seconds_total") and not stored("node_load1")
    assert not stored("upx")  # anchored: 'up' keeps only 'up'


def test_interval_timeout_scheme_tls_and_basic_auth_reference_secrets_only():
    obj = monitor_object({"name": "api", "monitor": {
        "interval": "30s", "scrape_timeout": "10s",
        "tls": {"ca": {"configmap": "shop-ca", "key": "ca.crt"}, "cert": {"secret": "shop-client", "key": "tls.crt"},
                "key": {"secret": "shop-client", "key": "tls.key"}, "server_name": "api.shop-ns.svc"},
        "basic_auth": {"username": {"secret": "scrape-auth", "key": "user"}, "password": {"secret": "scrape-auth", "key": "pass"}},
    }})
    (ep,) = endpoints(obj)
    assert (ep["interval"], ep["scrapeTimeout"]) == ("30s", "10s")
    assert ep["scheme"] == "https"  # TLS implies https
    assert ep["tlsConfig"]["ca"] == {"configMap": {"name": "shop-ca", "key": "ca.crt"}}
    assert ep["tlsConfig"]["cert"] == {"secret": {"name": "shop-client", "key": "tls.crt"}}
    assert ep["tlsConfig"]["keySecret"] == {"name": "shop-client", "key": "tls.key"}
    assert ep["tlsConfig"]["serverName"] == "api.shop-ns.svc"
    assert ep["basicAuth"] == {"username": {"name": "scrape-auth", "key": "user"}, "password": {"name": "scrape-auth", "key": "pass"}}


def test_targets_in_other_namespaces_and_extra_relabelings_before_the_guards_and_the_job_label():
    obj = monitor_object({"name": "api", "monitor": {
        "namespaces": ["shop-b", "shop-a", "shop-a"],
        "relabelings": [
            {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
            {"action": "labeldrop", "regex": "pod_template_hash"},
        ],
    }})
    assert obj["spec"]["namespaceSelector"] == {"matchNames": ["shop-a", "shop-b"]}
    (ep,) = endpoints(obj)
    first, second, *guards, last = ep["relabelings"]
    assert first == {"action": "replace", "sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"}
    assert second == {"action": "labeldrop", "regex": "pod_template_hash"}
    # After the team's relabelings: namespace and service from discovery again, the other trusted labels dropped.
    restored = {g["targetLabel"]: g["sourceLabels"] for g in guards if g["action"] == "replace"}
    assert restored == {"namespace": ["__meta_kubernetes_namespace"], "service": ["__meta_kubernetes_service_name"]}
    [dropped] = [g["regex"] for g in guards if g["action"] == "labeldrop"]
    assert all(re.fullmatch(dropped, label) for label in ("team", "severity", "slo", "alertname", "cluster"))
    assert not any(re.fullmatch(dropped, label) for label in ("node", "pod", "instance", "namespace", "service"))
    assert last == {"action": "replace", "targetLabel": "job", "replacement": "api"}


def test_no_monitor_block_no_monitor_object():
    teams, settings, problems = load({"name": "api"})
    assert problems == []
    assert not [o for o in manifests.team_objects(teams[0], settings) if o["kind"] in ("ServiceMonitor", "PodMonitor")]


MONITOR_VARIANTS = [
    {},
    {"kind": "PodMonitor", "port": "http-metrics", "interval": "15s"},
    {"selector": {"app.kubernetes.io/name": "api", "tier": "backend"}, "path": "/internal/metrics", "interval": "1m",
     "scrape_timeout": "50s", "scheme": "http", "drop_metrics": ["go_gc_.*"], "keep_metrics": ["http_.*", "up"],
     "namespaces": ["shop-a"],
     "relabelings": [{"action": "hashmod", "source_labels": ["__address__"], "target_label": "__tmp_shard", "modulus": 4},
                     {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)", "replacement": "$1"}]},
    {"kind": "PodMonitor", "tls": {"ca": {"secret": "ca", "key": "ca.crt"}, "cert": {"configmap": "c", "key": "tls.crt"},
                                   "key": {"secret": "k", "key": "tls.key"}, "insecure_skip_verify": True},
     "basic_auth": {"username": {"secret": "a", "key": "u"}, "password": {"secret": "a", "key": "p"}}},
]


@pytest.mark.parametrize("monitor", MONITOR_VARIANTS)
def test_generated_monitors_are_valid_against_the_crds(monitor, crd_validator):
    obj = monitor_object({"name": "api", "monitor": monitor, "golden_signals": {"latency": False}})
    assert crd_validator.errors(obj) == []
    # No secret value can appear: every auth field is a {name, key} reference.
    text = json.dumps(obj)
    assert "hunter" not in text


def test_crd_validation_catches_a_broken_monitor(crd_validator):
    # Guards the test above: the validator does reject what the CRD forbids.
    obj = monitor_object({"name": "api", "monitor": {}})
    endpoints(obj)[0]["scheme"] = "gopher"
    endpoints(obj)[0]["unknownField"] = True
    errors = crd_validator.errors(obj)
    assert any("scheme" in e for e in errors) and any("unknownField" in e for e in errors), errors
