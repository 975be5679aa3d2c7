# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One platform component's pinned Helm release: values, extra objects and rendered files.

The chart roles call this once each (through the platform_release module); apply
and render share everything up to the last step.
"""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils import alloy
from ansible_collections.vigil.observability.plugins.module_utils import datasources as grafana_datasources
from ansible_collections.vigil.observability.plugins.module_utils import kube_prometheus_stack as kps
from ansible_collections.vigil.observability.plugins.module_utils import loki, opentelemetry, tempo
from ansible_collections.vigil.observability.plugins.module_utils.build import BuildError
from ansible_collections.vigil.observability.plugins.module_utils.errors import ModelError, Problems
from ansible_collections.vigil.observability.plugins.module_utils.helm import Release, parse_chart
from ansible_collections.vigil.observability.plugins.module_utils.render import to_yaml

COMPONENTS = ("alloy", "kube_prometheus_stack", "loki", "opentelemetry", "tempo")


def release_scope(name):
    return "release/%s" % name


def values_path(name):
    return "helm/%s.values.yaml" % name


def _kube_prometheus_stack(release, settings_raw, cluster, problems):
    settings_raw = dict(settings_raw or {})
    settings_raw.setdefault("cluster", cluster)
    ds_raw = settings_raw.pop("datasources", None)
    settings = kps.parse_kps_settings(settings_raw, problems, path="kube_prometheus_stack")
    ds_settings = grafana_datasources.parse_datasource_settings(
        ds_raw, problems, path="kube_prometheus_stack.datasources", prometheus_uid=settings.prometheus_datasource_uid)
    if problems:
        return None, [], {}
    additional, exemplar_uid = grafana_datasources.grafana_datasources(ds_settings)
    values = kps.kps_values(settings, datasources=additional, exemplar_trace_uid=exemplar_uid)
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


def build_release(component, cluster, chart_raw, settings_raw):
    """The release of one component, or BuildError listing every problem of its settings."""
    if component not in _BUILDERS:
        raise BuildError("unknown component %r (known: %s)" % (component, ", ".join(COMPONENTS)))
    problems = Problems()
    coords = parse_chart(chart_raw, "%s_chart" % component, problems, component.replace("_", "-"))
    values, objects, files = _BUILDERS[component](coords, settings_raw, cluster, problems)
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
