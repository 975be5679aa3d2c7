# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The receivers' Secrets with their values, read again from the inventory at the paths the plan recorded.

Only a task with no_log (apply) or the render step asked for Secret manifests calls this; the plan
itself never holds a value, and nothing is parsed or generated twice: each value is one lookup.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping

from ansible_collections.vigil.observability.plugins.module_utils.generators.cluster import secret_manifest
from ansible_collections.vigil.observability.plugins.plugin_utils.inventory_vars import plain

_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


class SecretLookupError(Exception):
    pass


def split_path(path: str) -> List[Any]:
    """`observability_teams[2].alerting.receivers.pager.routing_key` -> ['observability_teams', 2, 'alerting', ...]."""
    head = re.match(r"[A-Za-z_][A-Za-z0-9_]*", path)
    if not head:
        raise SecretLookupError("not a variable path: %s" % path)
    parts: List[Any] = [head.group(0)]
    rest = path[head.end():]
    pos = 0
    for match in _SEGMENT.finditer(rest):
        if match.start() != pos:
            raise SecretLookupError("not a variable path: %s" % path)
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    if pos != len(rest):
        raise SecretLookupError("not a variable path: %s" % path)
    return parts


def secret_objects(refs: List[Mapping[str, Any]], task_vars: Mapping[str, Any], templar, scopes=None) -> Dict[str, List[dict]]:
    """{scope: [Secret]} for the refs of the given scopes (all when None)."""
    templated: Dict[str, Any] = {}
    out: Dict[str, List[dict]] = {}
    for ref in refs:
        if scopes is not None and ref["scope"] not in scopes:
            continue
        data = {}
        for key, path in sorted(ref["sources"].items()):
            parts = split_path(path)
            var = parts[0]
            if var not in templated:
                if var not in task_vars:
                    raise SecretLookupError("%s is no longer defined" % var)
                templated[var] = plain(templar.template(task_vars[var]))
            value = templated[var]
            for part in parts[1:]:
                try:
                    value = value[part]
                except (KeyError, IndexError, TypeError):
                    raise SecretLookupError("%s is no longer defined" % path) from None
            if not isinstance(value, str):
                raise SecretLookupError("%s is no longer a string" % path)
            data[key] = value
        out.setdefault(ref["scope"], []).append(secret_manifest(ref["name"], ref["namespace"], ref.get("team"), data))
    return out
