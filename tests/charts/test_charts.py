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

Scraping (the platform watches itself): every ServiceMonitor and PodMonitor of the templated charts and the
collection's manifests that targets a platform namespace must be selected by a Prometheus of the stack (its monitor
selector and monitor namespace selector), select a Service (label selector, namespace selector) that names each
endpoint's port, whose targetPort a container of the pods that Service selects really declares; and every workload of
every release (pods the operator makes for Prometheus and Alertmanager included) must be reached by such a monitor,
and every PrometheusRule in a platform namespace (the self-check) must be selected by a Prometheus (ruleSelector).
The OpenTelemetry collectors' monitors are made by the operator at run time: tests/unit/plugins/module_utils/platform/test_opentelemetry.py.

Needs helm (`scripts/install-helm.sh`) and VIGIL_CHART_SOURCES (`tests/charts/chart_sources.py`); skips, saying why,
without them. Not part of `make test`: CI has neither.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]

from ansible_collections.vigil.observability.tests.support.playbook_helpers import run_playbook
from ansible_collections.vigil.observability.tests.support.reference_checks import CRDValidator
from ansible_collections.vigil.observability.plugins.module_utils.generators.gitops import CLUSTER_KINDS

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


# Pods an operator creates for a custom resource (Prometheus Operator v0.93: pkg/prometheus/server/operator.go
# makeSelectorLabels, pkg/alertmanager/operator.go makeSelectorLabels, the ports of pkg/prometheus/common.go,
# pkg/alertmanager/statefulset.go and the config reloader of pkg/operator/config_reloader.go).
def _operator_pod(obj):
    name, spec = obj["metadata"]["name"], obj.get("spec") or {}
    labels = {"app.kubernetes.io/managed-by": "prometheus-operator", "app.kubernetes.io/instance": name}
    labels.update(((spec.get("podMetadata") or {}).get("labels")) or {})
    port_name = spec.get("portName") or "web"
    if obj["kind"] == "Prometheus":
        labels.update({"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": name, "prometheus": name})
        return labels, {(port_name, 9090), ("reloader-web", 8080)}
    labels.update({"app.kubernetes.io/name": "alertmanager", "alertmanager": name})
    return labels, {(port_name, 9093), ("mesh-tcp", 9094), ("reloader-web", 8080)}


def pods_of(objects):
    """{(kind, namespace, name): (pod labels, {(port name, container port)})} of every workload."""
    pods = {}
    for obj in objects:
        meta = obj["metadata"]
        key = (obj["kind"], meta.get("namespace"), meta["name"])
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
            template = obj["spec"]["template"]
            ports = {(p.get("name"), p.get("containerPort")) for c in template["spec"].get("containers") or [] for p in c.get("ports") or []}
            pods[key] = ((template.get("metadata") or {}).get("labels") or {}, ports)
        elif obj["kind"] in ("Prometheus", "Alertmanager"):
            pods[key] = _operator_pod(obj)
    return pods


def selects(selector, labels):
    """A Kubernetes label selector against labels; a missing selector selects nothing, an empty one everything."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if (op == "In" and labels.get(key) not in values) or (op == "NotIn" and key in labels and labels[key] in values) \
                or (op == "Exists" and key not in labels) or (op == "DoesNotExist" and key in labels):
            return False
    return True


def service_selects(service, labels):
    """A Service's selector (a plain map) against pod labels; a Service without one selects no pod."""
    selector = (service.get("spec") or {}).get("selector")
    return bool(selector) and selects({"matchLabels": selector}, labels)


def selects_namespace(selector, namespace, own):
    """A namespace label selector against a namespace known only by name (its kubernetes.io/metadata.name label);
    a missing selector means the selecting object's own namespace."""
    if selector is None:
        return namespace == own
    return selects(selector, {"kubernetes.io/metadata.name": namespace})


def monitor_namespaces(monitor, all_namespaces):
    """The namespaces a monitor discovers targets in: namespaceSelector any, matchNames, or its own."""
    selector = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    if selector.get("any"):
        return set(all_namespaces)
    return set(selector.get("matchNames") or [monitor["metadata"]["namespace"]])


def _declares(ports, target):
    """Whether a pod's container ports include `target`, a port name or number."""
    return any(target in (name, number) for name, number in ports)


def check_monitors(every, platform_namespaces):
    """(monitors checked, workloads reached, problems): see the module docstring."""
    problems = []
    services = [o for o in every if o["kind"] == "Service"]
    pods = pods_of(every)
    prometheuses = [o for o in every if o["kind"] == "Prometheus"]
    namespaces = platform_namespaces | {o["metadata"]["namespace"] for o in every if o["metadata"].get("namespace")}
    reached, checked = set(), 0
    for monitor in (o for o in every if o["kind"] in ("ServiceMonitor", "PodMonitor")):
        meta, spec = monitor["metadata"], monitor.get("spec") or {}
        where = "%s %s/%s" % (monitor["kind"], meta["namespace"], meta["name"])
        targets = monitor_namespaces(monitor, namespaces)
        if not targets & platform_namespaces:
            continue  # the cluster's own components (kubelet, API server, CoreDNS...) or a team's workloads
        checked += 1
        kind = "serviceMonitor" if monitor["kind"] == "ServiceMonitor" else "podMonitor"
        scraped = any(selects(p["spec"].get(kind + "Selector"), meta.get("labels") or {})
                      and selects_namespace(p["spec"].get(kind + "NamespaceSelector"), meta["namespace"], p["metadata"]["namespace"])
                      for p in prometheuses)
        if not scraped:
            problems.append("%s: no Prometheus selects it (%sSelector, %sNamespaceSelector)" % (where, kind, kind))
        if monitor["kind"] == "PodMonitor":
            selected = {k: v for k, v in pods.items() if k[1] in targets and selects(spec.get("selector"), v[0])}
            if not selected:
                problems.append("%s: selects no pod in %s" % (where, sorted(targets)))
            for endpoint in spec.get("podMetricsEndpoints") or []:
                port = endpoint.get("port") or endpoint.get("portNumber") or endpoint.get("targetPort")
                hits = [k for k, (_labels, ports) in selected.items() if _declares(ports, port)]
                if not hits:
                    problems.append("%s: no pod it selects declares port %s" % (where, port))
                if scraped:
                    reached.update(hits)
            continue
        selected = [s for s in services if s["metadata"]["namespace"] in targets and selects(spec.get("selector"), s["metadata"].get("labels") or {})]
        if not selected:
            problems.append("%s: selects no Service in %s" % (where, sorted(targets)))
        for endpoint in spec.get("endpoints") or []:
            named, hits = False, []
            for service in selected:
                for port in service["spec"].get("ports") or []:
                    if endpoint.get("port") is not None:
                        if port.get("name") != endpoint["port"]:
                            continue
                        target = port.get("targetPort", port.get("port"))
                    elif endpoint.get("targetPort") is not None:
                        target = endpoint["targetPort"]
                    else:
                        continue
                    named = True
                    backends = [k for k, (labels, _ports) in pods.items()
                                if k[1] == service["metadata"]["namespace"] and service_selects(service, labels)]
                    if service["metadata"]["namespace"] not in platform_namespaces:
                        continue  # pods of the cluster, not of a release
                    declared = [k for k in backends if _declares(pods[k][1], target)]
                    if not declared:
                        problems.append("%s: Service %s/%s port %s reaches %s, which no pod it selects declares (pods: %s)" % (
                            where, service["metadata"]["namespace"], service["metadata"]["name"], port.get("name"), target,
                            ", ".join("%s/%s" % (k[0], k[2]) for k in backends) or "none"))
                    hits.extend(declared)
            if not named:
                problems.append("%s: no Service it selects names port %s" % (
                    where, endpoint.get("port") if endpoint.get("port") is not None else "targetPort %s" % endpoint.get("targetPort")))
            if scraped:
                reached.update(hits)
    # The self-check alerts are evaluated by the Prometheus that loads their rule.
    for rule in (o for o in every if o["kind"] == "PrometheusRule" and o["metadata"]["namespace"] in platform_namespaces):
        meta = rule["metadata"]
        if not any(selects(p["spec"].get("ruleSelector"), meta.get("labels") or {})
                   and selects_namespace(p["spec"].get("ruleNamespaceSelector"), meta["namespace"], p["metadata"]["namespace"])
                   for p in prometheuses):
            problems.append("PrometheusRule %s/%s: no Prometheus selects it (ruleSelector, ruleNamespaceSelector)" % (meta["namespace"], meta["name"]))
    for key in sorted(k for k in pods if k[1] in platform_namespaces):
        if key not in reached:
            problems.append("%s %s/%s: no monitor a Prometheus selects scrapes its pods" % key)
    return checked, len(reached), problems


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
    monitors, workloads, monitor_problems = check_monitors(every, {record["namespace"] for record in releases})
    print("%s: %d monitors of the platform checked, %d workloads scraped" % (cluster_dir.name, monitors, workloads))
    problems.extend(monitor_problems)
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


def test_platform_monitors_left_out_are_reported(tmp_path):
    helm, charts, reference = helm_binary(), chart_sources(), reference_dir()
    out = tmp_path / "rendered"
    # Alloy's switch off, and Loki's monitor looking in a namespace where no Loki runs.
    run_playbook(SITE, REPO / "inventories" / "example", "-l", "staging-eu", "-e", "observability_render_dir=%s" % out,
                 "-e", '{"alloy_values": {"serviceMonitor": {"enabled": false}},'
                       ' "loki_values": {"monitoring": {"serviceMonitor": {"namespaceSelector": {"matchNames": ["elsewhere"]}}}}}')
    _count, _links, problems = check_cluster(out / "staging-eu", helm, charts, CRDValidator(str(reference / "crds")))
    assert "DaemonSet monitoring/alloy: no monitor a Prometheus selects scrapes its pods" in problems, problems
    assert "StatefulSet monitoring/loki: no monitor a Prometheus selects scrapes its pods" in problems, problems
    assert not [p for p in problems if "tempo" in p or "grafana" in p], problems


def _service(name, labels, selector, ports, namespace="monitoring"):
    return {"kind": "Service", "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"selector": selector, "ports": ports}}


def _workload(name, labels, ports, namespace="monitoring"):
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "ports": [{"name": n, "containerPort": p} for n, p in ports]}]}}}}


def _prometheus(selector):
    return {"kind": "Prometheus", "metadata": {"name": "prom", "namespace": "monitoring"},
            "spec": {"serviceMonitorSelector": selector, "serviceMonitorNamespaceSelector": {}, "podMonitorSelector": {},
                     "podMonitorNamespaceSelector": {}, "ruleSelector": {}, "ruleNamespaceSelector": {}}}


def _service_monitor(port, labels=None, selector=None, namespace_selector=None):
    spec = {"selector": {"matchLabels": selector or {"app": "x"}}, "endpoints": [{"port": port}]}
    if namespace_selector is not None:
        spec["namespaceSelector"] = namespace_selector
    return {"kind": "ServiceMonitor", "metadata": {"name": "x", "namespace": "monitoring", "labels": labels or {}}, "spec": spec}


def _by_itself(prometheus_selector):
    """The Prometheus' own pods, scraped by a monitor of their own, so that only the object under test can fail."""
    return [_prometheus(prometheus_selector),
            _service("prom", {"self": "1"}, {"app.kubernetes.io/name": "prometheus", "prometheus": "prom"},
                     [{"name": "web", "port": 9090, "targetPort": "web"}]),
            dict(_service_monitor("web", labels={"release": "r"}, selector={"self": "1"}), metadata={
                "name": "self", "namespace": "monitoring", "labels": {"release": "r"}})]


def test_the_monitor_check_follows_selectors_and_ports_down_to_the_pods():
    x_pods = _workload("x", {"app": "x"}, [("metrics", 8080)])
    x_service = _service("x", {"app": "x"}, {"app": "x"}, [{"name": "http-metrics", "port": 80, "targetPort": "metrics"}])
    good = _by_itself({}) + [x_pods, x_service, _service_monitor("http-metrics")]
    assert check_monitors(good, {"monitoring"}) == (2, 2, [])
    # A port the Service does not name; a Service port no container declares; a namespace where the Service is not.
    assert "ServiceMonitor monitoring/x: no Service it selects names port metrics" in check_monitors(
        _by_itself({}) + [x_pods, x_service, _service_monitor("metrics")], {"monitoring"})[2]
    wrong_target = _service("x", {"app": "x"}, {"app": "x"}, [{"name": "http-metrics", "port": 80, "targetPort": 9999}])
    assert any("reaches 9999, which no pod it selects declares" in p for p in check_monitors(
        _by_itself({}) + [x_pods, wrong_target, _service_monitor("http-metrics")], {"monitoring"})[2])
    elsewhere = check_monitors(_by_itself({}) + [x_pods, x_service, _service_monitor("http-metrics", namespace_selector={"matchNames": ["other"]})],
                               {"monitoring", "other"})[2]
    assert "ServiceMonitor monitoring/x: selects no Service in ['other']" in elsewhere
    assert "Deployment monitoring/x: no monitor a Prometheus selects scrapes its pods" in elsewhere
    rule = {"kind": "PrometheusRule", "metadata": {"name": "self-check", "namespace": "monitoring", "labels": {}}, "spec": {}}
    unselected = [dict(o, spec=dict(o["spec"], ruleSelector={"matchLabels": {"release": "r"}})) if o["kind"] == "Prometheus" else o
                  for o in good + [rule]]
    assert check_monitors(unselected, {"monitoring"})[2] == [
        "PrometheusRule monitoring/self-check: no Prometheus selects it (ruleSelector, ruleNamespaceSelector)"]
    # A Prometheus that selects only monitors labelled release=r does not scrape an unlabelled one.
    only_released = check_monitors(_by_itself({"matchLabels": {"release": "r"}}) + [x_pods, x_service, _service_monitor("http-metrics")],
                                   {"monitoring"})[2]
    assert only_released == ["ServiceMonitor monitoring/x: no Prometheus selects it (serviceMonitorSelector, serviceMonitorNamespaceSelector)",
                             "Deployment monitoring/x: no monitor a Prometheus selects scrapes its pods"]
    assert check_monitors(_by_itself({"matchLabels": {"release": "r"}}) + [
        x_pods, x_service, _service_monitor("http-metrics", labels={"release": "r"})], {"monitoring"})[2] == []


def test_selectors_as_kubernetes_reads_them():
    assert selects({}, {"a": "1"}) and not selects(None, {"a": "1"})
    assert selects({"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "NotIn", "values": ["false"]}]}, {"a": "1"})
    assert not selects({"matchExpressions": [{"key": "b", "operator": "NotIn", "values": ["false"]}]}, {"b": "false"})
    assert not selects({"matchExpressions": [{"key": "b", "operator": "Exists"}]}, {"a": "1"})
    assert selects_namespace(None, "monitoring", "monitoring") and not selects_namespace(None, "logging", "monitoring")
    assert selects_namespace({}, "logging", "monitoring")
    assert not service_selects({"spec": {}}, {"a": "1"})
