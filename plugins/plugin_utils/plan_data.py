# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The registered plan's scopes: each held as one JSON text, read back only where a task needs it.

Ansible copies and post-processes every registered result item by item; tens of thousands of objects
as nested data cost far more there than building them. One string per scope costs almost nothing,
and a task that needs one release's objects parses only that scope.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from typing import Any, Dict, Iterable, Mapping

from ansible_collections.vigil.observability.plugins.module_utils.inventory.settings import PLAN_VAR


def pack(scopes: Mapping[str, Any]) -> Dict[str, Dict[str, str]]:
    """{'scopes': {scope: JSON text}, 'digests': {scope: sha256 of that text}}."""
    texts = {name: json.dumps(part, sort_keys=True, separators=(",", ":")) for name, part in scopes.items()}
    return {"scopes": texts, "digests": {name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in texts.items()}}


def matching(plan: Mapping[str, Any], patterns: Iterable[str]) -> Dict[str, Dict[str, Any]]:
    """The scopes whose names match any glob pattern, parsed."""
    patterns = list(patterns)
    return {name: json.loads(text) for name, text in sorted(plan["scopes"].items())
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)}


def scope(plan: Mapping[str, Any], name: str) -> Dict[str, Any]:
    """One scope of the plan, parsed."""
    return json.loads(plan["scopes"][name])


def objects(plan: Mapping[str, Any], patterns: Iterable[str]) -> list:
    return [obj for _name, part in sorted(matching(plan, patterns).items()) for obj in part["objects"]]


def registered(given: Any, task_vars: Mapping[str, Any]) -> Any:
    """The plan a task was given, else the one role vigil.observability.observability registered; None without one.

    Read from task vars by default: passing the plan as an argument would have Ansible template, validate and
    copy it again for every task.
    """
    plan = given if given is not None else (task_vars or {}).get(PLAN_VAR)
    return plan if isinstance(plan, dict) and "scopes" in plan else None


# The arguments every action that reads a plan takes (plugins/doc_fragments/plan.py documents them).
ARGUMENT_SPEC = {"plan": {"type": "dict"}, "scopes": {"type": "list", "elements": "str", "required": True}}
NO_PLAN = "no plan: run role vigil.observability.observability first (it registers %s)" % PLAN_VAR
