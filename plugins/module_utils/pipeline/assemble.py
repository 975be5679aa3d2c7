# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage 5, assemble: the plan of one cluster, typed, and the plain data the roles read (`observability_plan`).

Nothing is written yet. Secret values never enter the plan: it holds the Secrets' names, keys and the inventory paths
of their values (`secret_refs`), for the one no_log task that writes them; the values are returned apart, for the
caller to mask in its output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional

from ansible_collections.vigil.observability.plugins.module_utils.core.objects import FIELD_MANAGER, MANAGED_KINDS
from ansible_collections.vigil.observability.plugins.module_utils.generators import cluster as generators_cluster
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.check import Checked
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.compose import RunConfig
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.generate import Generated
from ansible_collections.vigil.observability.plugins.module_utils.platform import endpoints


@dataclass(frozen=True)
class Plan:
    """One cluster's plan: what render mode writes and apply mode applies, in the order the roles read it."""

    cluster: str
    mode: str
    render_dir: str
    render_secret_values: bool
    gitops: Dict[str, str]
    platform_namespace: str
    releases: Dict[str, Dict[str, Any]]
    scopes: Dict[str, Dict[str, Any]]
    built: List[str]  # the teams this run built
    only: Optional[List[str]]
    offboard: List[str]
    prune: List[str]  # scope patterns whose files and objects no longer generated are removed
    delete_namespaces: bool
    alertmanager_mode: str
    alertmanager_config: Dict[str, Any]
    secret_refs: List[Dict[str, Any]]
    endpoints: Dict[str, Dict[str, Any]]
    warnings: List[Any]
    checked: Checked
    secrets: FrozenSet[str]  # the values behind secret_refs: never part of as_dict()

    def as_dict(self) -> Dict[str, Any]:
        """The plan as the roles read it (registered as observability_plan), without the secret values."""
        return {
            "cluster": self.cluster,
            "mode": self.mode,
            "render_dir": self.render_dir,
            "render_secret_values": self.render_secret_values,
            "gitops": self.gitops,
            "field_manager": FIELD_MANAGER,
            "managed_kinds": [dict(k) for k in MANAGED_KINDS],
            "platform_namespace": self.platform_namespace,
            "releases": self.releases,
            "scopes": self.scopes,
            "teams": {"built": self.built, "only": self.only, "offboard": self.offboard, "prune": self.prune,
                      "delete_namespaces": self.delete_namespaces},
            "alertmanager": {"mode": self.alertmanager_mode, "config": self.alertmanager_config},
            "secret_refs": self.secret_refs,
            "endpoints": self.endpoints,
            "warnings": self.warnings,
            "checks": {"promtool": self.checked.promtool, "amtool": self.checked.amtool, "amtool_swapped": self.checked.amtool_swapped,
                       "rule_tests": self.checked.rule_tests},
        }


def assemble(config: RunConfig, registry: endpoints.Registry, generated: Generated, checked: Checked) -> Plan:
    platform, am_plan, refs = config.platform, generated.alerting, generated.secret_refs
    releases = generated.releases
    if any("mounted_at" in ref for ref in refs):
        # Alertmanager mounts the platform's receivers Secret: it must exist before the stack is upgraded.
        releases["kube_prometheus_stack"]["secret_scopes"] = [generators_cluster.PLATFORM_SCOPE]
    for ref in refs:
        ref["scope"] = generators_cluster.team_scope(ref["team"]) if "team" in ref else generators_cluster.PLATFORM_SCOPE
    # A partial run (some teams, or offboarding) must leave the other teams' files and objects alone.
    partial = config.only_teams is not None or bool(platform.offboard_teams)
    return Plan(
        cluster=config.cluster,
        mode=platform.mode,
        render_dir="%s/%s" % (platform.render_dir.rstrip("/") or ".", config.cluster),
        render_secret_values=platform.render_secret_values,
        gitops=generated.gitops,
        platform_namespace=platform.platform_namespace,
        releases=releases,
        scopes=generated.scopes,
        built=sorted(scope.split("/", 1)[1] for scope in generated.bundle.scopes if scope.startswith("team/")),
        only=list(config.only_teams) if config.only_teams is not None else None,
        offboard=list(platform.offboard_teams),
        prune=[] if partial else ["team/*"],
        delete_namespaces=config.delete_namespaces,
        alertmanager_mode=am_plan.mode,
        alertmanager_config=am_plan.config,
        secret_refs=refs,
        endpoints=registry.as_dict(),
        warnings=list(generated.bundle.warnings) + list(checked.warnings),
        checked=checked,
        secrets=frozenset(value.reveal() for spec in am_plan.secrets for _key, value in spec.values),
    )
