# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which objects found on a cluster are no longer generated (offboarding in apply mode)."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.objects import MANAGED_BY, MANAGED_BY_LABEL, TEAM_LABEL
from typing import Any, Dict, List, Optional, Tuple


def _key(obj: Dict[str, Any]) -> Tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace") or "", meta.get("name"))


def stale_objects(found: Any, generated: Any, only_teams: Optional[Any] = None, delete_namespaces: bool = False) -> List[Any]:
    """Objects in `found` that carry both the managed-by and team labels but are not in `generated`.

    Objects without both labels are never returned, whatever they are. With `only_teams`,
    only objects of those teams can be stale (a partial run must not offboard the rest).
    Namespaces are kept unless `delete_namespaces`: deleting one deletes the team's workloads too.
    """
    wanted = {_key(obj) for obj in generated or []}
    stale = []
    for obj in found or []:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) != MANAGED_BY or not labels.get(TEAM_LABEL):
            continue
        if only_teams and labels[TEAM_LABEL] not in only_teams:
            continue
        if _key(obj) in wanted or (obj.get("kind") == "Namespace" and not delete_namespaces):
            continue
        api_version, kind, namespace, name = _key(obj)
        ref = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}
        if namespace:
            ref["metadata"]["namespace"] = namespace
        stale.append(ref)
    return sorted(stale, key=_key)
