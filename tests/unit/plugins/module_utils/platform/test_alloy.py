# -*- coding: utf-8 -*-
"""Alloy pod-log shipping: only keys the pinned chart has, a configuration whose components are all defined and
wired, Kubernetes labels and JSON fields as docs/logs-traces.md lists them, and inventory text quoted safely."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.platform.alloy import alloy_config, alloy_values
from ansible_collections.vigil.observability.tests.support.plan import component_settings, problems
from ansible_collections.vigil.observability.tests.support.reference_checks import unknown_value_paths

PUSH = "http://loki-gateway.monitoring.svc.cluster.local/loki/api/v1/push"


def settings(cluster="c1", multi_tenant=False, **raw):
    # The cluster is the inventory host; multi-tenancy the platform's setting; the push URL wired from the registry.
    parsed = component_settings("alloy", raw, {"observability_loki_multi_tenant": multi_tenant}, cluster=cluster)
    assert parsed.loki_push_url == PUSH
    return parsed


def components(config):
    """{'kind.label': body} of the top-level blocks, and every component reference in the text."""
    blocks, depth, current, body = {}, 0, None, []
    for line in config.splitlines():
        code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line.split("//")[0] if not line.strip().startswith("//") else "")
        if depth == 0:
            match = re.match(r'^([a-z_.]+) "([a-z_]+)" \{$', line)
            if match:
                current, body = "%s.%s" % match.groups(), []
        else:
            body.append(line)
        depth += code.count("{") - code.count("}")
        assert depth >= 0, line
        if depth == 0 and current:
            blocks[current] = "\n".join(body)
            current = None
    assert depth == 0
    refs = set(re.findall(r"\b((?:discovery|local|loki)\.[a-z_]+\.[a-z_]+)\.(?:targets|output|receiver)\b", config))
    return blocks, refs


@pytest.mark.parametrize("raw", [{}, {"multi_tenant": True, "cluster": "prod-eu"}])
def test_every_key_exists_in_the_pinned_chart(reference_dir, raw):
    text = (reference_dir / "charts" / "alloy" / "values.yaml").read_text()
    assert unknown_value_paths(alloy_values(settings(**raw)), yaml.safe_load(text), text) == []


@pytest.mark.parametrize("raw", [{}, {"multi_tenant": True, "cluster": "prod-eu"}])
def test_every_reference_names_a_defined_component(raw):
    blocks, refs = components(alloy_config(settings(**raw)))
    assert refs and refs <= set(blocks), refs - set(blocks)
    # Data flows discovery -> relabel -> files -> tail -> process -> write.
    assert "loki.write.default.receiver" in blocks["loki.process.pod_logs"]
    assert "loki.process.pod_logs.receiver" in blocks["loki.source.file.pod_logs"]


def test_labels_and_json_fields():
    blocks, _refs = components(alloy_config(settings(cluster="prod-eu")))
    relabel = blocks["discovery.relabel.pod_logs"]
    for label, source in (("namespace", "namespace"), ("pod", "pod_name"), ("container", "pod_container_name"), ("node", "pod_node_name")):
        assert re.search(r'source_labels = \["__meta_kubernetes_%s"\]\n\s+target_label\s+= "%s"' % (source, label), relabel), label
    process = blocks["loki.process.pod_logs"]
    assert re.search(r'level\s+= "level \|\|', process) and re.search(r'trace_id = "traceId \|\| trace_id', process)
    assert "stage.structured_metadata" in process and "stage.tenant" not in process
    assert 'external_labels = {cluster = "prod-eu"}' in blocks["loki.write.default"]
    # Only this node's pods: every node runs one Alloy.
    assert 'field = "spec.nodeName=" + sys.env("NODE_NAME")' in blocks["discovery.kubernetes.pods"]
    values = alloy_values(settings())
    assert values["controller"]["type"] == "daemonset" and values["alloy"]["mounts"]["varlog"] is True
    assert values["alloy"]["extraEnv"][0]["name"] == "NODE_NAME"


def test_multi_tenant_writes_each_namespace_as_a_tenant():
    blocks, _refs = components(alloy_config(settings(multi_tenant=True)))
    assert re.search(r'stage.tenant \{\n\s+label = "namespace"', blocks["loki.process.pod_logs"])


def test_inventory_text_is_quoted():
    config = alloy_config(settings(cluster='eu" } loki.write "x'))
    blocks, _refs = components(config)
    assert set(blocks) == {"discovery.kubernetes.pods", "discovery.relabel.pod_logs", "local.file_match.pod_logs",
                           "loki.source.file.pod_logs", "loki.process.pod_logs", "loki.write.default"}
    assert r'{cluster = "eu\" } loki.write \"x"}' in config


def test_bad_settings_are_named():
    text = "\n".join(problems({"alloy_loki_push_url": "loki:3100", "observability_loki_multi_tenant": "maybe", "alloy_x": 1}))
    for expected in ("alloy_loki_push_url: must be an http(s) URL", "observability_loki_multi_tenant: must be true or false",
                     "alloy_x: is not a variable of this collection"):
        assert expected in text


def relabel(rules_text, target):
    """Apply the rules as Prometheus relabelling (action replace) does: joined sources, anchored regex, $n expansion."""
    out = dict(target)
    for body in re.findall(r"rule \{\n(.*?)\n  \}", rules_text, re.S):
        attrs = dict(re.findall(r'^\s+(\w+)\s+= (.*)$', body, re.M))
        sources = json.loads(attrs["source_labels"])
        value = json.loads(attrs.get("separator", '";"')).join(out.get(s, "") for s in sources)
        match = re.fullmatch(json.loads(attrs.get("regex", '"(.*)"')), value)
        if match:
            out[json.loads(attrs["target_label"])] = re.sub(r"\$(\d+)", lambda m: match.group(int(m.group(1))) or "",
                                                            json.loads(attrs.get("replacement", '"$1"')))
    return out


def pod(name, controller=None, annotation=None):
    meta = {"__meta_kubernetes_namespace": "payments", "__meta_kubernetes_pod_name": name, "__meta_kubernetes_pod_uid": "u-1",
            "__meta_kubernetes_pod_container_name": "app", "__meta_kubernetes_pod_node_name": "node-a"}
    if controller:
        meta["__meta_kubernetes_pod_controller_kind"], meta["__meta_kubernetes_pod_controller_name"] = controller
    if annotation:
        meta["__meta_kubernetes_pod_annotation_resource_opentelemetry_io_service_name"] = annotation
    return meta


@pytest.mark.parametrize("target, service", [
    # The OpenTelemetry Operator's service.name: the annotation, else the workload's name, else the pod's.
    (pod("payment-service-7d9f8b6c5d-x2x9z", ("ReplicaSet", "payment-service-7d9f8b6c5d")), "payment-service"),
    (pod("kafka-0", ("StatefulSet", "kafka")), "kafka"),
    (pod("fluent-abcde", ("DaemonSet", "fluent")), "fluent"),
    (pod("debug"), "debug"),
    (pod("api-5f6d7c8b9-abcde", ("ReplicaSet", "api-5f6d7c8b9"), annotation="checkout-api"), "checkout-api"),
])
def test_pod_labels_and_service_name(target, service):
    blocks, _refs = components(alloy_config(settings()))
    labels = relabel(blocks["discovery.relabel.pod_logs"], target)
    assert labels["service_name"] == service
    assert (labels["namespace"], labels["pod"], labels["container"], labels["node"]) == (
        "payments", target["__meta_kubernetes_pod_name"], "app", "node-a")
    assert labels["__path__"] == "/var/log/pods/*u-1/app/*.log"
