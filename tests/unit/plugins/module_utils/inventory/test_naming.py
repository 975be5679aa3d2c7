# -*- coding: utf-8 -*-
"""inventory/naming: the identity labels of an SLO's series, and the matchers that select them."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.inventory import naming as inventory_naming
from ansible_collections.vigil.observability.tests.support.team_inputs import VAR, parse, team_with


def test_identity_labels():
    teams, _settings = parse({VAR: team_with(namespace="pay-ns")})
    team = teams[0]
    service = team.services[0]
    slo = service.slos[0]
    assert dict(inventory_naming.slo_identity(team, service, slo)) == {"namespace": "pay-ns", "service": "api", "slo": "availability", "team": "payments"}
    assert {(m.name, m.op, m.value) for m in inventory_naming.identity_matchers(team, service, slo)} == {
        ("namespace", "=", "pay-ns"), ("service", "=", "api"), ("slo", "=", "availability"), ("team", "=", "payments")}
