# -*- coding: utf-8 -*-
"""Malformed input never prints a secret: wrong types, misspelt parent keys, strings where mappings belong.

site.yml runs at -vvvv (what AWX stores at Debug verbosity) on the example inventory with this test's secret
values, broken in one way per case; the run fails in the plan, names the inventory variable (never a module
option), and no line of its output holds any secret. Failures name the secret by number, never by value.
"""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.alertmanager_helpers import assert_no_secret
from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, run_playbook
from ansible_collections.vigil.observability.tests.support.leak import SECRETS, VAULT

pytestmark = pytest.mark.slow
SITE = REPO / "playbooks" / "site.yml"


def edit(inventory, name, change):
    path = inventory / "group_vars" / "all" / name
    path.write_text(change(path.read_text()))


CASES = {
    "mode-typo": (lambda inv: edit(inv, "platform.yml", lambda t: t + "observability_alertmanager_mode: per-namespace\n"),
                  "observability_alertmanager_mode: must be one of global, per_namespace"),
    "teams-as-strings": (lambda inv: edit(inv, "platform.yml", lambda t: t + "observability_teams: [payments, checkout]\n"),
                         "observability_teams[0]: must be a mapping"),
    "misspelt-receivers": (lambda inv: edit(inv, "team_payments.yml", lambda t: t.replace("receivers:", "recievers:", 1)),
                           "observability_team_payments.alerting.recievers: unknown key"),
    "misspelt-smtp-password": (lambda inv: edit(inv, "platform.yml", lambda t: t.replace("auth_password:", "auth_pasword:")),
                               "observability_alertmanager.smtp.auth_pasword: unknown key"),
    "receivers-as-a-string": (lambda inv: edit(inv, "platform.yml", lambda t: t.replace(
        'receivers:\n    slack: {channel: "#platform-alerts", api_url: "{{ vault_platform_slack_url }}"}',
        'receivers: "{{ vault_platform_slack_url }}"')), "observability_alertmanager.receivers: must be a mapping"),
    "team-as-a-secret-string": (lambda inv: edit(inv, "platform.yml", lambda t: t + 'observability_team_stray: "{{ vault_smtp_password }}"\n'),
                                "observability_team_stray: must be a mapping"),
    "receiver-entry-as-a-list": (lambda inv: edit(inv, "team_payments.yml", lambda t: t.replace(
        'pagerduty: {routing_key: "{{ vault_payments_pagerduty_key }}"}', 'pagerduty: ["{{ vault_payments_pagerduty_key }}"]')),
        "observability_team_payments.alerting.receivers.pagerduty: must be a mapping"),
}


@pytest.fixture()
def inventory(tmp_path):
    inv = copy_example_inventory(tmp_path / "inventory")
    (inv / "group_vars" / "all" / "vault_example.yml").write_text(yaml.safe_dump(VAULT))
    return inv


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("mode", [["-vvvv"], ["--check", "--diff", "-vvv"]], ids=["vvvv", "check-diff"])
def test_malformed_input_fails_by_variable_path_and_prints_no_secret(inventory, tmp_path, case, mode):
    change, expected = CASES[case]
    change(inventory)
    out = tmp_path / "rendered"
    proc = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, *mode, check=False)
    assert proc.returncode != 0
    assert_no_secret(proc.stdout, SECRETS, "stdout (%s)" % case)
    assert_no_secret(proc.stderr, SECRETS, "stderr (%s)" % case)
    assert expected in proc.stdout, proc.stdout[-3000:]
    assert not out.exists()
