# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform-wide settings (`observability_*` variables) and the role variables of each component.

A setting that more than one component reads is one `observability_*` variable, defined once
(roles/observability/defaults/main.yml) and parsed once here; each component's own settings are its
role's `<role>_*` variables. Every problem names the variable, never a module option.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, Mapping, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
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
    """What several components read; one value each, for the whole run."""

    mode: str = "render"
    render_dir: str = "rendered"
    # Apply mode without access to the chart repositories: a directory of the pinned charts, packaged as helm
    # pull and helm package name them (<chart>-<version>.tgz); empty: each release's chart_repo_url.
    chart_dir: str = ""
    platform_namespace: str = "monitoring"
    profile: str = "small"
    prometheus_retention: Duration = Duration.parse("35d")
    dashboard_label: str = "grafana_dashboard"
    dashboard_label_value: str = "1"
    dashboard_folder_annotation: str = "grafana_folder"
    prometheus_datasource_uid: str = "prometheus"
    loki_datasource_uid: str = "loki"
    tempo_datasource_uid: str = "tempo"
    loki_multi_tenant: bool = False
    alertmanager_mode: str = "global"
    slo_period: Duration = Duration.parse("30d")
    render_secret_values: bool = False
    promtool: str = "auto"
    amtool: str = "auto"
    only_teams: Optional[Tuple[str, ...]] = None  # None: every team
    offboard_teams: Tuple[str, ...] = ()
    # Grafana's external URL, for the catalogue's dashboard links; empty: no links.
    grafana_url: str = ""
    # observability_gitops and its settings (generators/gitops.py); controller "none": plain render.
    gitops: Tuple[Tuple[str, str], ...] = (("controller", "none"),)


# Keys read elsewhere: the teams (observability_team_*, observability_teams), the Alertmanager block
# and the SLO tiers (parsed with the teams), the cluster connection (read by the apply tasks).
_READ_ELSEWHERE = ("teams", "alertmanager", "slo_tiers", "kubeconfig", "kube_context")


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


def _gitops(r: Reader, settings: PlatformSettings) -> Dict[str, str]:
    """observability_gitops (none, flux or argocd) and the observability_gitops_* settings of its objects."""
    controller = r.string("gitops", default="none", choices=GITOPS_CONTROLLERS) or "none"
    keys = ("gitops_path", "gitops_repository", "gitops_revision", "gitops_namespace", "gitops_source", "gitops_destination",
            "gitops_interval", "gitops_timeout")
    if controller == "none":
        r.known(*keys)
        return {"controller": "none"}
    if settings.mode != "render":
        r.fail("gitops", "%s is for render mode: the controller applies the rendered tree, which apply mode would fight over"
               % controller)
    if settings.render_secret_values:
        r.fail("render_secret_values", "must be false with observability_gitops: Secret values are never committed (docs/gitops.md)")
    default_path = "" if settings.render_dir.startswith(("/", "..")) else "%s/{cluster}" % settings.render_dir.strip("/").lstrip("./")
    # An empty string (the role defaults) means the default.
    path = r.string("gitops_path", default="", pattern=r"|" + _GITOPS_PATH, what="a path in the git repository") or default_path
    if not path:
        r.fail("gitops_path", "is required when observability_render_dir (%s) is not a path inside the repository" % settings.render_dir)
    elif ".." in path.split("/") or path.startswith("/"):
        r.fail("gitops_path", "must be a path inside the repository, got %s" % describe(path))
    repository = r.string("gitops_repository", default="", pattern=r"|" + _GIT_URL, what="a git URL") or ""
    if controller == "argocd" and not repository:
        r.fail("gitops_repository", "is required with observability_gitops: argocd (the git URL Argo CD reads the manifests from)")
    namespace = r.string("gitops_namespace", default="") or _GITOPS_NAMESPACES[controller]
    if not is_dns_label(namespace):
        r.fail("gitops_namespace", "must be a namespace name, got %s" % describe(namespace))
    source = r.string("gitops_source", default="flux-system") or "flux-system"
    if not is_dns_label(source):
        r.fail("gitops_source", "must be the name of a GitRepository, got %s" % describe(source))
    duration = r"([0-9]+(ms|s|m|h))+"
    return {
        "controller": controller,
        "path": path,
        "repository": repository,
        "revision": r.string("gitops_revision", default="main") or "main",
        "namespace": namespace,
        "source": source,
        "destination": r.string("gitops_destination", default="https://kubernetes.default.svc", pattern=r"https://\S+",
                                what="an https:// URL of an API server") or "https://kubernetes.default.svc",
        "interval": r.string("gitops_interval", default="10m", pattern=duration, what="a Go duration such as 10m") or "10m",
        "timeout": r.string("gitops_timeout", default="15m", pattern=duration, what="a Go duration such as 15m") or "15m",
    }


def parse_platform(variables: Mapping[str, Any], problems: Problems) -> PlatformSettings:
    """Every `observability_*` setting, with the playbook inputs that select teams."""
    raw = platform_variables(variables)
    r = Reader(raw, "", problems, paths={key: PLATFORM_PREFIX + key for key in raw})
    r.known(*_READ_ELSEWHERE)
    d = PlatformSettings()
    mode = r.string("mode", default=d.mode, choices=MODES)
    render_dir = r.string("render_dir", default=d.render_dir)
    if mode == "render" and not render_dir:
        r.fail("render_dir", "is required in render mode")
    namespace = r.name("platform_namespace", default=d.platform_namespace)
    profile = r.string("profile", default=d.profile, choices=("small", "production"))
    retention = r.duration("prometheus_retention", default=d.prometheus_retention)
    label = r.string("dashboard_label", default=d.dashboard_label)
    if label is not None and not is_label_key(label):
        r.fail("dashboard_label", "must be a Kubernetes label key, got %s" % describe(label))
        label = None
    label_value = r.string("dashboard_label_value", default=d.dashboard_label_value)
    if label_value is not None and not is_label_value(label_value):
        r.fail("dashboard_label_value", "must be a Kubernetes label value, got %s" % describe(label_value))
        label_value = None
    folder = r.string("dashboard_folder_annotation", default=d.dashboard_folder_annotation)
    if folder is not None and not is_label_key(folder):
        r.fail("dashboard_folder_annotation", "must be a Kubernetes annotation key, got %s" % describe(folder))
        folder = None
    uids = {}
    for key in ("prometheus_datasource_uid", "loki_datasource_uid", "tempo_datasource_uid"):
        uids[key] = r.string(key, default=getattr(d, key), pattern=_GRAFANA_UID, what=_UID_WHAT) or getattr(d, key)
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
    settings = PlatformSettings(
        mode=mode or d.mode,
        render_dir=render_dir or d.render_dir,
        chart_dir=r.string("chart_dir", default="", pattern=r"|/\S*", what="an absolute path on the controller") or "",
        platform_namespace=namespace or d.platform_namespace,
        profile=profile or d.profile,
        prometheus_retention=retention or d.prometheus_retention,
        dashboard_label=label or d.dashboard_label,
        dashboard_label_value=label_value if label_value is not None else d.dashboard_label_value,
        dashboard_folder_annotation=folder or d.dashboard_folder_annotation,
        loki_multi_tenant=r.boolean("loki_multi_tenant", default=d.loki_multi_tenant),
        alertmanager_mode=r.string("alertmanager_mode", default=d.alertmanager_mode, choices=("global", "per_namespace"))
        or d.alertmanager_mode,
        slo_period=r.duration("slo_period", default=d.slo_period) or d.slo_period,
        render_secret_values=r.boolean("render_secret_values", default=False),
        promtool=r.string("promtool", default="auto", choices=TOOL_CHOICES) or "auto",
        amtool=r.string("amtool", default="auto", choices=TOOL_CHOICES) or "auto",
        grafana_url=r.string("grafana_url", default="", pattern=r"|https?://[^\s\"'<>]+", what="an http(s) URL") or "",
        only_teams=tuple(sorted(set(only))) or None,
        offboard_teams=tuple(sorted(set(offboard))),
        **uids,
    )
    settings = replace(settings, gitops=tuple(sorted(_gitops(r, settings).items())))
    r.done()
    if settings.only_teams and settings.offboard_teams:
        problems.add("observability_offboard_teams", "cannot be combined with observability_only_teams: offboard in a run of its own")
    return settings
