# -*- coding: utf-8 -*-
"""observability_chart_dir: apply mode without the chart repositories installs each pinned chart from its package."""

from __future__ import annotations

from plan_helpers import build, problems


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
