# -*- coding: utf-8 -*-
"""The teams' part of a real plan, in the shape generator tests read: team inputs and team settings in, the cluster's
team, platform and catalogue objects, files, Alertmanager configuration and lint warnings out.

Nothing here builds: `build` turns its arguments into the inventory variables a user would set and calls
tests.support.plan.build (the plan action's own build_plan, under the role defaults); a bad input raises the plan's
PlanError with every problem. Secret values come back, when asked, the way the render step reads them
(plugin_utils.secret_values)."""

from __future__ import annotations

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.vigil.observability.plugins.module_utils.pipeline import render
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import TEAM_LIST_VAR
from ansible_collections.vigil.observability.plugins.plugin_utils.secret_values import secret_objects
from ansible_collections.vigil.observability.tests.support.plan import TEAM_SETTING_VARIABLES, PlanError, build as build_plan
from ansible_collections.vigil.observability.tests.support.plan import config, resolve

__all__ = ["PlanError", "build", "load_all", "rule_files", "variables"]

RELEASE_SCOPE = "release/"


def variables(team_vars, team_list=(), settings_raw=None, only_teams=None, promtool="skip", alertmanager=None,
              alertmanager_mode=None, offboard=None):
    """The inventory variables of a run with these teams and team settings (settings by Settings field, as
    tests.support.plan.team_settings takes them)."""
    out = dict(team_vars or {})
    if team_list:
        out[TEAM_LIST_VAR] = list(team_list)
    for key, value in (settings_raw or {}).items():
        if key != "clusters":
            out[TEAM_SETTING_VARIABLES[key]] = value
    if only_teams is not None:
        out["observability_only_teams"] = list(only_teams)
    if offboard:
        out["observability_offboard_teams"] = list(offboard)
    if alertmanager is not None:
        out["observability_alertmanager"] = alertmanager
    if alertmanager_mode is not None:
        out["observability_alertmanager_mode"] = alertmanager_mode
    out["observability_promtool"] = promtool
    out["observability_amtool"] = "skip"  # the Alertmanager tests run amtool themselves, on the configuration returned
    return out


def build(cluster, team_vars, team_list, settings_raw, only_teams=None, promtool="skip", alertmanager=None,
          alertmanager_mode=None, secret_values=False, offboard=None):
    """The plan of `cluster` (PlanError on any problem), its teams' part keyed as the tests read it.

    `secrets` (Secret objects with their values, by scope) is returned only with `secret_values`."""
    inventory = variables(team_vars, team_list, settings_raw, only_teams, promtool, alertmanager, alertmanager_mode, offboard)
    clusters = tuple((settings_raw or {}).get("clusters") or (cluster,))
    plan = build_plan(inventory, cluster, clusters, tools=True)
    scopes = {scope: part for scope, part in sorted(plan["scopes"].items()) if not scope.startswith(RELEASE_SCOPE)}
    result = {
        "objects": [obj for part in scopes.values() for obj in part["objects"]],
        "scopes": {scope: part["objects"] for scope, part in scopes.items()},
        "teams": plan["teams"]["built"],
        "warnings_lint": plan["warnings"],
        "promtool_checked": plan["checks"]["promtool"],
        "files": {scope: {rel: render.to_yaml(data) for rel, data in sorted(part["files"].items())}
                  for scope, part in scopes.items() if part["files"]},
        "alertmanager_config": plan["alertmanager"]["config"],
        "secret_refs": plan["secret_refs"],
        "plan": plan,
    }
    if secret_values:
        resolved, _defaults = resolve(inventory)
        loader = DataLoader()
        result["secrets"] = secret_objects(plan["secret_refs"], resolved, Templar(loader=loader, variables=resolved))
    return result


def load_all(team_vars, team_list=(), settings_raw=None, alertmanager=None, alertmanager_mode=None):
    """(the teams' settings, every team, the Alertmanager settings) as the plan's compose stage reads them from these
    inputs (PlanError on any problem)."""
    inventory = variables(team_vars, team_list, settings_raw, alertmanager=alertmanager, alertmanager_mode=alertmanager_mode)
    clusters = tuple((settings_raw or {}).get("clusters") or ("c1",))
    run = config(inventory, clusters[0], clusters)
    return run.team_settings, run.teams, run.alertmanager


def rule_files(objects):
    """The `spec` of every PrometheusRule, keyed by object, as Prometheus would load it."""
    return {
        "%s/%s" % (o["metadata"].get("namespace", ""), o["metadata"]["name"]): {"groups": o["spec"]["groups"]}
        for o in objects
        if o["kind"] == "PrometheusRule"
    }
