# -*- coding: utf-8 -*-
"""Any valid Unicode in a team's text reaches Alertmanager, Prometheus and Grafana byte for byte (docs/tenancy.md, Routing).

site.yml renders an inventory whose team writes emoji, CJK (one ideograph beyond the Basic Multilingual Plane),
combining marks (decomposed, so a normalisation would show), right-to-left text with bidi controls and astral
characters into its Slack channel, e-mail addresses, route matchers, alert labels, SLO description and annotations,
and a dashboard title. The rendered files hold those characters themselves in UTF-8 (never `\\u` escapes), load
back to exactly them, and pass the real amtool check-config and promtool check rules as written.

Before the fix the plan's own tool check wrote JSON with surrogate-pair escapes: amtool and promtool refused it
("found invalid Unicode character escape code") and the run failed at observability_alertmanager.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, recap, run_playbook, tree
from ansible_collections.vigil.observability.plugins.module_utils.core.yaml import dump, json_text

SITE = REPO / "playbooks" / "site.yml"

# Written with escapes so that what the test expects does not depend on how this file is displayed.
SIREN = "\U0001F6A8"  # police car light, beyond the BMP: JSON's default writes it as \ud83d\udea8
CHANNEL = "#\u00e9quipe-" + SIREN  # #équipe-🚨, the channel docs/tenancy.md gives as its example
CJK = "\u652f\u4ed8\u56e2\u961f \U00020BB7"  # 支付团队 and 𠮷 (CJK Extension B, astral)
COMBINING = "Cafe\u0301 e\u0301\u0323"  # decomposed: NFC would turn e + U+0301 into U+00E9
RTL = "\u202b\u05e6\u05d5\u05d5\u05ea \u0641\u0631\u064a\u0642\u200f\u202c"  # Hebrew and Arabic in an RTL embedding
ASTRAL = "\U0001D518\U0001D52B\U0001D526 \U0001F469\u200d\U0001F469\u200d\U0001F467 \U0001F1EB\U0001F1F7 \u2764\ufe0f"
DESCRIPTION = "Paiements \u2014 %s %s %s %s" % (CJK, COMBINING, RTL, ASTRAL)
EMAIL_TO = "\u00e9quipe-\u652f\u4ed8@example.com"
EMAIL_FROM = "Alertes %s <alertes@example.com>" % SIREN
TITLE = "%s / %s / %s" % (CJK, RTL, ASTRAL)
TEAM = "intl"

EVERY_TEXT = [CHANNEL, CJK, COMBINING, RTL, ASTRAL, DESCRIPTION, EMAIL_TO, EMAIL_FROM, TITLE]

HOSTS = """observability_clusters:
  hosts:
    prod-eu: {}
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""

PLATFORM = {
    "observability_mode": "render",
    "observability_alertmanager": {
        "default_receiver": "platform",
        "receivers": {"slack": {"channel": "#platform-" + SIREN, "api_url": "{{ vault_platform_slack_url }}"}},
        "smtp": {"smarthost": "smtp.example.com:587", "from": "alertmanager@example.com"},
    },
    "vault_platform_slack_url": "https://hooks.slack.example/services/T/B/platform-unicode-test",
    "vault_intl_slack_url": "https://hooks.slack.example/services/T/B/intl-unicode-test",
}

TEAM_VARS = {
    "observability_team_%s" % TEAM: {
        "labels": {"cost_center": CJK, "owner": RTL, "note": COMBINING, "mood": ASTRAL},
        "alerting": {
            "receivers": {
                "slack": {"channel": CHANNEL, "api_url": "{{ vault_intl_slack_url }}"},
                "email": {"to": EMAIL_TO, "from": EMAIL_FROM},
            },
            "routes": [
                {"matchers": ['owner="%s"' % RTL, 'severity="critical"'], "receiver": "email"},
                {"receiver": "slack"},
            ],
        },
        "services": [{
            "name": "api",
            "slos": [{
                "name": "availability",
                "objective": 99.9,
                "description": DESCRIPTION,
                "errors": 'http_requests_total{job="api",status=~"5.."}',
                "total": 'http_requests_total{job="api"}',
                "labels": {"tier": SIREN + " " + CJK},
                "alerting": {"page": {"annotations": {"note": COMBINING + " " + RTL}}},
            }],
        }],
        "dashboards": [{"name": "business", "json": {"title": TITLE, "panels": [{"type": "text", "title": ASTRAL}]}}],
    },
}


def _write_yaml(path, data):
    # The inventory holds the characters themselves, as a team's file would.
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=True), encoding="utf-8")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unicode")
    inventory = tmp / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(HOSTS, encoding="utf-8")
    _write_yaml(inventory / "group_vars" / "all" / "platform.yml", PLATFORM)
    _write_yaml(inventory / "group_vars" / "all" / "team_intl.yml", TEAM_VARS)
    assert CHANNEL.encode("utf-8") in (inventory / "group_vars" / "all" / "team_intl.yml").read_bytes()
    out = tmp / "rendered"
    first = run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out)
    return {"inventory": inventory, "out": out, "cluster": out / "prod-eu", "first": first}


def _bytes(path):
    return path.read_bytes()


def _team_files(cluster, kind):
    return sorted((cluster / "manifests" / TEAM).glob("%s-*.yaml" % kind))


def test_alertmanager_configuration_holds_the_characters_themselves(rendered):
    path = rendered["cluster"] / "alertmanager" / "alertmanager.yaml"
    data = _bytes(path)
    for text in (CHANNEL, "#platform-" + SIREN, EMAIL_TO, EMAIL_FROM, RTL):
        assert text.encode("utf-8") in data, text
    assert b"\\u" not in data and b"\\U" not in data
    config = yaml.safe_load(data.decode("utf-8"))
    receivers = {r["name"]: r for r in config["receivers"]}
    assert receivers["intl-slack"]["slack_configs"][0]["channel"] == CHANNEL
    assert receivers["intl-email"]["email_configs"][0]["to"] == EMAIL_TO
    assert receivers["intl-email"]["email_configs"][0]["from"] == EMAIL_FROM
    team_route = next(r for r in config["route"]["routes"] if r["receiver"].startswith("intl-"))
    assert team_route["routes"][0]["matchers"] == ['owner="%s"' % RTL, 'severity="critical"']


def test_helm_values_hold_the_same_configuration(rendered):
    # Apply mode hands Alertmanager its configuration through kube-prometheus-stack's values.
    data = _bytes(rendered["cluster"] / "helm" / "kube-prometheus-stack.values.yaml")
    assert CHANNEL.encode("utf-8") in data and b"\\u" not in data
    values = yaml.safe_load(data.decode("utf-8"))
    config = yaml.safe_load(_bytes(rendered["cluster"] / "alertmanager" / "alertmanager.yaml").decode("utf-8"))
    assert values["alertmanager"]["config"] == config


def test_rendered_alertmanager_configuration_passes_amtool_as_written(rendered, amtool):
    path = rendered["cluster"] / "alertmanager" / "alertmanager.yaml"
    proc = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def _spec_text(rule_file_text):
    """The `spec` of a rendered PrometheusRule, cut from the file's own bytes (a rule file for promtool)."""
    lines = rule_file_text.split("\n")
    start = lines.index("spec:") + 1
    body = lines[start:]
    assert all(line == "" or line.startswith("  ") for line in body)
    return "\n".join(line[2:] for line in body)


def test_rules_hold_the_characters_and_pass_promtool_as_written(rendered, promtool, tmp_path):
    files = _team_files(rendered["cluster"], "prometheusrule")
    assert len(files) >= 2, files  # the SLO rules and the golden signals
    checked = []
    for path in files:
        data = _bytes(path)
        assert b"\\u" not in data and b"\\U" not in data, path
        for text in (CJK, RTL, COMBINING, ASTRAL):  # team labels go on every alert
            assert text.encode("utf-8") in data, (path.name, text)
        rules_file = tmp_path / path.name
        rules_file.write_text(_spec_text(data.decode("utf-8")), encoding="utf-8")
        checked.append(str(rules_file))
    proc = subprocess.run([promtool, "check", "rules", "--lint-fatal"] + checked, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rule_labels_and_annotations_load_back_exactly(rendered):
    alerts = []
    for path in _team_files(rendered["cluster"], "prometheusrule"):
        obj = yaml.safe_load(_bytes(path).decode("utf-8"))
        alerts += [rule for group in obj["spec"]["groups"] for rule in group["rules"] if "alert" in rule]
    assert alerts
    for rule in alerts:
        labels = rule["labels"]
        assert (labels["cost_center"], labels["owner"], labels["note"], labels["mood"]) == (CJK, RTL, COMBINING, ASTRAL)
    page = [r for r in alerts if r["alert"] == "SLOErrorBudgetFastBurn"]
    assert len(page) == 1
    assert page[0]["labels"]["tier"] == SIREN + " " + CJK
    assert page[0]["annotations"]["summary"] == "%s is burning its error budget too fast (page)" % DESCRIPTION
    assert page[0]["annotations"]["note"] == COMBINING + " " + RTL


def test_dashboard_json_holds_the_characters_themselves(rendered):
    found = {}
    for path in _team_files(rendered["cluster"], "configmap"):
        obj = yaml.safe_load(_bytes(path).decode("utf-8"))
        for key, text in (obj.get("data") or {}).items():
            if key.endswith(".json"):
                found[key] = (path, text)
    path, text = found["%s-custom-business-dashboard.json" % TEAM]
    assert TITLE in text and "\\u" not in text  # the JSON itself holds the characters, not escapes
    assert TITLE.encode("utf-8") in _bytes(path)  # and so does the file
    dashboard = json.loads(text)
    assert dashboard["title"] == TITLE
    assert dashboard["panels"][0]["title"] == ASTRAL


def test_a_second_run_changes_nothing(rendered):
    before = tree(rendered["out"])
    second = run_playbook(SITE, rendered["inventory"], "-e", "observability_render_dir=%s" % rendered["out"])
    assert {h: r["changed"] for h, r in recap(second.stdout).items()} == {"prod-eu": 0}
    assert tree(rendered["out"]) == before


# The escapes the emitter needs beside such text: Go's YAML parser (promtool's) must read them as PyYAML does.
HARD = [CHANNEL + "\r\n", SIREN + "\x07\x1b\x7f", RTL + "\u2028" + CJK + "\u2029", "\ufeff" + COMBINING + "\x85", ASTRAL + "\t\x00"]


def test_go_reads_the_emitters_escapes_as_the_json_it_is_compared_with(promtool, tmp_path):
    """promtool test rules: the rule file written by the emitter (YAML escapes: \\r, \\a, \\e, \\L, \\P, \\N, \\0...),
    the expected alert written as JSON (\\u escapes of the same code points): the same strings to Go, or the test fails."""
    labels = {"l%d" % i: text for i, text in enumerate(HARD)}
    annotations = {"a%d" % i: text for i, text in enumerate(HARD)}
    rule = {"alert": "Unicode", "expr": "vector(1)", "labels": labels, "annotations": annotations}
    rules = {"groups": [{"name": "unicode", "rules": [rule]}]}
    (tmp_path / "rules.yaml").write_text(dump(rules), encoding="utf-8")
    assert SIREN.encode("utf-8") in (tmp_path / "rules.yaml").read_bytes()
    cases = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m", "input_series": [],
        "alert_rule_test": [{"eval_time": "1m", "alertname": "Unicode", "exp_alerts": [
            {"exp_labels": dict(labels, alertname="Unicode"), "exp_annotations": annotations}]}]}]}
    (tmp_path / "test.json").write_text(json_text(cases), encoding="utf-8")
    proc = subprocess.run([promtool, "test", "rules", "test.json"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The same check fails when one side differs: it compares the strings, it does not just load them.
    cases["tests"][0]["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"]["a0"] = CHANNEL + "\n"
    (tmp_path / "test.json").write_text(json_text(cases), encoding="utf-8")
    proc = subprocess.run([promtool, "test", "rules", "test.json"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode != 0


def test_the_root_cause_json_surrogate_escapes_are_refused_by_go(promtool, tmp_path):
    """What the plan wrote before: json.dumps' default escapes an emoji as a surrogate pair, which YAML forbids."""
    rules = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "vector(1)", "labels": {"channel": CHANNEL}}]}]}
    (tmp_path / "escaped.yaml").write_text(json.dumps(rules), encoding="utf-8")
    assert "\\ud83d\\udea8" in (tmp_path / "escaped.yaml").read_text(encoding="utf-8")
    proc = subprocess.run([promtool, "check", "rules", "escaped.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "invalid Unicode character escape code" in proc.stdout + proc.stderr
