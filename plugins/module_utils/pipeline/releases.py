# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One platform component's pinned Helm release: values, extra objects and rendered files.

The chart roles call this once each (through the platform_release module); apply
and render share everything up to the last step.
"""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.generators import alerting as generators_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.plugins.module_utils.platform import alloy
from ansible_collections.vigil.observability.plugins.module_utils.platform import datasources as grafana_datasources
from ansible_collections.vigil.observability.plugins.module_utils.platform import kube_prometheus_stack as kps
from ansible_collections.vigil.observability.plugins.module_utils.platform import loki
from ansible_collections.vigil.observability.plugins.module_utils.platform import opentelemetry
from ansible_collections.vigil.observability.plugins.module_utils.platform import tempo
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.build import BuildError, load_all
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import ModelError, Problems
from ansible_collections.vigil.observability.plugins.module_utils.inventory.chart import Release, parse_chart
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.render import to_yaml

COMPONENTS = ("alloy", "kube_prometheus_stack", "loki", "opentelemetry", "tempo")


def release_scope(name):
    return "release/%s" % name


def values_path(name):
    return "helm/%s.values.yaml" % name


def alertmanager_plan(team_inputs, cluster, namespace):
    """The Alertmanager configuration and Secrets of a cluster, from the same inputs and function as the teams role's."""
    _settings, teams, alerting_settings = load_all(
        team_inputs.get("team_vars"), team_inputs.get("teams"), team_inputs.get("settings"),
        team_inputs.get("alertmanager"), team_inputs.get("alertmanager_mode") or inventory_alerting.GLOBAL)
    offboard = set(team_inputs.get("offboard") or ())
    on_cluster = [t for t in teams if t.on_cluster(cluster) and t.name not in offboard]
    return generators_alerting.plan(on_cluster, alerting_settings, namespace)


def _kube_prometheus_stack(release, settings_raw, cluster, problems, team_inputs=None):
    settings_raw = dict(settings_raw or {})
    settings_raw.setdefault("cluster", cluster)
    ds_raw = settings_raw.pop("datasources", None)
    settings = kps.parse_kps_settings(settings_raw, problems, path="kube_prometheus_stack")
    ds_settings = grafana_datasources.parse_datasource_settings(
        ds_raw, problems, path="kube_prometheus_stack.datasources", prometheus_uid=settings.prometheus_datasource_uid)
    if problems or release is None:
        return None, [], {}
    additional, exemplar_uid = grafana_datasources.grafana_datasources(ds_settings)
    am = {}
    if team_inputs is not None:
        plan = alertmanager_plan(team_inputs, cluster, release[1])
        am = {"alertmanager_config": plan.config, "alertmanager_secrets": plan.mounted_secrets(release[1])}
        if plan.mode == inventory_alerting.PER_NAMESPACE:
            am["alertmanager_config_selector"] = generators_alerting.config_selector()
    values = kps.kps_values(settings, datasources=additional, exemplar_trace_uid=exemplar_uid, **am)
    return values, [], {}


def _loki(release, settings_raw, cluster, problems):
    settings = loki.parse_loki_settings(settings_raw, problems, path="loki")
    if problems:
        return None, [], {}
    return loki.loki_values(settings), [], {}


def _tempo(release, settings_raw, cluster, problems):
    settings = tempo.parse_tempo_settings(settings_raw, problems, path="tempo")
    if problems:
        return None, [], {}
    return tempo.tempo_values(settings), [], {}


def _opentelemetry(release, settings_raw, cluster, problems):
    settings_raw = dict(settings_raw or {})
    settings_raw.setdefault("cluster", cluster)
    settings = opentelemetry.parse_otel_settings(settings_raw, problems, path="opentelemetry")
    if problems or release is None:
        return None, [], {}
    objects = opentelemetry.collector_objects(settings, release[1])
    for problem in opentelemetry.collector_problems(objects):
        path, message = problem.split(": ", 1)
        problems.add(path, message)
    return opentelemetry.operator_values(settings), objects, {}


def _alloy(release, settings_raw, cluster, problems):
    settings_raw = dict(settings_raw or {})
    settings_raw.setdefault("cluster", cluster)
    settings = alloy.parse_alloy_settings(settings_raw, problems, path="alloy")
    if problems:
        return None, [], {}
    return alloy.alloy_values(settings), [], {}


_BUILDERS = {"alloy": _alloy, "kube_prometheus_stack": _kube_prometheus_stack, "loki": _loki, "opentelemetry": _opentelemetry,
             "tempo": _tempo}


def build_release(component, cluster, chart_raw, settings_raw, team_inputs=None):
    """The release of one component, or BuildError listing every problem of its settings.

    `team_inputs` (team_vars, teams, settings, alertmanager, alertmanager_mode, offboard) is what the teams
    role builds from; kube-prometheus-stack takes its Alertmanager configuration from them.
    """
    if component not in _BUILDERS:
        raise BuildError("unknown component %r (known: %s)" % (component, ", ".join(COMPONENTS)))
    problems = Problems()
    coords = parse_chart(chart_raw, "%s_chart" % component, problems, component.replace("_", "-"))
    extra = {"team_inputs": team_inputs} if component == "kube_prometheus_stack" else {}
    values, objects, files = _BUILDERS[component](coords, settings_raw, cluster, problems, **extra)
    if problems or coords is None:
        err = ModelError(problems.items)
        raise BuildError(str(err), err.problems)
    release = Release(*coords, values=values)
    scope = release_scope(release.name)
    rendered = {values_path(release.name): to_yaml(values)}
    rendered.update(files)
    return {
        "release": dict(release.summary(), values=values),
        "scope": scope,
        "files": {scope: rendered},
        "objects": objects,
        "releases": {scope: [release.summary()]},
    }
