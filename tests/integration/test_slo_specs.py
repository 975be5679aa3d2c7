# -*- coding: utf-8 -*-
"""SLOs brought from Sloth (prometheus/v1) and OpenSLO (openslo/v1) specs.

The specs here are written from each format's published documentation (Sloth's README and examples, OpenSLO's
README). Each converted SLO must give exactly the rules of the same SLO written natively; what the collection
cannot express is refused with the spec file, the document's path and the reason; a converted SLO fires in a
promtool scenario under its own alert name and labels; site.yml reads spec files from the inventory directory.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, run_playbook


from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher, Selector
from ansible_collections.vigil.observability.plugins.module_utils.inventory import slo_specs

TEAM = "observability_team_shop"
# As Sloth's README and examples/getting-started.yml write it, severities as the collection routes them.
SLOTH = {
    "version": "prometheus/v1",
    "service": "myservice",
    "labels": {"owner": "myteam", "tier": "2"},
    "slos": [
        {"name": "requests-availability", "objective": 99.9,
         "description": "Common SLO based on availability for HTTP request responses.",
         "sli": {"events": {
             "error_query": 'sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))',
             "total_query": 'sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))'}},
         "alerting": {"name": "MyServiceHighErrorRate", "labels": {"category": "availability"},
                      "annotations": {"summary": "High error rate on 'myservice' requests responses"},
                      "page_alert": {"labels": {"severity": "critical", "routing_key": "myteam"}},
                      "ticket_alert": {"labels": {"severity": "warning", "slack_channel": "#alerts-myteam"}}}},
        # examples/kubernetes-apiserver.yml's latency SLO: the count minus one bucket.
        {"name": "requests-latency", "objective": 99,
         "sli": {"events": {
             "error_query": '(\n  sum(rate(apiserver_request_duration_seconds_count{verb!="WATCH"}[{{.window}}]))\n  -\n'
                            '  sum(rate(apiserver_request_duration_seconds_bucket{le="0.4",verb!="WATCH"}[{{.window}}]))\n)\n',
             "total_query": 'sum(rate(apiserver_request_duration_seconds_count{verb!="WATCH"}[{{.window}}]))'}},
         "alerting": {"name": "LatencyAlert", "page_alert": {"disable": True}}},
    ],
}
# A service that only a spec names has no golden-signal alerts (on metrics nobody declared): natively, they are off.
NO_GOLDEN = {"golden_signals": {"error_rate": False, "latency": False, "saturation": False, "traffic_drop": False}}
NATIVE_SLOTH = {"name": "myservice", **NO_GOLDEN, "slos": [
    {"name": "requests-availability", "objective": 99.9, "description": "Common SLO based on availability for HTTP request responses.",
     "errors": 'http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}',
     "total": 'http_request_duration_seconds_count{job="myservice"}',
     "labels": {"owner": "myteam", "tier": "2"},
     "alerting": {
         "page": {"name": "MyServiceHighErrorRate", "labels": {"category": "availability", "routing_key": "myteam"},
                  "annotations": {"summary": "High error rate on 'myservice' requests responses"}},
         "ticket": {"name": "MyServiceHighErrorRate", "labels": {"category": "availability", "slack_channel": "#alerts-myteam"},
                    "annotations": {"summary": "High error rate on 'myservice' requests responses"}}}},
    {"name": "requests-latency", "objective": 99,
     "latency": {"histogram": "apiserver_request_duration_seconds", "threshold": 0.4, "selector": '{verb!="WATCH"}'},
     "labels": {"owner": "myteam", "tier": "2"},
     "alerting": {"page": {"name": "LatencyAlert", "enabled": False}, "ticket": {"name": "LatencyAlert"}}},
]}


def prom(query):
    return {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}


# OpenSLO v1 as its README writes the kinds: a Service, an SLI referred to by name, SLOs with inline indicators.
OPENSLO = [
    {"apiVersion": "openslo/v1", "kind": "Service", "metadata": {"name": "checkout"}, "spec": {"description": "Checkout API"}},
    {"apiVersion": "openslo/v1", "kind": "SLI", "metadata": {"name": "checkout-errors"}, "spec": {"ratioMetric": {
        "counter": True, "bad": prom('http_requests_total{job="checkout",code=~"5.."}'), "total": prom('http_requests_total{job="checkout"}')}}},
    {"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "availability", "labels": {"tier": ["1"]}},
     "spec": {"service": "checkout", "indicatorRef": "checkout-errors", "budgetingMethod": "Occurrences",
              "timeWindow": [{"duration": "28d", "isRolling": True}], "objectives": [{"target": 0.999}]}},
    {"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "success"},
     "spec": {"service": "checkout", "budgetingMethod": "Occurrences", "timeWindow": [{"duration": "4w", "isRolling": True}],
              "indicator": {"metadata": {"name": "checkout-success"}, "spec": {"ratioMetric": {
                  "counter": True, "good": prom('sum(rate(http_requests_total{job="checkout",code!~"5.."}[5m]))'),
                  "total": prom('sum(rate(http_requests_total{job="checkout"}[5m]))')}}},
              "objectives": [{"targetPercent": 99.5}]}},
    {"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "latency"},
     "spec": {"service": "checkout", "budgetingMethod": "Occurrences", "timeWindow": [{"duration": "28d", "isRolling": True}],
              "indicator": {"metadata": {"name": "checkout-latency"}, "spec": {"thresholdMetric": prom(
                  'http_request_duration_seconds_bucket{job="checkout"}')}},
              "objectives": [{"op": "lte", "value": 0.25, "target": 0.99}]}},
]
NATIVE_OPENSLO = {"name": "checkout", **NO_GOLDEN, "slos": [
    {"name": "availability", "objective": "99.9", "period": "28d", "errors": 'http_requests_total{job="checkout",code=~"5.."}',
     "total": 'http_requests_total{job="checkout"}', "labels": {"tier": "1"}},
    {"name": "success", "objective": 99.5, "period": "28d", "errors": 'http_requests_total{job="checkout",code=~"5.."}',
     "total": 'http_requests_total{job="checkout"}'},
    {"name": "latency", "objective": "99", "period": "28d",
     "latency": {"histogram": "http_request_duration_seconds", "threshold": 0.25, "selector": '{job="checkout"}'}},
]}


def inline(documents, name="specs.yaml"):
    return {slo_specs.FILE_KEY: name, slo_specs.DOCUMENTS_KEY: copy.deepcopy(documents)}


def rule_objects(team):
    plan = plan_helpers.build({TEAM: team})
    return sorted((o for s in plan["scopes"].values() for o in s["objects"] if o["kind"] == "PrometheusRule"),
                  key=lambda o: o["metadata"]["name"])


@pytest.mark.parametrize("documents, native", [([SLOTH], NATIVE_SLOTH), (OPENSLO, NATIVE_OPENSLO)], ids=["sloth", "openslo"])
def test_a_spec_gives_exactly_the_rules_of_the_same_slo_written_natively(documents, native):
    imported = rule_objects({"slo_specs": [inline(documents)]})
    written = rule_objects({"services": [native]})
    assert imported == written
    text = yaml.safe_dump(imported)
    assert "_bucket" in text or "code=~" in text


def test_the_sloth_slo_alerts_under_its_own_name_and_labels_and_routing_severity():
    rules = [r for o in rule_objects({"slo_specs": [inline([SLOTH])]}) for g in o["spec"]["groups"] for r in g["rules"] if "alert" in r]
    page = [r for r in rules if r["alert"] == "MyServiceHighErrorRate" and r["labels"]["severity"] == "critical"]
    ticket = [r for r in rules if r["alert"] == "MyServiceHighErrorRate" and r["labels"]["severity"] == "warning"]
    assert len(page) == len(ticket) == 1
    assert page[0]["labels"]["routing_key"] == "myteam" and ticket[0]["labels"]["slack_channel"] == "#alerts-myteam"
    assert page[0]["labels"]["owner"] == "myteam" and page[0]["labels"]["service"] == "myservice"
    latency = [r for r in rules if r["alert"] == "LatencyAlert"]
    assert [r["labels"]["severity"] for r in latency] == ["warning"]  # page_alert.disable


def _problems(documents, name="specs.yaml"):
    return plan_helpers.problems({TEAM: {"slo_specs": [inline(documents, name)]}})


def _sloth_with(**slo_changes):
    spec = copy.deepcopy(SLOTH)
    spec["slos"] = [dict(spec["slos"][0], **slo_changes)]
    return spec


def _openslo_with(**spec_changes):
    docs = copy.deepcopy(OPENSLO[:3])
    docs[2]["spec"].update(spec_changes)
    return docs


WHERE = TEAM + ".slo_specs[0] (specs.yaml"


@pytest.mark.parametrize("documents, expected", [
    ([_sloth_with(sli={"events": {"error_query": 'sum(rate(a{x="1"}[{{.window}}])) by (job)', "total_query": "sum(rate(a[{{.window}}]))"}})],
     WHERE + ").slos[0].sli.events.error_query: is not sum(rate(<selector>[{{.window}}])) of one selector"),
    ([_sloth_with(sli={"events": {"error_query": "sum(rate(a[{{.window}}]))", "total_query": "sum(rate(a[{{.window}}])) + sum(rate(b[{{.window}}]))"}})],
     WHERE + ").slos[0].sli.events.total_query: is not sum(rate(<selector>[{{.window}}]))"),
    ([_sloth_with(sli={"raw": {"error_ratio_query": "1 - avg_over_time(up[{{.window}}])"}})],
     WHERE + ").slos[0].sli.raw.error_ratio_query: is a ratio the collection cannot count as events"),
    ([_sloth_with(sli={"plugin": {"id": "sloth-common/kubernetes/apiserver/availability"}})],
     WHERE + ").slos[0].sli.plugin: SLI plugins run Sloth's Go code"),
    ([_sloth_with(alerting={"name": "A", "page_alert": {"labels": {"team": "search"}}})],
     WHERE + ").slos[0].alerting.page_alert.labels.team: is set by the collection"),
    ([_sloth_with(labels={"tier": True})],
     WHERE + ").slos[0].labels.tier: must be a string, got True; YAML read true as a boolean: quote it ('true')"),
    ([dict(SLOTH, version="sloth.slok.dev/v1")], WHERE + ").version: 'sloth.slok.dev/v1' is not a Sloth version the collection reads"),
    ([{"apiVersion": "pyrra.dev/v1beta9", "kind": "ServiceLevelObjective"}], WHERE + ").apiVersion: 'pyrra.dev/v1beta9' is not a spec format"),
    (_openslo_with(budgetingMethod=None), WHERE + ", document 3).spec.budgetingMethod: is required: Occurrences"),
    (_openslo_with(budgetingMethod="Timeslices"),
     WHERE + ", document 3).spec.budgetingMethod: 'Timeslices' cannot be counted"),
    (_openslo_with(timeWindow=[{"duration": "1M", "isRolling": False, "calendar": {"startTime": "2024-01-01 00:00:00", "timeZone": "UTC"}}]),
     WHERE + ", document 3).spec.timeWindow[0]: calendar windows cannot be expressed"),
    (_openslo_with(alertPolicies=[{"kind": "AlertPolicy", "metadata": {"name": "fast"}, "spec": {
        "conditions": [{"kind": "AlertCondition", "spec": {"severity": "info", "condition": {
            "kind": "burnrate", "threshold": 2, "lookbackWindow": "1h"}}}]}}]),
     WHERE + ", document 3).spec.alertPolicies[0].spec.conditions[0].spec.severity: severity 'info' cannot be routed"),
    (_openslo_with(alertPolicies=[{"kind": "AlertPolicy", "metadata": {"name": "fast"}, "spec": {
        "notificationTargets": [{"targetRef": "pager"}], "conditions": [{"conditionRef": "nope"}]}}]),
     WHERE + ", document 3).spec.alertPolicies[0].spec.notificationTargets: notification targets cannot be expressed"),
    (_openslo_with(alertPolicies=[{"alertPolicyRef": "missing"}]),
     WHERE + ", document 3).spec.alertPolicies[0].alertPolicyRef: names no AlertPolicy of this spec entry ('missing')"),
    (_openslo_with(alertPolicies=[{"kind": "AlertPolicy", "metadata": {"name": "x"}, "spec": {"conditions": [{"kind": "AlertCondition", "spec": {
        "severity": "page", "condition": {"kind": "burnrate", "threshold": 1000, "lookbackWindow": "1d"}}}]}}]),
     WHERE + ", document 3).spec.alertPolicies[0].spec.conditions[0].spec.condition.threshold: burn rate 1000 over 1d spends"),
    (_openslo_with(objectives=[{"target": 0.99}, {"target": 0.999}]),
     WHERE + ", document 3).spec.objectives: must hold exactly one objective"),
    (_openslo_with(indicatorRef="nope"), WHERE + ", document 3).spec.indicatorRef: names no SLI of this spec entry ('nope')"),
    (_openslo_with(timeWindow=[{"duration": "1h", "isRolling": True}]),
     WHERE + ", document 3).spec.timeWindow: is shorter than the page tier's long window"),
])
def test_what_cannot_be_expressed_is_refused_with_the_file_the_path_and_the_reason(documents, expected):
    found = _problems(documents)
    assert any(line.startswith(expected) for line in found), "\n".join(found)


def test_openslo_alert_policies_become_single_window_tiers_with_their_names():
    policies = [
        {"apiVersion": "openslo/v1", "kind": "AlertCondition", "metadata": {"name": "fast"}, "spec": {
            "severity": "page", "condition": {"kind": "burnrate", "op": "gte", "threshold": 14.4, "lookbackWindow": "1h", "alertAfter": "5m"}}},
        {"apiVersion": "openslo/v1", "kind": "AlertPolicy", "metadata": {"name": "checkout-fast-burn"}, "spec": {
            "alertWhenNoData": True, "conditions": [{"conditionRef": "fast"}]}},
    ]
    docs = copy.deepcopy(OPENSLO[:3]) + policies
    docs[2]["spec"]["alertPolicies"] = [{"alertPolicyRef": "checkout-fast-burn"}]
    native = dict(NATIVE_OPENSLO, slos=[dict(NATIVE_OPENSLO["slos"][0], no_data=True, tiers=[
        {"action": "page", "burn_rate": 14.4, "long_window": "1h", "short_window": "1h", "for": "5m"}],
        alerting={"page": {"name": "CheckoutFastBurn"}, "ticket": {"enabled": False}})])
    assert rule_objects({"slo_specs": [inline(docs)]}) == rule_objects({"services": [native]})
    rules = [r for o in rule_objects({"services": [native]}) for g in o["spec"]["groups"] for r in g["rules"] if "alert" in r]
    page = next(r for r in rules if r["alert"] == "CheckoutFastBurn")
    # 14.4x burn of a 99.9% budget, on the one window: ratio over 1h above 0.0144, for 5m.
    assert page["expr"].count("> 0.0144") == 2 and page["for"] == "5m" and "rate1h" in page["expr"] and "rate5m" not in page["expr"]
    assert "SLOErrorBudgetSlowBurn" not in {r["alert"] for r in rules}


def test_openslo_good_events_must_be_one_matcher_more_than_total():
    docs = copy.deepcopy(OPENSLO[3:4])
    docs[0]["spec"]["indicator"]["spec"]["ratioMetric"]["good"] = prom('http_requests_total{job="checkout",code!~"5..",method="GET"}')
    found = _problems(docs)
    assert any("good must be total's selector with one more matcher" in line for line in found), found


def test_converted_slos_go_through_the_same_checks_as_native_ones():
    # A converted SLO that reads another namespace is refused like a native one, at its place in the spec.
    spec = _sloth_with(sli={"events": {"error_query": 'sum(rate(a{namespace="other",c="5"}[{{.window}}]))',
                                       "total_query": 'sum(rate(a{namespace="other"}[{{.window}}]))'}})
    found = _problems([spec])
    assert any(line.startswith(WHERE + ").slos[0].errors: must not match on namespace") for line in found), found


def test_convert_reports_every_problem_of_every_document_at_once():
    problems = Problems()
    docs = [_sloth_with(sli={"plugin": {"id": "x"}}), {"apiVersion": "openslo/v1alpha", "kind": "SLO"}, "not a mapping"]
    slo_specs.convert([("t.slo_specs[0]", inline(docs, "many.yaml"))], problems, plan_helpers.team_settings())
    assert len(problems.items) == 3 and all(p.startswith("t.slo_specs[0] (many.yaml, document ") for p in problems.items), problems.items


# ---------------------------------------------------------------------------------------------
# As a user runs it: spec files in the project, beside the inventory (docs/slo.md's layout), which Ansible does not read
# as inventory


def test_site_yml_reads_spec_files_and_directories_from_the_project(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    playbook = tmp_path / "site.yml"  # the project's own playbook, running the collection's (its playbook_dir is the collection's)
    playbook.write_text("- ansible.builtin.import_playbook: %s\n" % (REPO / "playbooks" / "site.yml"), encoding="utf-8")
    specs = tmp_path / "slo" / "checkout"
    specs.mkdir(parents=True)
    (specs / "sloth.yaml").write_text(yaml.safe_dump(SLOTH, sort_keys=False), encoding="utf-8")
    (specs / "openslo.yml").write_text(yaml.safe_dump_all(OPENSLO, sort_keys=False), encoding="utf-8")
    (specs / "README.md").write_text("not a spec\n", encoding="utf-8")
    team_file = inventory / "group_vars" / "all" / "team_checkout.yml"
    team = yaml.safe_load(team_file.read_text(encoding="utf-8"))
    team["observability_team_checkout"]["slo_specs"] = ["slo/checkout"]  # a directory: its *.yaml and *.yml files
    team_file.write_text(yaml.safe_dump(team, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    proc = run_playbook(playbook, inventory, "-e", "observability_render_dir=%s" % out, merge_stderr=True, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert "not a valid group definition" not in proc.stdout and "Skipping" not in proc.stdout, proc.stdout[-3000:]
    # One PrometheusRule per service: the imported specs' services (myservice, checkout) each get their own.
    groups = []
    for path in sorted((out / "prod-eu" / "manifests" / "checkout").glob("prometheusrule-checkout-*-slos.yaml")):
        groups += yaml.safe_load(path.read_text(encoding="utf-8"))["spec"]["groups"]
    names = {r.get("alert") for g in groups for r in g["rules"]}
    assert {"MyServiceHighErrorRate", "LatencyAlert", "SLOErrorBudgetFastBurn"} <= names
    assert {"slo/checkout/myservice/requests-availability", "slo/checkout/checkout/availability",
            "slo/checkout/checkout/latency"} <= {g["name"] for g in groups}

    # A missing file, a path out of both directories and a refused SLO: every problem at once, nothing written.
    (tmp_path / "slo" / "bad.yaml").write_text(yaml.safe_dump(_sloth_with(sli={"plugin": {"id": "x"}})), encoding="utf-8")
    team["observability_team_checkout"]["slo_specs"] = ["slo/missing.yaml", "../../etc/passwd", "slo/bad.yaml", "/etc/hostname"]
    team_file.write_text(yaml.safe_dump(team, sort_keys=False), encoding="utf-8")
    proc = run_playbook(playbook, inventory, "-e", "observability_render_dir=%s" % (tmp_path / "out2"), check=False, cwd=tmp_path)
    assert proc.returncode != 0
    missing = "observability_team_checkout.slo_specs[0]: slo/missing.yaml: no such file or directory in %s, %s, %s" % (
        inventory.resolve(), REPO / "playbooks", tmp_path.resolve())
    for expected in (missing,
                     "observability_team_checkout.slo_specs[1]: ../../etc/passwd: must be a path inside the inventory, the playbook or the "
                     "project directory",
                     "observability_team_checkout.slo_specs[2] (slo/bad.yaml).slos[0].sli.plugin: SLI plugins run Sloth's Go code",
                     "observability_team_checkout.slo_specs[3]: /etc/hostname: must be a path relative to the inventory, the playbook or "
                     "the project directory"):
        assert expected in proc.stdout, proc.stdout[-4000:]
    assert not (tmp_path / "out2").exists()


# ---------------------------------------------------------------------------------------------
# promtool: a converted SLO fires on time under its own name


@pytest.mark.usefixtures("promtool")
def test_a_converted_sloth_slo_pages_on_time_in_promtool(tmp_path, promtool):
    from ansible_collections.vigil.observability.tests.support import slo_timing as timing  # pylint: disable=import-outside-toplevel
    from ansible_collections.vigil.observability.tests.support.promtool_helpers import run_parallel, write_scenario  # pylint: disable=import-outside-toplevel

    spec = {"version": "prometheus/v1", "service": "api", "slos": [{
        "name": "availability", "objective": 99.9,
        "sli": {"events": {"error_query": 'sum(rate(http_requests_total{job="api",code=~"5.."}[{{.window}}]))',
                           "total_query": 'sum(rate(http_requests_total{job="api"}[{{.window}}]))'}},
        "alerting": {"name": "ApiHighErrorRate", "page_alert": {"labels": {"routing_key": "shop"}}}}]}
    groups = timing.rule_groups(team={"slo_specs": [inline([spec])]})
    traffic, _min_events, _wants = timing.scenarios()["burn20"]
    fire, _resolve = traffic.edges("page", 30)
    labels = dict(timing.LABELS, severity="critical", routing_key="shop")
    test = {"interval": "30s", "input_series": traffic.series(),
            "alert_rule_test": [{"eval_time": "%ds" % (fire + timing.TOLERANCE), "alertname": "ApiHighErrorRate",
                                 "exp_alerts": [{"exp_labels": labels}]}],
            "promql_expr_test": timing.never_firing("ApiHighErrorRate", fire - timing.TOLERANCE - 30)}
    path = write_scenario(str(tmp_path), "sloth-burn20", groups, [test], "30s")
    [(returncode, output)] = run_parallel(promtool, [path]).values()
    assert returncode == 0 and "SUCCESS" in output, output[-4000:]


@pytest.mark.parametrize("selector, expected", [
    ('x_total{code=~"[45]..",path="/a)b[c]"}', Selector("x_total", (Matcher("code", "=~", "[45].."), Matcher("path", "=", "/a)b[c]")))),
    ('x_total{msg="sum(rate(y[5m]))",code!~"2.."}', Selector("x_total", (Matcher("msg", "=", "sum(rate(y[5m]))"), Matcher("code", "!~", "2..")))),
    ('x_total{msg="a\\"}b",code="5"}', Selector("x_total", (Matcher("msg", "=", 'a"}b'), Matcher("code", "=", "5")))),
    # The metric named by __name__ is the metric: the same SLO as x_total{code=~"5.."}.
    ('{__name__="x_total",code=~"5.."}', Selector("x_total", (Matcher("code", "=~", "5.."),))),
])
def test_selectors_with_brackets_and_quotes_in_their_values_convert_exactly(selector, expected):
    total = 'x_total{code!="0"}'
    spec = {"version": "prometheus/v1", "service": "api", "slos": [{"name": "a", "objective": 99, "sli": {"events": {
        "error_query": "sum(rate(%s[{{.window}}]))" % selector, "total_query": "sum(rate(%s[{{.window}}]))" % total}}}]}
    problems = Problems()
    [(service, slo)] = slo_specs.convert([("t.slo_specs[0]", inline([spec]))], problems, plan_helpers.team_settings())
    assert not problems.items
    assert service == "api" and slo.errors == expected and slo.total == Selector("x_total", (Matcher("code", "!=", "0"),))
    assert slo.path == "t.slo_specs[0] (specs.yaml).slos[0]"


def test_a_secret_pasted_into_a_spec_is_refused_and_never_echoed():
    webhook = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
    spec = _sloth_with(alerting={"name": "A", "annotations": {"runbook": webhook}})
    found = _problems([spec])
    assert any("a Slack webhook URL" in line and "slo_specs[0]" in line for line in found), found
    assert not any(webhook in line for line in found)


# ---------------------------------------------------------------------------------------------
# Sloth as its users have it: the Kubernetes form, their own severities, team and cluster labels


def _sloth_as_users_write_it(kubernetes=False):
    slo = {"name": "requests-availability", "objective": 99.9,
           "sli": {"events": {"error_query": 'sum(rate(http_requests_total{job="api",code=~"(5..|429)"}[{{.window}}]))',
                              "total_query": 'sum(rate(http_requests_total{job="api"}[{{.window}}]))'}},
           "alerting": {"name": "ApiHighErrorRate", "labels": {"category": "availability"},
                        "page_alert": {"labels": {"severity": "pageteam", "routing_key": "shop"}},
                        "ticket_alert": {"labels": {"severity": "slack", "slack_channel": "#alerts-shop"}}}}
    body = {"service": "api", "labels": {"owner": "shop", "team": "shop", "cluster": "valhalla"}, "slos": [slo]}
    if not kubernetes:
        return dict(body, version="prometheus/v1")
    events = slo["sli"]["events"]
    alerting = slo["alerting"]
    slo = dict(slo, sli={"events": {"errorQuery": events["error_query"], "totalQuery": events["total_query"]}},
               alerting={"name": alerting["name"], "labels": alerting["labels"], "pageAlert": alerting["page_alert"],
                         "ticketAlert": alerting["ticket_alert"]})
    return {"apiVersion": "sloth.slok.dev/v1", "kind": "PrometheusServiceLevel", "metadata": {"name": "api", "namespace": "monitoring"},
            "spec": dict(body, slos=[slo])}


def test_sloth_specs_import_as_users_have_them_with_their_severities_kept_and_said():
    plan = plan_helpers.build({TEAM: {"slo_specs": [inline([_sloth_as_users_write_it()])]}})
    rules = [r for o in plan["scopes"]["team/shop"]["objects"] if o["kind"] == "PrometheusRule" for g in o["spec"]["groups"]
             for r in g["rules"] if r.get("alert") == "ApiHighErrorRate"]
    by_severity = {r["labels"]["severity"]: r["labels"] for r in rules}
    # The collection routes on severity; the spec's own is kept beside it, and no cluster label is set by the rules.
    assert by_severity["critical"]["sloth_severity"] == "pageteam" and by_severity["critical"]["routing_key"] == "shop"
    assert by_severity["warning"]["sloth_severity"] == "slack" and by_severity["warning"]["slack_channel"] == "#alerts-shop"
    assert all(labels["team"] == "shop" and "cluster" not in labels and labels["owner"] == "shop" for labels in by_severity.values())
    warnings = [w for w in plan["warnings"] if "slo_specs" in w]
    assert any(w.startswith(WHERE + ").slos[0].alerting.page_alert.labels.severity: 'pageteam' is kept as sloth_severity='pageteam'")
               for w in warnings), warnings
    assert any(w.startswith(WHERE + ").labels.cluster: 'valhalla' is left out: cluster is each Prometheus' external label")
               for w in warnings), warnings


def test_the_kubernetes_form_of_a_sloth_spec_is_the_same_slo():
    as_file = rule_objects({"slo_specs": [inline([_sloth_as_users_write_it()])]})
    as_crd = rule_objects({"slo_specs": [inline([_sloth_as_users_write_it(kubernetes=True)])]})
    assert as_file and as_crd == as_file
    crd = _sloth_as_users_write_it(kubernetes=True)
    crd["spec"]["slos"][0]["sli"] = {"events": {"error_query": "sum(rate(a[{{.window}}]))"}}
    crd["spec"]["sloPlugins"] = {"chain": [{"id": "sloth.dev/contrib/denominator_corrected/v1"}]}
    found = _problems([crd])
    for expected in (WHERE + ").spec.sloPlugins: SLO plugins run Sloth's Go code",
                     WHERE + ").spec.slos[0].sli.events: errorQuery and totalQuery must be strings"):
        assert any(line.startswith(expected) for line in found), (expected, found)


def test_every_problem_of_a_spec_file_comes_at_once():
    spec = _sloth_as_users_write_it()
    spec["service"] = "Not A Name"
    spec["slos"][0]["sli"]["events"]["error_query"] = "sum(rate(x[{{.window}}])"
    spec["slos"][0]["alerting"]["page_alert"]["labels"]["team"] = "payments"
    spec["slos"][0]["labels"] = {"tier": 1.5, "on_call": True}
    found = _problems([spec])
    for expected in (").service: must be a service name", ").slos[0].sli.events.error_query: holds",
                     ").slos[0].alerting.page_alert.labels.team: is set by the collection", ").slos[0].labels.on_call: must be a string"):
        assert any(line.startswith(WHERE + expected) for line in found), (expected, found)


# ---------------------------------------------------------------------------------------------
# Pyrra's ServiceLevelObjective


def _pyrra(indicator, **spec):
    return {"apiVersion": "pyrra.dev/v1alpha1", "kind": "ServiceLevelObjective",
            "metadata": {"name": "api-errors", "namespace": "monitoring", "labels": {"prometheus": "k8s", "pyrra.dev/tier": "1"}},
            "spec": dict({"target": "99.5", "window": "4w", "description": "API errors", "indicator": indicator}, **spec)}


PYRRA_RATIO = {"ratio": {"errors": {"metric": 'http_requests_total{job="api",code=~"5.."}'},
                         "total": {"metric": 'http_requests_total{job="api"}'}}}
PYRRA_LATENCY = {"latency": {"success": {"metric": 'http_request_duration_seconds_bucket{job="api",le="0.25"}'},
                             "total": {"metric": 'http_request_duration_seconds_count{job="api"}'}}}


@pytest.mark.parametrize("indicator, native", [
    (PYRRA_RATIO, {"name": "errors", "errors": 'http_requests_total{job="api",code=~"5.."}', "total": 'http_requests_total{job="api"}'}),
    (PYRRA_LATENCY, {"name": "latency", "latency": {"histogram": "http_request_duration_seconds", "threshold": 0.25, "selector": '{job="api"}'}}),
], ids=["ratio", "latency"])
def test_a_pyrra_slo_is_the_same_slo_written_natively(indicator, native):
    # Service: the object's name; period: its window; labels: its pyrra.dev/ labels; absent alerts on, as Pyrra's.
    native = dict(native, objective="99.5", period="28d", description="API errors", labels={"tier": "1"}, no_data=True)
    imported = rule_objects({"slo_specs": [inline([_pyrra(indicator)])]})
    assert imported == rule_objects({"services": [{"name": "api-errors", **NO_GOLDEN, "slos": [native]}]})
    assert "shop-api-errors-slos" in [o["metadata"]["name"] for o in imported]


def test_pyrra_alerting_maps_to_the_actions_and_its_own_severities_are_kept():
    doc = _pyrra(PYRRA_RATIO, alerting={"name": "ApiErrorBudgetBurn", "absent": False, "severities": {"fastBurn": "page", "mediumBurn": "page"}})
    plan = plan_helpers.build({TEAM: {"slo_specs": [inline([doc])]}})
    alerts = {(r["alert"], r["labels"]["severity"]): r["labels"] for o in plan["scopes"]["team/shop"]["objects"] if o["kind"] == "PrometheusRule"
              for g in o["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert alerts[("ApiErrorBudgetBurn", "critical")]["pyrra_severity"] == "page"
    assert "pyrra_severity" not in alerts[("ApiErrorBudgetBurn", "warning")]
    assert not any("NoData" in name or "Missing" in name for name, _severity in alerts)  # absent: false
    disabled = [o for o in rule_objects({"slo_specs": [inline([_pyrra(PYRRA_RATIO, alerting={"disabled": True})])]})
                if o["metadata"]["name"] == "shop-api-errors-slos"]
    assert disabled and not [r for o in disabled for g in o["spec"]["groups"] for r in g["rules"] if "alert" in r]


@pytest.mark.parametrize("doc, expected", [
    (_pyrra({"ratio": dict(PYRRA_RATIO["ratio"], grouping=["handler"])}), ").spec.indicator.ratio.grouping: makes one SLO per value of handler"),
    (_pyrra({"bool_gauge": {"metric": "probe_success"}}), ").spec.indicator.bool_gauge: a boolean gauge's samples are not events"),
    (_pyrra({"latencyNative": {"latency": "0.5", "total": {"metric": "h"}}}), ").spec.indicator.latencyNative: native histograms cannot be counted"),
    (_pyrra({"latency": {"success": {"metric": 'h_bucket{job="a",le="1"}'}, "total": {"metric": 'h_count{job="b"}'}}}),
     ").spec.indicator.latency.total.metric: must be h_count with the success metric's matchers but le"),
    (_pyrra(PYRRA_RATIO, target="101"), ").spec.target: must be between 0 and 100"),
    (_pyrra(PYRRA_RATIO, window="a month"), ").spec.window: "),
    (_pyrra(PYRRA_RATIO, alerting={"severities": {"fastBurn": "page", "mediumBurn": "critical"}}),
     ").spec.alerting.severities: fastBurn and mediumBurn hold critical and page"),
    (dict(_pyrra(PYRRA_RATIO), metadata={"name": "api", "labels": {"pyrra.dev/team": "payments"}}), ").metadata.labels.team: is set by the collection"),
])
def test_what_pyrra_says_that_the_model_cannot_count_is_refused_at_its_field(doc, expected):
    found = _problems([doc])
    assert any(line.startswith(WHERE + expected) for line in found), (expected, found)
