# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.plugins.module_utils.core.versions import version_satisfies

from ansible_collections.vigil.observability.tests.support.plan import problems


@pytest.mark.parametrize("version,constraint,expected", [
    ("v1.30.2", ">=1.25.0-0", True),
    ("v1.25.0", ">=1.25.0-0", True),
    ("v1.24.17", ">=1.25.0-0", False),
    ("v1.29.4-eks-036c24b", "^1.25.0-0", True),   # managed clusters carry suffixes
    ("v1.31.1+k3s1", "^1.25.0-0", True),
    ("v2.0.0", "^1.25.0-0", False),
    ("1.28.3", ">=1.25 <1.30", True),
    ("1.30.0", ">=1.25 <1.30", False),
    ("1.30.0", ">=1.25, <1.30 || >=1.30.0", True),
    ("1.26.9", "~1.26.0", True),
    ("1.27.0", "~1.26.0", False),
])
def test_kube_version_constraints(version, constraint, expected):
    assert version_satisfies(version, constraint) is expected


def test_deep_merge_is_recursive_replaces_lists_and_does_not_mutate():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    override = {"a": {"c": [3], "e": {"f": 1}}, "d": None}
    merged = deep_merge(base, override)
    assert merged == {"a": {"b": 1, "c": [3], "e": {"f": 1}}, "d": None}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    merged["a"]["c"].append(9)
    assert override["a"]["c"] == [3]


@pytest.mark.parametrize("version", ["latest", "", "1.x", ">=1.0"])
def test_chart_version_must_be_pinned(version):
    found = problems({"loki_chart_version": version})
    assert [p for p in found if p.startswith("loki_chart_version:")], found


def test_chart_repository_must_be_a_url():
    found = problems({"tempo_chart_repo_url": "charts.example.com"})
    assert "tempo_chart_repo_url: must be an http(s):// or oci:// URL, got 'charts.example.com'" in found, found
