# -*- coding: utf-8 -*-
"""Build a cluster's plan the way the plan action does: the role defaults of the collection, the given
inventory variables, templated by Ansible's own Templar, then the pure core."""

from __future__ import annotations

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.vigil.observability.plugins.module_utils.pipeline.plan import PlanError, build_plan
from ansible_collections.vigil.observability.plugins.plugin_utils import inventory_vars

# Unit tests check the plan, not the tools: promtool and amtool run where a test asks for them.
NO_TOOLS = {"observability_promtool": "skip", "observability_amtool": "skip"}


def resolve(variables):
    loader = DataLoader()
    resolved, problems, _raw = inventory_vars.resolve(dict(variables), Templar(loader=loader), loader)
    assert not problems, problems
    return resolved


def build(variables=None, cluster="c1", clusters=("c1",), tools=False, detected=None):
    """The plan of `cluster` (PlanError propagates)."""
    merged = dict(variables or {})
    if not tools:
        for key, value in NO_TOOLS.items():
            merged.setdefault(key, value)
    plan, _secrets = build_plan(resolve(merged), cluster, list(clusters), detected=detected)
    return plan


def problems(variables=None, cluster="c1", clusters=("c1",), tools=False):
    """Every problem of a run that must fail, as 'path: message' lines."""
    try:
        build(variables, cluster, clusters, tools)
    except PlanError as exc:
        return exc.problems
    raise AssertionError("the plan was built without a problem")


def values(plan, component):
    return plan["releases"][component]["values"]
