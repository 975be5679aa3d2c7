# -*- coding: utf-8 -*-
"""pipeline/prune: offboarding in apply mode: only objects carrying both the managed-by and the team label can ever be
stale, and a team's namespace only when deleting namespaces is asked for and the collection created it for that team;
and what a check-mode run can dry-run now (what is not in a namespace the run would create)."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.pipeline import prune
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.prune import stale_objects
from ansible_collections.vigil.observability.tests.support.team_inventory import team_objects

MANAGED = {"app.kubernetes.io/managed-by": "vigil.observability"}


def obj(name, namespace="payments", kind="PrometheusRule", labels=None, **extra_meta):
    meta = {"name": name, "labels": labels, "uid": "u-" + name, "resourceVersion": "7"}
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra_meta)
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": kind, "metadata": meta, "spec": {"groups": []}}


def team_labels(team):
    return dict(MANAGED, **{"vigil.observability/team": team})


def test_only_labelled_objects_that_are_no_longer_generated():
    found = [
        obj("payments-slos", labels=team_labels("payments")),  # still generated
        obj("payments-old", labels=team_labels("payments")),  # stale
        obj("checkout-slos", "checkout", labels=team_labels("checkout")),  # stale: team offboarded
        obj("by-hand", labels=None),  # never ours
        obj("other-tool", labels={"app.kubernetes.io/managed-by": "helm", "vigil.observability/team": "payments"}),
        obj("no-team", labels=dict(MANAGED)),  # managed but no team: platform objects are never pruned here
        obj("empty-team", labels=team_labels("")),
    ]
    generated = [obj("payments-slos", labels=team_labels("payments"))]
    assert stale_objects(found, generated) == [
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "checkout-slos", "namespace": "checkout"}},
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "payments-old", "namespace": "payments"}},
    ]


def test_identity_is_api_version_kind_namespace_and_name():
    labels = team_labels("payments")
    generated = [obj("x", labels=labels)]
    assert stale_objects([obj("x", labels=labels)], generated) == []
    assert len(stale_objects([obj("x", namespace="elsewhere", labels=labels)], generated)) == 1
    assert len(stale_objects([obj("x", kind="ServiceMonitor", labels=labels)], generated)) == 1


def test_a_partial_run_only_prunes_its_own_teams():
    found = [obj("a-old", labels=team_labels("a")), obj("b-old", labels=team_labels("b"))]
    assert [o["metadata"]["name"] for o in stale_objects(found, [], only_teams=["a"])] == ["a-old"]
    assert [o["metadata"]["name"] for o in stale_objects(found, [], only_teams=None)] == ["a-old", "b-old"]


def test_cluster_scoped_refs_have_no_namespace():
    [ref] = stale_objects([obj("x", namespace=None, kind="ClusterRole", labels=team_labels("a"))], [])
    assert ref["metadata"] == {"name": "x"}


@pytest.mark.parametrize("found", [None, [], [{"kind": "PrometheusRule"}], [{"metadata": None}]])
def test_odd_input_is_not_stale(found):
    assert stale_objects(found, None) == []


def test_order_is_stable():
    found = [obj(n, labels=team_labels("a")) for n in ("c", "a", "b")]
    assert [o["metadata"]["name"] for o in stale_objects(found, [])] == ["a", "b", "c"]
    assert stale_objects(found, []) == stale_objects(list(reversed(found)), [])


def test_check_mode_dry_runs_only_what_the_api_server_can_judge_now():
    from ansible_collections.vigil.observability.plugins.module_utils.pipeline.prune import in_new_namespaces

    found = [{"metadata": {"name": "payments"}}, {"metadata": {"name": "monitoring"}}]
    objects = [{"kind": "Namespace", "metadata": {"name": "checkout"}},
               {"kind": "PrometheusRule", "metadata": {"name": "a", "namespace": "checkout"}},
               {"kind": "Secret", "metadata": {"name": "b", "namespace": "payments"}},
               {"kind": "ClusterRole", "metadata": {"name": "c"}}]
    split = in_new_namespaces(objects, found)
    assert [o["metadata"]["name"] for o in split["ready"]] == ["checkout", "b", "c"]
    assert [o["metadata"]["name"] for o in split["pending"]] == ["a"]
    assert in_new_namespaces([], found) == {"ready": [], "pending": []}


def test_offboarding_in_apply_mode_keeps_the_namespace():
    found = team_objects({})
    stale = prune.stale_objects(found, [])
    assert {o["kind"] for o in stale} == {o["kind"] for o in found} - {"Namespace"}
    assert "Namespace" in {o["kind"] for o in prune.stale_objects(found, [], delete_namespaces=True)}


@pytest.mark.parametrize("annotations, deleted", [({"vigil.observability/created-for-team": "shop"}, True),
                                                  ({}, False), ({"vigil.observability/created-for-team": "other"}, False)])
def test_offboarding_deletes_only_a_namespace_created_for_that_team(annotations, deleted):
    found = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "shop", "annotations": annotations,
        "labels": {"app.kubernetes.io/managed-by": "vigil.observability", "vigil.observability/team": "shop"}}}]
    stale = prune.stale_objects(found, [], delete_namespaces=True)
    assert bool(stale) is deleted
    assert not prune.stale_objects(found, [], delete_namespaces=False)
