# -*- coding: utf-8 -*-
"""platform/opentelemetry: operator values valid for the pinned chart's schema, collectors valid for the CRD with
pipelines that only name defined components, the RBAC their processors and receivers need, and their own metrics
served where the operator's monitoring Service points, in both profiles (the platform's self-check scrapes them)."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.platform import opentelemetry as platform_opentelemetry
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.plan import PlanError
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.tests.support.reference_checks import unknown_value_paths

from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.tests.support.profiles import PROFILES

ENDPOINTS = {"tempo_otlp_endpoint": "tempo.monitoring.svc.cluster.local:4317",
             "prometheus_remote_write_url": "http://prometheus.monitoring.svc:9090/api/v1/write",
             "loki_otlp_url": "http://loki-gateway.monitoring.svc.cluster.local/otlp"}


def build(**raw):
    """The operator release and the collectors, from opentelemetry_* variables, as the plan builds them."""
    plan = plan_helpers.build({"opentelemetry_" + k: v for k, v in dict(ENDPOINTS, **raw).items()}, cluster="prod-eu", clusters=["prod-eu"])
    return {"release": plan["releases"]["opentelemetry"], "objects": plan["scopes"]["release/opentelemetry-operator"]["objects"]}


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.fixture(scope="module")
def operator_chart(reference_dir):
    base = reference_dir / "charts" / "opentelemetry-operator"
    text = (base / "values.yaml").read_text()
    return json.loads((base / "values.schema.json").read_text()), yaml.safe_load(text), text


@pytest.mark.parametrize("raw", [{}, {"cert_manager": True, "go_instrumentation": False},
                                 {"collector_image": "example.com/otelcol@sha256:" + "a" * 64}])
def test_operator_values_fit_the_pinned_chart(operator_chart, raw):
    schema, reference, text = operator_chart
    values = build(**raw)["release"]["values"]
    # Helm validates the chart's defaults with the release's values merged over them.
    merged = deep_merge(reference, values)
    assert sorted(e.message for e in jsonschema.Draft201909Validator(schema).iter_errors(merged)) == []
    assert unknown_value_paths(values, reference, text) == []


def test_webhook_certificates_with_or_without_cert_manager():
    hooks = build()["release"]["values"]["admissionWebhooks"]
    assert hooks["certManager"]["enabled"] is False and hooks["autoGenerateCert"]["enabled"] is True
    hooks = build(cert_manager=True)["release"]["values"]["admissionWebhooks"]
    assert hooks["certManager"]["enabled"] is True and hooks["autoGenerateCert"]["enabled"] is False


@pytest.mark.parametrize("raw", [{}, {"events": False}, {"loki_tenant": "platform"}])
def test_collectors_fit_the_crd_and_their_pipelines_are_whole(crd_validator, raw):
    objects = build(**raw)["objects"]
    collectors = by_kind(objects, "OpenTelemetryCollector")
    assert set(collectors) == ({"vigil-agent", "vigil-events"} if raw.get("events", True) else {"vigil-agent"})
    for obj in collectors.values():
        assert crd_validator.errors(obj) == []
        assert platform_opentelemetry.pipeline_problems(obj["spec"]["config"]) == []
        # Every collector's service account exists with a binding to its role.
        account = obj["spec"]["serviceAccount"]
        assert account in by_kind(objects, "ServiceAccount")
        binding = by_kind(objects, "ClusterRoleBinding")[account]
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": "monitoring"}]
        assert binding["roleRef"]["name"] in by_kind(objects, "ClusterRole")


def granted(role, group, resource):
    return any(group in r["apiGroups"] and resource in r["resources"] and {"get", "list", "watch"} <= set(r["verbs"])
               for r in role["rules"])


def test_the_agent_receives_enriches_and_exports_each_signal_to_its_backend():
    objects = build()["objects"]
    agent = by_kind(objects, "OpenTelemetryCollector")["vigil-agent"]
    assert agent["spec"]["mode"] == "daemonset"
    config = agent["spec"]["config"]
    grpc = config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    http = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert grpc.endswith(":4317") and http.endswith(":4318")
    pipelines = config["service"]["pipelines"]
    assert set(pipelines["traces"]["receivers"]) == {"otlp", "jaeger", "zipkin"}
    backends = {"traces": ENDPOINTS["tempo_otlp_endpoint"], "metrics": ENDPOINTS["prometheus_remote_write_url"],
                "logs": ENDPOINTS["loki_otlp_url"]}
    for signal, endpoint in backends.items():
        chain = pipelines[signal]["processors"]
        assert chain[0] == "memory_limiter" and chain[-1] == "batch" and "k8sattributes" in chain
        assert [config["exporters"][e]["endpoint"] for e in pipelines[signal]["exporters"]] == [endpoint]
    metadata = set(config["processors"]["k8sattributes"]["extract"]["metadata"])
    assert {"k8s.pod.name", "k8s.namespace.name", "k8s.deployment.name", "k8s.node.name"} <= metadata
    role = by_kind(objects, "ClusterRole")["vigil-agent"]
    for group, resource in (("", "pods"), ("", "namespaces"), ("", "nodes"), ("apps", "replicasets")):
        assert granted(role, group, resource), (group, resource)


def test_events_go_to_loki_from_a_single_replica():
    objects = build(loki_tenant="platform")["objects"]
    events = by_kind(objects, "OpenTelemetryCollector")["vigil-events"]
    assert events["spec"]["mode"] == "deployment" and events["spec"]["replicas"] == 1
    config = events["spec"]["config"]
    assert [o["name"] for o in config["receivers"]["k8sobjects"]["objects"]] == ["events"]
    (exporter,) = config["service"]["pipelines"]["logs"]["exporters"]
    assert config["exporters"][exporter]["endpoint"] == ENDPOINTS["loki_otlp_url"]
    assert config["exporters"][exporter]["headers"] == {"X-Scope-OrgID": "platform"}
    assert granted(by_kind(objects, "ClusterRole")["vigil-events"], "events.k8s.io", "events")


@pytest.mark.parametrize("config, expected", [
    ({"receivers": {"otlp": {}}, "exporters": {"debug": {}},
      "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["debug"]}}}},
     ["c.service.pipelines.traces.processors: batch is not defined under processors"]),
    ({"receivers": {"otlp": {}}, "exporters": {"debug": {}}, "service": {"extensions": ["health_check"], "pipelines": {
        "logs/x": {"receivers": ["otlp", "filelog"], "exporters": []}, "profiles": {"receivers": ["otlp"], "exporters": ["debug"]}}}},
     ["c.service.extensions: health_check is not defined under extensions",
      "c.service.pipelines.logs/x.receivers: filelog is not defined under receivers",
      "c.service.pipelines.logs/x.exporters: a pipeline needs at least one",
      "c.service.pipelines.profiles: the signal must be one of traces, metrics, logs"]),
    ({"receivers": {"otlp": {}}, "exporters": {"debug": {}}, "connectors": {"spanmetrics": {}},
      "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["spanmetrics"]},
                                "metrics": {"receivers": ["spanmetrics"], "exporters": ["debug"]}}}}, []),
    ({"receivers": {}, "exporters": {}, "service": {}}, ["c.service.pipelines: no pipeline is defined"]),
])
def test_pipeline_check(config, expected):
    assert platform_opentelemetry.pipeline_problems(config, "c") == expected


def test_an_override_that_breaks_a_pipeline_is_refused():
    with pytest.raises(PlanError) as err:
        build(agent_spec={"config": {"service": {"pipelines": {"traces": {"exporters": ["otlp/jaeger"]}}}}})
    assert "opentelemetry_agent_spec.config.service.pipelines.traces.exporters: otlp/jaeger is not defined under exporters" in str(err.value)


def test_bad_settings_are_named():
    text = "\n".join(plan_helpers.problems({"opentelemetry_tempo_otlp_endpoint": "http://tempo:4317", "opentelemetry_cert_manager": "maybe",
                                            "opentelemetry_loki_otlp_url": "loki"}))
    for expected in ("opentelemetry_tempo_otlp_endpoint: must be host:port", "opentelemetry_cert_manager: must be true or false",
                     "opentelemetry_loki_otlp_url: must be an http(s) URL"):
        assert expected in text


# The collectors' own metrics, which the platform's self-check alerts read (generators/test_golden.py), served where the
# operator's monitoring Service points.
def operator_metrics_port(config):
    """The port of the operator's <collector>-collector-monitoring Service, as opentelemetry-operator v0.158.0 derives it
    (internal/otelconfig/config.go MetricsEndpoint): service.telemetry.metrics.address when set without readers, else the
    first pull reader's Prometheus port, else 8888 (helpers.go defaultServicePort)."""
    metrics = ((config.get("service") or {}).get("telemetry") or {}).get("metrics") or {}
    readers = metrics.get("readers") or []
    if metrics.get("address") and not readers:
        return int(str(metrics["address"]).rsplit(":", 1)[1])
    for reader in readers:
        prometheus = ((reader.get("pull") or {}).get("exporter") or {}).get("prometheus")
        if prometheus is not None:
            return prometheus.get("port") or 8888
    return 8888


def collector_listens_on(config):
    """(host, port) the collector's own Prometheus endpoint binds to (collector v0.158.0, otelconftelemetry): its
    configured pull reader, else the default reader on localhost:8888."""
    metrics = ((config.get("service") or {}).get("telemetry") or {}).get("metrics") or {}
    for reader in metrics.get("readers") or []:
        prometheus = ((reader.get("pull") or {}).get("exporter") or {}).get("prometheus")
        if prometheus is not None:
            return prometheus.get("host"), prometheus.get("port")
    return "localhost", 8888


@pytest.mark.parametrize("spec_vars", [{}, {"opentelemetry_agent_spec": {"config": {"service": {"telemetry": {"metrics": {"level": "detailed"}}}}},
                                            "opentelemetry_events_spec": {"config": {"service": {"telemetry": {"logs": {"level": "warn"}}}}}}],
                         ids=["default", "telemetry-overridden"])
def test_each_collector_serves_its_metrics_on_the_port_the_monitoring_service_names(spec_vars):
    for profile in sorted(PROFILES):
        plan = plan_helpers.build(dict(PROFILES[profile], **spec_vars))
        for obj in plan["scopes"]["release/opentelemetry-operator"]["objects"]:
            if obj["kind"] != "OpenTelemetryCollector":
                continue
            config = obj["spec"]["config"]
            host, port = collector_listens_on(config)
            assert port == operator_metrics_port(config), (profile, obj["metadata"]["name"])
            # Prometheus scrapes from another pod: the endpoint must listen beyond the loopback interface.
            assert host in ("0.0.0.0", "::", ""), (profile, obj["metadata"]["name"], host)
            assert obj["spec"]["observability"]["metrics"]["enableMetrics"] is True


def test_the_port_derivation_follows_the_operator():
    # The helpers above are the tests' reading of the operator and the collector: checked on the cases they tell apart.
    assert operator_metrics_port({}) == 8888 and collector_listens_on({}) == ("localhost", 8888)
    assert operator_metrics_port({"service": {"telemetry": {"metrics": {"address": "0.0.0.0:9999"}}}}) == 9999
    pull = {"service": {"telemetry": {"metrics": {"readers": [{"periodic": {}}, {"pull": {"exporter": {"prometheus": {"host": "0.0.0.0", "port": 9464}}}}]}}}}
    assert operator_metrics_port(pull) == 9464 and collector_listens_on(pull) == ("0.0.0.0", 9464)
