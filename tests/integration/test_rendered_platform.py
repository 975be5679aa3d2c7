# -*- coding: utf-8 -*-
"""The whole rendered platform of the example inventory (site.yml, render mode), checked against the pinned charts
and CRDs: values files valid for their chart, collectors and Instrumentation valid for their CRDs with whole pipelines,
Grafana's correlation links pointing at datasources that exist, and a second render changing nothing."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.reference_checks import linked_uids
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.plugins.module_utils.platform.opentelemetry import pipeline_problems
from ansible_collections.vigil.observability.tests.support.reference_checks import unknown_value_paths
from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, recap, run_playbook, tree

SITE = REPO / "playbooks" / "site.yml"
CLUSTERS = ("prod-eu", "staging-eu")
SCHEMA_VALIDATORS = {
    "http://json-schema.org/draft-07/schema#": jsonschema.Draft7Validator,
    "http://json-schema.org/schema#": jsonschema.Draft7Validator,  # the collector chart's generic URI: draft-07
    "https://json-schema.org/draft/2019-09/schema": jsonschema.Draft201909Validator,
}
# Blocks a chart hands to its application as they are: their keys are the application's (Alertmanager's
# configuration is proven with amtool in test_alertmanager_amtool.py), not the chart's.
PASSTHROUGH = {"kube-prometheus-stack": ("alertmanager.config.",)}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Two renders into one directory: the tree after the first, and the second run's output and tree."""
    base = tmp_path_factory.mktemp("platform")
    inventory = copy_example_inventory(base / "inventory")
    out = base / "rendered"
    args = ("-e", "observability_render_dir=%s" % out)
    run_playbook(SITE, inventory, *args)
    first = tree(out)
    second = run_playbook(SITE, inventory, *args)
    return out, first, second, tree(out)


def load_objects(out, cluster):
    return [yaml.safe_load(p.read_text()) for p in sorted((out / cluster / "manifests").rglob("*.yaml"))]


def chart_reference(reference_dir, chart):
    """(values.yaml defaults, their text, JSON schema or None) of a pinned chart; KPS gets its Grafana subchart's keys."""
    base = reference_dir / "charts" / chart
    text = (base / "values.yaml").read_text()
    values = yaml.safe_load(text)
    if chart == "kube-prometheus-stack":
        grafana_text = (reference_dir / "charts" / "grafana" / "values.yaml").read_text()
        values["grafana"] = deep_merge(yaml.safe_load(grafana_text), values["grafana"])
        text += grafana_text
    schema_path = base / "values.schema.json"
    return values, text, json.loads(schema_path.read_text()) if schema_path.exists() else None


def test_second_render_changes_nothing(rendered):
    _out, first, second, after = rendered
    assert {h: r["changed"] for h, r in recap(second.stdout).items()} == dict.fromkeys(CLUSTERS, 0)
    assert after == first  # same content and untouched modification times


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_release_is_recorded_and_its_values_fit_its_chart(rendered, reference_dir, cluster):
    out = rendered[0]
    releases = yaml.safe_load((out / cluster / "helm" / "releases.yaml").read_text())["releases"]
    assert {r["chart"] for r in releases} == {"alloy", "kube-prometheus-stack", "loki", "opentelemetry-operator", "tempo"}
    assert {p.name for p in (out / cluster / "helm").glob("*.values.yaml")} == {"%s.values.yaml" % r["release"] for r in releases}
    for release in releases:
        values = yaml.safe_load((out / cluster / "helm" / ("%s.values.yaml" % release["release"])).read_text())
        defaults, text, schema = chart_reference(reference_dir, release["chart"])
        if schema is not None:
            # As Helm does: the chart's defaults with the release's values merged over them.
            validator = SCHEMA_VALIDATORS[schema["$schema"]](schema)
            errors = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in validator.iter_errors(deep_merge(defaults, values))]
            assert errors == [], release["chart"]
        else:
            unknown = unknown_value_paths(values, defaults, text)
            assert [p for p in unknown if not p.startswith(PASSTHROUGH.get(release["chart"], ("\0",)))] == [], release["chart"]


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_custom_resource_fits_its_crd_and_collector_pipelines_are_whole(rendered, crd_validator, cluster):
    objects = load_objects(rendered[0], cluster)
    kinds = {kind for _version, kind in crd_validator.kinds()}
    checked = {}
    for obj in objects:
        if obj["kind"] in kinds:
            assert crd_validator.errors(obj) == [], obj["metadata"]
            checked[obj["kind"]] = checked.get(obj["kind"], 0) + 1
        if obj["kind"] == "OpenTelemetryCollector":
            assert pipeline_problems(obj["spec"]["config"]) == [], obj["metadata"]["name"]
    assert checked.get("OpenTelemetryCollector") == 2
    # payments (on prod-eu only) asks for Python and Java instrumentation in its inventory.
    instrumentations = [o for o in objects if o["kind"] == "Instrumentation"]
    if cluster == "prod-eu":
        assert [(o["metadata"]["namespace"], sorted(set(o["spec"]) & {"python", "java", "go", "nodejs", "dotnet"}))
                for o in instrumentations] == [("payments", ["java", "python"])]
    else:
        assert instrumentations == []


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_instrumentation_exports_to_the_rendered_agent(rendered, cluster):
    objects = load_objects(rendered[0], cluster)
    agents = [o for o in objects if o["kind"] == "OpenTelemetryCollector" and o["spec"]["mode"] == "daemonset"]
    assert len(agents) == 1
    agent = agents[0]
    # The operator's Service for a collector is <name>-collector; the OTLP/HTTP receiver listens on 4318.
    assert agent["spec"]["config"]["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    service = "http://%s-collector.%s.svc.cluster.local:4318" % (agent["metadata"]["name"], agent["metadata"]["namespace"])
    for obj in objects:
        if obj["kind"] == "Instrumentation":
            assert obj["spec"]["exporter"]["endpoint"] == service
            assert obj["spec"]["propagators"] == ["tracecontext", "baggage"]


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_grafana_correlation_links_point_at_existing_datasources(rendered, cluster):
    values = yaml.safe_load((rendered[0] / cluster / "helm" / "kube-prometheus-stack.values.yaml").read_text())
    grafana = values["grafana"]
    sidecar = grafana["sidecar"]["datasources"]
    sources = {sidecar["uid"]: {"type": "prometheus"}, sidecar["alertmanager"]["uid"]: {"type": "alertmanager"}}
    for source in grafana["additionalDataSources"]:
        assert source["uid"] not in sources
        sources[source["uid"]] = source
    by_type = {s["type"]: uid for uid, s in sources.items()}
    assert by_type["loki"] == "loki" and by_type["tempo"] == "tempo" and by_type["prometheus"] == "prometheus"
    links = [(uid, target) for uid, source in sources.items() for target in linked_uids(source)]
    links.extend((sidecar["uid"], e["datasourceUid"]) for e in sidecar["extraJsonData"]["exemplarTraceIdDestinations"])
    assert links and all(target in sources for _uid, target in links), links
    # Each pillar reaches the others: metrics -> traces, logs -> traces, traces -> logs and metrics.
    assert {(sources[a]["type"], sources[b]["type"]) for a, b in links} >= {
        ("prometheus", "tempo"), ("loki", "tempo"), ("tempo", "loki"), ("tempo", "prometheus")}
    tempo = sources["tempo"]["jsonData"]
    assert tempo["nodeGraph"]["enabled"] is True and tempo["serviceMap"]["datasourceUid"] == "prometheus"
    derived = sources["loki"]["jsonData"]["derivedFields"]
    assert {f["name"] for f in derived} >= {"traceId", "trace_id"}


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_the_backends_the_clients_name_are_the_rendered_releases(rendered, cluster):
    """Collector, Alloy, Tempo and Grafana URLs name the services of the releases rendered beside them."""
    out = rendered[0]
    helm = out / cluster / "helm"
    releases = {r["chart"]: r for r in yaml.safe_load((helm / "releases.yaml").read_text())["releases"]}
    # The Loki chart names its gateway <release>-gateway; Tempo's service and KPS' Prometheus follow the release name.
    loki_gateway = "%s-gateway.%s.svc.cluster.local" % (releases["loki"]["release"], releases["loki"]["namespace"])
    tempo_host = "%s.%s.svc.cluster.local" % (releases["tempo"]["release"], releases["tempo"]["namespace"])
    prometheus = "%s-prometheus.%s.svc.cluster.local:9090" % (releases["kube-prometheus-stack"]["release"],
                                                              releases["kube-prometheus-stack"]["namespace"])
    kps = yaml.safe_load((helm / "kube-prometheus-stack.values.yaml").read_text())
    urls = {s["type"]: s["url"] for s in kps["grafana"]["additionalDataSources"]}
    assert urls == {"loki": "http://%s" % loki_gateway, "tempo": "http://%s:3200" % tempo_host}
    alloy = yaml.safe_load((helm / "alloy.values.yaml").read_text())["alloy"]["configMap"]["content"]
    assert 'url = "http://%s/loki/api/v1/push"' % loki_gateway in alloy
    tempo = yaml.safe_load((helm / "tempo.values.yaml").read_text())["tempo"]
    assert tempo["metricsGenerator"]["storage"]["remote_write"][0]["url"] == "http://%s/api/v1/write" % prometheus
    agent = [o for o in load_objects(out, cluster) if o["kind"] == "OpenTelemetryCollector" and o["metadata"]["name"] == "vigil-agent"][0]
    exporters = agent["spec"]["config"]["exporters"]
    assert exporters["otlp/tempo"]["endpoint"] == "%s:4317" % tempo_host
    assert exporters["otlphttp/loki"]["endpoint"] == "http://%s/otlp" % loki_gateway
    assert exporters["prometheusremotewrite"]["endpoint"] == "http://%s/api/v1/write" % prometheus
