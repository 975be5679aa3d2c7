# -*- coding: utf-8 -*-
"""OpenTelemetry: operator values valid for the pinned chart's schema, collectors valid for the CRD with pipelines
that only name defined components, the RBAC their processors and receivers need, and teams' Instrumentation."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.generators import instrumentation as generators_instrumentation
from ansible_collections.vigil.observability.plugins.module_utils.inventory import instrumentation as inventory_instrumentation
from ansible_collections.vigil.observability.plugins.module_utils.platform import opentelemetry as platform_opentelemetry
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.plan import PlanError
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.tests.support.reference_checks import unknown_value_paths

from ansible_collections.vigil.observability.tests.support import plan as plan_helpers

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


def team(instrumentation):
    class Team:  # the two fields instrumentation_object reads
        name = "payments"
        namespace = "payments"

    Team.instrumentation = instrumentation
    return Team


@pytest.mark.parametrize("languages", [["python"], ["dotnet", "go", "java", "nodejs", "python"]])
def test_instrumentation_fits_the_crd(crd_validator, languages):
    problems = Problems()
    parsed = inventory_instrumentation.parse_team_instrumentation({"languages": languages, "sampling_ratio": 0.25}, "t.instrumentation", problems)
    assert not problems
    obj = generators_instrumentation.instrumentation_object(team(parsed), "http://vigil-agent-collector.monitoring.svc.cluster.local:4318")
    assert crd_validator.errors(obj) == []
    spec = obj["spec"]
    assert spec["propagators"] == ["tracecontext", "baggage"]
    assert spec["exporter"]["endpoint"] == "http://vigil-agent-collector.monitoring.svc.cluster.local:4318"
    assert spec["sampler"] == {"type": "parentbased_traceidratio", "argument": "0.25"}
    assert set(languages) <= set(spec)
    assert obj["metadata"]["labels"]["vigil.observability/team"] == "payments"


def test_bad_instrumentation_is_named():
    problems = Problems()
    raw = {"languages": ["python", "ruby", "python"], "sampling_ratio": 2, "lang": 1}
    inventory_instrumentation.parse_team_instrumentation(raw, "t.instrumentation", problems)
    text = "\n".join(problems.items)
    for expected in ("t.instrumentation.languages[1]: must be one of dotnet, go, java, nodejs, python, got 'ruby'",
                     "t.instrumentation.languages[2]: is listed twice",
                     "t.instrumentation.sampling_ratio: must be between 0 and 1 (inclusive), got 2",
                     "t.instrumentation.lang: unknown key"):
        assert expected in text
    problems = Problems()
    inventory_instrumentation.parse_team_instrumentation({"languages": []}, "t.instrumentation", problems)
    assert problems.items == ["t.instrumentation.languages: must list at least one language"]


def test_bad_settings_are_named():
    text = "\n".join(plan_helpers.problems({"opentelemetry_tempo_otlp_endpoint": "http://tempo:4317", "opentelemetry_cert_manager": "maybe",
                                            "opentelemetry_loki_otlp_url": "loki"}))
    for expected in ("opentelemetry_tempo_otlp_endpoint: must be host:port", "opentelemetry_cert_manager: must be true or false",
                     "opentelemetry_loki_otlp_url: must be an http(s) URL"):
        assert expected in text


def test_a_team_asking_for_instrumentation_gets_it_in_its_scope(crd_validator):
    team_vars = {"observability_team_payments": {"namespace": "pay", "instrumentation": {"languages": ["python"]}},
                 "observability_team_checkout": {}, "opentelemetry_namespace": "otel"}
    plan = plan_helpers.build(team_vars)
    found = [o for o in plan["scopes"]["team/payments"]["objects"] if o["kind"] == "Instrumentation"]
    assert len(found) == 1 and crd_validator.errors(found[0]) == []
    assert found[0]["metadata"]["namespace"] == "pay"
    assert found[0]["metadata"]["labels"]["app.kubernetes.io/component"] == "instrumentation"
    # The agent's Service, where the opentelemetry role runs it.
    assert found[0]["spec"]["exporter"]["endpoint"] == "http://vigil-agent-collector.otel.svc.cluster.local:4318"
    assert not [o for o in plan["scopes"]["team/checkout"]["objects"] if o["kind"] == "Instrumentation"]
    explicit = plan_helpers.build(dict(team_vars, teams_otlp_endpoint="http://otel.example:4318"))
    assert [o["spec"]["exporter"]["endpoint"] for o in explicit["scopes"]["team/payments"]["objects"]
            if o["kind"] == "Instrumentation"] == ["http://otel.example:4318"]
    text = "\n".join(plan_helpers.problems({"observability_team_payments": {"instrumentation": {"languages": ["cobol"]}}}))
    assert "observability_team_payments.instrumentation.languages[0]: must be one of" in text
