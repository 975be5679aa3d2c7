# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform-wide settings (`observability_*` variables) and the role variables of each component.

A setting that more than one component reads is one `observability_*` variable, defined once
(roles/observability/defaults/main.yml) and parsed once here; each component's own settings are its
role's `<role>_*` variables. Every problem names the variable, never a module option.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, SettingsReader, describe
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label, is_label_key, is_label_value
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import TEAM_LIST_VAR, TEAM_VAR_PREFIX, _GRAFANA_UID

PLATFORM_PREFIX = "observability_"
# Role variable prefixes of the components, in the order a run installs them.
COMPONENT_PREFIXES = (
    ("kube_prometheus_stack", "kube_prometheus_stack_"),
    ("loki", "loki_"),
    ("tempo", "tempo_"),
    ("opentelemetry", "opentelemetry_"),
    ("alloy", "alloy_"),
)
TEAMS_PREFIX = "teams_"
MODES = ("render", "apply")
TOOL_CHOICES = ("auto", "require", "skip")
# Inputs of playbooks and AWX surveys that are not settings: the plan reads the first two, offboard_team.yml the last.
PLAYBOOK_INPUTS = ("observability_only_teams_csv", "observability_offboard_team", "observability_offboard_confirm")
# The registered plan itself (roles/observability), never an input.
PLAN_VAR = "observability_plan"
_UID_WHAT = "a Grafana UID (at most 40 letters, digits, '-', '_')"


@dataclass(frozen=True)
class PlatformSettings:
    """What several components read; one value each, for the whole run (defaults: roles/observability/defaults)."""

    mode: str
    render_dir: str
    # Apply mode without access to the chart repositories: a directory of the pinned charts, packaged as helm
    # pull and helm package name them (<chart>-<version>.tgz); empty: each release's chart_repo_url.
    chart_dir: str
    platform_namespace: str
    profile: str
    prometheus_retention: Duration
    dashboard_label: str
    dashboard_label_value: str
    dashboard_folder_annotation: str
    prometheus_datasource_uid: str
    loki_datasource_uid: str
    tempo_datasource_uid: str
    loki_multi_tenant: bool
    alertmanager_mode: str
    slo_period: Duration
    render_secret_values: bool
    promtool: str
    amtool: str
    only_teams: Optional[Tuple[str, ...]]  # None: every team
    offboard_teams: Tuple[str, ...]
    # Grafana's external URL, for the catalogue's dashboard links; empty: no links.
    grafana_url: str
    # observability_gitops and its settings (generators/gitops.py); controller "none": plain render.
    gitops: Tuple[Tuple[str, str], ...]


# Keys read elsewhere: the teams (observability_team_*, observability_teams), the Alertmanager block
# and the SLO tiers (parsed with the teams), the cluster connection (read by the apply tasks).
_READ_ELSEWHERE = ("teams", "alertmanager", "slo_tiers", "kubeconfig", "kube_context", "platform_slos", "platform_slo_specs")


def platform_variables(variables: Mapping[str, Any]) -> Dict[str, Any]:
    """The `observability_*` settings among `variables` (teams and playbook inputs left out)."""
    return {
        name[len(PLATFORM_PREFIX):]: value
        for name, value in variables.items()
        if name.startswith(PLATFORM_PREFIX) and not name.startswith(TEAM_VAR_PREFIX) and name != TEAM_LIST_VAR
        and name not in PLAYBOOK_INPUTS and name != PLAN_VAR
    }


def role_variables(variables: Mapping[str, Any], prefix: str) -> Dict[str, Any]:
    """A role's variables by their name without the prefix."""
    return {name[len(prefix):]: value for name, value in variables.items() if name.startswith(prefix)}


def _name_list(r: Reader, key: str) -> Tuple[str, ...]:
    names = []
    for path, item in r.items(key):
        if not is_dns_label(item):
            r.problems.add(path, "must be a team name (a Kubernetes name), got %s" % describe(item))
        else:
            names.append(item)
    return tuple(names)


GITOPS_CONTROLLERS = ("none", "flux", "argocd")
_GITOPS_NAMESPACES = {"flux": "flux-system", "argocd": "argocd"}
_GIT_URL = r"(https?|ssh|git)://\S+|git@\S+"
_GITOPS_PATH = r"[A-Za-z0-9._/{}-]+"


def _gitops(r: Reader, mode: str, render_dir: str, render_secret_values: bool) -> Dict[str, str]:
    """observability_gitops (none, flux or argocd) and the observability_gitops_* settings of its objects."""
    controller = r.string("gitops", choices=GITOPS_CONTROLLERS)
    keys = ("gitops_path", "gitops_repository", "gitops_revision", "gitops_namespace", "gitops_source", "gitops_destination",
            "gitops_interval", "gitops_timeout")
    if controller == "none":
        r.known(*keys)
        return {"controller": "none"}
    if mode != "render":
        r.fail("gitops", "%s is for render mode: the controller applies the rendered tree, which apply mode would fight over"
               % controller)
    if render_secret_values:
        r.fail("render_secret_values", "must be false with observability_gitops: Secret values are never committed (docs/gitops.md)")
    default_path = "" if render_dir.startswith(("/", "..")) else "%s/{cluster}" % render_dir.strip("/").lstrip("./")
    # Empty (the role default): the render directory's place in the repository.
    path = r.string("gitops_path", pattern=r"|" + _GITOPS_PATH, what="a path in the git repository") or default_path
    if not path:
        r.fail("gitops_path", "is required when observability_render_dir (%s) is not a path inside the repository" % render_dir)
    elif ".." in path.split("/") or path.startswith("/"):
        r.fail("gitops_path", "must be a path inside the repository, got %s" % describe(path))
    repository = r.string("gitops_repository", pattern=r"|" + _GIT_URL, what="a git URL")
    if controller == "argocd" and not repository:
        r.fail("gitops_repository", "is required with observability_gitops: argocd (the git URL Argo CD reads the manifests from)")
    namespace = r.string("gitops_namespace") or _GITOPS_NAMESPACES[controller]  # empty (the role default): the controller's
    if not is_dns_label(namespace):
        r.fail("gitops_namespace", "must be a namespace name, got %s" % describe(namespace))
    source = r.string("gitops_source")
    if not is_dns_label(source):
        r.fail("gitops_source", "must be the name of a GitRepository, got %s" % describe(source))
    duration = r"([0-9]+(ms|s|m|h))+"
    return {
        "controller": controller,
        "path": path,
        "repository": repository,
        "revision": r.string("gitops_revision"),
        "namespace": namespace,
        "source": source,
        "destination": r.string("gitops_destination", pattern=r"https://\S+", what="an https:// URL of an API server"),
        "interval": r.string("gitops_interval", pattern=duration, what="a Go duration such as 10m"),
        "timeout": r.string("gitops_timeout", pattern=duration, what="a Go duration such as 15m"),
    }


def parse_platform(variables: Mapping[str, Any], problems: Problems, defaults: Mapping[str, Any]) -> PlatformSettings:
    """Every `observability_*` setting, with the playbook inputs that select teams; `defaults` are the role's."""
    raw = platform_variables(variables)
    r = SettingsReader(raw, "", problems, paths={key: PLATFORM_PREFIX + key for key in raw}, fallbacks=platform_variables(defaults))
    r.known(*_READ_ELSEWHERE)
    mode = r.string("mode", choices=MODES)
    render_dir = r.string("render_dir")
    if mode == "render" and not render_dir:
        r.fail("render_dir", "is required in render mode")
    namespace = r.name("platform_namespace")
    profile = r.string("profile", choices=("small", "production"))
    retention = r.duration("prometheus_retention")
    label = r.string("dashboard_label")
    if not is_label_key(label):
        r.fail("dashboard_label", "must be a Kubernetes label key, got %s" % describe(label))
        label = r.fallbacks["dashboard_label"]
    label_value = r.string("dashboard_label_value")
    if not is_label_value(label_value):
        r.fail("dashboard_label_value", "must be a Kubernetes label value, got %s" % describe(label_value))
        label_value = r.fallbacks["dashboard_label_value"]
    folder = r.string("dashboard_folder_annotation")
    if not is_label_key(folder):
        r.fail("dashboard_folder_annotation", "must be a Kubernetes annotation key, got %s" % describe(folder))
        folder = r.fallbacks["dashboard_folder_annotation"]
    uids = {key: r.string(key, pattern=_GRAFANA_UID, what=_UID_WHAT)
            for key in ("prometheus_datasource_uid", "loki_datasource_uid", "tempo_datasource_uid")}
    if len(set(uids.values())) < len(uids):
        r.fail("prometheus_datasource_uid", "the Prometheus, Loki and Tempo datasources need three different UIDs, got %s"
               % ", ".join(sorted(uids.values())))
    only = _name_list(r, "only_teams")
    csv = variables.get("observability_only_teams_csv")
    if csv not in (None, ""):
        if not isinstance(csv, str):
            problems.add("observability_only_teams_csv", "must be a comma-separated string of team names, got %s" % describe(csv))
        else:
            for item in (part.strip() for part in csv.split(",")):
                if item and not is_dns_label(item):
                    problems.add("observability_only_teams_csv", "%s is not a team name (a Kubernetes name)" % describe(item))
                elif item:
                    only += (item,)
    offboard = _name_list(r, "offboard_teams")
    single = variables.get("observability_offboard_team")
    if single is not None:
        if not is_dns_label(single):
            problems.add("observability_offboard_team", "must be a team name (a Kubernetes name), got %s" % describe(single))
        elif single not in offboard:
            offboard += (single,)
    chart_dir = r.string("chart_dir", pattern=r"|/\S*", what="an absolute path on the controller")
    multi_tenant = r.boolean("loki_multi_tenant")
    alertmanager_mode = r.string("alertmanager_mode", choices=("global", "per_namespace"))
    period = r.duration("slo_period")
    render_secret_values = r.boolean("render_secret_values")
    settings = PlatformSettings(
        mode=mode,
        render_dir=render_dir,
        chart_dir=chart_dir,
        platform_namespace=namespace,
        profile=profile,
        prometheus_retention=retention,
        dashboard_label=label,
        dashboard_label_value=label_value,
        dashboard_folder_annotation=folder,
        loki_multi_tenant=multi_tenant,
        alertmanager_mode=alertmanager_mode,
        slo_period=period,
        render_secret_values=render_secret_values,
        promtool=r.string("promtool", choices=TOOL_CHOICES),
        amtool=r.string("amtool", choices=TOOL_CHOICES),
        grafana_url=r.string("grafana_url", pattern=r"|https?://[^\s\"'<>]+", what="an http(s) URL"),
        only_teams=tuple(sorted(set(only))) or None,
        offboard_teams=tuple(sorted(set(offboard))),
        gitops=tuple(sorted(_gitops(r, mode, render_dir, render_secret_values).items())),
        **uids,
    )
    r.done()
    if settings.only_teams and settings.offboard_teams:
        problems.add("observability_offboard_teams", "cannot be combined with observability_only_teams: offboard in a run of its own")
    return settings
