# -*- coding: utf-8 -*-
"""The platform team's own SLOs (observability_platform_slos, observability_platform_slo_specs): rules in the platform
namespace reading the cluster components' series where they are, routed to the platform's receivers; Sloth's
Kubernetes API server example, written here as its users write it, pages in promtool on the series the stack's
apiserver ServiceMonitor scrapes."""

from __future__ import annotations

import re
import subprocess

import yaml

from ansible_collections.vigil.observability.tests.support import plan as plan_helpers

# As Sloth's examples/kubernetes-apiserver.yml writes it (its cluster label is each Prometheus' external label here).
APISERVER = {
    "version": "prometheus/v1", "service": "k8s-apiserver", "labels": {"cluster": "valhalla", "component": "kubernetes"},
    "slos": [{
        "name": "requests-availability", "objective": 99.9,
        "sli": {"events": {"error_query": 'sum(rate(apiserver_request_total{code=~"(5..|429)"}[{{.window}}]))',
                           "total_query": "sum(rate(apiserver_request_total[{{.window}}]))"}},
        "alerting": {"name": "K8sApiserverAvailabilityAlert", "labels": {"category": "availability"},
                     "page_alert": {"labels": {"severity": "critical"}}, "ticket_alert": {"labels": {"severity": "warning"}}}}],
}
# The labels the kube-prometheus-stack's apiserver ServiceMonitor gives the apiserver's series (job apiserver, the
# kubernetes Service in default).
SCRAPED = 'apiserver_request_total{job="apiserver",namespace="default",service="kubernetes",endpoint="https",instance="10.0.0.1:6443",code="%s"}'
ALERTMANAGER = {"default_receiver": "platform", "receivers": {"email": {"to": "platform@example.com"}},
                "smtp": {"smarthost": "smtp.example.com:587", "from": "alertmanager@example.com"}}


def _plan(**variables):
    return plan_helpers.build(dict({"observability_platform_slo_specs": [APISERVER]}, **variables))


def _platform_rules(plan):
    return [o for o in plan["scopes"]["platform"]["objects"] if o["kind"] == "PrometheusRule" and o["metadata"]["name"] == "platform-k8s-apiserver-slos"]


def test_platform_slos_read_the_components_where_they_are_in_the_platform_namespace():
    plan = _plan(observability_platform_slos=[{"name": "coredns", "slos": [
        {"name": "errors", "objective": 99.9, "errors": 'coredns_dns_responses_total{rcode="SERVFAIL"}', "total": "coredns_dns_responses_total"}]}])
    [rules] = _platform_rules(plan)
    assert rules["metadata"]["namespace"] == "monitoring"
    exprs = [r["expr"] for g in rules["spec"]["groups"] for r in g["rules"]]
    # Not scoped to a team namespace: the apiserver's series are in default.
    raw = [m for e in exprs for m in re.findall(r"apiserver_request_total(?:\{[^}]*\})?", e)]
    assert "apiserver_request_total" in raw and not [m for m in raw if "namespace" in m], raw
    names = [o["metadata"]["name"] for o in plan["scopes"]["platform"]["objects"] if o["kind"] == "PrometheusRule"]
    assert "platform-coredns-slos" in names and "platform-coredns-golden-signals" not in names  # golden signals off by default
    assert any(w.startswith("observability_platform_slo_specs[0].labels.cluster: 'valhalla' is left out") for w in plan["warnings"])
    assert not [scope for scope in plan["scopes"] if scope == "team/platform"]


def test_platform_slo_problems_are_named_at_their_variable():
    found = plan_helpers.problems({"observability_platform_slos": [{"name": "api", "slos": [{"name": "x", "objective": 120,
                                                                                             "errors": "a", "total": "b"}]}],
                                   "observability_platform_slo_specs": [dict(APISERVER, service="Not A Name")]})
    assert "observability_platform_slos[0].slos[0].objective: must be between 0 and 100 (exclusive), got 120" in found
    assert any(line.startswith("observability_platform_slo_specs[0].service: must be a service name") for line in found), found


def test_the_apiserver_availability_page_fires_on_the_scraped_series_and_goes_to_the_platform(promtool, tmp_path):
    plan = _plan(observability_alertmanager=ALERTMANAGER)
    [rules] = _platform_rules(plan)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rules["spec"]["groups"]}), encoding="utf-8")
    firing = 'ALERTS{alertname="K8sApiserverAvailabilityAlert",alertstate="firing"}'
    test = {"interval": "30s",
            # 2% of requests fail (20x the 0.1% budget): the page (critical) and the ticket (warning) both fire, as in
            # Sloth, with the platform's team and namespace and the spec's labels.
            "input_series": [{"series": SCRAPED % "500", "values": "0+2x240"}, {"series": SCRAPED % "200", "values": "0+98x240"}],
            "promql_expr_test": [{"eval_time": "60m", "expr": "count by (severity, team, namespace, service, slo, component) (%s)" % firing,
                                  "exp_samples": [{"labels": '{severity="%s",team="platform",namespace="monitoring",service="k8s-apiserver",'
                                                             'slo="requests-availability",component="kubernetes"}' % severity, "value": 1}
                                                  for severity in ("critical", "warning")]}]}
    # 0.05% fail: under the budget, nothing fires.
    quiet = {"interval": "30s",
             "input_series": [{"series": SCRAPED % "500", "values": "0+1x240"}, {"series": SCRAPED % "200", "values": "0+1999x240"}],
             "promql_expr_test": [{"eval_time": "60m", "expr": "absent(%s)" % firing,
                                   "exp_samples": [{"labels": '{alertname="K8sApiserverAvailabilityAlert",alertstate="firing"}', "value": 1}]}]}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "30s", "tests": [test, quiet]}),
                                        encoding="utf-8")
    proc = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "SUCCESS" in proc.stdout, proc.stdout + proc.stderr
    # No team's route takes it: Alertmanager's root sends it to the platform's receiver.
    routes = plan["alertmanager"]["config"]["route"]
    assert routes["receiver"] == "platform"
    assert all('namespace="monitoring"' not in m for r in routes.get("routes", []) for m in r.get("matchers", []))
