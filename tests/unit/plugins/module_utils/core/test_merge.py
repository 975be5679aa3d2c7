# -*- coding: utf-8 -*-
"""core/merge: values merged over values, recursively, lists replaced, neither input changed."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge


def test_deep_merge_is_recursive_replaces_lists_and_does_not_mutate():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    override = {"a": {"c": [3], "e": {"f": 1}}, "d": None}
    merged = deep_merge(base, override)
    assert merged == {"a": {"b": 1, "c": [3], "e": {"f": 1}}, "d": None}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    merged["a"]["c"].append(9)
    assert override["a"]["c"] == [3]
