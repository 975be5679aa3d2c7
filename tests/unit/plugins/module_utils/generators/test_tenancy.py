# -*- coding: utf-8 -*-
"""generators/tenancy: a team's namespace, Role and RoleBinding: valid Kubernetes objects, scoped to the team's
namespace, granting monitors, rules and dashboards only, and never pruned by GitOps tools."""

from __future__ import annotations

import kubernetes_validate

from ansible_collections.vigil.observability.plugins.module_utils.core import objects
from ansible_collections.vigil.observability.tests.support.team_inventory import team_objects

KUBERNETES_VERSION = "1.33"


def by_kind(objs):
    return {o["kind"]: o for o in objs}


def test_namespace_role_and_binding_are_valid_kubernetes_objects():
    objs = by_kind(team_objects({"namespace": "pay", "namespace_labels": {"pod-security.kubernetes.io/enforce": "baseline"},
                                 "rbac": {"groups": ["payments-devs"], "users": ["alice@example.com"]}}))
    for kind in ("Namespace", "Role", "RoleBinding"):
        kubernetes_validate.validate(objs[kind], KUBERNETES_VERSION, strict=True)
    ns = objs["Namespace"]
    assert ns["metadata"]["name"] == "pay" and "namespace" not in ns["metadata"]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert ns["metadata"]["labels"][objects.TEAM_LABEL] == "payments"
    assert ns["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=false"
    binding = objs["RoleBinding"]
    assert binding["metadata"]["namespace"] == "pay" and objs["Role"]["metadata"]["namespace"] == "pay"
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": objs["Role"]["metadata"]["name"]}
    assert {(s["kind"], s["name"]) for s in binding["subjects"]} == {("Group", "payments-devs"), ("User", "alice@example.com")}


def test_role_grants_monitors_rules_and_dashboards_only():
    rules = by_kind(team_objects({}))["Role"]["rules"]
    granted = {(group, resource) for rule in rules for group in rule["apiGroups"] for resource in rule["resources"]}
    assert ("monitoring.coreos.com", "servicemonitors") in granted
    assert ("monitoring.coreos.com", "prometheusrules") in granted
    assert ("", "configmaps") in granted
    assert not any(resource in ("secrets", "pods", "*", "roles", "rolebindings") for _group, resource in granted)
    assert all("*" not in rule["verbs"] and "escalate" not in rule["verbs"] for rule in rules)


def test_default_group_is_the_team_name():
    binding = by_kind(team_objects({}))["RoleBinding"]
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "payments"}]


def test_unmanaged_namespace_is_not_generated():
    assert "Namespace" not in by_kind(team_objects({"manage_namespace": False}))
