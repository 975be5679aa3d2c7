# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The team inventory model: parse, default and validate teams, services and SLOs.

Input is plain data as Ansible hands it over (`observability_team_<name>`
variables and the `observability_teams` list); output is frozen dataclasses.
Every problem is reported with the variable path it came from, all at once."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.promql import eq


def slo_identity(team, service, slo):
    """The labels that identify one SLO's series, in a stable order."""
    return (("namespace", team.namespace), ("service", service.name), ("slo", slo.name), ("team", team.name))


def identity_matchers(team, service, slo):
    return tuple(eq(k, v) for k, v in slo_identity(team, service, slo))
