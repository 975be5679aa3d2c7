# -*- coding: utf-8 -*-
"""The whole chain with real processes on 127.0.0.1: metrics -> rule -> alert -> route -> receiver.

site.yml renders a two-team inventory; Prometheus 2.42 loads the `spec.groups` of every rendered PrometheusRule
and scrapes an exporter per service the way the operator would from the rendered ServiceMonitors; Alertmanager
loads the rendered configuration (webhook `url_file` read from the rendered Secret, as the mounted file would be).
The test service is switched from healthy to failing and back; its team's webhook receivers must get the SLO
fast-burn and the golden-signal error-rate alerts, correctly routed and grouped, then their resolution, and the
other team's receiver nothing. Short tiers and windows (configurable in the inventory) keep it to about a minute
and a half; no window is longer than the test's own history, except the 1h budget period, which no alert reads.
"""

from __future__ import annotations

import time

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.alertmanager_helpers import for_alertmanager_0_25
from ansible_collections.vigil.observability.tests.support.e2e_helpers import (
    Processes, WebhookSink, api, free_port, http, scrape_configs, start_exporter, wait_until)
from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, run_playbook

SITE = REPO / "playbooks" / "site.yml"
CLUSTER = "e2e"
SECRETS_PREFIX = "/etc/alertmanager/secrets"
FAST_BURN, ERROR_RATE = "SLOErrorBudgetFastBurn", "HighErrorRate"
TEAM_GROUP_BY = ["alertname", "service", "slo"]
GOLDEN_FOR_SECONDS = 5
BUDGET = 10  # test deadline in seconds added to each wait below; the sum stays well under 5 minutes
pytestmark = pytest.mark.slow


def slo(service):
    """A ratio SLO with one short page tier: 25% of a 1h budget in 1m is a 15x burn, an error ratio over 0.15."""
    return {
        "name": "availability",
        "objective": 99,
        "period": "1h",
        "errors": 'http_requests_total{job="%s",status=~"5.."}' % service,
        "total": 'http_requests_total{job="%s"}' % service,
        "tiers": [{"action": "page", "budget_percent": 25, "long_window": "1m", "short_window": "15s"}],
    }


# Pod labels of shop's orders pods that a labelmap would copy onto its series: a forged namespace, team and severity.
HOSTILE_POD_LABELS = {"namespace": "ledger", "team": "ledger", "severity": "critical", "service": "ledger", "tier": "web"}


def service(name):
    return {
        "name": name,
        "monitor": {"kind": "ServiceMonitor", "port": "metrics", "interval": "1s"},
        "golden_signals": {
            "error_rate": {"window": "15s", "for": "%ds" % GOLDEN_FOR_SECONDS},
            "latency": {"window": "15s", "for": "%ds" % GOLDEN_FOR_SECONDS},
        },
        "slos": [slo(name)],
    }


def write_inventory(root, sink):
    """Team shop (service orders, SLO alerts to one webhook, the rest to another) and team ledger (one webhook)."""
    (root / "group_vars" / "all").mkdir(parents=True)
    hosts = {"observability_clusters": {"hosts": {CLUSTER: None}, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}
    timings = {"group_wait": "1s", "group_interval": "2s"}
    variables = {
        "observability_mode": "render",
        # The Secret with its values is rendered only so that this test can play the mounted files.
        "observability_render_secret_values": True,
        "kube_prometheus_stack_scrape_interval": "1s",
        "observability_alertmanager": dict(timings, default_receiver="platform",
                                           receivers={"webhook": {"url": sink.url("/platform")}}),
        "observability_team_shop": {
            # A labelmap of every pod label, on a pod labelled to pose as team ledger (HOSTILE_POD_LABELS).
            "services": [dict(service("orders"), monitor=dict(service("orders")["monitor"], relabelings=[
                {"action": "labelmap", "regex": "__meta_kubernetes_pod_label_(.+)"}]))],
            "alerting": dict(timings, group_by=TEAM_GROUP_BY, receivers={
                "slo": {"kind": "webhook", "url": sink.url("/shop/slo")},
                "alerts": {"kind": "webhook", "url": sink.url("/shop/alerts")},
            }, routes=[{"matchers": ['alertname=~"SLOErrorBudget.+"'], "receiver": "slo"}, {"receiver": "alerts"}]),
        },
        "observability_team_ledger": {
            "services": [service("ledger")],
            "alerting": {"receivers": {"webhook": {"url": sink.url("/ledger")}}},
        },
    }
    (root / "hosts.yml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    (root / "group_vars" / "all" / "e2e.yml").write_text(yaml.safe_dump(variables), encoding="utf-8")
    return root


def rendered_objects(out):
    objects = []
    for path in sorted((out / CLUSTER / "manifests").rglob("*.yaml")):
        objects.append(yaml.safe_load(path.read_text(encoding="utf-8")))
    return objects


def prepare_alertmanager(out, objects, work):
    """alertmanager.yaml as Alertmanager 0.25 loads it, secrets written where the rendered file names them."""
    secrets_root = work / "secrets"
    for secret in (o for o in objects if o["kind"] == "Secret"):
        directory = secrets_root / secret["metadata"]["name"]
        directory.mkdir(parents=True)
        for key, value in secret["stringData"].items():
            (directory / key).write_text(value, encoding="utf-8")
    rendered = yaml.safe_load((out / CLUSTER / "alertmanager" / "alertmanager.yaml").read_text(encoding="utf-8"))
    config, changes = for_alertmanager_0_25(rendered, secrets_root=str(secrets_root), rendered_prefix=SECRETS_PREFIX)
    # Only url_file is rewritten (0.25 lacks it); every receiver here is a webhook.
    assert all(c.endswith(".webhook_configs.url_file") for c in changes), changes
    path = work / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path, rendered


def external_labels(out):
    """The external labels the rendered chart values give Prometheus: they are on every alert it sends."""
    values = yaml.safe_load((out / CLUSTER / "helm" / "kube-prometheus-stack.values.yaml").read_text(encoding="utf-8"))
    return values["prometheus"]["prometheusSpec"].get("externalLabels", {})


def prepare_prometheus(objects, work, exporter_ports, alertmanager_port, labels):
    rules_dir = work / "rules"
    rules_dir.mkdir()
    groups = {}
    for rule in (o for o in objects if o["kind"] == "PrometheusRule"):
        meta = rule["metadata"]
        # The operator's rule file is the object's spec.groups, unchanged.
        (rules_dir / ("%s-%s.yaml" % (meta["namespace"], meta["name"]))).write_text(
            yaml.safe_dump({"groups": rule["spec"]["groups"]}), encoding="utf-8")
        for group in rule["spec"]["groups"]:
            groups[group["name"]] = len(group["rules"])
    monitors = [o for o in objects if o["kind"] == "ServiceMonitor"]
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "external_labels": labels},
        "rule_files": [str(rules_dir / "*.yaml")],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["127.0.0.1:%d" % alertmanager_port]}]}]},
        "scrape_configs": scrape_configs(monitors, exporter_ports, {("shop", "shop-orders"): HOSTILE_POD_LABELS}),
    }
    path = work / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path, groups, monitors


def firing(prom, names, team):
    alerts = api("%s/api/v1/alerts" % prom)["data"]["alerts"]
    found = {a["labels"]["alertname"]: a for a in alerts if a["state"] == "firing" and a["labels"].get("team") == team}
    return found if names <= set(found) else None


def team_alerts(prom, team):
    return [a for a in api("%s/api/v1/alerts" % prom)["data"]["alerts"] if a["labels"].get("team") == team]


def notifications(sink, path, alertname, status):
    return [body for _p, body in sink.payloads(path)
            if body["status"] == status and {a["labels"]["alertname"] for a in body["alerts"]} == {alertname}]


def test_failing_service_pages_its_team_only_and_resolves(tmp_path, prometheus_binary, alertmanager_binary):
    prometheus, alertmanager = prometheus_binary, alertmanager_binary
    started = time.monotonic()
    processes = Processes(tmp_path)
    with WebhookSink() as sink:
        try:
            inventory = write_inventory(tmp_path / "inventory", sink)
            out = tmp_path / "rendered"
            run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out)
            objects = rendered_objects(out)

            exporters = {}
            for namespace, name in (("shop", "shop-orders"), ("ledger", "ledger-ledger")):
                exporters[(namespace, name)] = start_exporter(processes, "exporter-%s" % name)
            ports = {key: port for key, (_proc, port) in exporters.items()}
            orders = "http://127.0.0.1:%d" % ports[("shop", "shop-orders")]

            am_port, prom_port = free_port(), free_port()
            am_config, rendered_am = prepare_alertmanager(out, objects, tmp_path)
            processes.start("alertmanager", [
                alertmanager, "--config.file=%s" % am_config, "--storage.path=%s" % (tmp_path / "am-data"),
                "--web.listen-address=127.0.0.1:%d" % am_port, "--cluster.listen-address=", "--log.level=warn"])
            prom_config, groups, monitors = prepare_prometheus(objects, tmp_path, ports, am_port, external_labels(out))
            processes.start("prometheus", [
                prometheus, "--config.file=%s" % prom_config, "--storage.tsdb.path=%s" % (tmp_path / "prom-data"),
                "--web.listen-address=127.0.0.1:%d" % prom_port, "--log.level=warn"])
            prom, am = "http://127.0.0.1:%d" % prom_port, "http://127.0.0.1:%d" % am_port

            # Both services are scraped as their ServiceMonitors say, with the job and namespace the rules select on.
            wait_until("Alertmanager ready", lambda: http("%s/-/ready" % am)[0] == 200, BUDGET, processes)
            wait_until("Prometheus ready", lambda: http("%s/-/ready" % prom)[0] == 200, BUDGET, processes)

            def targets_up():
                active = api("%s/api/v1/targets" % prom)["data"]["activeTargets"]
                ok = len(active) == len(monitors) and all(t["health"] == "up" for t in active)
                return active if ok else None

            active = wait_until("every target up", targets_up, BUDGET, processes)
            assert sorted((t["labels"]["namespace"], t["labels"]["job"]) for t in active) == [("ledger", "ledger"), ("shop", "orders")]
            # The labelmap copied the harmless pod label; the trusted labels are restored or dropped after it.
            target = next(t["labels"] for t in active if t["labels"]["job"] == "orders")
            assert target["tier"] == "web" and target["service"] == "shop-orders"
            assert "team" not in target and "severity" not in target

            # Every rendered group is loaded, whole, and every rule evaluates without error.
            def rules_healthy():
                loaded = api("%s/api/v1/rules" % prom)["data"]["groups"]
                rules = [r for g in loaded for r in g["rules"]]
                done = rules and all(r.get("lastEvaluation", "").startswith("20") for r in rules)
                return loaded if done else None

            loaded = wait_until("every rule evaluated once", rules_healthy, BUDGET, processes)
            assert {g["name"]: len(g["rules"]) for g in loaded} == groups
            errors = ["%s: %s" % (r["name"], r.get("lastError")) for g in loaded for r in g["rules"] if r["health"] != "ok"]
            assert not errors

            # Healthy: some traffic history, no team alert pending or firing.
            wait_until("the SLI recorded", lambda: api('%s/api/v1/query?query=vigil:slo_requests_per_second:rate15s' % prom)["data"]["result"],
                       BUDGET + 5, processes)
            time.sleep(3)
            assert not team_alerts(prom, "shop") and not team_alerts(prom, "ledger")

            # Failing: half of the orders requests fail, a 50x burn of a 1% budget.
            assert http("%s/mode" % orders, "failing")[0] == 204
            failed_at = time.monotonic()
            fired = wait_until("%s and %s firing in Prometheus" % (FAST_BURN, ERROR_RATE),
                               lambda: firing(prom, {FAST_BURN, ERROR_RATE}, "shop"), 60 + BUDGET, processes)
            assert set(fired) == {FAST_BURN, ERROR_RATE}, "only these may fire: latency is unchanged"
            assert fired[FAST_BURN]["labels"]["severity"] == "critical"  # page tiers page
            # The burn rate is the alert's value: 0.5 / 0.01, once both windows are full of failures.
            assert float(fired[FAST_BURN]["value"]) > 15
            assert not team_alerts(prom, "ledger")
            # The golden alert's `for` from the inventory held it pending first; the fast burn has none.
            pending = api('%s/api/v1/query?query=count_over_time(ALERTS{team="shop",alertstate="pending"}[5m])' % prom)["data"]["result"]
            pending = {r["metric"]["alertname"]: int(r["value"][1]) for r in pending}
            assert pending.get(ERROR_RATE, 0) >= GOLDEN_FOR_SECONDS - 1 and FAST_BURN not in pending, pending

            def delivered(path, alertname, status):
                return lambda: notifications(sink, path, alertname, status)

            slo_firing = wait_until("the fast burn delivered to shop's SLO webhook", delivered("/shop/slo", FAST_BURN, "firing"), 20, processes)
            err_firing = wait_until("the error rate delivered to shop's alerts webhook", delivered("/shop/alerts", ERROR_RATE, "firing"), 20, processes)
            # Alertmanager holds both, routed to the team's receivers only.
            am_alerts = api("%s/api/v2/alerts" % am)
            receivers = {a["labels"]["alertname"]: sorted(r["name"] for r in a["receivers"]) for a in am_alerts if a["labels"].get("team") == "shop"}
            assert receivers == {FAST_BURN: ["shop-slo"], ERROR_RATE: ["shop-alerts"]}

            # Recovery: both alerts resolve and the resolution is delivered to the same receivers.
            assert http("%s/mode" % orders, "healthy")[0] == 204
            recovered_at = time.monotonic()
            slo_resolved = wait_until("the fast burn's resolution delivered", delivered("/shop/slo", FAST_BURN, "resolved"), 60 + BUDGET, processes)
            err_resolved = wait_until("the error rate's resolution delivered", delivered("/shop/alerts", ERROR_RATE, "resolved"), 60 + BUDGET, processes)
            assert not [a for a in team_alerts(prom, "shop") if a["state"] == "firing"]
            finished = time.monotonic()
            processes.check_running()
        finally:
            processes.stop_all()

    for path, alertname, receiver, payloads in (
        ("/shop/slo", FAST_BURN, "shop-slo", slo_firing + slo_resolved),
        ("/shop/alerts", ERROR_RATE, "shop-alerts", err_firing + err_resolved),
    ):
        for body in payloads:
            assert body["receiver"] == receiver, path
            assert len(body["alerts"]) == 1, "one service and one SLO: one alert per group"
            labels = body["alerts"][0]["labels"]
            # Labels that identify the failing service and its owner, and the severity the route and pager read.
            assert {k: labels.get(k) for k in ("team", "namespace", "service", "severity")} == {
                "team": "shop", "namespace": "shop", "service": "orders", "severity": "critical"}
            assert labels.get("cluster") == CLUSTER  # the rendered external label tells which cluster pages
            if alertname == FAST_BURN:
                assert labels["slo"] == "availability"
            # Grouped by the team's group_by: exactly those of its labels the alert has.
            assert body["groupLabels"] == {k: labels[k] for k in TEAM_GROUP_BY if k in labels}
            assert body["alerts"][0]["status"] == body["status"]
            # The group key names the team's route: the platform tree's child for team="shop".
            assert '{namespace="shop",team="shop"}' in body["groupKey"]

    # The resolution comes after the recovery; nothing else reached shop's receivers.
    assert all(not body["alerts"][0]["endsAt"].startswith("0001") for body in slo_resolved + err_resolved)
    received = sink.received
    assert all(t > recovered_at for p, b, t in received if b["status"] == "resolved" and p.startswith("/shop/"))
    assert all(t > failed_at for p, b, t in received if p.startswith("/shop/"))
    names = {(p, a["labels"]["alertname"]) for p, b, _t in received if p.startswith("/shop/") for a in b["alerts"]}
    assert names == {("/shop/slo", FAST_BURN), ("/shop/alerts", ERROR_RATE)}
    # The other team's receiver got nothing, and no team alert fell through to the platform's default receiver.
    assert sink.payloads("/ledger") == []
    assert not [a for _p, b in sink.payloads("/platform") for a in b["alerts"] if a["labels"].get("team") in ("shop", "ledger")]
    assert {r["name"] for r in rendered_am["receivers"]} >= {"shop-slo", "shop-alerts", "ledger-webhook", "platform"}
    assert finished - started < 300, "the end-to-end test must stay under 5 minutes"
