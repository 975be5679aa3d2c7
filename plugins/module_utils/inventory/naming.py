# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names derived from the inventory that several generators share: the labels that identify an SLO's series."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher, eq
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import SLO, Service, Team
from typing import Tuple


def slo_identity(team: Team, service: Service, slo: SLO) -> Tuple[Tuple[str, str], Tuple[str, str], Tuple[str, str], Tuple[str, str]]:
    """The labels that identify one SLO's series, in a stable order."""
    return (("namespace", team.namespace), ("service", service.name), ("slo", slo.name), ("team", team.name))


def identity_matchers(team: Team, service: Service, slo: SLO) -> Tuple[Matcher, Matcher, Matcher, Matcher]:
    return tuple(eq(k, v) for k, v in slo_identity(team, service, slo))
