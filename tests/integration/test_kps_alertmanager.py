# -*- coding: utf-8 -*-
"""The kube-prometheus-stack values carry exactly the Alertmanager configuration the teams role renders:
after Helm merges the chart's default configuration with the values, what Alertmanager loads is the
rendered alertmanager/alertmanager.yaml, and the receivers' Secret is mounted."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support import plan as plan_helpers

from ansible_collections.vigil.observability.plugins.module_utils.generators import alerting as generators_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge

TEAMS = {
    "observability_team_payments": {
        "alerting": {
            "receivers": {"pagerduty": {"routing_key": "pd-key-payments"}, "slack": {"channel": "#pay", "api_url": "https://hooks.slack.test/x"}},
        },
    },
    "observability_team_search": {"clusters": ["c2"], "alerting": {"receivers": {"webhook": {"url": "https://hooks.test/search"}}}},
}
ALERTMANAGER = {"default_receiver": "platform", "receivers": {"webhook": {"url": "https://hooks.test/platform"}}}


def plan_of(cluster, mode, offboard=()):
    variables = dict(TEAMS, observability_alertmanager=ALERTMANAGER, observability_alertmanager_mode=mode,
                     observability_offboard_teams=list(offboard))
    return plan_helpers.build(variables, cluster=cluster, clusters=["c1", "c2"])


def rendered_config(cluster, mode):
    plan = plan_of(cluster, mode)
    return plan["scopes"]["platform"]["files"]["alertmanager/alertmanager.yaml"], plan


def kps_values(cluster, mode, offboard=()):
    return plan_helpers.values(plan_of(cluster, mode, offboard), "kube_prometheus_stack")


@pytest.fixture(scope="module")
def chart_default_config(reference_dir):
    values = yaml.safe_load((reference_dir / "charts" / "kube-prometheus-stack" / "values.yaml").read_text())
    return values["alertmanager"]["config"]


@pytest.mark.parametrize("cluster", ["c1", "c2"])
@pytest.mark.parametrize("mode", [inventory_alerting.GLOBAL, inventory_alerting.PER_NAMESPACE])
def test_values_carry_the_rendered_configuration_after_helm_merges_chart_defaults(chart_default_config, cluster, mode):
    rendered, result = rendered_config(cluster, mode)
    values = kps_values(cluster, mode)
    effective = deep_merge(chart_default_config, values["alertmanager"]["config"])
    assert effective == rendered
    mounted = values["alertmanager"]["alertmanagerSpec"]["secrets"]
    expected = sorted(ref["name"] for ref in result["secret_refs"] if "mounted_at" in ref)
    assert mounted == expected and mounted, result["secret_refs"]
    if mode == inventory_alerting.PER_NAMESPACE:
        assert values["alertmanager"]["alertmanagerSpec"]["alertmanagerConfigSelector"] == generators_alerting.config_selector()


def test_teams_of_other_clusters_and_offboarded_teams_are_not_routed():
    def team_matchers(values):
        return {m for r in values["alertmanager"]["config"]["route"]["routes"] for m in r.get("matchers", []) if m.startswith("team=")}

    assert team_matchers(kps_values("c1", inventory_alerting.GLOBAL)) == {'team="payments"'}
    assert team_matchers(kps_values("c2", inventory_alerting.GLOBAL)) == {'team="payments"', 'team="search"'}
    assert team_matchers(kps_values("c2", inventory_alerting.GLOBAL, offboard=["payments"])) == {'team="search"'}


def test_no_secret_value_in_the_values():
    text = yaml.safe_dump(kps_values("c2", inventory_alerting.GLOBAL))
    for secret in ("pd-key-payments", "hooks.slack.test", "hooks.test/search", "hooks.test/platform"):
        assert secret not in text
