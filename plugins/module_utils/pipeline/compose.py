# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage 1, compose: the run configuration of one cluster, read from its inventory variables and validated whole.

The variables are the run's, templated, with every setting role's defaults under them (plugin_utils/inventory_vars),
so a default is written in the role defaults only. Every problem of every input is collected, each at its variable,
and raised at once. The links between components (in-cluster URLs) are read here only as explicit overrides; the
next stage (wire) resolves the rest from the Service registry.

RunConfig lives here rather than in inventory/: it holds every component's settings, whose types are the platform
layer's (platform/), above inventory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import ModelError, Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import MAX_VARIABLE_DEPTH, Reader, SettingsReader, describe, too_deep
from ansible_collections.vigil.observability.plugins.module_utils.generators import dashboards as generators_dashboards
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory import lookalikes
from ansible_collections.vigil.observability.plugins.module_utils.inventory import settings as inventory_settings
from ansible_collections.vigil.observability.plugins.module_utils.inventory import slo as inventory_slo
from ansible_collections.vigil.observability.plugins.module_utils.inventory import teams as inventory_teams
from ansible_collections.vigil.observability.plugins.module_utils.inventory.releases import RELEASE_KEYS, ReleaseSpec, parse_release
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import DEFAULT_TIERS, TEAM_LIST_VAR, Settings, Team
from ansible_collections.vigil.observability.plugins.module_utils.platform import alloy, datasources, loki, opentelemetry, tempo
from ansible_collections.vigil.observability.plugins.module_utils.platform import kube_prometheus_stack as kps

# The links each component's settings hold: set, they override what wire derives from the Service registry.
LINK_KEYS = {
    "kube_prometheus_stack": ("loki_url", "tempo_url"),
    "tempo": ("remote_write_url",),
    "opentelemetry": ("tempo_otlp_endpoint", "prometheus_remote_write_url", "loki_otlp_url"),
    "alloy": ("loki_push_url",),
    "teams": ("otlp_endpoint",),
}


class PlanError(Exception):
    """Every problem of a run, as (path, message) pairs."""

    def __init__(self, problems: Problems) -> None:
        self.pairs = problems.pairs
        self.problems = problems.items
        super().__init__(ModelError(self.pairs).render())


@dataclass(frozen=True)
class RunConfig:
    """Everything one cluster's run reads, typed and validated; built once, read by every later stage."""

    cluster: str
    clusters: Tuple[str, ...]
    platform: inventory_settings.PlatformSettings
    releases: Mapping[str, ReleaseSpec]  # component -> its release, in install order
    kube_prometheus_stack: kps.KpsSettings
    datasources: datasources.DatasourceSettings
    loki: loki.LokiSettings
    tempo: tempo.TempoSettings
    opentelemetry: opentelemetry.OtelSettings
    alloy: alloy.AlloySettings
    team_settings: Settings
    teams: Tuple[Team, ...]  # every team of the inventory
    platform_team: Optional[Team]  # the platform's own SLOs (observability_platform_slos), None without any
    build_teams: Tuple[Team, ...]  # the teams this run builds (less those being offboarded)
    only_teams: Optional[Tuple[str, ...]]  # a run limited to these teams; None: every team
    alertmanager: inventory_alerting.AlertmanagerSettings
    delete_namespaces: bool
    warnings: Tuple[str, ...]  # what reading the inputs found valid but worth saying (an imported spec's dropped label)


class RoleVariables:
    """One role's variables by their name without the prefix, less the release keys; `paths` names each variable."""

    def __init__(self, variables: Mapping[str, Any], prefix: str, defaults: Mapping[str, Any], release: bool = True) -> None:
        self.prefix = prefix
        own = inventory_settings.role_variables(variables, prefix)
        self.elsewhere = set(RELEASE_KEYS) if release else set()
        self.raw = {k: v for k, v in own.items() if k not in self.elsewhere}
        # The role's defaults, less what the plan reads itself (see take()).
        self.defaults = {k: v for k, v in defaults.items() if k not in self.elsewhere}
        self.paths = {k: prefix + k for k in own}
        self.paths.update({k: prefix + k for k in self.elsewhere})

    def take(self, key: str, default: Any = None) -> Any:
        """Remove a key the plan reads itself (a sub-block another parser reads)."""
        self.elsewhere.add(key)
        self.paths.setdefault(key, self.prefix + key)
        self.defaults.pop(key, None)
        return self.raw.pop(key, default)

    @property
    def known(self) -> Tuple[str, ...]:
        return tuple(sorted(self.elsewhere))

    def unset_when_empty(self, *keys: str) -> None:
        # Role defaults spell "not set" as "" or {}: the reader then sees no key (and no unknown one).
        for key in keys:
            if self.raw.get(key) in ("", {}, None):
                self.raw.pop(key, None)

    def give(self, key: str, value: Any, path: str, problems: Problems) -> None:
        """A value the platform decides, reported (if ever) at the variable that set it."""
        if key in self.raw and self.paths.get(key) == self.prefix + key and path != self.prefix + key:
            # A role variable for what is one shared setting would be silently overridden: say where it is set.
            problems.add(self.prefix + key, "is not a variable of this collection: %s sets it for every component" % path)
        self.raw[key] = value
        self.paths[key] = path


def compose(variables: Mapping[str, Any], defaults: Mapping[str, Any], cluster: str, clusters: Sequence[str],
            detected: Mapping[str, Any], connection_problems: Sequence[Tuple[str, str]]) -> RunConfig:
    """The run configuration of `cluster`, or PlanError with every problem of every input.

    `defaults` are the setting roles' defaults (templated), the only place a default is written: a setting the
    inventory leaves out reads as its default, and a wrong one is reported and read as its default meanwhile.
    """
    problems = Problems()
    variables = _shallow_enough(variables, problems)
    platform = inventory_settings.parse_platform(variables, problems, defaults)
    if platform.mode == "apply":
        for path, message in connection_problems:
            problems.add(path, message)
        if detected.get("cluster_error") and not connection_problems:
            problems.add("observability_kube_context", "the cluster could not be asked before planning: %s" % detected["cluster_error"])
    releases: Dict[str, Optional[ReleaseSpec]] = {}
    roles: Dict[str, RoleVariables] = {}
    for component, prefix in inventory_settings.COMPONENT_PREFIXES:
        role_defaults = inventory_settings.role_variables(defaults, prefix)
        releases[component] = parse_release(component, prefix, inventory_settings.role_variables(variables, prefix), problems, role_defaults)
        roles[component] = RoleVariables(variables, prefix, role_defaults)

    team_settings, delete_namespaces = _team_settings(variables, defaults, clusters, platform, roles["kube_prometheus_stack"], problems)
    inputs = inventory_teams.collect_team_inputs(
        {k: v for k, v in variables.items() if k.startswith("observability_team_") and k != TEAM_LIST_VAR},
        variables.get(TEAM_LIST_VAR, []))
    teams = inventory_teams.parse_teams(inputs, team_settings, problems)
    platform_team = inventory_teams.parse_platform_team(variables, team_settings, problems)
    am_settings = inventory_alerting.parse_alertmanager(variables.get(inventory_alerting.ALERTMANAGER_VAR) or {}, problems,
                                                        platform.alertmanager_mode)
    inventory_alerting.check_teams(teams, am_settings, problems)
    lookalikes.check(variables, _secret_values(teams, am_settings), problems)
    _dashboard_uids(teams, problems)
    _reserved_namespaces(teams, releases, platform.platform_namespace, problems)
    build_teams, only = _select_teams(teams, platform, problems)

    parsed_kps, parsed_ds = _kube_prometheus_stack(roles["kube_prometheus_stack"], cluster, platform, teams, problems)
    parsed_loki = _loki(roles["loki"], platform, problems)
    parsed_tempo = _tempo(roles["tempo"], platform, problems)
    parsed_otel = _opentelemetry(roles["opentelemetry"], cluster, platform, detected, problems)
    parsed_alloy = _alloy(roles["alloy"], cluster, platform, problems)
    if problems:
        raise PlanError(problems)
    return RunConfig(
        cluster=cluster, clusters=tuple(clusters), platform=platform,
        releases={component: spec for component, spec in releases.items() if spec is not None},
        kube_prometheus_stack=parsed_kps, datasources=parsed_ds, loki=parsed_loki, tempo=parsed_tempo,
        opentelemetry=parsed_otel, alloy=parsed_alloy, team_settings=team_settings, teams=tuple(teams), platform_team=platform_team,
        build_teams=tuple(build_teams), only_teams=tuple(only) if only is not None else None, alertmanager=am_settings,
        delete_namespaces=delete_namespaces, warnings=tuple(problems.warnings))


def _team_settings(variables: Mapping[str, Any], defaults: Mapping[str, Any], clusters: Sequence[str],
                   platform: inventory_settings.PlatformSettings, kps_role: RoleVariables, problems: Problems) -> Tuple[Settings, bool]:
    """What the teams' generators read: the platform's settings (parsed once, in parse_platform) and the teams_* ones."""
    role = RoleVariables(variables, inventory_settings.TEAMS_PREFIX, inventory_settings.role_variables(defaults, inventory_settings.TEAMS_PREFIX),
                         release=False)
    r = SettingsReader(role.raw, "", problems, paths=role.paths, fallbacks=role.defaults)
    # Empty (the role defaults): Prometheus' global interval, no runbook base, the agent wired from the Service registry.
    budget_interval = r.duration("slo_budget_interval") if r.raw("slo_budget_interval") not in ("", None) else None
    placement = r.string("dashboard_placement", choices=("team", "platform"))
    runbook_base_url = r.string("runbook_base_url", pattern=r"^(https?://\S+)?\Z", what="an http(s) URL")
    otlp_endpoint = r.string("otlp_endpoint", pattern=r"^(https?://\S+)?\Z", what="an http(s) URL")
    delete_namespaces = r.boolean("delete_namespaces")
    r.done()
    # The rules' evaluation step is Prometheus' scrape interval (kube_prometheus_stack's setting, also parsed there).
    scrape = SettingsReader({"scrape_interval": kps_role.raw.get("scrape_interval")}, "", problems,
                            paths={"scrape_interval": kps_role.prefix + "scrape_interval"},
                            fallbacks={"scrape_interval": kps_role.defaults["scrape_interval"]})
    scrape_interval = scrape.duration("scrape_interval")
    tiers = Reader({"slo_tiers": variables.get("observability_slo_tiers") or []}, "", problems,
                   paths={"slo_tiers": "observability_slo_tiers"}).items("slo_tiers")
    settings = Settings(
        clusters=tuple(clusters),
        platform_namespace=platform.platform_namespace,
        scrape_interval=scrape_interval,
        retention=platform.prometheus_retention,
        tiers=inventory_slo.parse_tiers(tiers or [("default", t) for t in DEFAULT_TIERS], problems),
        period=platform.slo_period,
        budget_interval=budget_interval,
        dashboard_label=platform.dashboard_label,
        dashboard_label_value=platform.dashboard_label_value,
        dashboard_folder_annotation=platform.dashboard_folder_annotation,
        dashboard_placement=placement,
        prometheus_datasource_uid=platform.prometheus_datasource_uid,
        tempo_datasource_uid=platform.tempo_datasource_uid,
        loki_datasource_uid=platform.loki_datasource_uid,
        runbook_base_url=runbook_base_url.rstrip("/"),
        otlp_endpoint=otlp_endpoint,
    )
    return settings, bool(delete_namespaces)


def _kube_prometheus_stack(role: RoleVariables, cluster: str, platform: inventory_settings.PlatformSettings, teams: Sequence[Team],
                           problems: Problems) -> Tuple[kps.KpsSettings, datasources.DatasourceSettings]:
    # Multi-tenant Loki wants X-Scope-OrgID from every reader: Grafana reads the platform's tenant and every team's on
    # the cluster. An explicit tenant setting still wins.
    tenant = role.take("loki_tenant", "")
    if platform.loki_multi_tenant and tenant in ("", None):
        tenant = "|".join(sorted({platform.platform_namespace} | {t.namespace for t in teams if t.on_cluster(cluster)}))
    raw = {"loki_enabled": role.take("loki_datasource", True), "tempo_enabled": role.take("tempo_datasource", True),
           "loki_tenant": tenant, "loki_uid": platform.loki_datasource_uid, "tempo_uid": platform.tempo_datasource_uid}
    paths = {"loki_enabled": "kube_prometheus_stack_loki_datasource", "tempo_enabled": "kube_prometheus_stack_tempo_datasource",
             "loki_tenant": "kube_prometheus_stack_loki_tenant", "loki_uid": "observability_loki_datasource_uid",
             "tempo_uid": "observability_tempo_datasource_uid"}
    for key in LINK_KEYS["kube_prometheus_stack"]:
        override = role.take(key, "")
        if override not in ("", None):
            raw[key], paths[key] = override, role.prefix + key
    role.give("cluster", cluster, "inventory_hostname", problems)
    for key in ("dashboard_label", "dashboard_label_value", "dashboard_folder_annotation", "prometheus_datasource_uid"):
        role.give(key, getattr(platform, key), "observability_" + key, problems)
    role.give("prometheus_retention", str(platform.prometheus_retention), "observability_prometheus_retention", problems)
    role.raw.setdefault("profile", platform.profile)
    parsed = kps.parse_kps_settings(role.raw, problems, role.defaults, paths=role.paths, known=role.known)
    parsed_ds = datasources.parse_datasource_settings(raw, problems, platform.prometheus_datasource_uid, paths=paths)
    return parsed, parsed_ds


def _loki(role: RoleVariables, platform: inventory_settings.PlatformSettings, problems: Problems) -> loki.LokiSettings:
    role.unset_when_empty("object_storage")
    role.give("multi_tenant", platform.loki_multi_tenant, "observability_loki_multi_tenant", problems)
    role.raw.setdefault("profile", platform.profile)
    return loki.parse_loki_settings(role.raw, problems, role.defaults, paths=role.paths, known=role.known)


def _tempo(role: RoleVariables, platform: inventory_settings.PlatformSettings, problems: Problems) -> tempo.TempoSettings:
    role.unset_when_empty("s3", *LINK_KEYS["tempo"])
    role.raw.setdefault("profile", platform.profile)
    return tempo.parse_tempo_settings(role.raw, problems, role.defaults, paths=role.paths, known=role.known)


def _opentelemetry(role: RoleVariables, cluster: str, platform: inventory_settings.PlatformSettings, detected: Mapping[str, Any],
                   problems: Problems) -> opentelemetry.OtelSettings:
    detect = role.take("cert_manager_detect", True)
    if not isinstance(detect, bool):
        problems.add("opentelemetry_cert_manager_detect", "must be true or false, got %s" % describe(detect))
    if detect is True and detected.get("cert_manager"):
        role.give("cert_manager", True, "opentelemetry_cert_manager_detect", problems)
    role.unset_when_empty(*LINK_KEYS["opentelemetry"])
    role.give("cluster", cluster, "inventory_hostname", problems)
    # The collectors write the platform namespace's tenant (application OTLP logs and Kubernetes events).
    if platform.loki_multi_tenant and role.raw.get("loki_tenant") in ("", None):
        role.raw["loki_tenant"] = platform.platform_namespace
    return opentelemetry.parse_otel_settings(role.raw, problems, role.defaults, paths=role.paths, known=role.known)


def _alloy(role: RoleVariables, cluster: str, platform: inventory_settings.PlatformSettings, problems: Problems) -> alloy.AlloySettings:
    # Alloy writes each namespace as its tenant when Loki is multi-tenant.
    role.unset_when_empty(*LINK_KEYS["alloy"])
    role.give("multi_tenant", platform.loki_multi_tenant, "observability_loki_multi_tenant", problems)
    role.give("cluster", cluster, "inventory_hostname", problems)
    return alloy.parse_alloy_settings(role.raw, problems, role.defaults, paths=role.paths, known=role.known)


def _shallow_enough(variables: Mapping[str, Any], problems: Problems) -> Dict[str, Any]:
    """The variables less those nested too deep to read safely, each reported (the rest is still checked)."""
    out = {}
    for name, value in variables.items():
        if too_deep(value, MAX_VARIABLE_DEPTH):
            problems.add(name, "nests lists and mappings deeper than %d levels" % MAX_VARIABLE_DEPTH)
            continue
        out[name] = value
    return out


def _secret_values(teams: Sequence[Team], settings: inventory_alerting.AlertmanagerSettings) -> Dict[str, str]:
    """Every receiver secret of the run (the platform's and every team's), with the path it was read from."""
    values = [value for integration in settings.receivers for _field, value in integration.secrets]
    if settings.smtp is not None and settings.smtp.password is not None:
        values.append(settings.smtp.password)
    for team in teams:
        if team.alerting:
            values += [value for integration in team.alerting.receivers for _field, value in integration.secrets]
    return {value.reveal(): value.path for value in values}


def _dashboard_uids(teams: Sequence[Team], problems: Problems) -> None:
    """Grafana keys dashboards by uid across every folder: a team's own dashboard must not take a generated one's."""
    owner: Dict[str, str] = {}
    for team in teams:
        for uid in [generators_dashboards.slo_uid(team)] + [generators_dashboards.red_uid(team, s) for s in team.services]:
            owner.setdefault(uid, team.path)
    for team in teams:
        for dashboard in team.dashboards:
            if dashboard.uid and dashboard.uid in owner:
                problems.add(join_path(join_path(dashboard.path, "json"), "uid"),
                             "%r is the uid of a dashboard generated for %s" % (dashboard.uid, owner[dashboard.uid]))


def _reserved_namespaces(teams: Sequence[Team], releases: Mapping[str, Optional[ReleaseSpec]], platform_namespace: str,
                         problems: Problems) -> None:
    """System namespaces and those the platform's releases run in belong to no team (its Role would grant there)."""
    reserved = {platform_namespace: "the platform namespace (observability_platform_namespace)", "default": "Kubernetes' default namespace"}
    for spec in releases.values():
        if spec is not None:
            reserved.setdefault(spec.namespace, "the namespace of release %s (%snamespace)" % (spec.name, spec.prefix))
    for team in teams:
        why = reserved.get(team.namespace) or ("a Kubernetes system namespace" if team.namespace.startswith("kube-") else None)
        if why:
            problems.add(join_path(team.path, "namespace"), "%r is %s: a team may not use it" % (team.namespace, why))


def _select_teams(teams: Sequence[Team], platform: inventory_settings.PlatformSettings,
                  problems: Problems) -> Tuple[list, Optional[list]]:
    names = {t.name for t in teams}
    if platform.only_teams is not None:
        for name in platform.only_teams:
            if name not in names:
                problems.add("observability_only_teams", "names unknown team %r (known: %s)" % (name, ", ".join(sorted(names)) or "none"))
    if platform.offboard_teams:
        return [t for t in teams if t.name not in platform.offboard_teams], list(platform.offboard_teams)
    return list(teams), list(platform.only_teams) if platform.only_teams is not None else None
