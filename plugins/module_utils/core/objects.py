# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The labels every generated object carries, and the object skeleton.

Offboarding relies on them: managed-by marks what the collection owns, the team
label scopes it, and nothing without both is ever pruned.
"""

from __future__ import annotations
from typing import Any, Dict, Optional

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "vigil.observability"
TEAM_LABEL = "vigil.observability/team"
COMPONENT_LABEL = "app.kubernetes.io/component"
# On a Namespace the collection created for a team (not one that existed before): only such a Namespace is ever deleted.
CREATED_FOR_ANNOTATION = "vigil.observability/created-for-team"
FIELD_MANAGER = "vigil.observability"
# Every kind the collection creates for teams: what apply mode looks for when it prunes.
MANAGED_KINDS = (
    (("api_version", "v1"), ("kind", "Namespace")),
    (("api_version", "rbac.authorization.k8s.io/v1"), ("kind", "Role")),
    (("api_version", "rbac.authorization.k8s.io/v1"), ("kind", "RoleBinding")),
    (("api_version", "monitoring.coreos.com/v1"), ("kind", "PrometheusRule")),
    (("api_version", "monitoring.coreos.com/v1"), ("kind", "ServiceMonitor")),
    (("api_version", "monitoring.coreos.com/v1"), ("kind", "PodMonitor")),
    (("api_version", "monitoring.coreos.com/v1alpha1"), ("kind", "AlertmanagerConfig")),
    (("api_version", "v1"), ("kind", "ConfigMap")),
    (("api_version", "opentelemetry.io/v1alpha1"), ("kind", "Instrumentation")),
)


def labels_for(team: Optional[Any] = None, component: Optional[str] = None) -> Dict[str, str]:
    labels = {MANAGED_BY_LABEL: MANAGED_BY}
    if team is not None:
        labels[TEAM_LABEL] = team.name
    if component:
        labels[COMPONENT_LABEL] = component
    return labels


def k8s_object(api_version: str, kind: str, name: str, namespace: Any, labels: Dict[str, str], spec: Optional[Any] = None, **extra) -> Dict[str, Any]:
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "labels": labels}}
    if namespace:
        obj["metadata"]["namespace"] = namespace
    if spec is not None:
        obj["spec"] = spec
    obj.update(extra)
    return obj
