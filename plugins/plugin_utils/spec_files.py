# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the SLO spec files a team lists in slo_specs (Sloth, OpenSLO): a file, or a directory of them, relative to the
inventory directory, the playbook directory or the directory ansible-playbook runs in, the first that has it.

The plan action calls this before the pure core: each file becomes {__file__, __documents__} (or __error__), a
directory {__file__, __files__: [...]} with its *.yaml and *.yml files in name order, which inventory/slo_specs.py
converts. Files may be vault-encrypted. Errors name the file and a line, never its text. A path may not leave the
directory it is read from. docs/slo.md gives a layout Ansible does not also read as inventory.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Sequence

import yaml

from ansible_collections.vigil.observability.plugins.module_utils.inventory.slo_specs import DOCUMENTS_KEY, ERROR_KEY, FILE_KEY, FILES_KEY
from ansible_collections.vigil.observability.plugins.module_utils.inventory.teams import PLATFORM_SLO_SPECS_VAR as PLATFORM_SPECS
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import TEAM_LIST_VAR as TEAM_LIST
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import TEAM_VAR_PREFIX as TEAM_PREFIX


def read_spec_files(variables: Dict[str, Any], roots: Sequence[Any], loader: Any) -> Dict[str, Any]:
    """`variables` with every team's slo_specs paths replaced by their documents; `roots` are the directories a path
    is read from, in order (the inventory directory, the playbook directory)."""
    dirs = [os.path.realpath(root) for root in roots if isinstance(root, str) and root]
    dirs = [root for i, root in enumerate(dirs) if root not in dirs[:i]]
    out = dict(variables)
    for name, value in variables.items():
        if name.startswith(TEAM_PREFIX) and isinstance(value, dict) and isinstance(value.get("slo_specs"), list):
            out[name] = dict(value, slo_specs=[_entry(item, dirs, loader) for item in value["slo_specs"]])
    if isinstance(variables.get(PLATFORM_SPECS), list):
        out[PLATFORM_SPECS] = [_entry(item, dirs, loader) for item in variables[PLATFORM_SPECS]]
    teams = variables.get(TEAM_LIST)
    if isinstance(teams, list):
        out[TEAM_LIST] = [dict(team, slo_specs=[_entry(item, dirs, loader) for item in team["slo_specs"]])
                          if isinstance(team, dict) and isinstance(team.get("slo_specs"), list) else team for team in teams]
    return out


def _entry(item: Any, roots: List[str], loader: Any) -> Any:
    if not isinstance(item, str):
        return item
    if not roots:
        return {FILE_KEY: item, ERROR_KEY: "no directory to read it from"}
    if os.path.isabs(item):
        return {FILE_KEY: item, ERROR_KEY: "must be a path relative to the inventory, the playbook or the project directory"}
    inside = [(root, os.path.realpath(os.path.join(root, item))) for root in roots]
    inside = [(root, path) for root, path in inside if path.startswith(root + os.sep)]
    if not inside:
        return {FILE_KEY: item, ERROR_KEY: "must be a path inside the inventory, the playbook or the project directory"}
    for root, path in inside:
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.endswith((".yaml", ".yml")) and os.path.isfile(os.path.join(path, n)))
            if not names:
                return {FILE_KEY: item, ERROR_KEY: "is a directory without *.yaml or *.yml files (%s)" % path}
            return {FILE_KEY: item, FILES_KEY: [_file(os.path.join(item, n), os.path.join(path, n), loader) for n in names]}
        if os.path.isfile(path):
            return _file(item, path, loader)
    return {FILE_KEY: item, ERROR_KEY: "no such file or directory in %s" % ", ".join(roots)}


def _file(item: str, path: str, loader: Any) -> Dict[str, Any]:
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
