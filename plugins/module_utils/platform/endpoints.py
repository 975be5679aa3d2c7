# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registry of the platform's in-cluster Services: one place that knows every name and port.

Names follow each pinned chart's fullname helper (the release name when it already contains the
chart's name, else `<release>-<chart>`, truncated as the chart truncates), honouring the
`fullnameOverride` and `nameOverride` a user sets in the chart values. Services the operators
create (`<collector>-collector`, `prometheus-operated`) are registered too. Every default URL of
every component is read from here, so renaming a release or moving it to another namespace moves
every link with it; an explicit URL setting still wins (the plan decides that, not this module).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.platform import opentelemetry as otel

CLUSTER_DOMAIN = "svc.cluster.local"


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    ports: Tuple[Tuple[str, int], ...]  # (port name, number)

    def host(self) -> str:
        return "%s.%s.%s" % (self.name, self.namespace, CLUSTER_DOMAIN)

    def port(self, name: str) -> int:
        return dict(self.ports)[name]

    def address(self, port: str) -> str:
        return "%s:%d" % (self.host(), self.port(port))

    def url(self, port: str, path: str = "", scheme: str = "http") -> str:
        number = self.port(port)
        default = (scheme == "http" and number == 80) or (scheme == "https" and number == 443)
        return "%s://%s%s%s" % (scheme, self.host(), "" if default else ":%d" % number, path)


def _trunc(name: str, limit: int) -> str:
    return name[:limit].rstrip("-")


def fullname(release: str, chart: str, values: Optional[Mapping] = None, limit: int = 63) -> str:
    """Helm's conventional `<chart>.fullname`: fullnameOverride, else the release name when it contains
    the chart name (or nameOverride), else `<release>-<name>`; truncated to `limit`."""
    values = values or {}
    override = values.get("fullnameOverride")
    if isinstance(override, str) and override:
        return _trunc(override, limit)
    name = values.get("nameOverride") if isinstance(values.get("nameOverride"), str) and values.get("nameOverride") else chart
    if name in release:
        return _trunc(release, limit)
    return _trunc("%s-%s" % (release, name), limit)


@dataclass(frozen=True)
class Release:
    """Where a release runs and the values that can rename its objects."""

    name: str
    namespace: str
    values: Mapping


class Registry:
    """The platform's Services by role: prometheus, alertmanager, grafana, loki, tempo, agent, events."""

    def __init__(self, services: Dict[str, Service]) -> None:
        self.services = dict(services)

    def __getitem__(self, key: str) -> Service:
        return self.services[key]

    def get(self, key: str) -> Optional[Service]:
        return self.services.get(key)

    # The URLs components are wired with.
    def prometheus_remote_write_url(self) -> str:
        return self["prometheus"].url("http-web", "/api/v1/write")

    def loki_url(self) -> str:
        return self["loki"].url("http")

    def loki_push_url(self) -> str:
        return self["loki"].url("http", "/loki/api/v1/push")

    def loki_otlp_url(self) -> str:
        return self["loki"].url("http", "/otlp")

    def tempo_url(self) -> str:
        return self["tempo"].url("tempo-prom-metrics")

    def tempo_otlp_grpc(self) -> str:
        return self["tempo"].address("grpc-tempo-otlp")

    def agent_otlp_http_url(self) -> str:
        return self["agent"].url("otlp-http")

    def as_dict(self) -> Dict[str, Dict]:
        return {key: {"name": s.name, "namespace": s.namespace, "ports": dict(s.ports)} for key, s in sorted(self.services.items())}


def registry(kps: Release, loki: Release, tempo: Release, opentelemetry: Release) -> Registry:
    """Every Service the platform's components talk to, from the releases as configured."""
    # kube-prometheus-stack truncates its fullname to 26 characters (its helpers leave room for suffixes).
    kps_name = fullname(kps.name, "kube-prometheus-stack", kps.values, limit=26)
    grafana_values = kps.values.get("grafana") if isinstance(kps.values.get("grafana"), Mapping) else {}
    services = {
        "prometheus": Service("%s-prometheus" % kps_name, kps.namespace, (("http-web", 9090), ("reloader-web", 8080))),
        # The operator's governing Service of every Prometheus it runs.
        "prometheus-operated": Service("prometheus-operated", kps.namespace, (("http-web", 9090),)),
        "alertmanager": Service("%s-alertmanager" % kps_name, kps.namespace, (("http-web", 9093), ("reloader-web", 8080))),
        "grafana": Service(fullname(kps.name, "grafana", grafana_values), kps.namespace, (("http-web", 80),)),
        # The Loki chart's gateway (nginx) fronts reads, pushes and OTLP in every deployment mode.
        "loki": Service("%s-gateway" % fullname(loki.name, "loki", loki.values), loki.namespace, (("http", 80),)),
        "tempo": Service(fullname(tempo.name, "tempo", tempo.values), tempo.namespace, (
            ("tempo-prom-metrics", 3200), ("grpc-tempo-otlp", otel.OTLP_GRPC_PORT), ("tempo-otlp-http", otel.OTLP_HTTP_PORT))),
        "agent": Service(otel.AGENT + otel.SERVICE_SUFFIX, opentelemetry.namespace, (
            ("otlp-grpc", otel.OTLP_GRPC_PORT), ("otlp-http", otel.OTLP_HTTP_PORT))),
    }
    return Registry(services)
