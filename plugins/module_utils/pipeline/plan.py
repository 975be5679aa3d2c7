# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of one cluster: every release with its values, every object, the Alertmanager configuration,
secret references and lint warnings, built once and validated whole.

Input is the run's inventory variables, already templated (`observability_*`, each role's `<role>_*`,
the team variables), with every setting role's defaults under them. Every problem of every part is collected and
raised at once, each at the inventory variable it came from; nothing here writes a file or talks to a cluster, so a
run that fails here has written and applied nothing.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence, Set, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.assemble import assemble
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.check import check
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.compose import PlanError, compose
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.generate import generate
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.wire import wire

__all__ = ["PlanError", "build_plan"]


def build_plan(variables: Mapping[str, Any], defaults: Mapping[str, Any], cluster: str, clusters: Sequence[str],
               detected: Optional[Mapping[str, Any]] = None, tool_cache: Optional[str] = None,
               connection_problems: Sequence[Tuple[str, str]] = ()) -> Tuple[Dict[str, Any], Set[str]]:
    """(the plan of `cluster`, the secret values it refers to) or PlanError with every problem.

    `defaults` are the setting roles' defaults, templated as the run templates them (the only place a default is
    written); `clusters` are the hosts of observability_clusters; `detected` what apply mode found in the cluster before
    planning (`cert_manager`, or `cluster_error` when it could not ask); `tool_cache` a directory where promtool's
    passes are remembered by content (toolcheck.promtool_check_rules); `connection_problems` what core.kubeconfig found
    wrong with the cluster this host would reach, problems in apply mode only (render mode reaches no cluster).
    """
    config = compose(variables, defaults, cluster, clusters, detected or {}, connection_problems)  # every input, validated
    config, registry = wire(config)  # the components' links, from the Services that exist
    problems = Problems()
    generated = generate(config, problems)  # releases' values, objects, Alertmanager configuration, catalogue
    checked = check(config, generated, problems, tool_cache)  # limits, collisions, promtool, amtool
    if problems:
        raise PlanError(problems)
    plan = assemble(config, registry, generated, checked)
    return plan.as_dict(), set(plan.secrets)
