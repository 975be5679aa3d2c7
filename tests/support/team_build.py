# -*- coding: utf-8 -*-
"""Tests' shortcut to the team part of the plan: raw team inputs and a settings mapping in, the
cluster's team objects, files and Alertmanager configuration out, with the generators the plan uses.
The plan itself (pipeline/plan.py) is tested through plan_helpers and the playbooks."""

from __future__ import annotations

import dataclasses

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import ModelError, Problems
from ansible_collections.vigil.observability.plugins.module_utils.generators import cluster as manifests
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory import teams as inventory_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import render
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.toolcheck import ToolMissing, find_tool, promtool_check_rules


class BuildError(Exception):
    def __init__(self, message, problems=None):
        self.problems = list(problems or [])
        super().__init__(message)


def load(team_vars, team_list, settings_raw):
    """Parse settings and teams; raise BuildError listing every problem."""
    settings, teams, _alerting = load_all(team_vars, team_list, settings_raw)
    return settings, teams


def load_all(team_vars, team_list, settings_raw, alertmanager=None, alertmanager_mode=alerting.GLOBAL):
    """Settings, teams and the Alertmanager settings (observability_alertmanager), all problems at once."""
    problems = Problems()
    settings = team_settings(settings_raw or {}, problems)
    if not settings.otlp_endpoint:
        settings = dataclasses.replace(settings, otlp_endpoint="http://vigil-agent-collector.%s.svc.cluster.local:4318" % settings.platform_namespace)
    inputs = inventory_teams.collect_team_inputs(team_vars or {}, team_list or [])
    teams = inventory_teams.parse_teams(inputs, settings, problems)
    alerting_settings = alerting.parse_alertmanager(alertmanager or {}, problems, alertmanager_mode)
    alerting.check_teams(teams, alerting_settings, problems)
    if problems:
        err = ModelError(problems.items)
        raise BuildError(str(err), err.problems)
    return settings, teams, alerting_settings


def rule_files(objects):
    """The `spec` of every PrometheusRule, keyed by object, as Prometheus would load it."""
    return {
        "%s/%s" % (o["metadata"].get("namespace", ""), o["metadata"]["name"]): {"groups": o["spec"]["groups"]}
        for o in objects
        if o["kind"] == "PrometheusRule"
    }


def check_rules(objects, promtool="auto"):
    """promtool-check every PrometheusRule; returns whether the check ran."""
    if promtool == "skip":
        return False
    path = find_tool("promtool")
    if not path:
        if promtool == "require":
            raise BuildError("promtool is required (promtool: require) but was not found on PATH; "
                             "install the Debian package prometheus or set promtool: skip")
        return False
    files = rule_files(objects)
    if not files:
        return True
    try:
        failures = promtool_check_rules(files, promtool=path)
    except ToolMissing as exc:  # pragma: no cover - raced removal
        raise BuildError(str(exc)) from None
    if failures:
        texts = [failures[label] for label in sorted(failures)]
        raise BuildError("generated rules fail promtool check rules:\n" + "\n".join(texts), texts)
    return True


def _select(teams, only_teams, offboard):
    """The teams of this run and the names to build: offboarded teams are left out of everything."""
    if only_teams is not None:
        unknown = sorted(set(only_teams) - {t.name for t in teams})
        if unknown:
            raise BuildError("observability_only_teams names unknown teams: %s (known: %s)" % (
                ", ".join(unknown), ", ".join(t.name for t in teams)))
    if offboard:
        return [t for t in teams if t.name not in offboard], list(offboard)
    return teams, only_teams


def lint(cluster, team_vars, team_list, settings_raw, only_teams=None, alertmanager=None, alertmanager_mode=alerting.GLOBAL,
         offboard=None):
    """Validate everything (BuildError on any problem) and return the lint warnings, generating nothing."""
    settings, teams, _alerting = load_all(team_vars, team_list, settings_raw, alertmanager, alertmanager_mode)
    teams, only_teams = _select(teams, only_teams, offboard)
    return manifests.lint_cluster(cluster, teams, settings, only_teams)


def build(cluster, team_vars, team_list, settings_raw, only_teams=None, promtool="auto", alertmanager=None,
          alertmanager_mode=alerting.GLOBAL, secret_values=False, offboard=None):
    """Every object and file of one cluster.

    `secrets` (Secret objects with their values, by scope) is returned only with `secret_values`;
    otherwise only their names and keys are (`secret_refs`).
    `offboard` names teams to remove now, whether or not they are still defined: they are left out of
    everything (Alertmanager routing included), their scopes are empty, and no other team is built.
    """
    settings, teams, alerting_settings = load_all(team_vars, team_list, settings_raw, alertmanager, alertmanager_mode)
    teams, only_teams = _select(teams, only_teams, offboard)
    bundle = manifests.build_cluster(cluster, teams, settings, only_teams, alerting_settings)
    for name in offboard or ():
        bundle.scopes.setdefault(manifests.team_scope(name), [])
    objects = bundle.objects
    checked = check_rules(objects, promtool)
    result = {
        "objects": objects,
        "scopes": {scope: manifests.sort_objects(objs) for scope, objs in sorted(bundle.scopes.items())},
        "teams": sorted(scope.split("/", 1)[1] for scope in bundle.scopes if scope.startswith("team/")),
        "warnings_lint": list(bundle.warnings),
        "promtool_checked": checked,
        "files": {scope: {rel: render.to_yaml(data) for rel, data in sorted(files.items())} for scope, files in sorted(bundle.files.items())},
        "alertmanager_config": bundle.alerting.config,
        "secret_refs": bundle.alerting.secret_refs(),
    }
    if secret_values:
        result["secrets"] = manifests.secret_objects(bundle)
    return result
