# -*- coding: utf-8 -*-
"""`make test-charts`: the rendered values templated by the real helm with the pinned chart sources, every object
valid, and every in-cluster link resolving to a Service, with that port, that the charts or the collection create.

For the example and production inventories and variants (renamed releases, components in their own namespaces,
multi-tenant Loki, per-namespace Alertmanager), site.yml renders each cluster; `helm template` runs every release with
its rendered values; built-in objects are checked with kubernetes-validate and custom resources against their CRDs
(unknown fields refused). Then every `<name>.<namespace>.svc[.cluster.local][:port]` in the values, the rendered
manifests and the templated charts must name a Service of the templated charts, of the collection's manifests, or
one an operator creates (`<collector>-collector`, `prometheus-operated`, `alertmanager-operated`), with that port.
One line per unresolved link names where it came from.

Needs helm (`scripts/install-helm.sh`) and VIGIL_CHART_SOURCES (`tests/charts/chart_sources.py`); skips, saying why,
without them. Not part of `make test`: CI has neither.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "tests" / "unit" / "plugins" / "module_utils"))

from playbook_helpers import run_playbook  # noqa: E402  pylint: disable=wrong-import-position,import-error
from reference_checks import CRDValidator  # noqa: E402  pylint: disable=wrong-import-position,import-error
from ansible_collections.vigil.observability.plugins.module_utils.generators.gitops import CLUSTER_KINDS  # noqa: E402  pylint: disable=wrong-import-position

SITE = REPO / "playbooks" / "site.yml"
KUBE_VERSION = "1.35.0"
# Kubernetes' cluster-scoped kinds: the Argo CD AppProject (generators/gitops.py) must allow each one a chart creates.
CLUSTER_SCOPED = {"Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
                  "ValidatingAdmissionPolicyBinding", "APIService", "PriorityClass", "StorageClass", "CSIDriver", "CSINode",
                  "IngressClass", "RuntimeClass", "VolumeAttachment", "CertificateSigningRequest", "FlowSchema",
                  "PriorityLevelConfiguration"}
CHART_DIRS = {"kube_prometheus_stack": "kube-prometheus-stack", "loki": "loki", "tempo": "tempo",
              "opentelemetry": "opentelemetry-operator", "alloy": "alloy"}
VARIANTS = {
    "example": ("inventories/example", []),
    "production": ("inventories/production", ["-e", "observability_mode=render"]),
    "renamed-releases": ("inventories/example", ["-e", "kube_prometheus_stack_release_name=obs", "-e", "loki_release_name=logs",
                                                 "-e", "tempo_release_name=traces", "-e", "opentelemetry_release_name=otel-operator",
                                                 "-e", "alloy_release_name=shipper"]),
    "own-namespaces": ("inventories/example", ["-e", "loki_namespace=logging", "-e", "tempo_namespace=tracing",
                                               "-e", "opentelemetry_namespace=otel", "-e", "alloy_namespace=agents"]),
    "multi-tenant-loki": ("inventories/example", ["-e", "observability_loki_multi_tenant=true"]),
    "per-namespace-alertmanager": ("inventories/example", ["-e", "observability_alertmanager_mode=per_namespace"]),
}
# name.namespace.svc[.cluster.local][:port]; a scheme before it tells the default port.
_LINK = re.compile(r"(?:(https?)://)?(?<![\w.-])([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?"
                   r"(?::(\d+))?")
OPERATOR_SERVICES = {"Prometheus": ("prometheus-operated", [9090]), "Alertmanager": ("alertmanager-operated", [9093, 9094])}
# Services every cluster has (the gateway's nginx resolves through kube-dns).
CLUSTER_SERVICES = {("kube-dns", "kube-system"): {53}, ("kubernetes", "default"): {443}}


def missing(reason):
    # `make test-charts` sets VIGIL_REQUIRE_TOOLS=1: there a missing input fails the gate instead of skipping it.
    if os.environ.get("VIGIL_REQUIRE_TOOLS") == "1":
        pytest.fail(reason + " (VIGIL_REQUIRE_TOOLS=1)", pytrace=False)
    pytest.skip(reason)


def helm_binary():
    found = os.environ.get("VIGIL_HELM") or shutil.which("helm") or str(REPO / ".cache" / "tools" / "bin" / "helm")
    if not Path(found).is_file():
        missing("helm not found: run scripts/install-helm.sh (make test-charts does)")
    return found


def chart_sources():
    value = os.environ.get("VIGIL_CHART_SOURCES")
    if not value or not Path(value).is_dir():
        missing("VIGIL_CHART_SOURCES is not a directory: assemble it with tests/charts/chart_sources.py")
    return Path(value)


def reference_dir():
    value = os.environ.get("VIGIL_REFERENCE_DIR") or str(REPO.parent / "shared" / "reference")
    if not Path(value).is_dir():
        missing("VIGIL_REFERENCE_DIR is not set: the CRD schemas are needed")
    return Path(value)


def load_all(text):
    return [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict) and doc.get("kind")]


def template(helm, charts, release, values_file, cluster_dir):
    cmd = [helm, "template", release["release"], str(charts / CHART_DIRS[release["component"]]), "-n", release["namespace"],
           "-f", str(values_file), "--kube-version", KUBE_VERSION]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, "helm template %s (%s): %s" % (release["release"], cluster_dir.name, proc.stderr[-2000:])
    return load_all(proc.stdout)


def services_of(objects, default_namespace):
    found = {}
    for obj in objects:
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or default_namespace
        if obj["kind"] == "Service":
            ports = {p.get("port") for p in (obj.get("spec") or {}).get("ports") or []}
            found[(meta["name"], namespace)] = ports
        elif obj["kind"] == "OpenTelemetryCollector":
            # The operator's Service of a collector: <name>-collector, with each receiver's port.
            config = (obj.get("spec") or {}).get("config") or {}
            text = yaml.safe_dump(config.get("receivers") or {})
            ports = {int(p) for p in re.findall(r"endpoint: [^\s:]*:(\d+)", text)}
            found[(meta["name"] + "-collector", namespace)] = ports
        elif obj["kind"] in OPERATOR_SERVICES:
            name, ports = OPERATOR_SERVICES[obj["kind"]]
            found[(name, namespace)] = set(ports)
    return found


def links_in(text):
    """(text, name, namespace, port or None): a URL without a port means its scheme's; a bare host name any port
    (a certificate's name, a DNS name to resolve)."""
    for match in _LINK.finditer(text):
        scheme, name, namespace, port = match.group(1), match.group(2), match.group(4), match.group(6)
        if port:
            port = int(port)
        elif scheme:
            port = 443 if scheme == "https" else 80
        yield match.group(0), name, namespace, port


def check_cluster(cluster_dir, helm, charts, validator):
    """(objects checked, links checked, problems) of one rendered cluster."""
    import kubernetes_validate  # pylint: disable=import-outside-toplevel

    problems, objects, sources = [], [], []
    manifests = sorted((cluster_dir / "manifests").rglob("*.yaml"))
    for path in manifests:
        objects.extend(load_all(path.read_text()))
        sources.append((str(path.relative_to(cluster_dir)), path.read_text()))
    releases = yaml.safe_load((cluster_dir / "helm" / "releases.yaml").read_text())["releases"]
    by_chart = {v: k for k, v in CHART_DIRS.items()}
    templated = []
    for record in releases:
        record = dict(record, component=by_chart[record["chart"]])
        values_file = cluster_dir / "helm" / ("%s.values.yaml" % record["release"])
        sources.append((str(values_file.relative_to(cluster_dir)), values_file.read_text()))
        rendered = template(helm, charts, record, values_file, cluster_dir)
        for obj in rendered:
            obj.setdefault("metadata", {}).setdefault("namespace", record["namespace"])
        templated.extend((record["release"], obj) for obj in rendered)
    for release, obj in templated:
        sources.append(("helm template %s: %s/%s" % (release, obj["kind"], obj["metadata"].get("name")), yaml.safe_dump(obj)))
    every = objects + [obj for _release, obj in templated]
    allowed = set(CLUSTER_KINDS)
    for obj in every:
        where = "%s %s/%s" % (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"].get("name"))
        group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
        if obj["kind"] in CLUSTER_SCOPED and (group, obj["kind"]) not in allowed:
            problems.append("%s: a cluster-scoped kind the Argo CD AppProject does not allow (generators/gitops.CLUSTER_KINDS)" % where)
        if obj["kind"] == "CustomResourceDefinition":
            continue  # the CRDs themselves: applied server-side, checked by the API server
        if group.endswith(".coreos.com") or group.endswith("opentelemetry.io"):
            errors = validator.errors(obj)
            problems.extend("%s: %s" % (where, e) for e in errors)
        else:
            try:
                kubernetes_validate.validate(obj, KUBE_VERSION.rsplit(".", 1)[0], strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append("%s: %s" % (where, str(exc).splitlines()[0]))
            except kubernetes_validate.SchemaNotFoundError:
                problems.append("%s: no schema for %s" % (where, obj["apiVersion"]))
    services = {}
    for release, obj in templated:
        services.update(services_of([obj], obj["metadata"]["namespace"]))
    services.update(services_of(objects, ""))
    services.update(CLUSTER_SERVICES)
    # Links into the teams' own namespaces name their workloads (a ServiceMonitor's TLS server name): not ours to create.
    platform_namespaces = {record["namespace"] for record in releases} | {ns for _n, ns in CLUSTER_SERVICES}
    links = 0
    for origin, text in sources:
        for raw, name, namespace, port in links_in(text):
            if namespace not in platform_namespaces:
                continue
            links += 1
            ports = services.get((name, namespace))
            if ports is None:
                problems.append("unresolved link %s in %s: no Service %s in namespace %s" % (raw, origin, name, namespace))
            elif port is not None and port not in ports:
                problems.append("unresolved link %s in %s: Service %s/%s has ports %s" % (raw, origin, namespace, name, sorted(ports)))
    return len(every), links, problems


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_templated_charts_are_valid_and_every_link_resolves(variant, tmp_path):
    helm, charts, reference = helm_binary(), chart_sources(), reference_dir()
    inventory, args = VARIANTS[variant]
    out = tmp_path / "rendered"
    run_playbook(SITE, REPO / inventory, "-e", "observability_render_dir=%s" % out, *args)
    validator = CRDValidator(str(reference / "crds"))
    clusters = sorted(p for p in out.iterdir() if p.is_dir())
    assert clusters
    all_problems = []
    for cluster_dir in clusters:
        count, links, problems = check_cluster(cluster_dir, helm, charts, validator)
        valid = count - len(problems)
        print("%s/%s: %d objects valid, %d links checked, %d problems" % (variant, cluster_dir.name, valid, links, len(problems)))
        for line in problems:
            print("  %s/%s: %s" % (variant, cluster_dir.name, line))
        all_problems.extend(problems)
        assert links > 0
    assert not all_problems, "\n".join(all_problems[:50])


def test_a_link_to_a_service_no_chart_creates_is_reported(tmp_path):
    helm, charts, reference = helm_binary(), chart_sources(), reference_dir()
    out = tmp_path / "rendered"
    run_playbook(SITE, REPO / "inventories" / "example", "-l", "staging-eu", "-e", "observability_render_dir=%s" % out,
                 "-e", "alloy_loki_push_url=http://loki-gw.monitoring.svc.cluster.local/loki/api/v1/push",
                 "-e", "kube_prometheus_stack_tempo_url=http://tempo.monitoring.svc.cluster.local:3100")
    _count, _links, problems = check_cluster(out / "staging-eu", helm, charts, CRDValidator(str(reference / "crds")))
    assert any("loki-gw.monitoring.svc.cluster.local" in p and "no Service loki-gw" in p for p in problems), problems
    assert any("tempo.monitoring.svc.cluster.local:3100" in p and "has ports" in p for p in problems), problems


@pytest.mark.parametrize("multi_tenant", [False, True], ids=["single-tenant", "multi-tenant"])
def test_the_templated_datasources_link_both_exemplar_labels_and_carry_the_tenants(tmp_path, multi_tenant):
    helm, charts = helm_binary(), chart_sources()
    out = tmp_path / "rendered"
    run_playbook(SITE, REPO / "inventories" / "example", "-l", "prod-eu", "-e", "observability_render_dir=%s" % out,
                 "-e", "observability_loki_multi_tenant=%s" % str(multi_tenant).lower())
    cluster = out / "prod-eu"
    record = {"release": "kube-prometheus-stack", "namespace": "monitoring", "component": "kube_prometheus_stack"}
    objects = template(helm, charts, record, cluster / "helm" / "kube-prometheus-stack.values.yaml", cluster)
    configmap = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-grafana-datasource")][0]
    provisioned = yaml.safe_load(configmap["data"]["datasource.yaml"])["datasources"]
    by_type = {ds["type"]: ds for ds in provisioned}
    exemplars = by_type["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert sorted((e["name"], e["datasourceUid"]) for e in exemplars) == [("traceID", "tempo"), ("trace_id", "tempo")]
    grafana_values = yaml.safe_load((cluster / "helm" / "kube-prometheus-stack.values.yaml").read_text())["grafana"]
    loki = [ds for ds in grafana_values["additionalDataSources"] if ds["type"] == "loki"][0]
    assert ("httpHeaderName1" in loki["jsonData"]) == multi_tenant
