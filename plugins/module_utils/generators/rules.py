# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules a team writes itself, as rule groups: each rule as written, with the labels every team rule carries (the
team and its namespace, which route it and which the operator enforces; the service of a service's rules; the team's
labels on its alerts, as its generated alerts have them)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.vigil.observability.plugins.module_utils.core.gotemplate import literal as template_literal
from ansible_collections.vigil.observability.plugins.module_utils.inventory.rules import ALERT
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Service, Team, TeamRule

# The component label of the PrometheusRules holding the rules a team wrote itself (the others are generated).
TEAM_RULES_COMPONENT = "rules"


def group_name(team: Team, service: Optional[Service] = None) -> str:
    return "rules/%s/%s" % (team.name, service.name) if service else "rules/%s" % team.name


def rule(team: Team, item: TeamRule, service: Optional[Service] = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {item.kind: item.name, "expr": item.expr}
    if item.for_ is not None:
        out["for"] = str(item.for_)
    if item.keep_firing_for is not None:
        out["keep_firing_for"] = str(item.keep_firing_for)
    labels = {k: template_literal(v) for k, v in team.labels} if item.kind == ALERT else {}
    labels.update(dict(item.labels))
    labels.update({"team": team.name, "namespace": team.namespace})
    if service is not None:
        labels["service"] = service.name
    out["labels"] = dict(sorted(labels.items()))
    if item.annotations:
        out["annotations"] = dict(item.annotations)
    return out


def team_groups(team: Team) -> List[Dict[str, Any]]:
    """The team's own rules, one group for the team's and one per service with rules."""
    return [{"name": group_name(team), "rules": [rule(team, item) for item in team.rules]}] if team.rules else []


def service_groups(team: Team, service: Service) -> List[Dict[str, Any]]:
    return [{"name": group_name(team, service), "rules": [rule(team, item, service) for item in service.rules]}] if service.rules else []
