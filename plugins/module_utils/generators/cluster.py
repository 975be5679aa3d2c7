# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every object of one cluster, labelled and named consistently.

Generators return specs; this module wraps them into Kubernetes objects with
the labels that offboarding relies on: managed-by marks what the collection
owns, the team label scopes it, and nothing without both is ever pruned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.vigil.observability.plugins.module_utils.core import limits
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.objects import TEAM_LABEL, k8s_object, labels_for
from ansible_collections.vigil.observability.plugins.module_utils.generators import alerting as generators_alerting
from ansible_collections.vigil.observability.plugins.module_utils.generators import dashboards
from ansible_collections.vigil.observability.plugins.module_utils.generators import golden
from ansible_collections.vigil.observability.plugins.module_utils.generators import monitors as generators_monitors
from ansible_collections.vigil.observability.plugins.module_utils.generators import instrumentation as generators_instrumentation
from ansible_collections.vigil.observability.plugins.module_utils.generators import rules as team_rules
from ansible_collections.vigil.observability.plugins.module_utils.generators import slo as slo_rules
from ansible_collections.vigil.observability.plugins.module_utils.generators import tenancy
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory import monitors as inventory_monitors
from ansible_collections.vigil.observability.plugins.module_utils.inventory.alerting import AlertmanagerSettings
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Service, Settings, Team
from typing import Any, Dict, List, Optional, Set, Tuple


@dataclass
class Bundle:
    """Everything generated for one cluster: objects grouped by scope, and lint warnings.

    A scope ('team/payments', 'platform') is the unit of pruning: rendering or
    applying a scope removes what that scope generated before and no longer does.
    """

    cluster: str
    scopes: dict = field(default_factory=dict)  # scope -> list of objects
    warnings: list = field(default_factory=list)
    files: dict = field(default_factory=dict)  # scope -> {relative path: data}, such as the Alertmanager configuration
    alerting: object = None  # alerting.Plan: its Secrets (with values) never enter `scopes`
    origins: dict = field(default_factory=dict)  # object_key -> the inventory path the object comes from
    rule_spec_bounds: dict = field(default_factory=dict)  # object_key -> bound of a PrometheusRule's spec size, measured

    def add(self, scope: str, obj: Dict[str, Any]) -> None:
        self.scopes.setdefault(scope, []).append(obj)

    @property
    def objects(self) -> List[Dict[str, Any]]:
        return [obj for scope in sorted(self.scopes) for obj in sort_objects(self.scopes[scope])]


PLATFORM_SCOPE = "platform"


def team_scope(team_name: str) -> str:
    return "team/%s" % team_name


def prometheus_rule(name: str, namespace: str, labels: Dict[str, str], groups: List[Dict[str, Any]]) -> Dict[str, Any]:
    return k8s_object("monitoring.coreos.com/v1", "PrometheusRule", name, namespace, labels, {"groups": groups})


def rule_name(team: Team, service: Optional[Service], what: str, part: int = 1) -> str:
    """`<team>-<service>-<what>` (`<team>-<what>` for the team's own), then `-2`, `-3` for the further parts of a service
    too large for one object."""
    return "-".join([team.name] + ([service.name] if service else []) + [what]) + ("-%d" % part if part > 1 else "")


def rule_objects(team: Team, service: Optional[Service], what: str, component: str, groups: List[Dict[str, Any]],
                 measured: Optional[Dict[Tuple[str, str, str], int]] = None) -> List[Dict[str, Any]]:
    """A service's rule groups as PrometheusRules: one per service, so that a change to one service touches only its
    own objects, cut further where one would be over what the Prometheus Operator accepts (core/limits.py).

    `measured` receives each object's bound of its spec's size, so that the plan's limit check need not measure again.
    """
    objects = []
    for index, (part, size) in enumerate(limits.measured_parts(groups), start=1):
        obj = prometheus_rule(rule_name(team, service, what, index), team.namespace, labels_for(team, component), part)
        if measured is not None:
            measured[object_key(obj)] = size
        objects.append(obj)
    return objects


def object_key(obj: Dict[str, Any]) -> Tuple[str, str, str]:
    meta = obj["metadata"]
    return (meta.get("namespace", ""), obj["kind"], meta["name"])


def sort_objects(objects: List[Any]) -> List[Any]:
    return sorted(objects, key=object_key)


def team_objects(team: Team, settings: Settings) -> List[Dict[str, Any]]:
    """Every object one team owns on a cluster."""
    return team_objects_and_origins(team, settings)[0]


def team_objects_and_origins(team: Team, settings: Settings, measured: Optional[Dict[Tuple[str, str, str], int]] = None,
                             ) -> Tuple[List[Dict[str, Any]], Dict[Tuple[str, str, str], str]]:
    """Every object one team owns on a cluster, and the inventory path each comes from (object_key -> path).

    `measured` receives the bound of each rule object's spec size (rule_objects)."""
    objects = tenancy.tenancy_objects(team)
    origins: Dict[Tuple[str, str, str], str] = {}

    def add(obj: Dict[str, Any], path: str) -> None:
        objects.append(obj)
        origins[object_key(obj)] = path

    for service in team.services:
        for obj in rule_objects(team, service, "slos", "slo", slo_rules.service_groups(team, service, settings), measured):
            add(obj, join_path(service.path, "slos"))
        for obj in rule_objects(team, service, "golden-signals", "golden-signals", golden.service_groups(team, service, settings),
                                measured):
            add(obj, join_path(service.path, "golden_signals"))
        for obj in rule_objects(team, service, "rules", team_rules.TEAM_RULES_COMPONENT, team_rules.service_groups(team, service), measured):
            add(obj, join_path(service.path, "rules"))
    for obj in rule_objects(team, None, "rules", team_rules.TEAM_RULES_COMPONENT, team_rules.team_groups(team), measured):
        add(obj, join_path(team.path, "rules"))
    for service in team.services:
        spec = generators_monitors.monitor_spec(team, service)
        if spec:
            kind, name, body = spec
            add(k8s_object(inventory_monitors.API_VERSION, kind, name, team.namespace, labels_for(team, "monitor"), body),
                join_path(service.path, "monitor"))
    for cm in dashboards.configmap_specs(team, settings):
        labels = labels_for(team, "dashboard")
        labels.update(cm["labels"])
        obj = k8s_object("v1", "ConfigMap", cm["name"], cm["namespace"], labels, data=cm["data"])
        obj["metadata"]["annotations"] = cm["annotations"]
        add(obj, cm["path"] or join_path(team.path, "services"))
    if team.instrumentation is not None:
        add(generators_instrumentation.instrumentation_object(team, settings.otlp_endpoint), join_path(team.path, "instrumentation"))
    return objects, origins


def platform_objects(settings: Settings) -> List[Dict[str, Any]]:
    """Objects of the platform itself, in its namespace: the self-check alerts."""
    return [prometheus_rule("vigil-platform-self-check", settings.platform_namespace, labels_for(None, "self-check"),
                            golden.self_check_groups(settings))]


def platform_slo_objects(team: Team, settings: Settings, measured: Optional[Dict[Tuple[str, str, str], int]] = None,
                         ) -> List[Tuple[Dict[str, Any], str]]:
    """The platform's own SLOs (a team of the platform namespace): each service's SLO rules and its monitor, with the
    inventory path each comes from."""
    out = []
    for service in team.services:
        for obj in rule_objects(team, service, "slos", "slo", slo_rules.service_groups(team, service, settings), measured):
            out.append((obj, join_path(service.path, "slos")))
        for obj in rule_objects(team, service, "golden-signals", "golden-signals", golden.service_groups(team, service, settings), measured):
            out.append((obj, join_path(service.path, "golden_signals")))
        spec = generators_monitors.monitor_spec(team, service)
        if spec:
            kind, name, body = spec
            out.append((k8s_object(inventory_monitors.API_VERSION, kind, name, team.namespace, labels_for(team, "monitor"), body),
                        join_path(service.path, "monitor")))
    return out


ALERTMANAGER_FILE = "alertmanager/alertmanager.yaml"
SECRET_KEYS_FILE = "alertmanager/secrets.yaml"


def team_secret_keys_file(team_name: str) -> str:
    return "alertmanager/teams/%s-secrets.yaml" % team_name


def secret_manifest(name: str, namespace: str, team: Any, data: Dict[str, str]) -> Dict[str, Any]:
    """A receivers' Secret, values in clear: only for a no_log apply or an explicit render."""
    labels = labels_for(None, "alerting")
    if team is not None:
        labels[TEAM_LABEL] = team
    return k8s_object("v1", "Secret", name, namespace, labels, type="Opaque", stringData=dict(sorted(data.items())))


def _add_alerting(bundle: Bundle, teams: List[Any], settings: Settings, alerting: AlertmanagerSettings, built: Set[str], namespace: str) -> None:
    """The Alertmanager configuration (from every team on the cluster, whichever are built) and the built teams' parts."""
    plan = generators_alerting.plan(teams, alerting, namespace)
    bundle.alerting = plan
    platform = bundle.files.setdefault(PLATFORM_SCOPE, {})
    platform[ALERTMANAGER_FILE] = plan.config
    refs = {spec.team: ref for spec, ref in zip(plan.secrets, plan.secret_refs())}
    platform[SECRET_KEYS_FILE] = {"secrets": [refs[None]] if None in refs else []}
    for team, name, namespace, spec in plan.team_configs:
        if team.name not in built:
            continue
        scope = team_scope(team.name)
        bundle.add(scope, k8s_object(inventory_alerting.AMC_API_VERSION, "AlertmanagerConfig", name, namespace, labels_for(team, "alerting"), spec))
        if team.name in refs:
            bundle.files.setdefault(scope, {})[team_secret_keys_file(team.name)] = {"secrets": [refs[team.name]]}


def selected_teams(cluster: str, teams: List[Any], only_teams: Optional[Any] = None) -> List[Any]:
    """The teams built on a cluster: those on it, limited to `only_teams` when given."""
    return [t for t in teams if t.on_cluster(cluster) and (only_teams is None or t.name in only_teams)]


def lint_cluster(cluster: str, teams: List[Any], settings: Settings, only_teams: Optional[Any] = None) -> List[Any]:
    """Warnings about valid but probably unintended settings of the teams built on a cluster."""
    warnings = []
    for team in selected_teams(cluster, teams, only_teams):
        warnings.extend(slo_rules.lint(team, settings))
        warnings.extend(golden.lint(team, settings))
    return warnings


def build_cluster(
    cluster: str,
    teams: List[Any],
    settings: Settings,
    only_teams: Optional[Any] = None,
    alerting: Optional[Any] = None,
    alertmanager_namespace: Optional[Any] = None,
    platform_team: Optional[Team] = None,
) -> Bundle:
    """The bundle of one cluster: each selected team's objects, with lint warnings.

    `only_teams` limits the build to those team names (AWX onboarding of chosen teams).
    `alerting` (alerting.AlertmanagerSettings) adds the Alertmanager configuration and its Secrets.
    """
    bundle = Bundle(cluster)
    for team in selected_teams(cluster, teams, only_teams):
        bundle.scopes[team_scope(team.name)], origins = team_objects_and_origins(team, settings, bundle.rule_spec_bounds)
        bundle.origins.update(origins)
    bundle.warnings.extend(lint_cluster(cluster, teams, settings, only_teams))
    for obj in platform_objects(settings):
        bundle.add(PLATFORM_SCOPE, obj)
    if platform_team is not None:
        for obj, path in platform_slo_objects(platform_team, settings, bundle.rule_spec_bounds):
            bundle.add(PLATFORM_SCOPE, obj)
            bundle.origins[object_key(obj)] = path
    if alerting is not None:
        built = {scope.split("/", 1)[1] for scope in bundle.scopes if scope.startswith("team/")}
        _add_alerting(bundle, [t for t in teams if t.on_cluster(cluster)], settings, alerting, built,
                      alertmanager_namespace or settings.platform_namespace)
    return bundle
