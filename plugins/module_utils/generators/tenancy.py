# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A team's namespace and the access its people get there: monitors, rules and dashboards, nothing else."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.objects import CREATED_FOR_ANNOTATION, k8s_object, labels_for
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Team
from typing import Any, Dict, List

ROLE_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]
# What a team manages itself, in its own namespace only.
ROLE_RULES = [
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ROLE_VERBS},
    {"apiGroups": ["monitoring.coreos.com"],
     "resources": ["alertmanagerconfigs", "podmonitors", "probes", "prometheusrules", "scrapeconfigs", "servicemonitors"],
     "verbs": ROLE_VERBS},
    {"apiGroups": ["opentelemetry.io"], "resources": ["instrumentations"], "verbs": ROLE_VERBS},
]
# GitOps tools must never delete a namespace (and the team's workloads) because a team was offboarded.
NAMESPACE_ANNOTATIONS = {
    "argocd.argoproj.io/sync-options": "Prune=false",
    "kustomize.toolkit.fluxcd.io/prune": "disabled",
}


def role_name(team: Team) -> str:
    return "vigil-observability-%s" % team.name


def namespace(team: Team) -> Dict[str, Any]:
    labels = dict(team.namespace_labels)
    labels.update(labels_for(team, "tenancy"))
    obj = k8s_object("v1", "Namespace", team.namespace, None, labels)
    obj["metadata"]["annotations"] = dict(NAMESPACE_ANNOTATIONS)
    # Apply mode removes this again when the namespace existed before the first run (pipeline/prune.claim_namespaces).
    obj["metadata"]["annotations"][CREATED_FOR_ANNOTATION] = team.name
    return obj


def role(team: Team) -> Dict[str, Any]:
    return k8s_object("rbac.authorization.k8s.io/v1", "Role", role_name(team), team.namespace, labels_for(team, "tenancy"),
                      rules=[dict(rule) for rule in ROLE_RULES])


def role_binding(team: Team) -> Dict[str, Any]:
    subjects = [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": g} for g in team.rbac_groups]
    subjects += [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": u} for u in team.rbac_users]
    return k8s_object("rbac.authorization.k8s.io/v1", "RoleBinding", role_name(team), team.namespace, labels_for(team, "tenancy"),
                      roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role_name(team)},
                      subjects=subjects)


def tenancy_objects(team: Team) -> List[Dict[str, Any]]:
    objects = [namespace(team)] if team.manage_namespace else []
    objects.append(role(team))
    if team.rbac_groups or team.rbac_users:
        objects.append(role_binding(team))
    return objects
