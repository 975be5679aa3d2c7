# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A team's own dashboards: canonical JSON, a stable uid, no two teams on one uid."""

from __future__ import annotations

import json
from typing import Any, List, Sequence, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import MAX_DEPTH, Reader, describe, no_duplicate_names, too_deep
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import GRAFANA_UID_RE, CustomDashboard, Team


def _no_constant(name):
    raise ValueError("%s is not a JSON number" % name)


def parse_dashboards(items: List[Tuple[str, Any]], problems: Problems) -> Tuple[CustomDashboard, ...]:
    dashboards = []
    for path, raw in items:
        r = Reader(raw, path, problems)
        name = r.name("name", required=True, max_len=40)
        content = r.raw("json")
        r.done()
        where = join_path(path, "json")
        if not r.ok:
            continue
        if content is None:
            problems.add(where, "is required: the dashboard as a mapping or JSON text (e.g. \"{{ lookup('file', 'dash.json') }}\")")
            continue
        if isinstance(content, str):
            try:
                content = json.loads(content, parse_constant=_no_constant)
            except ValueError as exc:
                problems.add(where, "is not valid JSON: %s" % str(exc)[:200])
                continue
            except RecursionError:
                problems.add(where, "nests deeper than %d levels" % MAX_DEPTH)
                continue
        if too_deep(content):
            problems.add(where, "nests deeper than %d levels" % MAX_DEPTH)
            continue
        if not isinstance(content, dict):
            problems.add(where, "must be a JSON object (a Grafana dashboard), got %s" % describe(content))
            continue
        try:
            text = json.dumps(content, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            problems.add(where, "holds a value JSON cannot represent: %s" % exc)
            continue
        uid = content.get("uid")
        if uid is not None and not (isinstance(uid, str) and GRAFANA_UID_RE.match(uid)):
            problems.add(join_path(where, "uid"), "must be a Grafana UID (at most 40 letters, digits, '-', '_'), got %s" % describe(uid))
            continue
        if not isinstance(content.get("title"), str) or not content["title"].strip():
            problems.add(join_path(where, "title"), "is required: Grafana does not load a dashboard without a title")
            continue
        if "panels" in content and not isinstance(content["panels"], list):
            problems.add(join_path(where, "panels"), "must be a list")
            continue
        if name:
            dashboards.append(CustomDashboard(name, text, uid or "", path))
    no_duplicate_names(items, "dashboard", problems)
    return tuple(sorted(dashboards, key=lambda d: d.name))


def unique_dashboard_uids(teams: Sequence[Team], problems: Problems) -> None:
    """Grafana keys dashboards by UID across every folder: two teams' dashboards must not share one."""
    seen = {}
    for team in teams:
        for dashboard in team.dashboards:
            if not dashboard.uid:
                continue
            if dashboard.uid in seen:
                problems.add(join_path(join_path(dashboard.path, "json"), "uid"), "%r is also the uid of %s" % (dashboard.uid, seen[dashboard.uid]))
            else:
                seen[dashboard.uid] = dashboard.path
