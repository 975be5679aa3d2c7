# -*- coding: utf-8 -*-
"""inventory/settings: the observability_* settings; observability_chart_dir is an absolute path on the controller."""

from __future__ import annotations

from ansible_collections.vigil.observability.tests.support.plan import problems


def test_a_relative_or_non_string_chart_dir_is_refused_at_its_path():
    found = problems({"observability_chart_dir": "charts", "loki_chart_version": 18})
    assert any(p.startswith("observability_chart_dir:") and "absolute path" in p for p in found), found
    assert any(p.startswith("loki_chart_version:") for p in found), found
