# -*- coding: utf-8 -*-
"""inventory/releases: each chart role's release: its chart version pinned, its repository a URL, and in apply mode
without the chart repositories (observability_chart_dir) each pinned chart installed from its package."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize("version", ["latest", "", "1.x", ">=1.0"])
def test_chart_version_must_be_pinned(version):
    found = problems({"loki_chart_version": version})
    assert [p for p in found if p.startswith("loki_chart_version:")], found


def test_chart_repository_must_be_a_url():
    found = problems({"tempo_chart_repo_url": "charts.example.com"})
    assert "tempo_chart_repo_url: must be an http(s):// or oci:// URL, got 'charts.example.com'" in found, found
