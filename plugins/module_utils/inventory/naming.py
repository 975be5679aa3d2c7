# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The team inventory model: parse, default and validate teams, services and SLOs.

Input is plain data as Ansible hands it over (`observability_team_<name>`
variables and the `observability_teams` list); output is frozen dataclasses.
Every problem is reported with the variable path it came from, all at once."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher, eq
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import SLO, Service, Team
from typing import Tuple


def slo_identity(team: Team, service: Service, slo: SLO) -> Tuple[Tuple[str, str], Tuple[str, str], Tuple[str, str], Tuple[str, str]]:
    """The labels that identify one SLO's series, in a stable order."""
    return (("namespace", team.namespace), ("service", service.name), ("slo", slo.name), ("team", team.name))


def identity_matchers(team: Team, service: Service, slo: SLO) -> Tuple[Matcher, Matcher, Matcher, Matcher]:
    return tuple(eq(k, v) for k, v in slo_identity(team, service, slo))
