# -*- coding: utf-8 -*-
"""Real requests as a team's user (a client certificate in the team's RBAC group, signed by the cluster's CA) against
the Roles the collection generated: its own namespace is writable, nothing else is (docs/tenancy.md, Namespaces)."""

from __future__ import annotations

import pytest

from conftest import CLUSTERS

GROUP = "monitoring.coreos.com"
# (kind, api group, version, plural, a minimal valid object body)
KINDS = [
    ("ServiceMonitor", GROUP, "v1", "servicemonitors",
     {"spec": {"selector": {"matchLabels": {"app": "rbac-probe"}}, "endpoints": [{"port": "metrics"}]}}),
    ("PodMonitor", GROUP, "v1", "podmonitors",
     {"spec": {"selector": {"matchLabels": {"app": "rbac-probe"}}, "podMetricsEndpoints": [{"port": "metrics"}]}}),
    ("PrometheusRule", GROUP, "v1", "prometheusrules",
     {"spec": {"groups": [{"name": "rbac-probe", "rules": [{"record": "rbac:probe", "expr": "vector(1)"}]}]}}),
    ("ConfigMap", "", "v1", "configmaps", {"data": {"rbac-probe.json": "{}"}}),
]
TEAM = "search"


def _clients(api, context):
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    return client.CustomObjectsApi(api(context)), client.CoreV1Api(api(context))


def _create(api, context, kind, group, version, plural, body, namespace, name):
    custom, core = _clients(api, context)
    manifest = dict(body, apiVersion="%s/%s" % (group, version) if group else version, kind=kind,
                    metadata={"name": name, "namespace": namespace, "labels": {"grafana_dashboard": "1"}})
    if group:
        return custom.create_namespaced_custom_object(group, version, namespace, plural, manifest)
    return core.create_namespaced_config_map(namespace, manifest)


def _patch(api, context, group, version, plural, namespace, name):
    custom, core = _clients(api, context)
    patch = {"metadata": {"annotations": {"vigil.observability/rbac-probe": "updated"}}}
    if group:
        return custom.patch_namespaced_custom_object(group, version, namespace, plural, name, patch)
    return core.patch_namespaced_config_map(name, namespace, patch)


def _delete(api, context, group, version, plural, namespace, name):
    custom, core = _clients(api, context)
    if group:
        return custom.delete_namespaced_custom_object(group, version, namespace, plural, name)
    return core.delete_namespaced_config_map(name, namespace)


def _status(call, *args):
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    try:
        call(*args)
    except ApiException as exc:
        return exc.status
    return 200


@pytest.mark.parametrize("cluster", CLUSTERS)
@pytest.mark.parametrize("kind,group,version,plural,body", KINDS, ids=[k[0] for k in KINDS])
def test_a_team_user_writes_its_own_namespace(api, cluster, kind, group, version, plural, body):
    context, name = "%s-%s" % (cluster, TEAM), "rbac-probe-%s" % kind.lower()
    assert _status(_create, api, context, kind, group, version, plural, body, TEAM, name) == 200
    assert _status(_patch, api, context, group, version, plural, TEAM, name) == 200
    assert _status(_delete, api, context, group, version, plural, TEAM, name) == 200


@pytest.mark.parametrize("cluster", CLUSTERS)
@pytest.mark.parametrize("kind,group,version,plural,body", KINDS, ids=[k[0] for k in KINDS])
@pytest.mark.parametrize("namespace", ["payments", "monitoring", "kube-system"])
def test_a_team_user_is_forbidden_everywhere_else(api, cluster, kind, group, version, plural, body, namespace):
    context, name = "%s-%s" % (cluster, TEAM), "rbac-probe-%s" % kind.lower()
    assert _status(_create, api, context, kind, group, version, plural, body, namespace, name) == 403
    # An object that exists there, made by the admin: the team's user may neither change nor delete it.
    admin = "%s-admin" % cluster
    assert _status(_create, api, admin, kind, group, version, plural, body, namespace, name) == 200
    try:
        assert _status(_patch, api, context, group, version, plural, namespace, name) == 403
        assert _status(_delete, api, context, group, version, plural, namespace, name) == 403
    finally:
        _delete(api, admin, group, version, plural, namespace, name)
