# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of one cluster: every release with its values, every object, the Alertmanager configuration,
secret references and lint warnings, built once and validated whole.

Input is the run's inventory variables, already templated (`observability_*`, each role's `<role>_*`,
the team variables). Every problem of every part is collected and raised at once, each at the inventory
variable it came from; nothing here writes a file or talks to a cluster, so a run that fails here has
written and applied nothing. Secret values never enter the plan: it holds the Secrets' names, keys and
the inventory paths of their values, for the one no_log task that writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import ModelError, Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.objects import FIELD_MANAGER, MANAGED_KINDS
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import MAX_VARIABLE_DEPTH, Reader, describe, too_deep
from ansible_collections.vigil.observability.plugins.module_utils.core.versions import SEMVER_RE
from ansible_collections.vigil.observability.plugins.module_utils.generators import alerting as generators_alerting
from ansible_collections.vigil.observability.plugins.module_utils.generators import catalog as generators_catalog
from ansible_collections.vigil.observability.plugins.module_utils.generators import cluster as generators_cluster
from ansible_collections.vigil.observability.plugins.module_utils.generators import dashboards as generators_dashboards
from ansible_collections.vigil.observability.plugins.module_utils.generators import gitops as generators_gitops
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory import lookalikes
from ansible_collections.vigil.observability.plugins.module_utils.inventory import settings as inventory_settings
from ansible_collections.vigil.observability.plugins.module_utils.inventory import teams as inventory_teams
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import TEAM_LIST_VAR
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import checks, toolcheck
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.render import object_path
from ansible_collections.vigil.observability.plugins.module_utils.platform import alloy, datasources, endpoints, loki, opentelemetry, tempo
from ansible_collections.vigil.observability.plugins.module_utils.platform import kube_prometheus_stack as kps

CLUSTERS_PATH = "groups['observability_clusters']"
# Role variables every chart role has: where and what it installs, and how Helm runs it.
RELEASE_KEYS = ("release_name", "namespace", "chart_name", "chart_repo_url", "chart_version", "chart_kube_version",
                "chart_crd_dir", "helm_timeout", "helm_history_max", "state", "delete_crds")
_GO_DURATION = r"^(?=.)([0-9]+h)?([0-9]+m)?([0-9]+s)?\Z"
_CONSTRAINT = r"^[<>=!~^]*\s*v?[0-9][0-9A-Za-z.+-]*(\s*,?\s*[<>=!~^]*\s*v?[0-9][0-9A-Za-z.+-]*)*\Z"


class PlanError(Exception):
    """Every problem of a run, as (path, message) pairs."""

    def __init__(self, problems: Problems) -> None:
        self.pairs = problems.pairs
        self.problems = problems.items
        super().__init__(ModelError(self.pairs).render())


@dataclass(frozen=True)
class ReleaseSpec:
    component: str
    prefix: str
    name: str
    namespace: str
    chart: str
    repository: str
    version: str
    kube_version: str
    crd_dir: str
    timeout: str
    history_max: int
    state: str
    delete_crds: bool

    @property
    def scope(self) -> str:
        return "release/%s" % self.name

    def summary(self) -> Dict[str, str]:
        """What helm/releases.yaml records: everything but the values."""
        return {"release": self.name, "namespace": self.namespace, "chart": self.chart, "repository": self.repository,
                "version": self.version}


def _release(component: str, prefix: str, raw: Dict[str, Any], problems: Problems) -> Optional[ReleaseSpec]:
    r = Reader({k: raw.get(k) for k in RELEASE_KEYS if k in raw}, "", problems, paths={k: prefix + k for k in RELEASE_KEYS})
    name = r.name("release_name", required=True, max_len=53)  # Helm's limit for release names
    namespace = r.name("namespace", required=True)
    chart = r.string("chart_name", required=True, pattern=r"[a-z0-9][a-z0-9._-]*", what="a chart name")
    repository = r.string("chart_repo_url", required=True, pattern=r"(https?|oci)://\S+", what="an http(s):// or oci:// URL")
    version = r.string("chart_version", required=True)
    if version is not None and not SEMVER_RE.match(version):
        r.fail("chart_version", "must pin an exact chart version such as 1.2.3, got %s" % describe(version))
        version = None
    kube_version = r.string("chart_kube_version", default=">=1.25.0-0", pattern=_CONSTRAINT, what="a version constraint such as >=1.25.0-0")
    crd_dir = r.string("chart_crd_dir", default="", pattern=r"[A-Za-z0-9._/-]*", what="a directory inside the chart")
    timeout = r.string("helm_timeout", default="10m0s", pattern=_GO_DURATION, what="a Go duration such as 15m0s")
    if timeout is not None and _go_seconds(timeout) * 10 ** 9 > 2 ** 63 - 1:
        r.fail("helm_timeout", "must be at most 2562047h, the longest duration Go (and so Helm) holds, got %s" % describe(timeout))
        timeout = None
    history_max = r.integer("helm_history_max", default=10, minimum=0)
    state = r.string("state", default="present", choices=("present", "absent"))
    delete_crds = r.boolean("delete_crds", default=False)
    if None in (name, namespace, chart, repository, version, kube_version, timeout, state):
        return None
    return ReleaseSpec(component, prefix, name, namespace, chart, repository, version, kube_version, crd_dir or "",
                       timeout, history_max if history_max is not None else 10, state, delete_crds)


def _chart_path(chart_dir: str, spec: ReleaseSpec) -> str:
    """The packaged pinned chart in observability_chart_dir (named as helm pull and helm package name it), or ''."""
    return "%s/%s-%s.tgz" % (chart_dir.rstrip("/"), spec.chart, spec.version) if chart_dir else ""


def _go_seconds(text: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(number) * units[unit] for number, unit in re.findall(r"([0-9]+)([hms])", text))


class _Settings:
    """One component's settings: its role variables (less the release keys) plus what the platform gives it."""

    def __init__(self, variables: Mapping[str, Any], prefix: str, release: bool = True) -> None:
        self.prefix = prefix
        own = inventory_settings.role_variables(variables, prefix)
        self.elsewhere = set(RELEASE_KEYS) if release else set()
        self.raw = {k: v for k, v in own.items() if k not in self.elsewhere}
        self.paths = {k: prefix + k for k in own}
        self.paths.update({k: prefix + k for k in self.elsewhere})

    def take(self, key: str, default: Any = None) -> Any:
        """Remove a key the plan reads itself (an endpoint override, a sub-block)."""
        self.elsewhere.add(key)
        self.paths.setdefault(key, self.prefix + key)
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


def _override(settings: _Settings, key: str, derived: str) -> Tuple[str, str]:
    """An endpoint: the role variable when set, else the registry's; with the path to report it under."""
    value = settings.take(key, "")
    if value in ("", None):
        return derived, "%s%s (derived from the Service registry)" % (settings.prefix, key)
    return value, settings.prefix + key


def _duplicates(plan_scopes: Dict[str, List[dict]], scope_paths: Dict[str, str], problems: Problems) -> None:
    """Two scopes (teams, releases, the platform) must never generate the same object or file."""
    owners: Dict[Tuple[str, str, str, str], str] = {}
    files: Dict[str, str] = {}
    for scope in sorted(plan_scopes):
        for obj in plan_scopes[scope]:
            meta = obj["metadata"]
            key = (obj["apiVersion"].split("/")[0], obj["kind"], meta.get("namespace", ""), meta["name"])
            where = "%s/%s" % (key[2], key[3]) if key[2] else key[3]
            if key in owners and owners[key] != scope:
                problems.add(scope_paths.get(scope, scope), "generates %s %s, which %s also generates" % (
                    obj["kind"], where, scope_paths.get(owners[key], owners[key])))
            owners.setdefault(key, scope)
            rel = object_path(obj)
            if rel in files and files[rel] != scope:
                problems.add(scope_paths.get(scope, scope), "writes %s, which %s also writes" % (rel, scope_paths.get(files[rel], files[rel])))
            files.setdefault(rel, scope)


def _dashboard_uids(teams: list, problems: Problems) -> None:
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


def _reserved_namespaces(teams: list, releases: Dict[str, Optional[ReleaseSpec]], platform_namespace: str,
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


def _secret_values(teams: list, settings: inventory_alerting.AlertmanagerSettings) -> Dict[str, str]:
    """Every receiver secret of the run (the platform's and every team's), with the path it was read from."""
    values = [value for integration in settings.receivers for _field, value in integration.secrets]
    if settings.smtp is not None and settings.smtp.password is not None:
        values.append(settings.smtp.password)
    for team in teams:
        if team.alerting:
            values += [value for integration in team.alerting.receivers for _field, value in integration.secrets]
    return {value.reveal(): value.path for value in values}


def _shallow_enough(variables: Mapping[str, Any], problems: Problems) -> Dict[str, Any]:
    """The variables less those nested too deep to read safely, each reported (the rest is still checked)."""
    out = {}
    for name, value in variables.items():
        if too_deep(value, MAX_VARIABLE_DEPTH):
            problems.add(name, "nests lists and mappings deeper than %d levels" % MAX_VARIABLE_DEPTH)
            continue
        out[name] = value
    return out


def _select_teams(teams: list, platform: inventory_settings.PlatformSettings, problems: Problems) -> Tuple[list, Optional[list]]:
    names = {t.name for t in teams}
    if platform.only_teams is not None:
        for name in platform.only_teams:
            if name not in names:
                problems.add("observability_only_teams", "names unknown team %r (known: %s)" % (name, ", ".join(sorted(names)) or "none"))
    if platform.offboard_teams:
        return [t for t in teams if t.name not in platform.offboard_teams], list(platform.offboard_teams)
    return teams, list(platform.only_teams) if platform.only_teams is not None else None


def _rule_problems(objects_by_scope: Dict[str, List[dict]], scope_paths: Dict[str, str], problems: Problems, mode: str,
                   cache_dir: Optional[str] = None) -> bool:
    if mode == "skip":
        return False
    path = toolcheck.find_tool("promtool")
    if not path:
        if mode == "require":
            problems.add("observability_promtool", "is require, but promtool is not on PATH (Debian: apt-get install prometheus)")
        return False
    files, owner = {}, {}
    for scope in sorted(objects_by_scope):
        for obj in objects_by_scope[scope]:
            if obj["kind"] == "PrometheusRule":
                label = "%s/%s" % (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
                files[label] = {"groups": obj["spec"]["groups"]}
                owner[label] = scope
    for label, failure in sorted(toolcheck.promtool_check_rules(files, promtool=path, cache_dir=cache_dir).items()):
        scope = owner[label]
        problems.add(scope_paths.get(scope, scope), "the generated rules fail promtool check rules: %s" % failure)
    return True


def _alertmanager_problems(config: dict, problems: Problems, mode: str, teams: Sequence[Any] = ()) -> Tuple[bool, List[str]]:
    """amtool check-config on the configuration; a failure is reported at whose part fails, checked alone: a team's
    receiver (`<team>-<key>`) at its inventory path, a team's routes at its `alerting`, the rest at the Alertmanager
    setting. One team's input then never reads as the platform's problem."""
    if mode == "skip":
        return False, []
    path = toolcheck.find_tool("amtool")
    if not path:
        if mode == "require":
            problems.add("observability_amtool", "is require, but amtool is not on PATH (Debian: apt-get install prometheus-alertmanager)")
        return False, []
    failures, swapped = toolcheck.amtool_check_config(config, amtool=path)
    if not failures:
        return True, swapped
    present = {receiver["name"] for receiver in config.get("receivers", [])}
    owners = []  # (team, {receiver name: inventory path}) of every team with receivers in the configuration
    for team in teams:
        names = {inventory_alerting.receiver_name(team, i.key): i.path for i in (team.alerting.receivers if team.alerting else ())}
        if names and set(names) <= present:
            owners.append((team, names))
    owned = set().union(*(set(names) for _team, names in owners))

    def part(keep):  # the platform's part plus the receivers in `keep` (and the routes to them), checked alone
        return toolcheck.amtool_check_config(generators_alerting.config_part(config, owned, keep), amtool=path)[0]

    platform_failures = part(set()) if owned else failures
    blamed = False
    for team, names in ([] if platform_failures else owners):
        team_failures = part(set(names))
        if not team_failures:
            continue
        blamed = True
        by_receiver = {name: part({name}) for name in sorted(names)}
        for name, receiver_failures in by_receiver.items():
            for failure in receiver_failures:
                problems.add(names[name], "the Alertmanager receiver generated from it (%s) fails amtool check-config: %s" % (name, failure))
        if not any(by_receiver.values()):
            for failure in team_failures:
                problems.add(join_path(team.path, "alerting"), "the Alertmanager routes generated from it fail amtool check-config: %s" % failure)
    if not blamed:
        for failure in platform_failures or failures:
            problems.add(inventory_alerting.ALERTMANAGER_VAR, "the generated Alertmanager configuration fails amtool check-config: %s" % failure)
    return True, swapped


def build_plan(variables: Mapping[str, Any], cluster: str, clusters: Sequence[str],
               detected: Optional[Mapping[str, Any]] = None, tool_cache: Optional[str] = None,
               connection_problems: Sequence[Tuple[str, str]] = ()) -> Tuple[Dict[str, Any], Set[str]]:
    """(the plan of `cluster`, the secret values it refers to) or PlanError with every problem.

    `variables` are the run's templated inventory variables; `clusters` the hosts of observability_clusters;
    `detected` what apply mode found in the cluster before planning (`cert_manager`, or `cluster_error` when it could
    not ask); `tool_cache` a directory where promtool's passes are remembered by content (toolcheck.promtool_check_rules);
    `connection_problems` what core.kubeconfig found wrong with the cluster this host would reach, problems in apply
    mode only (render mode reaches no cluster). The secret values are
    returned apart, for the caller to mask in its output; they are never part of the plan.
    """
    problems = Problems()
    detected = detected or {}
    variables = _shallow_enough(variables, problems)
    platform = inventory_settings.parse_platform(variables, problems)
    ns_path = "observability_platform_namespace"
    if platform.mode == "apply":
        for path, message in connection_problems:
            problems.add(path, message)
        if detected.get("cluster_error") and not connection_problems:
            problems.add("observability_kube_context", "the cluster could not be asked before planning: %s" % detected["cluster_error"])

    # Releases first: their names and namespaces make the Service registry every URL comes from.
    comp: Dict[str, _Settings] = {}
    releases: Dict[str, Optional[ReleaseSpec]] = {}
    for component, prefix in inventory_settings.COMPONENT_PREFIXES:
        raw = inventory_settings.role_variables(variables, prefix)
        releases[component] = _release(component, prefix, raw, problems)
        comp[component] = _Settings(variables, prefix)

    def where(component: str, default_name: str) -> endpoints.Release:
        spec = releases[component]
        values = comp[component].raw.get("values")
        values = values if isinstance(values, dict) else {}
        if spec is None:
            return endpoints.Release(default_name, platform.platform_namespace, values)
        return endpoints.Release(spec.name, spec.namespace, values)

    registry = endpoints.registry(where("kube_prometheus_stack", "kube-prometheus-stack"), where("loki", "loki"),
                                  where("tempo", "tempo"), where("opentelemetry", "opentelemetry-operator"))

    # Teams: settings, every team, the Alertmanager block.
    kps_settings = comp["kube_prometheus_stack"]
    teams_vars = _Settings(variables, inventory_settings.TEAMS_PREFIX, release=False)
    otlp, otlp_path = _override(teams_vars, "otlp_endpoint", registry.agent_otlp_http_url())
    team_raw = {
        "clusters": list(clusters), "platform_namespace": platform.platform_namespace,
        "scrape_interval": kps_settings.raw.get("scrape_interval", "30s"), "retention": str(platform.prometheus_retention),
        "slo_period": str(platform.slo_period), "slo_tiers": variables.get("observability_slo_tiers") or [],
        "dashboard_label": platform.dashboard_label, "dashboard_label_value": platform.dashboard_label_value,
        "dashboard_folder_annotation": platform.dashboard_folder_annotation,
        "prometheus_datasource_uid": platform.prometheus_datasource_uid, "tempo_datasource_uid": platform.tempo_datasource_uid,
        "loki_datasource_uid": platform.loki_datasource_uid, "otlp_endpoint": otlp,
    }
    team_paths = {
        "clusters": CLUSTERS_PATH, "platform_namespace": ns_path, "scrape_interval": "kube_prometheus_stack_scrape_interval",
        "retention": "observability_prometheus_retention", "slo_period": "observability_slo_period",
        "slo_tiers": "observability_slo_tiers", "otlp_endpoint": otlp_path,
    }
    tr = Reader(teams_vars.raw, "", problems, paths=teams_vars.paths)
    tr.known(*teams_vars.known)
    for key in ("slo_budget_interval", "dashboard_placement", "runbook_base_url"):
        if tr.has(key) and tr.raw(key) != "":
            team_raw[key] = tr.raw(key)
            team_paths[key] = inventory_settings.TEAMS_PREFIX + key
        tr.raw(key)
    delete_namespaces = tr.boolean("delete_namespaces", default=False)
    tr.done()
    team_settings = inventory_teams.parse_settings(team_raw, problems, path="", paths=team_paths)
    inputs = inventory_teams.collect_team_inputs(
        {k: v for k, v in variables.items() if k.startswith("observability_team_") and k != TEAM_LIST_VAR},
        variables.get(TEAM_LIST_VAR, []))
    teams = inventory_teams.parse_teams(inputs, team_settings, problems)
    am_raw = variables.get(inventory_alerting.ALERTMANAGER_VAR) or {}
    am_settings = inventory_alerting.parse_alertmanager(am_raw, problems, platform.alertmanager_mode)
    inventory_alerting.check_teams(teams, am_settings, problems)
    lookalikes.check(variables, _secret_values(teams, am_settings), problems)
    _dashboard_uids(teams, problems)
    _reserved_namespaces(teams, releases, platform.platform_namespace, problems)
    build_teams, only = _select_teams(teams, platform, problems)

    # Components: each parses its settings with what the platform gives it.
    # Multi-tenant Loki wants X-Scope-OrgID from every writer and reader. Alloy writes each namespace as its tenant;
    # the collectors write the platform namespace's (application OTLP logs and Kubernetes events); Grafana reads the
    # platform's and every team's on the cluster. An explicit tenant setting still wins.
    tenants = sorted({platform.platform_namespace} | {t.namespace for t in teams if t.on_cluster(cluster)})
    kps_tenant = kps_settings.take("loki_tenant", "")
    if platform.loki_multi_tenant and kps_tenant in ("", None):
        kps_tenant = "|".join(tenants)
    kps_ds = {
        "loki_enabled": kps_settings.take("loki_datasource", True), "tempo_enabled": kps_settings.take("tempo_datasource", True),
        "loki_tenant": kps_tenant, "loki_uid": platform.loki_datasource_uid,
        "tempo_uid": platform.tempo_datasource_uid,
    }
    ds_paths = {"loki_enabled": "kube_prometheus_stack_loki_datasource", "tempo_enabled": "kube_prometheus_stack_tempo_datasource",
                "loki_tenant": "kube_prometheus_stack_loki_tenant", "loki_uid": "observability_loki_datasource_uid",
                "tempo_uid": "observability_tempo_datasource_uid"}
    kps_ds["loki_url"], ds_paths["loki_url"] = _override(kps_settings, "loki_url", registry.loki_url())
    kps_ds["tempo_url"], ds_paths["tempo_url"] = _override(kps_settings, "tempo_url", registry.tempo_url())
    kps_settings.give("cluster", cluster, "inventory_hostname", problems)
    for key in ("dashboard_label", "dashboard_label_value", "dashboard_folder_annotation", "prometheus_datasource_uid"):
        kps_settings.give(key, getattr(platform, key), "observability_" + key, problems)
    kps_settings.give("prometheus_retention", str(platform.prometheus_retention), "observability_prometheus_retention", problems)
    kps_settings.raw.setdefault("profile", platform.profile)
    parsed_kps = kps.parse_kps_settings(kps_settings.raw, problems, path="", paths=kps_settings.paths, known=kps_settings.known)
    parsed_ds = datasources.parse_datasource_settings(kps_ds, problems, path="", prometheus_uid=platform.prometheus_datasource_uid,
                                                      paths=ds_paths)

    lk = comp["loki"]
    lk.unset_when_empty("object_storage")
    lk.give("multi_tenant", platform.loki_multi_tenant, "observability_loki_multi_tenant", problems)
    lk.raw.setdefault("profile", platform.profile)
    parsed_loki = loki.parse_loki_settings(lk.raw, problems, path="", paths=lk.paths, known=lk.known)

    tp = comp["tempo"]
    tp.unset_when_empty("s3")
    tp.raw.setdefault("profile", platform.profile)
    url, path = _override(tp, "remote_write_url", registry.prometheus_remote_write_url())
    tp.give("remote_write_url", url, path, problems)
    parsed_tempo = tempo.parse_tempo_settings(tp.raw, problems, path="", paths=tp.paths, known=tp.known)

    ot = comp["opentelemetry"]
    detect = ot.take("cert_manager_detect", True)
    if not isinstance(detect, bool):
        problems.add("opentelemetry_cert_manager_detect", "must be true or false, got %s" % describe(detect))
    if detect is True and detected.get("cert_manager"):
        ot.give("cert_manager", True, "opentelemetry_cert_manager_detect", problems)
    for key, derived in (("tempo_otlp_endpoint", registry.tempo_otlp_grpc()),
                         ("prometheus_remote_write_url", registry.prometheus_remote_write_url()),
                         ("loki_otlp_url", registry.loki_otlp_url())):
        url, path = _override(ot, key, derived)
        ot.give(key, url, path, problems)
    ot.give("cluster", cluster, "inventory_hostname", problems)
    if platform.loki_multi_tenant and ot.raw.get("loki_tenant") in ("", None):
        ot.raw["loki_tenant"] = platform.platform_namespace
    parsed_otel = opentelemetry.parse_otel_settings(ot.raw, problems, path="", paths=ot.paths, known=ot.known)

    al = comp["alloy"]
    url, path = _override(al, "loki_push_url", registry.loki_push_url())
    al.give("loki_push_url", url, path, problems)
    al.give("multi_tenant", platform.loki_multi_tenant, "observability_loki_multi_tenant", problems)
    al.give("cluster", cluster, "inventory_hostname", problems)
    parsed_alloy = alloy.parse_alloy_settings(al.raw, problems, path="", paths=al.paths, known=al.known)

    if problems:
        raise PlanError(problems)

    # Generate: the teams' objects and Alertmanager configuration once, then each release's values from them.
    bundle = generators_cluster.build_cluster(cluster, build_teams, team_settings, only, am_settings,
                                              alertmanager_namespace=releases["kube_prometheus_stack"].namespace)
    am_plan = bundle.alerting
    for name in platform.offboard_teams:
        bundle.scopes.setdefault(generators_cluster.team_scope(name), [])

    additional, exemplar_uid = datasources.grafana_datasources(parsed_ds)
    am_values = {"alertmanager_config": am_plan.config,
                 "alertmanager_secrets": am_plan.mounted_secrets(releases["kube_prometheus_stack"].namespace)}
    if am_plan.mode == inventory_alerting.PER_NAMESPACE:
        am_values["alertmanager_config_selector"] = generators_alerting.config_selector()
    otel_namespace = releases["opentelemetry"].namespace
    collectors = opentelemetry.collector_objects(parsed_otel, otel_namespace)
    for problem in opentelemetry.collector_problems(collectors):
        path, _sep, message = problem.partition(": ")
        problems.add(path, message)
    platform_namespaces = [platform.platform_namespace] + [spec.namespace for spec in releases.values()]
    values = {
        "kube_prometheus_stack": kps.kps_values(parsed_kps, datasources=additional, exemplar_trace_uid=exemplar_uid,
                                                platform_namespaces=platform_namespaces, **am_values),
        "loki": loki.loki_values(parsed_loki),
        "tempo": tempo.tempo_values(parsed_tempo),
        "opentelemetry": opentelemetry.operator_values(parsed_otel),
        "alloy": alloy.alloy_values(parsed_alloy),
    }
    release_objects = {"opentelemetry": collectors}

    scopes: Dict[str, Dict[str, Any]] = {}
    scope_paths: Dict[str, str] = {generators_cluster.PLATFORM_SCOPE: ns_path}
    for team in teams:
        scope_paths[generators_cluster.team_scope(team.name)] = team.path
    plan_releases: Dict[str, Dict[str, Any]] = {}
    gitops = dict(platform.gitops)
    if gitops["controller"] != generators_gitops.NONE:
        gitops["path"] = gitops["path"].replace("{cluster}", cluster)
    crd_releases = [releases[c].name for c in generators_gitops.CRD_COMPONENTS if releases[c] is not None and releases[c].state == "present"]
    for component, _prefix in inventory_settings.COMPONENT_PREFIXES:
        spec = releases[component]
        scope_paths[spec.scope] = spec.prefix + "release_name"
        present = spec.state == "present"
        objects = release_objects.get(component, []) if present else []
        files = {"helm/%s.values.yaml" % spec.name: values[component]} if present else {}
        scopes[spec.scope] = {"objects": generators_cluster.sort_objects(objects), "files": files,
                              "releases": [spec.summary()] if present else []}
        plan_releases[component] = dict(spec.summary(), component=component, scope=spec.scope, kube_version=spec.kube_version,
                                        crd_dir=spec.crd_dir, timeout=spec.timeout, history_max=spec.history_max,
                                        state=spec.state, delete_crds=spec.delete_crds, values=values[component],
                                        secret_scopes=[], chart_path=_chart_path(platform.chart_dir, spec))
        if present:
            files.update(generators_gitops.release_files(gitops, cluster, plan_releases[component], crd_releases))
    for scope, objects in sorted(bundle.scopes.items()):
        scopes[scope] = {"objects": generators_cluster.sort_objects(objects), "files": {}, "releases": []}
    # The platform scope holds the Alertmanager configuration of every team on the cluster, built or not.
    platform_files = scopes.setdefault(generators_cluster.PLATFORM_SCOPE, {"objects": [], "files": {}, "releases": []})["files"]
    platform_files[generators_cluster.ALERTMANAGER_FILE] = am_plan.config
    refs = am_plan.secret_refs()
    platform_files[generators_cluster.SECRET_KEYS_FILE] = {"secrets": [ref for ref in refs if "team" not in ref]}
    for scope, files in bundle.files.items():
        if scope != generators_cluster.PLATFORM_SCOPE:
            scopes.setdefault(scope, {"objects": [], "files": {}, "releases": []})["files"].update(files)

    if platform.mode == "render" and only is None:
        # The catalogue needs every team of the cluster: a run limited to some teams leaves the last one as it is.
        route = am_plan.config["route"] if am_plan.mode == inventory_alerting.GLOBAL else generators_catalog.operator_route(
            am_plan.config["route"], am_plan.team_configs)
        on_cluster = [team for team in build_teams if team.on_cluster(cluster)]
        page = generators_catalog.build(cluster, on_cluster, scopes, route, [str(w) for w in bundle.warnings], platform.grafana_url)
        scopes[generators_catalog.SCOPE] = {"objects": [], "files": {generators_catalog.CATALOG_FILE: page}, "releases": []}
    all_objects = {s: v["objects"] for s, v in scopes.items()}
    _duplicates(all_objects, scope_paths, problems)
    checks.limit_problems(all_objects, scope_paths, bundle.origins, problems, bundle.rule_spec_bounds)
    checks.rule_group_problems(all_objects, scope_paths, bundle.origins, problems)
    checks.alertmanager_config_problems(am_plan.config, am_plan.mode == inventory_alerting.GLOBAL, problems)
    team_rule_scopes = {s: v["objects"] for s, v in scopes.items() if s.startswith("team/") or s == generators_cluster.PLATFORM_SCOPE}
    promtool_checked = _rule_problems(team_rule_scopes, scope_paths, problems, platform.promtool, tool_cache)
    amtool_checked, amtool_swapped = _alertmanager_problems(am_plan.config, problems, platform.amtool, teams)
    if problems:
        raise PlanError(problems)

    built = sorted(scope.split("/", 1)[1] for scope in bundle.scopes if scope.startswith("team/"))
    if any("mounted_at" in ref for ref in refs):
        # Alertmanager mounts the platform's receivers Secret: it must exist before the stack is upgraded.
        plan_releases["kube_prometheus_stack"]["secret_scopes"] = [generators_cluster.PLATFORM_SCOPE]
    for ref in refs:
        ref["scope"] = generators_cluster.team_scope(ref["team"]) if "team" in ref else generators_cluster.PLATFORM_SCOPE
    partial = only is not None or bool(platform.offboard_teams)
    plan = {
        "cluster": cluster,
        "mode": platform.mode,
        "render_dir": "%s/%s" % (platform.render_dir.rstrip("/") or ".", cluster),
        "render_secret_values": platform.render_secret_values,
        "gitops": gitops,
        "field_manager": FIELD_MANAGER,
        "managed_kinds": [dict(k) for k in MANAGED_KINDS],
        "platform_namespace": platform.platform_namespace,
        "releases": plan_releases,
        "scopes": scopes,
        "teams": {
            "built": built,
            "only": only,
            "offboard": list(platform.offboard_teams),
            # A partial run (some teams, or offboarding) must leave the other teams' files and objects alone.
            "prune": [] if partial else ["team/*"],
            "delete_namespaces": delete_namespaces,
        },
        "alertmanager": {"mode": am_plan.mode, "config": am_plan.config},
        "secret_refs": refs,
        "endpoints": registry.as_dict(),
        "warnings": list(bundle.warnings),
        "checks": {"promtool": promtool_checked, "amtool": amtool_checked, "amtool_swapped": amtool_swapped},
    }
    secrets = {value.reveal() for spec in am_plan.secrets for _key, value in spec.values}
    return plan, secrets

