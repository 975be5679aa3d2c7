# -*- coding: utf-8 -*-
"""site.yml with templates that fail inside a team and a setting, at -vvvv (AWX's Debug verbosity): the run fails
before writing anything, names every failing field at its full path with the undefined name, and prints no secret
value, not even one written on the same line as the failing template (docs/alerting.md, Secrets)."""

from __future__ import annotations

import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, recap, run_playbook

SITE = REPO / "playbooks" / "site.yml"
PASTED = "sk-live-pasted-on-the-failing-line-4242"
DEFINED = "https://hooks.slack.example/services/T/B/defined-value-never-printed"
INLINE = "xoxb-inline-token-in-a-broken-expression"

TEAM = {
    "observability_team_typos": {
        "alerting": {"receivers": {
            # The failing template's own line holds a secret after the undefined variable.
            "slack": {"channel": "#typos", "api_url": "{{ vault_typos_slak_url }}/" + PASTED},
            "pagerduty": {"routing_key": "{{ vault_typos_pagerduty }}"},
            "chat": {"kind": "slack", "channel": "#chat", "api_url": "{{ vault_typos_defined_url }}"},
        }},
        "services": [
            {"name": "checkout"},
            {"name": "{{ servcie_name }}"},
            {"name": "search", "runbook_url": "{{ '" + INLINE + "' oops }}"},
        ],
    },
    "vault_typos_defined_url": DEFINED,
}


def _example_secrets(inventory):
    data = yaml.safe_load((inventory / "group_vars" / "all" / "vault_example.yml").read_text(encoding="utf-8"))
    return [str(value) for value in data.values()]


def test_failing_templates_name_every_field_and_print_no_secret(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    (inventory / "group_vars" / "all" / "team_typos.yml").write_text(yaml.safe_dump(TEAM), encoding="utf-8")
    out = tmp_path / "rendered"
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, "-vvvv", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert all(counts["failed"] == 1 and counts["changed"] == 0 for counts in recap(proc.stdout).values()), text[-3000:]
    for line in (
        "observability_team_typos.alerting.receivers.slack.api_url: cannot be templated: 'vault_typos_slak_url' is undefined",
        "observability_team_typos.alerting.receivers.pagerduty.routing_key: cannot be templated: 'vault_typos_pagerduty' is undefined",
        "observability_team_typos.services[1].name: cannot be templated: 'servcie_name' is undefined",
        "observability_team_typos.services[2].runbook_url: cannot be templated: Jinja syntax error: "
        "expected token 'end of print statement', got 'oops'",
    ):
        assert line in text, text[-6000:]
    # Fields that template fine are not blamed.
    assert "receivers.chat" not in text and "services[0]" not in text
    for secret in [PASTED, DEFINED, INLINE] + _example_secrets(inventory):
        assert secret not in text, secret
    assert not out.exists()  # nothing written


def test_a_failing_template_in_a_setting_is_named_at_its_field_and_prints_no_secret(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    platform = inventory / "group_vars" / "all" / "platform.yml"
    data = yaml.safe_load(platform.read_text(encoding="utf-8"))
    data["observability_alertmanager"]["receivers"]["slack"]["api_url"] = "{{ vault_platfrom_slack_url }}/" + PASTED
    platform.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "rendered"
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and not out.exists()
    assert PASTED not in text
    assert ("observability_alertmanager.receivers.slack.api_url: cannot be templated: 'vault_platfrom_slack_url' is undefined"
            in text), text[-6000:]
