# -*- coding: utf-8 -*-
"""Real-sized teams through `ansible-playbook playbooks/site.yml`: every rendered object fits what the API server, etcd
and the Prometheus Operator accept, every SLO keeps its page and ticket alerts, promtool passes every PrometheusRule,
and what cannot fit (a team's own dashboard) is refused at its path with nothing written.

The sizes are measured here independently of core/limits.py: PyYAML's pure-Python emitter at 80 columns for the rule
specs (as the operator's go-yaml marshals them), json for the objects, the limits written out from Kubernetes' and the
operator's sources.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, run_playbook
from ansible_collections.vigil.observability.tests.support.promtool_helpers import COMPONENT_LABEL

SITE = REPO / "playbooks" / "site.yml"
OPERATOR_RULE_LIMIT = 512 * 1024  # prometheus-operator pkg/operator/rules.go: MaxConfigMapDataSize = MaxSecretSize / 2
PLAN_RULE_LIMIT = OPERATOR_RULE_LIMIT // 2  # what the plan allows: half of it
CONFIGMAP_DATA_LIMIT = 1024 * 1024  # corev1.MaxSecretSize
REQUEST_LIMIT = 1536 * 1024  # etcd's default --max-request-bytes
ANNOTATIONS_LIMIT = 256 * 1024  # apimachinery TotalAnnotationSizeLimitB
MAX_PANELS = 100


def slo(name, service, kind):
    if kind == "latency":
        return {"name": name, "objective": 99, "latency": {"histogram": "http_request_duration_seconds", "threshold": 0.5,
                                                           "selector": '{job="%s"}' % service}}
    return {"name": name, "objective": 99.9, "errors": 'http_requests_total{job="%s",code=~"5.."}' % service,
            "total": 'http_requests_total{job="%s"}' % service}


def big_team(services, slos_per_service):
    kinds = ["availability", "latency", "checkout-availability"]
    return {"services": [{"name": "svc-%03d" % i, "monitor": {"port": "metrics"},
                          "slos": [slo(kinds[j], "svc-%03d" % i, "latency" if kinds[j] == "latency" else "ratio")
                                   for j in range(slos_per_service)]}
                         for i in range(services)]}


def render(inventory, out, *args, **kwargs):
    return run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, *args, **kwargs)


def go_yaml_bytes(value):
    return len(yaml.dump(value, Dumper=yaml.SafeDumper, default_flow_style=False, allow_unicode=True, width=80).encode("utf-8"))


def manifests(root):
    for path in sorted(Path(root).rglob("manifests/**/*.yaml")):
        yield path, yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("limits")
    inventory = copy_example_inventory(tmp / "inventory")
    team_dir = inventory / "group_vars" / "all"
    (team_dir / "team_bigshop.yml").write_text(yaml.safe_dump({"observability_team_bigshop": big_team(150, 2)}), encoding="utf-8")
    (team_dir / "team_wide.yml").write_text(yaml.safe_dump({"observability_team_wide": big_team(30, 3)}), encoding="utf-8")
    out = tmp / "rendered"
    render(inventory, out)
    return out


def test_every_rendered_object_fits_the_cluster(rendered):
    checked = {"PrometheusRule": 0, "ConfigMap": 0}
    for path, obj in manifests(rendered):
        where = str(path.relative_to(rendered))
        assert len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")) <= REQUEST_LIMIT, where
        annotations = obj["metadata"].get("annotations") or {}
        assert sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items()) <= ANNOTATIONS_LIMIT, where
        if obj["kind"] == "PrometheusRule":
            checked["PrometheusRule"] += 1
            assert go_yaml_bytes(obj["spec"]) <= PLAN_RULE_LIMIT, where
        if obj["kind"] == "ConfigMap":
            checked["ConfigMap"] += 1
            assert sum(len(k.encode()) + len(v.encode()) for k, v in (obj.get("data") or {}).items()) <= CONFIGMAP_DATA_LIMIT, where
    # 150 + 30 services, each with an SLO object and a golden-signal object, plus the example teams and the platform.
    assert checked["PrometheusRule"] >= 2 * 180


def test_every_slo_keeps_its_page_and_ticket_alerts_and_group_names_are_unique(rendered):
    alerts, groups = {}, {}
    for path, obj in manifests(rendered):
        if obj["kind"] != "PrometheusRule":
            continue
        cluster = path.relative_to(rendered).parts[0]
        for group in obj["spec"]["groups"]:
            key = (cluster, obj["metadata"]["namespace"], group["name"])
            assert key not in groups, "group %s in %s and %s" % (key, groups.get(key), path.name)
            groups[key] = path.name
            if obj["metadata"]["labels"][COMPONENT_LABEL] != "slo":
                continue
            for rule in group["rules"]:
                if "alert" in rule and rule["alert"].startswith("SLOErrorBudget"):
                    labels = rule["labels"]
                    alerts.setdefault((cluster, labels["team"], labels["service"], labels["slo"]), set()).add(rule["alert"])
    for team, services, per_service in (("bigshop", 150, 2), ("wide", 30, 3)):
        mine = {k: v for k, v in alerts.items() if k[:2] == ("prod-eu", team)}
        assert len(mine) == services * per_service
        assert all(v == {"SLOErrorBudgetFastBurn", "SLOErrorBudgetSlowBurn"} for v in mine.values())


def test_each_service_has_its_own_rule_objects_with_stable_names(rendered):
    names = {p.name for p in (rendered / "prod-eu" / "manifests" / "bigshop").glob("prometheusrule-*.yaml")}
    assert {"prometheusrule-bigshop-svc-000-slos.yaml", "prometheusrule-bigshop-svc-000-golden-signals.yaml",
            "prometheusrule-bigshop-svc-149-slos.yaml"} <= names
    assert len(names) == 300


def test_promtool_passes_every_rendered_prometheus_rule(rendered, tmp_path):
    files = []
    for path, obj in manifests(rendered):
        if obj["kind"] == "PrometheusRule":
            target = tmp_path / ("%d.yaml" % len(files))
            target.write_text(yaml.safe_dump({"groups": obj["spec"]["groups"]}, allow_unicode=True), encoding="utf-8")
            files.append(str(target))
    assert len(files) > 360
    for start in range(0, len(files), 200):
        proc = subprocess.run(["promtool", "check", "rules", "--lint-fatal"] + files[start:start + 200],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_no_generated_dashboard_has_more_than_100_panels(rendered):
    dashboards = 0
    for path, obj in manifests(rendered):
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].endswith("-dashboard"):
            for text in obj["data"].values():
                dashboard = json.loads(text)
                panels = dashboard["panels"] + [p for row in dashboard["panels"] for p in row.get("panels", [])]
                assert len(panels) <= MAX_PANELS, path.name
                dashboards += 1
    assert dashboards >= 180


def test_a_team_dashboard_over_the_limit_is_refused_at_its_path_with_nothing_written(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    out = tmp_path / "rendered"
    # 2 MB of panels: valid JSON, a valid dashboard, but no ConfigMap can hold it.
    panels = [{"id": i, "type": "text", "title": "panel %d" % i, "options": {"content": "x" * 2000}} for i in range(1000)]
    huge = {"title": "Everything", "panels": panels}
    (inventory / "group_vars" / "all" / "team_heavy.yml").write_text(yaml.safe_dump({"observability_team_heavy": {
        "services": [{"name": "api"}], "dashboards": [{"name": "ops", "json": huge}]}}), encoding="utf-8")
    proc = render(inventory, out, check=False)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "observability_team_heavy.dashboards[0].json: generates ConfigMap heavy/heavy-custom-ops-dashboard: its data would take" in text, text[-3000:]
    # The plan fails before any task writes: not even the render directory exists (test_plan_playbooks shows that an
    # existing tree is left byte-identical by a failing run).
    assert not out.exists()
