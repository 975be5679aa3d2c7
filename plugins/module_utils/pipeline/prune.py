# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which objects found on a cluster are no longer generated (offboarding in apply mode)."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.objects import CREATED_FOR_ANNOTATION, MANAGED_BY, MANAGED_BY_LABEL, TEAM_LABEL
from typing import Any, Dict, List, Optional, Tuple


def _key(obj: Dict[str, Any]) -> Tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (obj.get("apiVersion"), obj.get("kind"), meta.get("namespace") or "", meta.get("name"))


def stale_objects(found: Any, generated: Any, only_teams: Optional[Any] = None, delete_namespaces: bool = False) -> List[Any]:
    """Objects in `found` that carry both the managed-by and team labels but are not in `generated`.

    Objects without both labels are never returned, whatever they are. With `only_teams`,
    only objects of those teams can be stale (a partial run must not offboard the rest).
    Namespaces are kept unless `delete_namespaces`: deleting one deletes the team's workloads too. Even then only a
    Namespace the collection created for that team (CREATED_FOR_ANNOTATION names it) is returned.
    """
    wanted = {_key(obj) for obj in generated or []}
    stale = []
    for obj in found or []:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) != MANAGED_BY or not labels.get(TEAM_LABEL):
            continue
        if only_teams and labels[TEAM_LABEL] not in only_teams:
            continue
        if _key(obj) in wanted:
            continue
        if obj.get("kind") == "Namespace" and not (delete_namespaces and _created_for(obj) == labels[TEAM_LABEL]):
            continue
        api_version, kind, namespace, name = _key(obj)
        ref = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}
        if namespace:
            ref["metadata"]["namespace"] = namespace
        stale.append(ref)
    return sorted(stale, key=_key)


def _created_for(obj: Dict[str, Any]) -> Any:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(CREATED_FOR_ANNOTATION)


def claim_namespaces(objects: Any, found: Any) -> List[Any]:
    """`objects` to apply, where a Namespace that already exists keeps the creation mark only if it had it.

    `found` are the cluster's Namespaces before the run. A team's Namespace that existed before the collection first
    applied it (made by hand, by another tool, or for another team) is applied without CREATED_FOR_ANNOTATION, so
    offboarding never deletes it.
    """
    existing = {(ns.get("metadata") or {}).get("name"): _created_for(ns) for ns in found or []}
    out = []
    for obj in objects or []:
        meta = obj.get("metadata") or {}
        name = meta.get("name")
        annotations = meta.get("annotations") or {}
        if (obj.get("kind") == "Namespace" and CREATED_FOR_ANNOTATION in annotations and name in existing
                and existing[name] != annotations[CREATED_FOR_ANNOTATION]):
            obj = dict(obj, metadata=dict(meta, annotations={k: v for k, v in annotations.items() if k != CREATED_FOR_ANNOTATION}))
        out.append(obj)
    return out


def in_new_namespaces(objects: Any, found: Any) -> Dict[str, List[Any]]:
    """`objects` split by whether the API server can be asked about them now: {"ready": cluster-scoped objects and those
    in a namespace of `found` (the Namespace objects listed), "pending": those in a namespace that does not exist yet}.
    Check mode asks the server to dry-run each apply, which it refuses (404) in a namespace the run would create first."""
    existing = {ns.get("metadata", {}).get("name") for ns in found or []}
    out: Dict[str, List[Any]] = {"ready": [], "pending": []}
    for obj in objects or []:
        namespace = (obj.get("metadata") or {}).get("namespace")
        out["ready" if not namespace or namespace in existing else "pending"].append(obj)
    return out
