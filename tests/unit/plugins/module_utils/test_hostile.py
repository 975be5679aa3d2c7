# -*- coding: utf-8 -*-
"""Hostile input, one table per class, through the whole plan (role defaults, Ansible's templar, the core).

Each case must fail the plan with a problem at the named inventory path (and a message saying why), never crash,
and never echo a secret. Classes: types and shapes, Kubernetes names, PromQL and label injection, Alertmanager fields,
bounds (durations, numbers, regexes, nesting), cross-team effects (namespaces, series, routing, names), and secrets
pasted where they would be rendered.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.pipeline import prune
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.plan import PlanError, build_plan
from ansible_collections.vigil.observability.tests.support.plan import build, problems, resolve

SLACK = "https://hooks.slack.com/services/T000/B000/hostile-slack-secret-9f3a"
PAGER = "hostile-pagerduty-routing-key-77c1"


def team(name, **extra):
    out = {"name": name, "services": [{"name": "api", "monitor": {}}]}
    out.update(extra)
    return out


def with_slo(**slo):
    base = {"name": "availability", "objective": 99.9, "errors": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"}
    base.update(slo)
    return base


def teams(*items):
    return {"observability_teams": list(items)}


def service_with(**fields):
    svc = {"name": "api", "monitor": {}}
    svc.update(fields)
    return teams(team("shop", services=[svc]))


def monitor_with(**monitor):
    return teams(team("shop", services=[{"name": "api", "monitor": monitor}]))


def receivers(**entries):
    return teams(team("shop", alerting={"receivers": entries}))


def nested(depth):
    value = {}
    for _level in range(depth):
        value = {"a": value}
    return value


T = "observability_teams[0]"
SVC = T + ".services[0]"


# (id, variables, path, message fragment)
CASES = [
    # Types and shapes.
    ("teams-not-a-list", {"observability_teams": {"name": "shop"}}, "observability_teams", "must be a list"),
    ("team-a-string", {"observability_teams": ["shop"]}, T, "must be a mapping"),
    ("services-a-mapping", teams(team("shop", services={"name": "api"})), T + ".services", "must be a list"),
    ("objective-a-word", service_with(slos=[with_slo(objective="high")]), SVC + ".slos[0].objective", "must be a number"),
    ("boolean-as-text", teams(team("shop", manage_namespace="yes")), T + ".manage_namespace", "must be true or false"),
    ("unknown-key-hint", teams(team("shop", rbac={"group": ["x"]})), T + ".rbac.group", "known keys: groups, users"),
    # Kubernetes names.
    ("namespace-upper", teams(team("shop", namespace="Shop")), T + ".namespace", "valid Kubernetes name"),
    ("namespace-too-long", teams(team("shop", namespace="a" * 64)), T + ".namespace", "at most 63"),
    ("team-name-newline", teams(team("shop\n")), T + ".name", "valid Kubernetes name"),
    ("kube-system", teams(team("shop", namespace="kube-system")), T + ".namespace", "Kubernetes system namespace"),
    ("kube-public", teams(team("kube-public")), T + ".namespace", "Kubernetes system namespace"),
    ("default", teams(team("default")), T + ".namespace", "Kubernetes' default namespace"),
    ("platform-namespace", teams(team("monitoring")), T + ".namespace", "the platform namespace"),
    ("release-namespace", dict(teams(team("shop", namespace="tracing")), tempo_namespace="tracing"), T + ".namespace",
     "the namespace of release tempo (tempo_namespace)"),
    # PromQL and label injection.
    ("selector-closes-brace", service_with(slos=[with_slo(total='http_requests_total{job="a"}) or vector(1) or up{x="')]),
     SVC + ".slos[0].total", "is not a PromQL selector"),
    ("label-name-injection", teams(team("shop", labels={'a"}': "x"})), T + '.labels.a"}', "not a valid Prometheus label name"),
    ("label-overrides-team", teams(team("shop", labels={"team": "other"})), T + ".labels.team", "set by the platform"),
    ("selector-other-namespace", service_with(slos=[with_slo(total='http_requests_total{namespace="victim"}')]),
     SVC + ".slos[0].total", "must not match on namespace"),
    ("selector-namespace-regex", service_with(metrics={"selector": '{namespace=~".+", job="api"}'}), SVC + ".metrics.selector",
     "must not match on namespace"),
    ("latency-selector-other-namespace",
     service_with(slos=[{"name": "fast", "objective": 99, "latency": {"histogram": "h", "threshold": 1, "selector": '{namespace!="shop"}'}}]),
     SVC + ".slos[0].latency.selector", "must not match on namespace"),
    ("relabel-namespace", monitor_with(relabelings=[{"target_label": "namespace", "replacement": "victim"}]),
     SVC + ".monitor.relabelings[0].target_label", "may not write it"),
    ("relabel-team", monitor_with(relabelings=[{"target_label": "team", "replacement": "victim"}]),
     SVC + ".monitor.relabelings[0].target_label", "may not write it"),
    ("relabel-service", monitor_with(relabelings=[{"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "service"}]),
     SVC + ".monitor.relabelings[0].target_label", "may not write it"),
    ("relabel-severity", monitor_with(relabelings=[{"target_label": "severity", "replacement": "critical"}]),
     SVC + ".monitor.relabelings[0].target_label", "may not write it"),
    ("relabel-job", monitor_with(relabelings=[{"target_label": "job", "replacement": "x"}]),
     SVC + ".monitor.relabelings[0].target_label", "job is set"),
    ("labelmap-to-team", monitor_with(relabelings=[{"action": "labelmap", "regex": "__meta_kubernetes_pod_label_owner", "replacement": "team"}]),
     SVC + ".monitor.relabelings[0].replacement", "may not write it"),
    ("monitor-other-namespace", monitor_with(namespaces=["victim"]), SVC + ".monitor.namespaces", "is the namespace of no team"),
    # Alertmanager fields.
    ("receiver-kind-unknown", receivers(sms={"number": "1"}), T + ".alerting.receivers.sms", "unknown receiver kind"),
    ("matcher-injection", teams(team("shop", alerting={"receivers": {"slack": {"api_url": SLACK}},
                                                       "routes": [{"receiver": "slack", "matchers": ['severity="x"}, team="other']}]})),
     T + ".alerting.routes[0].matchers[0]", "is not a matcher"),
    ("route-on-team", teams(team("shop", alerting={"receivers": {"slack": {"api_url": SLACK}},
                                                   "routes": [{"receiver": "slack", "matchers": ['team="other"']}]})),
     T + ".alerting.routes[0].matchers[0]", "must not match on team"),
    ("repeat-300y", teams(team("shop", alerting={"receivers": {"slack": {"api_url": SLACK}}, "repeat_interval": "300y"})),
     T + ".alerting.repeat_interval", "at most 292y"),
    ("max-alerts-huge", receivers(webhook={"url": "https://example.com/hook", "max_alerts": 10 ** 30}),
     T + ".alerting.receivers.webhook.max_alerts", "must be at most 2147483647"),
    ("max-alerts-negative", receivers(webhook={"url": "https://example.com/hook", "max_alerts": -1}),
     T + ".alerting.receivers.webhook.max_alerts", "must be at least 0"),
    # Bounds.
    ("period-300y", service_with(slos=[with_slo(period="300y")]), SVC + ".slos[0].period", "at most 292y"),
    ("duration-digits", monitor_with(interval="9" * 100 + "s"), SVC + ".monitor.interval", "Prometheus duration"),
    ("threshold-1e400", service_with(golden_signals={"latency": {"threshold": "1e400"}}), SVC + ".golden_signals.latency.threshold",
     "out of the range of a 64-bit float"),
    ("threshold-1e-400", service_with(golden_signals={"latency": {"threshold": "1e-400"}}), SVC + ".golden_signals.latency.threshold",
     "64-bit float"),
    ("threshold-exponent-bomb", service_with(golden_signals={"saturation": {"threshold": "1e999999999"}}),
     SVC + ".golden_signals.saturation.threshold", "out of the range of a 64-bit float"),
    ("threshold-huge-int", service_with(golden_signals={"saturation": {"threshold": 10 ** 400}}),
     SVC + ".golden_signals.saturation.threshold", "out of the range of a 64-bit float"),
    ("min-events-huge", service_with(slos=[with_slo(min_events=2 ** 40)]), SVC + ".slos[0].min_events", "must be at most"),
    ("modulus-huge", monitor_with(relabelings=[{"action": "hashmod", "source_labels": ["a"], "target_label": "b", "modulus": 2 ** 64}]),
     SVC + ".monitor.relabelings[0].modulus", "must be at most"),
    ("regex-repeat-1001", service_with(metrics={"error_pattern": "x{1001}"}), SVC + ".metrics.error_pattern", "RE2 allows at most 1000"),
    ("regex-nested-repeats", monitor_with(drop_metrics=["(a{10}){101}"]), SVC + ".monitor.drop_metrics[0]", "inside other repeats"),
    ("regex-in-selector", service_with(slos=[with_slo(total='http_requests_total{path=~"x{2000}"}')]), SVC + ".slos[0].total",
     "RE2 allows at most 1000"),
    ("dashboard-json-deep-text", teams(team("shop", dashboards=[{"name": "deep", "json": "[" * 3000 + "]" * 3000}])),
     T + ".dashboards[0].json", "nests deeper than"),
    ("dashboard-deep-mapping", teams(team("shop", dashboards=[{"name": "deep", "json": dict(nested(150), title="x")}])),
     T + ".dashboards[0].json", "nests deeper than"),
    ("helm-timeout-huge", {"loki_helm_timeout": "99999999999h"}, "loki_helm_timeout", "at most 2562047h"),
    # Cross-team effects.
    ("namespace-taken", teams(team("a", namespace="shared"), team("b", namespace="shared", manage_namespace=False)),
     "observability_teams[1].namespace", "belongs to team 'a' (observability_teams[0]), which does not share it with 'b'"),
    ("namespace-both-manage", teams(team("a", namespace="shared", shares_namespace_with=["b"]), team("b", namespace="shared")),
     "observability_teams[1].manage_namespace", "already managed by team 'a' (observability_teams[0])"),
    ("namespace-nobody-owns", teams(team("a", namespace="shared", manage_namespace=False), team("b", namespace="shared", manage_namespace=False)),
     "observability_teams[1].namespace", "neither owns it"),
    ("monitor-unshared-namespace", teams(team("a"), team("b", services=[{"name": "api", "monitor": {"namespaces": ["a"]}}])),
     "observability_teams[1].services[0].monitor.namespaces", "belongs to team 'a' (observability_teams[0]), which does not list 'b'"),
    ("dashboard-uid-taken", teams(team("a", dashboards=[{"name": "d", "json": {"title": "t", "uid": "same"}}]),
                                  team("b", dashboards=[{"name": "d", "json": {"title": "t", "uid": "same"}}])),
     "observability_teams[1].dashboards[0].json.uid", "'same' is also the uid of observability_teams[0].dashboards[0]"),
    ("object-name-collision", teams(team("ha", namespace="x", shares_namespace_with=["ha-x"], services=[{"name": "x-api", "monitor": {}}]),
                                    team("ha-x", namespace="x", manage_namespace=False, services=[{"name": "api", "monitor": {}}])),
     "observability_teams[1]", "ServiceMonitor x/ha-x-api, which observability_teams[0] also generates"),
    ("receiver-name-collision", teams(team("a", alerting={"receivers": {"b-slack": {"kind": "slack", "api_url": SLACK}}}),
                                      team("a-b", alerting={"receivers": {"slack": {"api_url": SLACK + "2"}}})),
     "observability_teams[1].alerting.receivers.slack", "its receiver name 'a-b-slack' is also observability_teams[0]"),
    # Secrets pasted into fields that are rendered in clear.
    ("slack-url-in-description", dict(service_with(slos=[with_slo(description="page us at " + SLACK)])),
     SVC + ".slos[0].description", "a Slack webhook URL"),
    ("receiver-secret-elsewhere", teams(team("shop", alerting={"receivers": {"pagerduty": {"routing_key": PAGER}, "slack": {"api_url": SLACK}}},
                                             services=[{"name": "api", "runbook_url": "https://wiki/run?x=" + PAGER}])),
     T + ".services[0].runbook_url", "the value of the secret observability_teams[0].alerting.receivers.pagerduty.routing_key"),
    ("other-teams-secret", teams(team("a", alerting={"receivers": {"pagerduty": {"routing_key": PAGER}, "slack": {"api_url": SLACK}}}),
                                 team("b", labels={"owner": PAGER})),
     "observability_teams[1].labels.owner", "the value of the secret observability_teams[0].alerting.receivers.pagerduty.routing_key"),
    ("url-password", {"alloy_loki_push_url": "http://admin:hunter2hunter2@loki:3100/loki/api/v1/push"}, "alloy_loki_push_url",
     "a URL with a password"),
    ("url-token-query", service_with(runbook_url="https://runbooks.example.com/api?token=abcdef123456"), SVC + ".runbook_url",
     "a credential in its query"),
    ("token-in-values", {"kube_prometheus_stack_values": {"grafana": {"env": {"GH": "ghp_" + "a" * 36}}}},
     "kube_prometheus_stack_values.grafana.env.GH", "a GitHub token"),
]


@pytest.mark.parametrize("variables, path, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_input_fails_the_plan_at_its_path(variables, path, message):
    found = problems(variables)
    at_path = [p for p in found if p.startswith(path + ": ")]
    assert at_path, "no problem at %s; got %s" % (path, found)
    assert any(message in p for p in at_path), at_path
    for secret in (SLACK, PAGER, "hunter2hunter2", "abcdef123456", "ghp_" + "a" * 36):
        assert not any(secret in p for p in found), "a problem echoes a secret"


def test_every_problem_of_a_hostile_inventory_is_reported_at_once():
    # One inventory with a problem in each class: every one is reported, in one run.
    variables = teams(
        team("a", namespace="kube-system"),
        team("b", services=[{"name": "api", "monitor": {"relabelings": [{"target_label": "namespace", "replacement": "a"}]}}]),
        team("c", alerting={"receivers": {"slack": {"api_url": SLACK}}, "repeat_interval": "300y"}),
        team("d", services=[{"name": "api", "metrics": {"error_pattern": "x{1001}"}}]),
        team("e", services=[{"name": "api", "runbook_url": SLACK}]),
        team("f", dashboards=[{"name": "deep", "json": "[" * 3000 + "]" * 3000}]),
    )
    variables["loki_helm_timeout"] = "99999999999h"
    found = {p.split(": ")[0] for p in problems(variables)}
    assert found >= {"observability_teams[0].namespace", "observability_teams[1].services[0].monitor.relabelings[0].target_label",
                     "observability_teams[2].alerting.repeat_interval", "observability_teams[3].services[0].metrics.error_pattern",
                     "observability_teams[4].services[0].runbook_url", "observability_teams[5].dashboards[0].json", "loki_helm_timeout"}


def test_a_variable_nested_too_deep_is_a_problem_not_a_crash():
    defaults = resolve({})[1]
    # Ansible's templar refuses such a variable first (a problem at its name); the core refuses it too when called alone.
    with pytest.raises(PlanError) as err:
        build_plan({"kube_prometheus_stack_values": nested(250), "observability_teams": [team("shop")]}, defaults, "c1", ["c1"])
    assert "kube_prometheus_stack_values: nests lists and mappings deeper than 200 levels" in err.value.problems
    with pytest.raises(PlanError) as err:
        build_plan({"observability_teams": [team("shop", labels=nested(5000))]}, defaults, "c1", ["c1"])
    assert "observability_teams: nests lists and mappings deeper than 200 levels" in err.value.problems


def test_shared_namespace_with_the_owners_consent_builds_and_each_team_gets_its_role():
    plan = build(teams(team("a", namespace="shared", shares_namespace_with=["b", "c"]),
                       team("b", namespace="shared", manage_namespace=False, services=[{"name": "web", "monitor": {}}]),
                       team("c", services=[{"name": "api", "monitor": {"namespaces": ["shared"]}}],)))
    objects = [o for s in plan["scopes"].values() for o in s["objects"]]
    roles = sorted(o["metadata"]["name"] for o in objects if o["kind"] == "Role" and o["metadata"]["namespace"] == "shared")
    assert roles == ["vigil-observability-a", "vigil-observability-b"]
    assert sorted(o["metadata"]["name"] for o in objects if o["kind"] == "Namespace") == ["c", "shared"]


def test_a_monitor_may_scrape_a_namespace_its_owner_shares():
    plan = build(teams(team("a", shares_namespace_with=["b"]), team("b", services=[{"name": "api", "monitor": {"namespaces": ["a"]}}])))
    monitors = [o for s in plan["scopes"].values() for o in s["objects"] if o["kind"] == "ServiceMonitor" and o["metadata"]["namespace"] == "b"]
    assert monitors[0]["spec"]["namespaceSelector"] == {"matchNames": ["a"]}


def test_the_operator_enforces_the_namespace_label_except_on_the_platform():
    plan = build(dict(teams(team("shop")), loki_namespace="logs"))
    spec = plan["releases"]["kube_prometheus_stack"]["values"]["prometheus"]["prometheusSpec"]
    assert spec["enforcedNamespaceLabel"] == "namespace"
    exempt = {(e["namespace"], e["resource"]) for e in spec["excludedFromEnforcement"]}
    for namespace in ("monitoring", "logs"):
        for resource in ("servicemonitors", "podmonitors", "probes", "prometheusrules", "scrapeconfigs"):
            assert (namespace, resource) in exempt
    assert not any(ns == "shop" for ns, _r in exempt)
    am = plan["releases"]["kube_prometheus_stack"]["values"]["alertmanager"]["alertmanagerSpec"]
    assert am["alertmanagerConfigMatcherStrategy"] == {"type": "OnNamespace"}


def test_every_team_selector_is_confined_to_its_namespace():
    plan = build(teams(team("shop", services=[{
        "name": "api", "monitor": {}, "metrics": {"selector": '{app="api"}'},
        "slos": [with_slo(), {"name": "fast", "objective": 99, "latency": {"histogram": "h", "threshold": 1, "selector": '{job="api"}'}}]}])))
    rules = [r for o in plan["scopes"]["team/shop"]["objects"] if o["kind"] == "PrometheusRule"
             for g in o["spec"]["groups"] for r in g["rules"]]
    # Every raw-series selector (not the recorded vigil: series, which carry the identity labels) names the namespace.
    raw = re.compile(r'\b(http_requests_total|h_count|h_bucket|http_request_duration_seconds_bucket|http_request_queue_depth)\{([^}]*)\}')
    seen = 0
    for rule in rules:
        for _metric, matchers in raw.findall(rule["expr"]):
            seen += 1
            assert 'namespace="shop"' in matchers, rule["expr"]
    assert seen > 5


def test_the_global_route_of_a_team_matches_its_namespace_too():
    plan = build(teams(team("shop", namespace="shop-ns", alerting={"receivers": {"slack": {"api_url": SLACK}}})))
    routes = plan["alertmanager"]["config"]["route"]["routes"]
    [route] = [r for r in routes if 'team="shop"' in r.get("matchers", [])]
    assert 'namespace="shop-ns"' in route["matchers"]


def test_alertmanager_templated_fields_are_literal():
    plan = build(dict(teams(team("shop", alerting={"receivers": {
        "slack": {"api_url": SLACK, "channel": '#ops {{ template "slack.default.title" . }}'},
        "email": {"to": "ops+{{.Status}}@example.com", "from": "am+{{ .Receiver }}@example.com", "smarthost": "mail:25"}}})),
        observability_alertmanager={"smtp": {"from": "{{ .CommonLabels }}@example.com", "smarthost": "mail:25"}}))
    config = plan["alertmanager"]["config"]
    [slack] = [r["slack_configs"][0] for r in config["receivers"] if r["name"] == "shop-slack"]
    assert slack["channel"] == '#ops {{ "{{" }} template "slack.default.title" . }}'
    [email] = [r["email_configs"][0] for r in config["receivers"] if r["name"] == "shop-email"]
    assert email["to"] == 'ops+{{ "{{" }}.Status}}@example.com' and email["from"] == 'am+{{ "{{" }} .Receiver }}@example.com'
    assert config["global"]["smtp_from"] == '{{ "{{" }} .CommonLabels }}@example.com'


def test_namespaces_are_marked_as_created_only_when_the_collection_creates_them():
    plan = build(teams(team("shop")))
    [ns] = [o for o in plan["scopes"]["team/shop"]["objects"] if o["kind"] == "Namespace"]
    mark = "vigil.observability/created-for-team"
    assert ns["metadata"]["annotations"][mark] == "shop"
    fresh = prune.claim_namespaces([ns], [{"metadata": {"name": "other"}}])
    assert fresh[0]["metadata"]["annotations"][mark] == "shop"
    existing = prune.claim_namespaces([ns], [{"metadata": {"name": "shop"}}])
    assert mark not in existing[0]["metadata"]["annotations"]
    assert ns["metadata"]["annotations"][mark] == "shop"  # the plan's object is not changed
    ours = prune.claim_namespaces([ns], [{"metadata": {"name": "shop", "annotations": {mark: "shop"}}}])
    assert ours[0]["metadata"]["annotations"][mark] == "shop"


def test_three_hundred_teams_with_hostile_neighbours_fail_together_and_quickly():
    items = [team("t%03d" % i, services=[{"name": "api", "monitor": {}, "slos": [with_slo()]}]) for i in range(300)]
    items[7]["namespace"] = "kube-system"
    items[150]["services"][0]["monitor"]["relabelings"] = [{"target_label": "team", "replacement": "t000"}]
    items[299]["services"][0]["slos"][0]["description"] = SLACK
    started = time.monotonic()
    found = problems(teams(*items))
    assert time.monotonic() - started < 60
    assert sorted(p.split(": ")[0] for p in found) == sorted([
        "observability_teams[7].namespace", "observability_teams[150].services[0].monitor.relabelings[0].target_label",
        "observability_teams[299].services[0].slos[0].description"])
    plan = build(teams(*[team("t%03d" % i) for i in range(300)]))
    assert len(plan["teams"]["built"]) == 300


def test_problems_never_hold_deep_or_huge_values():
    found = problems(teams(team("shop", labels={"x": nested(50)}, rbac={"users": [10 ** 5000]})))
    assert all(len(p) < 600 for p in found), [len(p) for p in found]
    assert json.dumps(found)
