# -*- coding: utf-8 -*-
"""No receiver secret ever appears in rendered files or in ansible-playbook output, whatever the verbosity.

site.yml runs in a subprocess on a copy of the example inventory whose vault variables hold this test's secret
values: in check mode, with -vvv and --diff, with and without render_secret_values, per namespace, and with bad
input that puts a secret under a misspelt key. Every line of stdout and stderr and every rendered file is scanned.
Failures name the secret by number, never by value.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.leak import SECRETS, VAULT
from ansible_collections.vigil.observability.tests.support.alertmanager_helpers import (
    amtool_check, assert_no_secret, digest, for_alertmanager_0_25, unknown_fields)
from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, ansible_playbook, copy_example_inventory, recap, run_playbook

pytestmark = pytest.mark.slow
SITE = REPO / "playbooks" / "site.yml"

# Values of the example inventory's vault variables for this test; distinctive, so any appearance is detected.


@pytest.fixture()
def inventory(tmp_path):
    inv = copy_example_inventory(tmp_path / "inventory")
    vault = inv / "group_vars" / "all" / "vault_example.yml"
    assert set(yaml.safe_load(vault.read_text())) == set(VAULT), "the example's vault variables changed: update VAULT"
    vault.write_text(yaml.safe_dump(VAULT))
    return inv


def site(inventory, out, *args):
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, *args, check=False)
    assert_no_secret(proc.stdout, SECRETS, "ansible-playbook stdout (%s)" % " ".join(args))
    assert_no_secret(proc.stderr, SECRETS, "ansible-playbook stderr (%s)" % " ".join(args))
    return proc


def succeeded(proc):
    hosts = recap(proc.stdout)
    assert hosts and all(h["failed"] == 0 for h in hosts.values()), proc.stdout[-3000:] + proc.stderr[-2000:]


def scan_files(out, allowed=()):
    """Every rendered file but the `allowed` ones is free of secrets; returns {relative path: text}."""
    files = {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted(Path(out).rglob("*")) if p.is_file()}
    assert files
    for rel, text in files.items():
        if rel not in allowed:
            assert_no_secret(text, SECRETS, rel)
    return files


def check_alertmanager_configs(amtool, files, tmp_path):
    """amtool check-config on every rendered configuration (with the documented 0.25 rewrite where needed)."""
    configs = [rel for rel in files if rel.endswith("alertmanager/alertmanager.yaml")]
    assert sorted(configs) == ["prod-eu/alertmanager/alertmanager.yaml", "staging-eu/alertmanager/alertmanager.yaml"]
    for rel in configs:
        config = yaml.safe_load(files[rel])
        assert unknown_fields(config, "0.34") == [], rel
        compatible, _changes = for_alertmanager_0_25(config)
        path = tmp_path / rel.replace("/", "_")
        path.write_text(yaml.safe_dump(compatible))
        code, output = amtool_check(amtool, path)
        assert code == 0 and "SUCCESS" in output, (rel, output)


def test_render_output_and_files_hold_no_secret(inventory, tmp_path, amtool):
    out = tmp_path / "rendered"
    # Check mode with diff: what would be written is shown, and nothing is.
    proc = site(inventory, out, "--check", "--diff", "-vvv")
    succeeded(proc)
    assert "alertmanager/alertmanager.yaml" in proc.stdout
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))

    proc = site(inventory, out, "--diff", "-vvv")
    succeeded(proc)
    # The plan reads the inventory from task vars: no task prints team data as its arguments.
    assert "observability_team_payments" not in "".join(line for line in proc.stdout.splitlines() if '"module_args"' in line)
    files = scan_files(out)
    check_alertmanager_configs(amtool, files, tmp_path)
    keys = yaml.safe_load(files["prod-eu/alertmanager/secrets.yaml"])["secrets"]
    assert [(s["name"], s["namespace"]) for s in keys] == [("vigil-alertmanager-receivers", "monitoring")]
    assert "payments-pagerduty.pagerduty.routing_key" in keys[0]["keys"]
    assert not [rel for rel in files if "/secret-" in rel]


def test_secret_values_are_rendered_only_when_asked_and_never_shown(inventory, tmp_path):
    out = tmp_path / "rendered"
    proc = site(inventory, out, "-e", "observability_render_secret_values=true", "--diff", "-vvv")
    succeeded(proc)
    secret_files = sorted(str(p.relative_to(out)) for p in out.rglob("secret-*.yaml"))
    assert secret_files == ["prod-eu/manifests/monitoring/secret-vigil-alertmanager-receivers.yaml",
                            "staging-eu/manifests/monitoring/secret-vigil-alertmanager-receivers.yaml"]
    scan_files(out, allowed=secret_files)
    secret = yaml.safe_load((out / secret_files[0]).read_text())
    assert secret["kind"] == "Secret"
    config = yaml.safe_load((out / "prod-eu" / "alertmanager" / "alertmanager.yaml").read_text())
    # Every file the configuration names holds, in the Secret, the value its vault variable gives.
    by_key = {digest(v): k for k, v in secret["stringData"].items()}
    assert sorted(by_key) == sorted(digest(v) for v in VAULT.values())
    named = {line.split(": ", 1)[1].rsplit("/", 1)[1] for line in yaml.safe_dump(config).splitlines() if "_file: " in line}
    assert named == set(secret["stringData"])

    # Turned off again: the manifests with values are removed, and the removal's diff does not show them.
    proc = site(inventory, out, "-e", "observability_alertmanager_mode=per_namespace", "--diff", "-vvv")
    succeeded(proc)
    assert "secret-vigil-alertmanager-receivers.yaml" in proc.stdout
    assert not list(out.rglob("secret-*.yaml"))
    files = scan_files(out)
    amcs = [rel for rel in files if "/alertmanagerconfig-" in rel]
    assert sorted(amcs) == ["prod-eu/manifests/checkout/alertmanagerconfig-checkout-alerting.yaml",
                            "prod-eu/manifests/payments/alertmanagerconfig-payments-alerting.yaml",
                            "staging-eu/manifests/checkout/alertmanagerconfig-checkout-alerting.yaml"]
    team_keys = yaml.safe_load(files["prod-eu/alertmanager/teams/payments-secrets.yaml"])["secrets"]
    assert [(s["name"], s["namespace"]) for s in team_keys] == [("payments-alerting-receivers", "payments")]


def test_a_secret_under_a_misspelt_key_is_masked_in_the_failure(inventory, tmp_path):
    team_file = inventory / "group_vars" / "all" / "team_payments.yml"
    text = team_file.read_text()
    assert "routing_key: " in text
    team_file.write_text(text.replace("routing_key: ", "routing_kye: "))
    out = tmp_path / "rendered"
    proc = site(inventory, out, "--tags", "teams", "-vvv")
    assert proc.returncode != 0
    assert "observability_team_payments.alerting.receivers.pagerduty.routing_kye: unknown key" in proc.stdout
    assert "observability_team_payments.alerting.receivers.pagerduty.routing_key: is required" in proc.stdout
    # The plan failed before any role wrote anything.
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))


APPLY_PATH = """
- hosts: observability_clusters
  gather_facts: false
  vars:
    observability_promtool: skip
    observability_amtool: skip
  tasks:
    - name: The plan, as the observability role builds it
      vigil.observability.plan:
      register: plan
    - name: Secrets with values, the way the apply tasks gather them
      vigil.observability.secrets:
        plan: "{{ plan }}"
        scopes: [platform]
      no_log: true
      register: gathered
    - name: What apply would apply
      ansible.builtin.assert:
        that:
          - gathered.objects[0].stringData['payments-pagerduty.pagerduty.routing_key'] == observability_team_payments.alerting.receivers.pagerduty.routing_key
          - gathered.objects[0].stringData['platform.slack.api_url'] == observability_alertmanager.receivers.slack.api_url
        quiet: true
      no_log: true
    - name: The plan holds only the paths of the values
      ansible.builtin.assert:
        that:
          - plan.secret_refs[0].sources['payments-pagerduty.pagerduty.routing_key'] == 'observability_team_payments.alerting.receivers.pagerduty.routing_key'
        quiet: true
    - name: Without no_log the action refuses to return them
      vigil.observability.secrets:
        plan: "{{ plan }}"
        scopes: [platform]
      register: refused
      ignore_errors: true
    - name: Refused
      ansible.builtin.assert:
        that:
          - refused is failed
          - "'set no_log: true' in refused.msg"
"""


def test_only_a_no_log_task_gets_the_values(tmp_path):
    payments = {"alerting": {"receivers": {"pagerduty": {"routing_key": VAULT["vault_payments_pagerduty_key"]},
                                           "slack": {"api_url": VAULT["vault_payments_slack_url"]}}}}
    playbook = tmp_path / "apply_path.yml"
    playbook.write_text(APPLY_PATH)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"observability_clusters": {"hosts": {"prod": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump({"observability_team_payments": payments,
                                         "observability_alertmanager": {"receivers": {"slack": {"api_url": VAULT["vault_platform_slack_url"]}}}}))
    args = [ansible_playbook(), "-i", str(inventory), str(playbook), "-e", "@%s" % variables, "-vvvv"]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
                          env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1"))
    assert_no_secret(proc.stdout + proc.stderr, SECRETS, "ansible-playbook output")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert recap(proc.stdout)["prod"]["failed"] == 0


def test_every_task_that_holds_secret_values_is_no_log():
    for path in sorted((REPO / "roles").glob("*/tasks/*.yml")):
        for task in yaml.safe_load(path.read_text()) or []:
            text = yaml.safe_dump(task)
            if "vigil.observability.secrets" in text or "_secrets" in text or "kind: Secret" in text:
                assert task.get("no_log") is True, "%s: %s" % (path.relative_to(REPO), task.get("name"))
