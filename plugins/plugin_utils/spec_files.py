# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the SLO spec files a team lists in slo_specs (Sloth, OpenSLO), relative to the inventory directory.

The plan action calls this before the pure core: each file name becomes {__file__, __documents__} (or __error__),
which inventory/slo_specs.py converts. Files may be vault-encrypted. Errors name the file and a line, never its text.
"""

from __future__ import annotations

import os
from typing import Any, Dict

import yaml

from ansible_collections.vigil.observability.plugins.module_utils.inventory.slo_specs import DOCUMENTS_KEY, ERROR_KEY, FILE_KEY
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import TEAM_LIST_VAR as TEAM_LIST
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import TEAM_VAR_PREFIX as TEAM_PREFIX


def read_spec_files(variables: Dict[str, Any], inventory_dir: Any, loader: Any) -> Dict[str, Any]:
    """`variables` with every team's slo_specs file names replaced by their documents."""
    out = dict(variables)
    for name, value in variables.items():
        if name.startswith(TEAM_PREFIX) and isinstance(value, dict) and isinstance(value.get("slo_specs"), list):
            out[name] = dict(value, slo_specs=[_entry(item, inventory_dir, loader) for item in value["slo_specs"]])
    teams = variables.get(TEAM_LIST)
    if isinstance(teams, list):
        out[TEAM_LIST] = [dict(team, slo_specs=[_entry(item, inventory_dir, loader) for item in team["slo_specs"]])
                          if isinstance(team, dict) and isinstance(team.get("slo_specs"), list) else team for team in teams]
    return out


def _entry(item: Any, inventory_dir: Any, loader: Any) -> Any:
    if not isinstance(item, str):
        return item
    if not isinstance(inventory_dir, str) or not inventory_dir:
        return {FILE_KEY: item, ERROR_KEY: "no inventory directory to read it from (an inventory file or directory, not a host list)"}
    root = os.path.realpath(inventory_dir)
    path = os.path.realpath(os.path.join(root, item))
    if os.path.isabs(item) or not path.startswith(root + os.sep):
        return {FILE_KEY: item, ERROR_KEY: "must be a path inside the inventory directory %s" % inventory_dir}
    if not os.path.isfile(path):
        return {FILE_KEY: item, ERROR_KEY: "no such file in the inventory directory %s" % inventory_dir}
    try:
        text = loader.get_text_file_contents(path)
    except Exception as exc:  # pylint: disable=broad-except
        return {FILE_KEY: item, ERROR_KEY: "cannot be read (%s)" % type(exc).__name__}
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {FILE_KEY: item, ERROR_KEY: "is not valid YAML%s" % (" (line %d)" % (mark.line + 1) if mark is not None else "")}
    return {FILE_KEY: item, DOCUMENTS_KEY: documents}
