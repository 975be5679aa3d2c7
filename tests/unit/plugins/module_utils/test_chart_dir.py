# -*- coding: utf-8 -*-
"""observability_chart_dir: apply mode without the chart repositories installs each pinned chart from its package."""

from __future__ import annotations

from ansible_collections.vigil.observability.tests.support.plan import build, problems


def test_each_release_installs_its_pinned_package_from_the_chart_dir():
    plan = build({"observability_chart_dir": "/srv/charts/", "loki_chart_version": "18.11.1", "tempo_release_name": "traces"})
    paths = {component: release["chart_path"] for component, release in plan["releases"].items()}
    assert paths["loki"] == "/srv/charts/loki-18.11.1.tgz"
    assert paths["tempo"] == "/srv/charts/tempo-%s.tgz" % plan["releases"]["tempo"]["version"]
    assert paths["kube_prometheus_stack"] == "/srv/charts/kube-prometheus-stack-%s.tgz" % plan["releases"]["kube_prometheus_stack"]["version"]


def test_without_a_chart_dir_every_release_pulls_from_its_repository():
    plan = build({})
    assert {release["chart_path"] for release in plan["releases"].values()} == {""}
    assert all(release["repository"].startswith("https://") for release in plan["releases"].values())


def test_a_relative_or_non_string_chart_dir_is_refused_at_its_path():
    found = problems({"observability_chart_dir": "charts", "loki_chart_version": 18})
    assert any(p.startswith("observability_chart_dir:") and "absolute path" in p for p in found), found
    assert any(p.startswith("loki_chart_version:") for p in found), found


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
