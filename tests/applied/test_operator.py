# -*- coding: utf-8 -*-
"""What the API servers accepted and what the Prometheus Operators made of it (docs/testing.md, molecule `controlplane`).

Expectations come from the collection's render of the same inventories (conftest.rendered), the checks from the real
components: the API server's stored objects, the operator's generated Prometheus configuration, rule ConfigMaps and
Alertmanager configuration, promtool and amtool run on the operator's own output.
"""

from __future__ import annotations

import html
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.alertmanager_helpers import amtool_routes
from conftest import CLUSTERS, REPO, gunzipped, rendered_objects

PLATFORM = "monitoring"
MONITOR_JOB = {"ServiceMonitor": "serviceMonitor", "PodMonitor": "podMonitor"}


def _dynamic(api, cluster):
    from kubernetes import dynamic  # pylint: disable=import-outside-toplevel
    return dynamic.DynamicClient(api("%s-admin" % cluster))


def _core(api, cluster):
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    return client.CoreV1Api(api("%s-admin" % cluster))


def _team_objects(rendered, cluster, kind):
    return [o for o in rendered_objects(rendered, cluster)
            if o["kind"] == kind and "vigil.observability/team" in o["metadata"].get("labels", {})]


def eventually(check, timeout=240):
    """check()'s result once it stops failing: the operator reconciles after the run, at its own pace."""
    from kubernetes.client.exceptions import ApiException  # pylint: disable=import-outside-toplevel
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except (AssertionError, ApiException):
            if time.monotonic() > deadline:
                raise
            time.sleep(3)


def _prometheus(api, cluster):
    return eventually(lambda: _prometheus_now(api, cluster))


def _prometheus_now(api, cluster):
    """The kube-prometheus-stack Prometheus (name) and its operator-generated configuration."""
    prometheuses = _dynamic(api, cluster).resources.get(api_version="monitoring.coreos.com/v1", kind="Prometheus").get(namespace=PLATFORM)
    assert len(prometheuses.items) == 1, [p.metadata.name for p in prometheuses.items]
    name = prometheuses.items[0].metadata.name
    secret = _core(api, cluster).read_namespaced_secret("prometheus-%s" % name, PLATFORM)
    return name, yaml.safe_load(gunzipped(secret, "prometheus.yaml.gz"))


def _rule_files(api, cluster, name):
    """{file name: parsed rule file} of the operator's rule ConfigMaps for Prometheus `name`."""
    files = {}
    for cm in _core(api, cluster).list_namespaced_config_map(PLATFORM, label_selector="prometheus-name=%s" % name).items:
        for key, text in (cm.data or {}).items():
            files[key] = yaml.safe_load(text)
    assert files, "the operator made no rule ConfigMap for %s on %s" % (name, cluster)
    return files


def _holds(live, generated):
    """Whether the stored value is the generated one, plus only what the API server defaults (CRD schema defaults)."""
    if isinstance(generated, dict):
        return isinstance(live, dict) and all(k in live and _holds(live[k], v) for k, v in generated.items())
    if isinstance(generated, list):
        return isinstance(live, list) and len(live) == len(generated) and all(_holds(a, b) for a, b in zip(live, generated))
    return live == generated


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_the_api_server_holds_every_generated_object_as_generated(rendered, api, cluster):
    from kubernetes.dynamic.exceptions import NotFoundError  # pylint: disable=import-outside-toplevel
    client = _dynamic(api, cluster)
    missing, different = [], []
    objects = rendered_objects(rendered, cluster)
    assert objects
    for obj in objects:
        meta = obj["metadata"]
        resource = client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        try:
            live = resource.get(name=meta["name"], namespace=meta.get("namespace")).to_dict()
        except NotFoundError:
            missing.append("%s %s/%s" % (obj["kind"], meta.get("namespace", ""), meta["name"]))
            continue
        for field in ("spec", "data", "rules", "roleRef", "subjects"):
            if field in obj and not _holds(live.get(field), obj[field]):
                different.append("%s %s/%s .%s" % (obj["kind"], meta.get("namespace", ""), meta["name"], field))
        labels = live["metadata"].get("labels") or {}
        if any(labels.get(k) != v for k, v in (meta.get("labels") or {}).items()):
            different.append("%s %s/%s labels" % (obj["kind"], meta.get("namespace", ""), meta["name"]))
    assert missing == [] and different == []


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_the_operator_scrapes_every_team_monitor_in_its_own_namespace_only(rendered, api, cluster):
    eventually(lambda: _scrapes_every_team_monitor(rendered, api, cluster))


def _scrapes_every_team_monitor(rendered, api, cluster):
    _name, config = _prometheus_now(api, cluster)
    jobs = {job["job_name"]: job for job in config.get("scrape_configs") or []}
    checked = 0
    for kind, prefix in MONITOR_JOB.items():
        for monitor in _team_objects(rendered, cluster, kind):
            namespace, name = monitor["metadata"]["namespace"], monitor["metadata"]["name"]
            endpoints = monitor["spec"].get("endpoints") or monitor["spec"].get("podMetricsEndpoints") or []
            for index in range(len(endpoints)):
                job = jobs.get("%s/%s/%s/%d" % (prefix, namespace, name, index))
                assert job is not None, "the operator did not take %s %s/%s (rejected or not selected)" % (kind, namespace, name)
                names = [sd.get("namespaces", {}).get("names") for sd in job["kubernetes_sd_configs"]]
                assert names == [[namespace]], (job["job_name"], names)
                checked += 1
    assert checked >= (151 if cluster == "prod-eu" else 2)


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_the_operators_rule_files_hold_every_generated_rule_group(rendered, api, cluster):
    eventually(lambda: _rule_files_hold_every_group(rendered, api, cluster))


def _rule_files_hold_every_group(rendered, api, cluster):
    name, _config = _prometheus_now(api, cluster)
    files = _rule_files(api, cluster, name)
    missing = []
    for rule in [o for o in rendered_objects(rendered, cluster) if o["kind"] == "PrometheusRule"]:
        namespace, rule_name = rule["metadata"]["namespace"], rule["metadata"]["name"]
        found = [f for key, f in files.items() if key.startswith("%s-%s-" % (namespace, rule_name))
                 and re.fullmatch(r"[0-9a-f-]{36}\.yaml", key[len(namespace) + len(rule_name) + 2:])]
        if len(found) != 1:
            missing.append("%s/%s" % (namespace, rule_name))
            continue
        assert [(g["name"], len(g["rules"])) for g in found[0]["groups"]] == [(g["name"], len(g["rules"])) for g in rule["spec"]["groups"]]
    assert missing == []
    if cluster == "prod-eu":  # 150 services x 2 SLOs: every SLO group of the catalog team reached Prometheus
        slo_groups = {g["name"] for f in files.values() for g in f["groups"] if g["name"].startswith("slo/catalog/")}
        assert len({"/".join(n.split("/")[:4]) for n in slo_groups}) == 300


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_the_operator_rejected_nothing(plane, api, cluster):
    log = (plane / cluster / "logs" / "prometheus-operator.log").read_text(encoding="utf-8")
    assert "control plane: starting " in log, "the operator never started on %s" % cluster
    pattern = re.compile(r"(?i)\b(rejected|invalid configuration|skipping (servicemonitor|podmonitor|prometheusrule|alertmanagerconfig))")
    rejected = [line for line in log.splitlines() if pattern.search(line)]
    assert rejected == []
    events = _core(api, cluster).list_event_for_all_namespaces().items
    assert [e.message for e in events if (e.reason or "").startswith("InvalidConfiguration")] == []


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_the_operators_output_passes_promtool(api, promtool3, tmp_path, cluster):
    promtool = promtool3
    name, config = _prometheus(api, cluster)
    rules = tmp_path / "rules"
    rules.mkdir()
    for key, content in _rule_files(api, cluster, name).items():
        (rules / key).write_text(yaml.safe_dump(content), encoding="utf-8")
    proc = subprocess.run([promtool, "check", "rules", *sorted(str(p) for p in rules.iterdir())], capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # The configuration, its rule files pointed here (--syntax-only: the files it names live in the Prometheus pod).
    config["rule_files"] = [str(rules / "*.yaml")]
    path = tmp_path / "prometheus.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    proc = subprocess.run([promtool, "check", "config", "--syntax-only", str(path)], capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_a_teams_page_alert_fires_from_the_operators_rule_file(api, promtool3, tmp_path):
    promtool = promtool3
    name, _config = _prometheus(api, "prod-eu")
    files = {k: v for k, v in _rule_files(api, "prod-eu", name).items() if k.startswith("search-search-search-api-slos-")}
    assert len(files) == 1, sorted(files)
    (key, content), = files.items()
    alert = [r for g in content["groups"] for r in g["rules"] if r.get("alert") == "SLOErrorBudgetFastBurn"][0]
    for group in content["groups"]:  # the alert's text is not what is tested here: its firing and labels are
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / key).write_text(yaml.safe_dump(content), encoding="utf-8")
    assert alert["labels"]["severity"] == "critical" and alert["labels"]["team"] == "search"
    # Every request of search-api fails from the start: the page fires within the fast tier's 1h window.
    series = [{"series": 'http_requests_total{job="search-api",namespace="search",code="500"}', "values": "0+60x240"},
              {"series": 'http_requests_total{job="search-api",namespace="search",code="200"}', "values": "0+0x240"}]
    test = {"rule_files": [key], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": series,
                       "alert_rule_test": [{"eval_time": "2h", "alertname": "SLOErrorBudgetFastBurn",
                                            "exp_alerts": [{"exp_labels": alert["labels"]}]}]}]}
    test_path = tmp_path / "fires.yaml"
    test_path.write_text(yaml.safe_dump(test), encoding="utf-8")
    proc = subprocess.run([promtool, "test", "rules", str(test_path)], capture_output=True, text=True, check=False, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def _catalogue_rows(page):
    """(team, alert, severity, service, slo, [receivers]) of the catalogue's 'Alerts and where they go' tables."""
    rows, team = [], None
    for match in re.finditer(r"<h2>([^<]*)</h2>|<tr class=\"alert\">(.*?)</tr>", page):
        if match.group(1) is not None:
            team = html.unescape(match.group(1))
            continue
        cells = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", match.group(2))]
        rows.append((team, cells[0], cells[1], cells[2], cells[3], [r.strip() for r in cells[4].split(",") if r.strip()]))
    return rows


def test_per_namespace_routes_are_what_the_catalogue_says_on_the_operators_own_configuration(rendered, api, amtool, tmp_path):
    """prod-eu runs per-namespace Alertmanager: the operator merges the teams' AlertmanagerConfig objects into the
    configuration it generates; amtool routes each catalogue row's alert through that configuration."""
    alertmanagers = _dynamic(api, "prod-eu").resources.get(api_version="monitoring.coreos.com/v1", kind="Alertmanager").get(namespace=PLATFORM)
    name = alertmanagers.items[0].metadata.name
    secret = _core(api, "prod-eu").read_namespaced_secret("alertmanager-%s-generated" % name, PLATFORM)
    config = gunzipped(secret, "alertmanager.yaml.gz")
    path = tmp_path / "alertmanager.yaml"
    path.write_text(config, encoding="utf-8")
    labels_of = {}
    for rule in [o for o in rendered_objects(rendered, "prod-eu") if o["kind"] == "PrometheusRule"]:
        for group in rule["spec"]["groups"]:
            for r in group["rules"]:
                if "alert" in r:
                    labels_of.setdefault((r["labels"].get("team"), r["alert"], r["labels"].get("service", ""), r["labels"].get("slo", "")), r["labels"])
    rows = [row for row in _catalogue_rows((rendered / "prod-eu" / "catalog" / "index.html").read_text(encoding="utf-8"))
            if row[0] in ("search", "payments")]
    assert {row[0] for row in rows} == {"search", "payments"}
    for team, alert, severity, service, slo, receivers in rows:
        labels = dict(labels_of[(team, alert, service, slo)], alertname=alert)
        assert labels["severity"] == severity
        assert amtool_routes(amtool, path, labels) == receivers, (team, alert)
    assert any("search/" in r for row in rows for r in row[5])


def test_secret_values_stay_in_their_secrets(api):
    """The overlay's secret values are in the receiver Secrets and nowhere else the API server holds."""
    secrets = [yaml.safe_load(Path(p).read_text())  # the values this run used
               for p in [REPO / "molecule" / "controlplane" / "overlay" / "group_vars" / "all" / "controlplane.yml"]][0]
    values = [secrets[k] for k in ("vault_search_slack_url", "vault_search_pagerduty_key")]
    from kubernetes import client  # pylint: disable=import-outside-toplevel
    for cluster in CLUSTERS:
        core = _core(api, cluster)
        for cm in core.list_config_map_for_all_namespaces().items:
            text = yaml.safe_dump(cm.data or {})
            assert not any(v in text for v in values), "a secret value in ConfigMap %s/%s" % (cm.metadata.namespace, cm.metadata.name)
        objects = client.CustomObjectsApi(api("%s-admin" % cluster))
        for plural in ("alertmanagerconfigs",):
            for item in objects.list_cluster_custom_object("monitoring.coreos.com", "v1alpha1", plural)["items"]:
                assert not any(v in yaml.safe_dump(item) for v in values)
