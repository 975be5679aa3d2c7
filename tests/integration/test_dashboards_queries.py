# -*- coding: utf-8 -*-
"""Every query of a generated dashboard parses as PromQL and reads only series that exist: recorded by the
generated rules (with the labels those rules give them) or declared by the service. Rendering twice changes nothing."""

from __future__ import annotations

import json
import re

import promql_parser
import pytest

from ansible_collections.vigil.observability.tests.support import team_plan as build
from ansible_collections.vigil.observability.plugins.module_utils.core import objects
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import render
from ansible_collections.vigil.observability.tests.support.playbook_helpers import example_team_vars

SHOP = {
    "namespace": "shop-ns",
    "services": [
        {"name": "api", "golden_signals": {"saturation": {"threshold": 10}},
         "slos": [{"name": "availability", "objective": 99.9, "errors": 'http_requests_total{job="api",status=~"5.."}',
                   "total": 'http_requests_total{job="api"}', "no_data": True},
                  {"name": "latency", "objective": 99, "period": "7d", "latency": {
                      "histogram": "http_request_duration_seconds", "threshold": 0.5, "selector": '{job="api"}'},
                   "tiers": [{"action": "page", "budget_percent": 5, "long_window": "1h", "short_window": "5m"}]}]},
        {"name": "cart", "metrics": {"selector": '{app="cart"}', "requests": "cart_ops_total", "status_label": "result",
                                     "error_pattern": "error", "queue_depth": "cart_inflight"},
         "golden_signals": {"latency": False}},
        {"name": "batch", "monitor": {"kind": "PodMonitor", "namespaces": ["shop-batch", "shop-jobs"]}},
    ],
}


def inventories():
    # Teams batch and jobs own the namespaces shop's batch monitor scrapes, and share them with shop.
    neighbours = {"observability_team_%s" % n: {"namespace": "shop-%s" % n, "shares_namespace_with": ["shop"],
                                                "services": [{"name": "worker", "monitor": {}}]} for n in ("batch", "jobs")}
    return {"example": example_team_vars(), "shop": dict(neighbours, observability_team_shop=SHOP)}


def build_all(team_vars, settings=None):
    return build.build("prod-eu", team_vars, [], dict({"clusters": ["prod-eu"]}, **(settings or {})), promtool="skip")


def selectors(expr):
    found = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            found.append((node.name, {m.name: (str(m.op).rsplit(".", 1)[-1], m.value) for m in node.matchers.matchers}))

    promql_parser.walk(promql_parser.parse(expr), visit, None)
    return found


def grafana_expr(expr):
    # Grafana replaces $__rate_interval with a duration, and the variables with the picked values (All: .+), before
    # the query reaches Prometheus.
    return expr.replace("$__rate_interval", "2m").replace("$service", ".+").replace("$slo", ".+")


def produced_series(objs, team):
    """What the team's rules produce: {recorded name: [labels of each rule]}, and the label sets of its alerts."""
    records, alerts = {}, []
    for obj in objs:
        if obj["kind"] != "PrometheusRule" or obj["metadata"]["labels"].get(objects.TEAM_LABEL) != team:
            continue
        for group in obj["spec"]["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    records.setdefault(rule["record"], []).append(rule.get("labels", {}))
                else:
                    alerts.append(dict(rule.get("labels", {}), alertname=rule["alert"]))
    return records, alerts


def _equalities(matchers):
    return {k: v for k, (op, v) in matchers.items() if op == "Equal"}


def declared_metrics(service):
    metrics = service.get("metrics", {})
    histogram = metrics.get("duration_histogram", "http_request_duration_seconds")
    return {metrics.get("requests", "http_requests_total"), histogram + "_bucket", metrics.get("queue_depth", "http_request_queue_depth")}


def service_matchers(team_raw, team_name, service):
    """The label matchers of a service's series: its own selector or job, and always the team's namespace (the
    operator labels what a team's monitor scrapes with the monitor's namespace, wherever the targets run)."""
    namespace = {"namespace": ("Equal", team_raw.get("namespace", team_name))}
    selector = service.get("metrics", {}).get("selector")
    if selector:
        return dict({m.name: (str(m.op).rsplit(".", 1)[-1], m.value) for m in promql_parser.parse(selector).matchers.matchers}, **namespace)
    return dict(namespace, job=("Equal", service["name"]))


def prometheus_targets(dashboard):
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            if target["datasource"]["type"] == "prometheus":
                yield panel["title"], target["expr"]


def query_problems(objs, team_vars):
    """(dashboard, panel, query, why) for every query that does not parse or reads a series nothing produces."""
    problems, checked = [], 0
    for var, team_raw in team_vars.items():
        team = team_raw.get("name", var[len("observability_team_"):].replace("_", "-"))
        records, alerts = produced_series(objs, team)
        services = {s["name"]: s for s in team_raw.get("services", [])}
        for obj in objs:
            meta = obj["metadata"]
            if obj["kind"] != "ConfigMap" or meta["labels"].get(objects.TEAM_LABEL) != team or "-custom-" in meta["name"]:
                continue
            (text,) = obj["data"].values()
            red_service = next((s for s in services if meta["name"] == "%s-%s-red-dashboard" % (team, s)), None)
            for title, expr in prometheus_targets(json.loads(text)):
                where = (meta["name"], title, expr)
                try:
                    found = selectors(grafana_expr(expr))
                except (ValueError, TypeError) as exc:
                    problems.append(where + ("does not parse: %s" % exc,))
                    continue
                for name, matchers in found:
                    checked += 1
                    if not name and matchers.get("__name__", ("", ""))[0] == "Re":
                        # A family of recorded series (every window's ratio): at least one recorded name must match.
                        pattern = re.compile(matchers["__name__"][1])
                        names = [n for n in records if pattern.fullmatch(n)]
                        if not names:
                            problems.append(where + ("no recorded series matches %s" % matchers["__name__"][1],))
                        elif not any(all(labels.get(k) == v for k, v in _equalities(matchers).items()) for n in names for labels in records[n]):
                            problems.append(where + ("no recording rule of %s sets these labels" % ", ".join(names),))
                    elif name in records:
                        # A recorded series, selected by labels one of its recording rules sets.
                        if not any(all(labels.get(k) == v for k, v in _equalities(matchers).items()) for labels in records[name]):
                            problems.append(where + ("no recording rule of %s sets these labels" % name,))
                    elif name == "ALERTS":
                        if matchers.get("team") != ("Equal", team) or not any(a["team"] == team for a in alerts):
                            problems.append(where + ("not the team's alerts",))
                    elif red_service is None:
                        problems.append(where + ("%s is neither recorded nor on a service's RED dashboard" % name,))
                    else:
                        service = services[red_service]
                        wanted = service_matchers(team_raw, team, service)
                        if name not in declared_metrics(service):
                            problems.append(where + ("%s is not a metric %s declares" % (name, red_service),))
                        elif {k: matchers.get(k) for k in wanted} != wanted:
                            problems.append(where + ("does not select %s's series" % red_service,))
    return problems, checked


@pytest.mark.parametrize("which", ["example", "shop"])
def test_every_panel_query_parses_and_reads_only_produced_or_declared_series(which):
    team_vars = inventories()[which]
    problems, checked = query_problems(build_all(team_vars)["objects"], team_vars)
    assert problems == []
    assert checked > 20


@pytest.mark.parametrize("old, new", [
    ("vigil:slo_error_ratio:rate.+", "vigil:slo_error_rate:rate.+"),  # a family of series nothing records
    ('namespace=\\"shop-ns\\",service=~', 'namespace=\\"shop-batch\\",service=~'),  # SLOs of another namespace
    ("vigil:slo_objective:ratio", "vigil:slo_objectives:ratio"),  # a series nothing records
    ('job=\\"api\\"', 'job=\\"apo\\"'),  # another service's series
    ("http_request_queue_depth", "http_request_queue_length"),  # an undeclared metric
    ("sum by (le) (rate(", "sum by (le) (rate(("),  # not PromQL
])
def test_the_check_catches_a_query_reading_what_nothing_produces(old, new):
    # Guards the test above: each of these edits to the generated dashboards must be reported.
    team_vars = inventories()["shop"]
    objects = build_all(team_vars)["objects"]
    edited = 0
    for obj in objects:
        if obj["kind"] == "ConfigMap":
            key = next(iter(obj["data"]))
            if old in obj["data"][key]:
                obj["data"][key] = obj["data"][key].replace(old, new)
                edited += 1
    assert edited
    problems, _checked = query_problems(objects, team_vars)
    assert problems


def test_log_and_trace_panels_select_the_service():
    result = build_all(inventories()["shop"])
    for obj in result["objects"]:
        if obj["kind"] != "ConfigMap" or not obj["metadata"]["name"].startswith("shop-") or not obj["metadata"]["name"].endswith("-red-dashboard"):
            continue
        service = obj["metadata"]["name"][len("shop-"):-len("-red-dashboard")]
        (text,) = obj["data"].values()
        panels = json.loads(text)["panels"]
        (logs,) = [t for p in panels for t in p.get("targets", []) if t["datasource"]["type"] == "loki"]
        # A LogQL stream selector has PromQL's selector syntax.
        assert selectors(logs["expr"]) == [(None, {"service_name": ("Equal", service)})]
        (traces,) = [t for p in panels for t in p.get("targets", []) if t["datasource"]["type"] == "tempo"]
        assert 'resource.service.name = "%s"' % service in traces["query"]


def test_rendering_twice_changes_nothing(tmp_path):
    team_vars = dict(example_team_vars(), **inventories()["shop"])
    first, second = build_all(team_vars), build_all(team_vars)
    assert json.dumps(first["objects"], sort_keys=False) == json.dumps(second["objects"], sort_keys=False)
    scoped = {scope: render.object_files(objs) for scope, objs in first["scopes"].items()}
    assert any(p.endswith(".yaml") and "/configmap-" in p for files in scoped.values() for p in files)
    assert render.apply_plan(str(tmp_path), scoped)["changed"]
    again = {scope: render.object_files(objs) for scope, objs in second["scopes"].items()}
    result = render.apply_plan(str(tmp_path), again)
    assert not result["changed"] and result["written"] == [] and result["removed"] == []
