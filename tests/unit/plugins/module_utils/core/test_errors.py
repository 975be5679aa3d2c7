# -*- coding: utf-8 -*-
"""Problems carry their variable path, keep their order, and fail together."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import ModelError, Problems, join_path


@pytest.mark.parametrize("path, key, expected", [
    ("", "observability_team_x", "observability_team_x"),
    ("observability_team_x", "services", "observability_team_x.services"),
    ("observability_team_x.services", 0, "observability_team_x.services[0]"),
    ("observability_team_x.services[0].slos", 12, "observability_team_x.services[0].slos[12]"),
    ("observability_teams", 3, "observability_teams[3]"),
])
def test_join_path(path, key, expected):
    assert join_path(path, key) == expected


def test_problems_keep_order_and_count():
    problems = Problems()
    assert not problems and len(problems) == 0
    problems.add("a.b", "first")
    problems.add("a[0]", "second")
    other = Problems()
    other.add("c", "third")
    problems.extend(other)
    assert bool(problems) and len(problems) == 3
    assert problems.items == ["a.b: first", "a[0]: second", "c: third"]
    # items is a copy: callers cannot change what was collected
    problems.items.append("x")
    assert len(problems) == 3


def test_raise_if_any_raises_every_problem_at_once():
    Problems().raise_if_any()  # nothing collected: no error
    problems = Problems()
    problems.add("observability_team_payments.services[0].slos[1].objective", "must be between 0 and 100 (exclusive), got 120")
    problems.add("observability_team_payments.namespace", "must be a valid Kubernetes name")
    with pytest.raises(ModelError) as info:
        problems.raise_if_any()
    err = info.value
    assert err.problems == problems.items
    lines = str(err).splitlines()
    assert lines[0] == "2 problems in the observability inventory:"
    assert lines[1:] == ["  - " + p for p in problems.items]


def test_model_error_singular():
    err = ModelError(["x: is required"])
    assert str(err).splitlines() == ["1 problem in the observability inventory:", "  - x: is required"]
