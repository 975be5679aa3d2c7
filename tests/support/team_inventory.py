# -*- coding: utf-8 -*-
"""The teams' part of a real plan (through tests.support.team_plan) for sample inputs: an inventory of four teams over
two clusters, with SLOs of both kinds, own tiers, labels and a team list, and the objects of one team `payments`."""

from __future__ import annotations

from ansible_collections.vigil.observability.tests.support import team_plan as build


def ratio_slo(name="availability", **changes):
    slo = {"name": name, "objective": 99.9, "errors": 'http_requests_total{job="api",code=~"5.."}', "total": 'http_requests_total{job="api"}'}
    slo.update(changes)
    return slo


def inventory():
    team_vars = {
        "observability_team_payments": {
            "namespace": "payments",
            "labels": {"cost_center": "cc-42", "tier": "1"},
            "clusters": ["prod", "staging"],
            "services": [
                {"name": "payment-service", "runbook_url": "https://r/p", "slos": [
                    ratio_slo(),
                    ratio_slo("errors-fast", tiers=[
                        {"action": "page", "budget_percent": 2, "long_window": "1h", "short_window": "5m"},
                        {"action": "page", "budget_percent": 5, "long_window": "6h", "short_window": "30m"},
                        {"action": "ticket", "budget_percent": 10, "long_window": "1d", "short_window": "2h"},
                    ]),
                    {"name": "latency", "objective": 99,
                     "latency": {"histogram": "http_request_duration_seconds", "threshold": 0.5, "selector": '{job="payment-service"}'}},
                ]},
                {"name": "ledger", "slos": [ratio_slo(min_events=10, no_data=True)]},
            ],
        },
        "observability_team_checkout": {"clusters": ["prod"], "services": [{"name": "cart", "slos": [ratio_slo(period="28d")]}]},
    }
    team_list = [{"name": "search", "services": [{"name": "query", "slos": [ratio_slo(objective="99.5")]}]},
                 {"name": "idle"}]
    return team_vars, team_list


SETTINGS = {"clusters": ["prod", "staging"], "retention": "35d"}


def team_objects(team, cluster="c1"):
    result = build.build(cluster, {"observability_team_payments": team}, [], {"clusters": [cluster]}, promtool="skip")
    return result["scopes"]["team/payments"]
