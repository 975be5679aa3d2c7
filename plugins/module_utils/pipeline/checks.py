# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the generated objects that the cluster would otherwise make at apply time: sizes and rule group names.

What the API server, etcd or the Prometheus Operator would refuse (core/limits.py), the plan refuses first, at the
inventory path the object comes from, before anything is written or applied.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core import limits
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.generators.cluster import object_key as _key


def _where(obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    return "%s %s%s" % (obj["kind"], meta["namespace"] + "/" if meta.get("namespace") else "", meta["name"])


def limit_problems(objects_by_scope: Mapping[str, List[Dict[str, Any]]], scope_paths: Mapping[str, str],
                   origins: Mapping[Tuple[str, str, str], str], problems: Problems,
                   rule_spec_bounds: Optional[Mapping[Tuple[str, str, str], int]] = None) -> None:
    """Every object over a limit, at the inventory path it comes from (else its scope's).

    `rule_spec_bounds`: what the generators measured of their rule objects' specs while cutting them (limits.measured_parts).
    """
    bounds = rule_spec_bounds or {}
    for scope in sorted(objects_by_scope):
        for obj in objects_by_scope[scope]:
            for what, size, limit in limits.object_problems(obj, bounds.get(_key(obj), 0)):
                path = origins.get(_key(obj)) or scope_paths.get(scope, scope)
                problems.add(path, "generates %s: %s" % (_where(obj), limits.describe_problem(what, size, limit)))


def rule_group_problems(objects_by_scope: Mapping[str, List[Dict[str, Any]]], scope_paths: Mapping[str, str],
                        origins: Mapping[Tuple[str, str, str], str], problems: Problems) -> None:
    """Rule group names are unique within a namespace, whichever objects hold the groups."""
    seen: Dict[Tuple[str, str], str] = {}
    for scope in sorted(objects_by_scope):
        for obj in objects_by_scope[scope]:
            if obj["kind"] != "PrometheusRule":
                continue
            for group in obj["spec"].get("groups", []):
                key = (obj["metadata"].get("namespace", ""), group["name"])
                if key in seen:
                    problems.add(origins.get(_key(obj)) or scope_paths.get(scope, scope),
                                 "generates rule group %r in %s, which %s also holds" % (group["name"], _where(obj), seen[key]))
                seen.setdefault(key, _where(obj))


def alertmanager_config_problems(config: Mapping[str, Any], global_mode: bool, problems: Problems) -> None:
    """The global Alertmanager configuration holds every team's routes and receivers, and the chart writes it as one
    Secret's `alertmanager.yaml`: over 1 MiB the API server refuses the Secret and the stack's upgrade fails."""
    if not global_mode:
        return  # per-namespace mode: each team's part is an AlertmanagerConfig object, measured with the others
    size = limits.yaml_bytes_against(config, limits.MAX_DATA_BYTES)
    if size > limits.MAX_DATA_BYTES:
        problems.add("observability_alertmanager_mode", "is global, and the Alertmanager configuration of every team's routes and "
                     "receivers (one Secret the chart writes): %s; per_namespace gives each team namespace an "
                     "AlertmanagerConfig of its own" % limits.describe_problem("its data", size, limits.MAX_DATA_BYTES))
