# -*- coding: utf-8 -*-
"""The whole run is validated before anything is written: through the real playbooks, as a user runs them.

Each bad input below once changed rendered files before a later role failed, or failed with one problem per
run. Now every playbook fails in the plan, with every problem at once at its inventory variable, and an
existing render directory stays byte for byte (and mtime for mtime) as it was.
"""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, recap, run_playbook, tree

pytestmark = pytest.mark.slow
SITE = REPO / "playbooks" / "site.yml"
ONBOARD = REPO / "playbooks" / "onboard_teams.yml"
OFFBOARD = REPO / "playbooks" / "offboard_team.yml"

LATENCY_SERVICE = {"name": "api", "slos": [{"name": "latency", "objective": 99, "latency": {
    "histogram": "http_request_duration_seconds", "threshold": "1e400", "selector": '{job="api"}'}}]}


def team_file(inventory, name, value):
    (inventory / "group_vars" / "all" / ("team_%s.yml" % name)).write_text(yaml.safe_dump({"observability_team_" + name: value}))


def bad_period(inventory):
    team_file(inventory, "longperiod", {"services": [{"name": "api", "slos": [
        {"name": "availability", "objective": 99.9, "period": "300y", "errors": 'x{code="5"}', "total": "x"}]}]})


def collision(inventory):
    # Two teams in one namespace whose generated object names meet: ha + x-api and ha-x + api.
    team_file(inventory, "ha", {"namespace": "shared", "shares_namespace_with": ["ha-x"], "services": [{"name": "x-api", "monitor": {"port": "metrics"}}]})
    team_file(inventory, "ha_x", {"name": "ha-x", "namespace": "shared", "manage_namespace": False,
                                  "services": [{"name": "api", "monitor": {"port": "metrics"}}]})


def deep_dashboard(inventory):
    # A dashboard read from a file with a lookup, as docs/dashboards.md shows, nested 3,000 deep.
    (inventory / "deep.json").write_text("[" * 3000 + "]" * 3000)
    team_file(inventory, "deep", {"dashboards": [{"name": "deep", "json": "{{ lookup('file', inventory_dir ~ '/deep.json') }}"}]})


PASTED = "https://hooks.slack.com/services/T0/B0/pasted-into-a-description-31ac"


def pasted_secret(inventory):
    team_file(inventory, "pasted", {"services": [{"name": "api", "slos": [
        {"name": "availability", "objective": 99.9, "errors": 'x{code="5"}', "total": "x", "description": "ping " + PASTED}]}]})


def system_namespace(inventory):
    team_file(inventory, "sneaky", {"namespace": "kube-system", "rbac": {"groups": ["system:authenticated"]}})


def forged_series(inventory):
    team_file(inventory, "forger", {"services": [{"name": "api", "monitor": {
        "namespaces": ["payments"], "relabelings": [{"target_label": "namespace", "replacement": "payments"}]}}]})


def undefined_in_team_file(inventory):
    team_file(inventory, "typo", {"services": [{"name": "{{ servcie_name }}"}]})


def huge_threshold(inventory):
    team_file(inventory, "huge", {"services": [LATENCY_SERVICE]})


def production_storage(inventory):
    (inventory / "group_vars" / "all" / "profile.yml").write_text(yaml.safe_dump({"observability_profile": "production"}))


CASES = {
    # name: (change to the inventory, extra args, playbook, expected problem lines)
    "period-300y": (bad_period, [], SITE, ["observability_team_longperiod"]),
    "object-collision": (collision, [], SITE, ["observability_team_ha", "also generates"]),
    "threshold-1e400": (huge_threshold, [], SITE, ["observability_team_huge"]),
    "deep-dashboard": (deep_dashboard, [], SITE, ["observability_team_deep.dashboards[0].json: nests deeper than 100 levels"]),
    "pasted-secret": (pasted_secret, ["-vvv"], SITE, [
        "observability_team_pasted.services[0].slos[0].description: holds what looks like a secret (a Slack webhook URL)"]),
    "system-namespace": (system_namespace, [], ONBOARD, ["observability_team_sneaky.namespace: 'kube-system' is a Kubernetes system namespace"]),
    "forged-series": (forged_series, [], SITE, [
        "observability_team_forger.services[0].monitor.relabelings[0].target_label: namespace is a label the platform sets",
        "observability_team_forger.services[0].monitor.namespaces: 'payments' belongs to team 'payments'"]),
    "template-undefined": (undefined_in_team_file, [], SITE, ["observability_team_typo", "servcie_name"]),
    "only-teams-typo": (None, ["-e", '{"observability_only_teams": ["a-typo"]}'], ONBOARD,
                        ["observability_only_teams: names unknown team 'a-typo'"]),
    "alloy-url": (None, ["-e", "alloy_loki_push_url=not-a-url"], SITE, ["alloy_loki_push_url: must be an http(s) URL"]),
    "production-storage": (production_storage, [], SITE, [
        "loki_object_storage: is required for the production profile", "tempo_s3: is required for the production profile"]),
    "removed-variable": (None, ["-e", "kube_prometheus_stack_dashboard_label=x", "-e", "loki_retension=7d"], SITE, [
        "kube_prometheus_stack_dashboard_label: is not a variable of this collection: observability_dashboard_label sets it",
        "loki_retension: is not a variable of this collection (known: loki_chart_crd_dir"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_failing_run_writes_nothing_and_names_every_problem(tmp_path, case):
    change, args, playbook, expected = CASES[case]
    inventory = copy_example_inventory(tmp_path / "inventory")
    out = tmp_path / "rendered"
    run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out)
    before = tree(out)
    assert any(rel.endswith("kube-prometheus-stack.values.yaml") for rel in before)
    if change:
        change(inventory)
    proc = run_playbook(playbook, inventory, "-e", "observability_render_dir=%s" % out, *args, check=False)
    assert proc.returncode != 0
    for host, counts in recap(proc.stdout).items():
        assert counts["failed"] == 1 and counts["changed"] == 0, (host, counts)
    text = proc.stdout + proc.stderr
    for line in expected:
        assert line in text, text[-4000:]
    assert PASTED not in text and "pasted-into-a-description" not in text
    # Only the plan task ran before the failure; no file was written, rewritten or removed.
    assert "TASK [vigil.observability.helm_release : Render" not in proc.stdout
    assert tree(out) == before


def test_every_problem_of_every_role_at_once(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    production_storage(inventory)
    huge_threshold(inventory)
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % (tmp_path / "out"), "-e", "alloy_loki_push_url=nope",
                        "-e", "tempo_retention=90m", "-e", '{"observability_only_teams": ["ghost"]}', check=False)
    assert proc.returncode != 0
    for expected in ("loki_object_storage:", "tempo_s3:", "alloy_loki_push_url:", "tempo_retention: must be whole hours",
                     "observability_only_teams: names unknown team 'ghost'"):
        assert expected in proc.stdout, proc.stdout[-4000:]
    assert not (tmp_path / "out").exists()


def test_typed_argument_specs_never_preempt_the_plan(tmp_path):
    """The chart roles' argument specs have real types, which Ansible checks when a role starts: the plan (a dependency)
    runs first and reports every wrong type with the teams' problems, at each variable, so Ansible's check never
    gets to stop the run at its first role. The observability role's own options stay raw for that reason: its check
    would come before the plan."""
    inventory = copy_example_inventory(tmp_path / "inventory")
    huge_threshold(inventory)
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % (tmp_path / "out"),
                        "-e", '{"loki_replicas": {"ingester": "two"}, "kube_prometheus_stack_values": ["not", "a", "mapping"]}',
                        "-e", '{"opentelemetry_events": "maybe", "teams_dashboard_placement": 3, "observability_loki_multi_tenant": "maybe"}',
                        check=False)
    assert proc.returncode != 0
    for expected in ("loki_replicas.ingester: must be a whole number", "kube_prometheus_stack_values: must be a mapping",
                     "opentelemetry_events: must be true or false", "teams_dashboard_placement: must be a string",
                     "observability_loki_multi_tenant: must be true or false",
                     "slos[0].latency.threshold"):
        assert expected in proc.stdout, proc.stdout[-4000:]
    assert "Validating arguments against arg spec" not in proc.stdout.split("TASK [vigil.observability.observability : Plan |")[1]
    assert "Validation of arguments failed" not in proc.stdout + proc.stderr
    assert not (tmp_path / "out").exists()


def test_the_production_inventory_renders_as_shipped(tmp_path):
    out = tmp_path / "rendered"
    proc = run_playbook(SITE, REPO / "inventories" / "production", "-e", "observability_mode=render",
                        "-e", "observability_render_dir=%s" % out)
    assert set(recap(proc.stdout)) == {"prod-eu", "prod-us"}
    loki = yaml.safe_load((out / "prod-eu" / "helm" / "loki.values.yaml").read_text())
    assert loki["deploymentMode"] == "Distributed" and loki["loki"]["storage"]["type"] == "s3"
    tempo = yaml.safe_load((out / "prod-us" / "helm" / "tempo.values.yaml").read_text())
    assert tempo["tempo"]["storage"]["trace"]["backend"] == "s3"
    placeholder = yaml.safe_load((REPO / "inventories" / "production" / "group_vars" / "all" / "vault_placeholder.yml").read_text())
    for path in out.rglob("*"):
        if path.is_file():
            assert not any(value in path.read_text() for value in placeholder.values()), path


def test_the_plan_is_built_once_per_cluster_and_no_task_reads_the_teams(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % (tmp_path / "out"))
    assert proc.stdout.count("TASK [vigil.observability.observability : Plan |") == 1
    # The team inventory is read by the plan action only: no task gathers team variables into arguments.
    for path in sorted((REPO / "roles").glob("*/tasks/*.yml")) + sorted((REPO / "playbooks").glob("*.yml")):
        text = path.read_text()
        assert "query('ansible.builtin.varnames'" not in text or path.name == "offboard_team.yml", path
        assert "observability_teams" not in text or path.name == "offboard_team.yml", path


def test_dashboard_label_and_folder_follow_one_setting(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    out = tmp_path / "out"
    run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, "-e", "observability_dashboard_label=team_dash",
                 "-e", "observability_dashboard_label_value=yes-please", "-e", "observability_dashboard_folder_annotation=example.com/folder")
    sidecar = yaml.safe_load((out / "prod-eu" / "helm" / "kube-prometheus-stack.values.yaml").read_text())["grafana"]["sidecar"]["dashboards"]
    assert (sidecar["label"], sidecar["labelValue"], sidecar["folderAnnotation"]) == ("team_dash", "yes-please", "example.com/folder")
    dashboards = [yaml.safe_load(p.read_text()) for p in (out / "prod-eu" / "manifests").rglob("configmap-*dashboard*.yaml")]
    assert dashboards
    for cm in dashboards:
        assert cm["metadata"]["labels"]["team_dash"] == "yes-please"
        assert "example.com/folder" in cm["metadata"]["annotations"]
