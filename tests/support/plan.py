# -*- coding: utf-8 -*-
"""Build what a run builds, the way the plan action builds it: the role defaults of the collection under the given
inventory variables, templated by Ansible's own Templar, then the pure core. The one way a test gets a plan, a run
configuration or the teams' settings."""

from __future__ import annotations

import functools
import json

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.vigil.observability.plugins.module_utils.pipeline.compose import compose
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.plan import PlanError, build_plan
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.wire import wire
from ansible_collections.vigil.observability.plugins.plugin_utils import inventory_vars

__all__ = ["NO_TOOLS", "PlanError", "build", "config", "problems", "resolve", "team_settings", "values"]

# Unit tests check the plan, not the tools: promtool and amtool run where a test asks for them.
NO_TOOLS = {"observability_promtool": "skip", "observability_amtool": "skip"}
# The teams' Settings by field, and the variable each is read from (pipeline/compose).
TEAM_SETTING_VARIABLES = {
    "platform_namespace": "observability_platform_namespace",
    "scrape_interval": "kube_prometheus_stack_scrape_interval",
    "retention": "observability_prometheus_retention",
    "slo_period": "observability_slo_period",
    "slo_tiers": "observability_slo_tiers",
    "slo_budget_interval": "teams_slo_budget_interval",
    "dashboard_label": "observability_dashboard_label",
    "dashboard_label_value": "observability_dashboard_label_value",
    "dashboard_folder_annotation": "observability_dashboard_folder_annotation",
    "dashboard_placement": "teams_dashboard_placement",
    "prometheus_datasource_uid": "observability_prometheus_datasource_uid",
    "tempo_datasource_uid": "observability_tempo_datasource_uid",
    "loki_datasource_uid": "observability_loki_datasource_uid",
    "runbook_base_url": "teams_runbook_base_url",
    "otlp_endpoint": "teams_otlp_endpoint",
}


def resolve(variables):
    """(the templated variables, the templated role defaults), as the plan action has them."""
    loader = DataLoader()
    resolved, found, _raw = inventory_vars.resolve(dict(variables), Templar(loader=loader), loader)
    assert not found, found
    return resolved, inventory_vars.resolve_defaults(dict(variables), Templar(loader=loader), loader)


def _with_tools(variables, tools):
    merged = dict(variables or {})
    if not tools:
        for key, value in NO_TOOLS.items():
            merged.setdefault(key, value)
    return merged


def build(variables=None, cluster="c1", clusters=("c1",), tools=False, detected=None):
    """The plan of `cluster` (PlanError propagates)."""
    resolved, defaults = resolve(_with_tools(variables, tools))
    plan, _secrets = build_plan(resolved, defaults, cluster, list(clusters), detected=detected)
    return plan


def problems(variables=None, cluster="c1", clusters=("c1",), tools=False):
    """Every problem of a run that must fail, as 'path: message' lines."""
    try:
        build(variables, cluster, clusters, tools)
    except PlanError as exc:
        return exc.problems
    raise AssertionError("the plan was built without a problem")


def config(variables=None, cluster="c1", clusters=("c1",), detected=None):
    """The run configuration of `cluster`, wired (PlanError propagates)."""
    resolved, defaults = resolve(_with_tools(variables, False))
    wired, _registry = wire(compose(resolved, defaults, cluster, list(clusters), detected or {}, ()))
    return wired


def team_settings(raw=None, problems_out=None, clusters=("c1",)):
    """The teams' Settings of a run whose team settings are `raw` (by Settings field: slo_period, platform_namespace...;
    `clusters` the cluster hosts).

    With `problems_out` (a Problems), a run that fails adds its problems there and the settings of the role defaults are
    returned, as compose reads a wrong setting as its default while it collects the other problems."""
    raw = dict(raw or {})
    clusters = tuple(raw.pop("clusters", clusters))  # the hosts of observability_clusters, not a variable
    variables = {TEAM_SETTING_VARIABLES[key]: value for key, value in raw.items()}
    try:
        return _team_settings(json.dumps(variables, sort_keys=True), tuple(clusters))
    except PlanError as exc:
        if problems_out is None:
            raise
        problems_out.extend(exc.pairs)
        return _team_settings("{}", tuple(clusters))


@functools.lru_cache(maxsize=256)
def _team_settings(variables_json, clusters):
    # Settings are frozen: one per distinct input is built (thousands of generator tests read the same few).
    return config(json.loads(variables_json), clusters[0], clusters).team_settings


def values(plan, component):
    return plan["releases"][component]["values"]


def component_settings(component, raw=None, variables=None, cluster="c1"):
    """The wired settings of one component (a RunConfig field: kube_prometheus_stack, datasources, loki, tempo,
    opentelemetry, alloy) on `cluster`, in a run whose role variables are `raw` (names without the role prefix) plus
    `variables`."""
    prefix = "kube_prometheus_stack_" if component == "datasources" else component + "_"
    merged = {prefix + key: value for key, value in (raw or {}).items()}
    merged.update(variables or {})
    return getattr(config(merged, cluster, (cluster,)), component)
