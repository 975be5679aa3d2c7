# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage 2, wire: every component's links from the Service registry (platform/endpoints), the real names and ports.

The registry is built from the releases as configured (names, namespaces, the values that rename their objects), so
renaming a release or moving it moves every link with it. A link the inventory sets (compose.LINK_KEYS) wins; every
other is derived here, so no component holds a default URL of its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Tuple

from ansible_collections.vigil.observability.plugins.module_utils.pipeline.compose import RunConfig
from ansible_collections.vigil.observability.plugins.module_utils.platform import endpoints


def wire(config: RunConfig) -> Tuple[RunConfig, endpoints.Registry]:
    """(the configuration with every link resolved, the registry it was resolved from)."""
    def release(component: str, settings_values: dict) -> endpoints.Release:
        spec = config.releases[component]
        return endpoints.Release(spec.name, spec.namespace, settings_values)

    registry = endpoints.registry(release("kube_prometheus_stack", config.kube_prometheus_stack.values),
                                  release("loki", config.loki.values), release("tempo", config.tempo.values),
                                  release("opentelemetry", config.opentelemetry.values))
    ds, tp, ot, al, teams = config.datasources, config.tempo, config.opentelemetry, config.alloy, config.team_settings
    return replace(
        config,
        datasources=replace(ds, loki_url=ds.loki_url or registry.loki_url(), tempo_url=ds.tempo_url or registry.tempo_url()),
        tempo=replace(tp, remote_write_url=tp.remote_write_url or registry.prometheus_remote_write_url()),
        opentelemetry=replace(ot, tempo_otlp_endpoint=ot.tempo_otlp_endpoint or registry.tempo_otlp_grpc(),
                              prometheus_remote_write_url=ot.prometheus_remote_write_url or registry.prometheus_remote_write_url(),
                              loki_otlp_url=ot.loki_otlp_url or registry.loki_otlp_url()),
        alloy=replace(al, loki_push_url=al.loki_push_url or registry.loki_push_url()),
        team_settings=replace(teams, otlp_endpoint=teams.otlp_endpoint or registry.agent_otlp_http_url()),
    ), registry
