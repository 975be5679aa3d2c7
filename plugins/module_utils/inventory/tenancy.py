# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which team owns which namespace, who may use it, and what a team's monitors may read."""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Team


def namespace_owners(teams: Sequence[Team], problems: Optional[Problems] = None) -> Dict[str, Team]:
    """The owner of every team namespace; guests (other teams there) must be listed in its shares_namespace_with.

    The owner is the team that manages the namespace (manage_namespace, the default), else the one team there that no
    other team there lists. A team may use another's namespace only when that owner lets it.
    """
    problems = problems if problems is not None else Problems()
    by_namespace: Dict[str, List[Team]] = {}
    for team in teams:
        by_namespace.setdefault(team.namespace, []).append(team)
    owners = {}
    for namespace, members in sorted(by_namespace.items()):
        managers = [t for t in members if t.manage_namespace]
        for extra in managers[1:]:
            problems.add(join_path(extra.path, "manage_namespace"), "namespace %r is already managed by team %r (%s); only its owner "
                         "manages it: set manage_namespace: false and ask %r to list %r in shares_namespace_with" % (
                             namespace, managers[0].name, managers[0].path, managers[0].name, extra.name))
        if managers:
            owner = managers[0]
        else:
            listed = {n for t in members for n in t.shares_namespace_with}
            unlisted = [t for t in members if t.name not in listed]
            owner = unlisted[0] if len(unlisted) == 1 else None
            if owner is None and len(members) > 1:
                first = members[0]
                for team in members[1:]:
                    problems.add(join_path(team.path, "namespace"), "%r is also the namespace of team %r (%s), and neither owns it: the owner "
                                 "keeps manage_namespace: true or lists the other teams in shares_namespace_with" % (
                                     namespace, first.name, first.path))
                continue
        owners[namespace] = owner
        for team in members:
            if team is not owner and team.name not in owner.shares_namespace_with:
                problems.add(join_path(team.path, "namespace"), "%r belongs to team %r (%s), which does not share it with %r: the owner "
                             "lists the teams that may use its namespace in shares_namespace_with" % (namespace, owner.name, owner.path, team.name))
    return owners


def may_use(team: Team, namespace: str, owners: Mapping[str, Team]) -> bool:
    """Whether `team` may read or scrape `namespace`: its own, or one whose owner shares it with the team."""
    owner = owners.get(namespace)
    return namespace == team.namespace or (owner is not None and team.name in owner.shares_namespace_with)


def monitored_namespaces(teams: Sequence[Team], owners: Mapping[str, Team], problems: Problems) -> None:
    for team in teams:
        for service in team.services:
            for namespace in service.monitor.namespaces if service.monitor else ():
                if not may_use(team, namespace, owners):
                    owner = owners.get(namespace)
                    why = ("belongs to team %r (%s), which does not list %r in shares_namespace_with" % (owner.name, owner.path, team.name)
                           if owner else "is the namespace of no team")
                    problems.add(join_path(join_path(service.path, "monitor"), "namespaces"),
                                 "%r %s: a monitor scrapes only namespaces its team owns or is shared" % (namespace, why))
