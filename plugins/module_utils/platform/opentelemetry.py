# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenTelemetry: the operator's values and the collectors it runs (teams' Instrumentation: generators/instrumentation).

- The agent (a DaemonSet) receives OTLP (gRPC 4317, HTTP 4318), Jaeger and Zipkin, adds Kubernetes metadata
  (k8sattributes: pod, namespace, deployment, node) and exports traces to Tempo, metrics to Prometheus
  (remote write) and logs to Loki (OTLP).
- The events collector (one replica: a DaemonSet would ship every event once per node) watches Kubernetes
  events and ships them to Loki as logs.
- Each collector runs under its own ServiceAccount with the ClusterRole its processors and receivers need.
- Teams that ask for it get an Instrumentation object in their namespace, exporting to the agent."""

from __future__ import annotations

from dataclasses import dataclass
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.plugins.module_utils.core.objects import k8s_object, labels_for
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import SettingsReader
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from typing import Any, Dict, List, Mapping, Optional, Sequence


API_VERSION = "opentelemetry.io/v1beta1"


AGENT = "vigil-agent"


EVENTS = "vigil-events"


# The Service the operator creates for a collector.
SERVICE_SUFFIX = "-collector"


OTLP_GRPC_PORT = 4317


OTLP_HTTP_PORT = 4318


# Where each collector serves its own metrics (otelcol_*). The operator names this port `monitoring` on the
# collector's <name>-collector-monitoring Service, taking it from service.telemetry.metrics, and with enableMetrics
# creates the ServiceMonitor that scrapes it. 8888 is the operator's and the collector's default; the collector's
# own default host is localhost, which no other pod reaches, hence the explicit reader.
METRICS_PORT = 8888


SIGNALS = ("traces", "metrics", "logs")


# What k8sattributes adds to every signal; the SDKs' own attributes (set by the operator's injection) are kept.
K8S_METADATA = ("k8s.deployment.name", "k8s.namespace.name", "k8s.node.name", "k8s.pod.name", "k8s.pod.start_time", "k8s.pod.uid")


_READ = ["get", "list", "watch"]


AGENT_RULES = [
    {"apiGroups": [""], "resources": ["namespaces", "nodes", "pods"], "verbs": _READ},
    # A pod's Deployment is found through its ReplicaSet.
    {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": _READ},
]


EVENTS_RULES = [
    {"apiGroups": [""], "resources": ["events"], "verbs": _READ},
    {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": _READ},
]


@dataclass(frozen=True)
class OtelSettings:
    cluster: str
    cert_manager: bool
    go_instrumentation: bool
    collector_image: str
    # Links, empty until wired: the plan derives each from the Service registry unless set.
    tempo_otlp_endpoint: str
    prometheus_remote_write_url: str
    loki_otlp_url: str
    loki_tenant: str
    events: bool
    agent_spec: dict
    events_spec: dict
    values: dict


def parse_otel_settings(
    raw: Dict[str, Any],
    problems: Problems,
    fallbacks: Mapping[str, Any],
    path: str = "",
    paths: Optional[Dict[str, str]] = None,
    known: Sequence[str] = (),
) -> OtelSettings:
    """Settings from the role's variables; `fallbacks` are the role defaults, the only place a default is written."""
    r = SettingsReader(raw, path, problems, paths, fallbacks=fallbacks)
    r.known(*known)  # role variables the plan reads itself
    settings = OtelSettings(
        cluster=r.string("cluster", required=True),
        cert_manager=r.boolean("cert_manager"),
        go_instrumentation=r.boolean("go_instrumentation"),
        collector_image=r.string("collector_image", pattern=r"\S+:\S+|\S+@sha256:[0-9a-f]{64}", what="an image with a tag or digest"),
        # Links, empty (the role defaults): wired from the Service registry.
        tempo_otlp_endpoint=r.string("tempo_otlp_endpoint", pattern=r"|[^\s/:]+:\d+", what="host:port of Tempo's OTLP gRPC receiver"),
        prometheus_remote_write_url=r.string("prometheus_remote_write_url", pattern=r"|https?://\S+", what="an http(s) URL"),
        loki_otlp_url=r.string("loki_otlp_url", pattern=r"|https?://\S+", what="an http(s) URL"),
        loki_tenant=r.string("loki_tenant", pattern=r"[a-zA-Z0-9!._*'()-]*", what="a Loki tenant ID"),
        events=r.boolean("events"),
        agent_spec=r.mapping("agent_spec"),
        events_spec=r.mapping("events_spec"),
        values=r.mapping("values"),
    )
    r.done()
    return settings


def operator_values(settings: OtelSettings) -> Dict[str, Dict[str, Any]]:
    """The operator chart's values: admission webhook certificates from cert-manager when present, else self-generated."""
    values = {
        "admissionWebhooks": {
            "certManager": {"enabled": settings.cert_manager},
            # recreate=false keeps the generated certificate across upgrades (no diff, no webhook churn).
            "autoGenerateCert": {"enabled": not settings.cert_manager, "recreate": False},
        },
        "manager": {
            "collectorImage": {"repository": settings.collector_image.rsplit(":", 1)[0],
                               "tag": settings.collector_image.rsplit(":", 1)[1]}
            if "@" not in settings.collector_image else {},
            "autoInstrumentation": {"go": {"enabled": settings.go_instrumentation}},
            # Prometheus scrapes the operator's metrics port (HTTPS, authorised with its service account token).
            "serviceMonitor": {"enabled": True},
        },
        "crds": {"create": True},
    }
    if not values["manager"]["collectorImage"]:
        del values["manager"]["collectorImage"]
    return deep_merge(values, settings.values)


def _loki_exporter(settings: OtelSettings) -> Dict[str, Any]:
    exporter = {"endpoint": settings.loki_otlp_url}
    if settings.loki_tenant:
        exporter["headers"] = {"X-Scope-OrgID": settings.loki_tenant}
    return exporter


def _common_processors(settings: OtelSettings) -> Dict[str, Dict[str, Any]]:
    processors = {
        # First in every pipeline: refuse data before the collector runs out of memory.
        "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25},
        "batch": {"send_batch_size": 8192, "timeout": "5s"},
    }
    if settings.cluster:
        processors["resource"] = {"attributes": [{"key": "k8s.cluster.name", "value": settings.cluster, "action": "upsert"}]}
    return processors


def agent_config(settings: OtelSettings) -> Dict[str, Any]:
    processors = _common_processors(settings)
    processors["k8sattributes"] = {
        "auth_type": "serviceAccount",
        "passthrough": False,
        "extract": {"metadata": list(K8S_METADATA)},
        # Pods are found by the SDK's pod UID (set by the operator's injection), their IP, or the connection.
        "pod_association": [
            {"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]},
            {"sources": [{"from": "resource_attribute", "name": "k8s.pod.ip"}]},
            {"sources": [{"from": "connection"}]},
        ],
    }
    chain = ["memory_limiter", "k8sattributes"] + (["resource"] if "resource" in processors else []) + ["batch"]
    return {
        "receivers": {
            "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:%d" % OTLP_GRPC_PORT}, "http": {"endpoint": "0.0.0.0:%d" % OTLP_HTTP_PORT}}},
            "jaeger": {"protocols": {"grpc": {"endpoint": "0.0.0.0:14250"}, "thrift_http": {"endpoint": "0.0.0.0:14268"},
                                     "thrift_compact": {"endpoint": "0.0.0.0:6831"}}},
            "zipkin": {"endpoint": "0.0.0.0:9411"},
        },
        "processors": processors,
        "exporters": {
            "otlp/tempo": {"endpoint": settings.tempo_otlp_endpoint, "tls": {"insecure": True}},
            # Resource attributes (namespace, deployment, pod) become labels PromQL can select on.
            "prometheusremotewrite": {"endpoint": settings.prometheus_remote_write_url,
                                      "resource_to_telemetry_conversion": {"enabled": True}},
            "otlphttp/loki": _loki_exporter(settings),
        },
        "extensions": {"health_check": {"endpoint": "0.0.0.0:13133"}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {"receivers": ["jaeger", "otlp", "zipkin"], "processors": chain, "exporters": ["otlp/tempo"]},
                "metrics": {"receivers": ["otlp"], "processors": chain, "exporters": ["prometheusremotewrite"]},
                "logs": {"receivers": ["otlp"], "processors": chain, "exporters": ["otlphttp/loki"]},
            },
        },
    }


def events_config(settings: OtelSettings) -> Dict[str, Any]:
    processors = _common_processors(settings)
    # Loki's OTLP ingestion makes service.name the service_name label: {service_name="kubernetes-events"}.
    attributes = [{"key": "service.name", "value": "kubernetes-events", "action": "upsert"}]
    attributes += (processors.get("resource") or {}).get("attributes", [])
    processors["resource"] = {"attributes": attributes}
    return {
        "receivers": {"k8sobjects": {"auth_type": "serviceAccount",
                                     "objects": [{"name": "events", "group": "events.k8s.io", "mode": "watch"}]}},
        "processors": processors,
        "exporters": {"otlphttp/loki": _loki_exporter(settings)},
        "extensions": {"health_check": {"endpoint": "0.0.0.0:13133"}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {"logs": {"receivers": ["k8sobjects"], "processors": ["memory_limiter", "resource", "batch"],
                                   "exporters": ["otlphttp/loki"]}},
        },
    }


def pipeline_problems(config: Dict[str, Any], path: str = "config") -> List[Any]:
    """Pipelines that name a component the configuration does not define, or that could never carry data."""
    problems = []
    config = config if isinstance(config, dict) else {}
    service = config.get("service") or {}
    for name in service.get("extensions") or []:
        if name not in (config.get("extensions") or {}):
            problems.append("%s.service.extensions: %s is not defined under extensions" % (path, name))
    pipelines = service.get("pipelines") or {}
    if not pipelines:
        problems.append("%s.service.pipelines: no pipeline is defined" % path)
    connectors = config.get("connectors") or {}
    for pipeline, spec in sorted(pipelines.items()):
        where = "%s.service.pipelines.%s" % (path, pipeline)
        spec = spec if isinstance(spec, dict) else {}
        if pipeline.split("/", 1)[0] not in SIGNALS:
            problems.append("%s: the signal must be one of %s" % (where, ", ".join(SIGNALS)))
        for section in ("receivers", "processors", "exporters"):
            defined = set(config.get(section) or {})
            if section != "processors":
                defined |= set(connectors)  # a connector is an exporter of one pipeline and a receiver of another
            for name in spec.get(section) or []:
                if name not in defined:
                    problems.append("%s.%s: %s is not defined under %s" % (where, section, name, section))
        for section in ("receivers", "exporters"):
            if not spec.get(section):
                problems.append("%s.%s: a pipeline needs at least one" % (where, section))
    return problems


def self_telemetry() -> Dict[str, Any]:
    """The collector's own metrics, served to Prometheus on every interface at METRICS_PORT."""
    prometheus = {"host": "0.0.0.0", "port": METRICS_PORT}
    return {"metrics": {"readers": [{"pull": {"exporter": {"prometheus": prometheus}}}]}}


def _collector(
    name: str,
    namespace: str,
    mode: str,
    service_account: str,
    config: Dict[str, Any],
    settings: OtelSettings,
    extra_spec: Dict[str, Dict[str, Dict[str, Dict[str, Dict[str, List[str]]]]]],
) -> Dict[str, Any]:
    spec = {
        "mode": mode,
        "image": settings.collector_image,
        "serviceAccount": service_account,
        "config": deep_merge(config, {"service": {"telemetry": self_telemetry()}}),
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        # The operator creates a ServiceMonitor for the collector's monitoring Service: the platform's self-check reads
        # otelcol_exporter_send_failed_*.
        "observability": {"metrics": {"enableMetrics": True}},
    }
    if mode == "daemonset":
        # Every node, tainted ones included: workloads there send telemetry too.
        spec["tolerations"] = [{"operator": "Exists"}]
    else:
        spec["replicas"] = 1
    return k8s_object(API_VERSION, "OpenTelemetryCollector", name, namespace, labels_for(None, "opentelemetry"),
                      deep_merge(spec, extra_spec))


def _rbac(name: str, namespace: str, rules: List[Dict[str, List[str]]]) -> List[Dict[str, Any]]:
    labels = labels_for(None, "opentelemetry")
    return [
        k8s_object("v1", "ServiceAccount", name, namespace, dict(labels)),
        k8s_object("rbac.authorization.k8s.io/v1", "ClusterRole", name, None, dict(labels), rules=[dict(r) for r in rules]),
        k8s_object("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", name, None, dict(labels),
                   roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                   subjects=[{"kind": "ServiceAccount", "name": name, "namespace": namespace}]),
    ]


def collector_objects(settings: OtelSettings, namespace: str) -> List[Dict[str, Any]]:
    """The collectors and their RBAC, in the operator's namespace."""
    objects = _rbac(AGENT, namespace, AGENT_RULES)
    objects.append(_collector(AGENT, namespace, "daemonset", AGENT, agent_config(settings), settings, settings.agent_spec))
    if settings.events:
        objects += _rbac(EVENTS, namespace, EVENTS_RULES)
        objects.append(_collector(EVENTS, namespace, "deployment", EVENTS, events_config(settings), settings, settings.events_spec))
    return objects


def collector_problems(objects: List[Dict[str, Any]], prefix: str = "opentelemetry_") -> List[Any]:
    """Pipeline problems of the collectors, at the role variable that shaped each (opentelemetry_agent_spec...)."""
    problems = []
    for obj in objects:
        if obj["kind"] == "OpenTelemetryCollector":
            spec_path = "%s%s_spec.config" % (prefix, "agent" if obj["metadata"]["name"] == AGENT else "events")
            problems.extend(pipeline_problems(obj["spec"].get("config"), spec_path))
    return problems
