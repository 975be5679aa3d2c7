# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage 3, generate: the teams' objects and Alertmanager configuration once, then each release's values and files,
the GitOps objects and the catalogue page, grouped by scope (the unit of rendering and pruning)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.generators import alerting as generators_alerting
from ansible_collections.vigil.observability.plugins.module_utils.generators import catalog as generators_catalog
from ansible_collections.vigil.observability.plugins.module_utils.generators import cluster as generators_cluster
from ansible_collections.vigil.observability.plugins.module_utils.generators import gitops as generators_gitops
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory import settings as inventory_settings
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.compose import RunConfig
from ansible_collections.vigil.observability.plugins.module_utils.platform import alloy, datasources, loki, opentelemetry, tempo
from ansible_collections.vigil.observability.plugins.module_utils.platform import kube_prometheus_stack as kps


@dataclass
class Generated:
    """What the cluster's run would write or apply, before the checks."""

    bundle: generators_cluster.Bundle  # the teams' objects, their origins and lint warnings
    alerting: generators_alerting.Plan
    scopes: Dict[str, Dict[str, Any]]  # scope -> {objects, files, releases}
    scope_paths: Dict[str, str]  # scope -> the inventory path its problems are reported at
    releases: Dict[str, Dict[str, Any]]  # component -> the release as the roles install it, values included
    gitops: Dict[str, str]
    secret_refs: List[Dict[str, Any]]


def generate(config: RunConfig, problems: Problems) -> Generated:
    """Everything of the cluster; what only generating finds (a collector configuration) is added to `problems`."""
    platform, releases = config.platform, config.releases
    bundle = generators_cluster.build_cluster(config.cluster, list(config.build_teams), config.team_settings,
                                              list(config.only_teams) if config.only_teams is not None else None, config.alertmanager,
                                              alertmanager_namespace=releases["kube_prometheus_stack"].namespace,
                                              platform_team=config.platform_team)
    bundle.warnings.extend(config.warnings)
    for name in platform.offboard_teams:
        bundle.scopes.setdefault(generators_cluster.team_scope(name), [])
    values, release_objects = _release_values(config, bundle.alerting, problems)

    scope_paths = {generators_cluster.PLATFORM_SCOPE: "observability_platform_namespace"}
    for team in config.teams:
        scope_paths[generators_cluster.team_scope(team.name)] = team.path
    gitops = dict(platform.gitops)
    if gitops["controller"] != generators_gitops.NONE:
        gitops["path"] = gitops["path"].replace("{cluster}", config.cluster)
    crd_releases = [releases[c].name for c in generators_gitops.CRD_COMPONENTS if releases[c].present]
    scopes: Dict[str, Dict[str, Any]] = {}
    plan_releases: Dict[str, Dict[str, Any]] = {}
    for component, _prefix in inventory_settings.COMPONENT_PREFIXES:
        spec = releases[component]
        scope_paths[spec.scope] = spec.prefix + "release_name"
        objects = release_objects.get(component, []) if spec.present else []
        files = {"helm/%s.values.yaml" % spec.name: values[component]} if spec.present else {}
        scopes[spec.scope] = {"objects": generators_cluster.sort_objects(objects), "files": files,
                              "releases": [spec.summary()] if spec.present else []}
        plan_releases[component] = dict(spec.summary(), component=component, scope=spec.scope, kube_version=spec.kube_version,
                                        crd_dir=spec.crd_dir, timeout=spec.timeout, history_max=spec.history_max,
                                        state=spec.state, delete_crds=spec.delete_crds, values=values[component],
                                        secret_scopes=[], chart_path=spec.chart_path(platform.chart_dir))
        if spec.present:
            files.update(generators_gitops.release_files(gitops, config.cluster, plan_releases[component], crd_releases))
    for scope, objects in sorted(bundle.scopes.items()):
        scopes[scope] = {"objects": generators_cluster.sort_objects(objects), "files": {}, "releases": []}
    # The platform scope holds the Alertmanager configuration of every team on the cluster, built or not.
    am_plan = bundle.alerting
    platform_files = scopes.setdefault(generators_cluster.PLATFORM_SCOPE, {"objects": [], "files": {}, "releases": []})["files"]
    platform_files[generators_cluster.ALERTMANAGER_FILE] = am_plan.config
    refs = am_plan.secret_refs()
    platform_files[generators_cluster.SECRET_KEYS_FILE] = {"secrets": [ref for ref in refs if "team" not in ref]}
    for scope, files in bundle.files.items():
        if scope != generators_cluster.PLATFORM_SCOPE:
            scopes.setdefault(scope, {"objects": [], "files": {}, "releases": []})["files"].update(files)
    if platform.mode == "render" and config.only_teams is None:
        # The catalogue needs every team of the cluster: a run limited to some teams leaves the last one as it is.
        route = am_plan.config["route"] if am_plan.mode == inventory_alerting.GLOBAL else generators_catalog.operator_route(
            am_plan.config["route"], am_plan.team_configs)
        on_cluster = [team for team in config.build_teams if team.on_cluster(config.cluster)]
        page = generators_catalog.build(config.cluster, on_cluster, scopes, route, [str(w) for w in bundle.warnings], platform.grafana_url)
        scopes[generators_catalog.SCOPE] = {"objects": [], "files": {generators_catalog.CATALOG_FILE: page}, "releases": []}
    return Generated(bundle=bundle, alerting=am_plan, scopes=scopes, scope_paths=scope_paths, releases=plan_releases, gitops=gitops,
                     secret_refs=refs)


def _release_values(config: RunConfig, am_plan: generators_alerting.Plan,
                    problems: Problems) -> Tuple[Dict[str, Any], Dict[str, List[Dict[str, Any]]]]:
    """Each release's chart values, and the objects a release brings besides its chart (the collectors)."""
    kps_namespace = config.releases["kube_prometheus_stack"].namespace
    additional, exemplar_uid = datasources.grafana_datasources(config.datasources)
    am_values = {"alertmanager_config": am_plan.config, "alertmanager_secrets": am_plan.mounted_secrets(kps_namespace)}
    if am_plan.mode == inventory_alerting.PER_NAMESPACE:
        am_values["alertmanager_config_selector"] = generators_alerting.config_selector()
    collectors = opentelemetry.collector_objects(config.opentelemetry, config.releases["opentelemetry"].namespace)
    for problem in opentelemetry.collector_problems(collectors):
        path, _sep, message = problem.partition(": ")
        problems.add(path, message)
    platform_namespaces = [config.platform.platform_namespace] + [spec.namespace for spec in config.releases.values()]
    values = {
        "kube_prometheus_stack": kps.kps_values(config.kube_prometheus_stack, datasources=additional, exemplar_trace_uid=exemplar_uid,
                                                platform_namespaces=platform_namespaces, **am_values),
        "loki": loki.loki_values(config.loki),
        "tempo": tempo.tempo_values(config.tempo),
        "opentelemetry": opentelemetry.operator_values(config.opentelemetry),
        "alloy": alloy.alloy_values(config.alloy),
    }
    return values, {"opentelemetry": collectors}
