# -*- coding: utf-8 -*-
"""What the Alertmanager versions involved accept, and the one documented rewrite the Debian 0.25 tools need.

The rendered configuration targets the Alertmanager that kube-prometheus-stack 88.x ships (v0.34). The tools here
are Debian's 0.25, which lacks two things the configuration uses: `url_file` of webhook_configs (0.26) and the
msteams/msteamsv2 receivers (0.26/0.28). `for_alertmanager_0_25` rewrites exactly those, and reports what it
rewrote, so a test can check the rest with the real 0.25 tools and say precisely what it did not check.

The field tables are the `yaml:` tags of the configuration structs in prometheus/alertmanager at v0.25.0
(config/config.go, config/notifiers.go) and v0.34.0 (config/config.go, config/notifiers.go,
config/common/{inhibitrule,notifierconfig}.go, notify/<kind>/config.go), read from the upstream source.
"""

from __future__ import annotations

import copy
import hashlib
import os
import subprocess

import pytest

_NOTIFIER = {"send_resolved"}
FIELDS = {
    "0.25": {
        "config": {"global", "route", "inhibit_rules", "receivers", "templates", "mute_time_intervals", "time_intervals"},
        "global": {"resolve_timeout", "http_config", "smtp_from", "smtp_hello", "smtp_smarthost", "smtp_auth_username",
                   "smtp_auth_password", "smtp_auth_password_file", "smtp_auth_secret", "smtp_auth_identity",
                   "smtp_require_tls", "slack_api_url", "slack_api_url_file", "pagerduty_url", "opsgenie_api_url",
                   "opsgenie_api_key", "opsgenie_api_key_file", "wechat_api_url", "wechat_api_secret", "wechat_api_corp_id",
                   "victorops_api_url", "victorops_api_key", "victorops_api_key_file", "telegram_api_url", "webex_api_url"},
        "route": {"receiver", "group_by", "match", "match_re", "matchers", "mute_time_intervals", "active_time_intervals",
                  "continue", "routes", "group_wait", "group_interval", "repeat_interval"},
        "inhibit_rule": {"source_match", "source_match_re", "source_matchers", "target_match", "target_match_re",
                         "target_matchers", "equal"},
        "receiver": {"name", "discord_configs", "email_configs", "pagerduty_configs", "slack_configs", "webhook_configs",
                     "opsgenie_configs", "wechat_configs", "pushover_configs", "victorops_configs", "sns_configs",
                     "telegram_configs", "webex_configs"},
        "email_configs": _NOTIFIER | {"to", "from", "hello", "smarthost", "auth_username", "auth_password", "auth_password_file",
                                      "auth_secret", "auth_identity", "headers", "html", "text", "require_tls", "tls_config"},
        "pagerduty_configs": _NOTIFIER | {"http_config", "service_key", "service_key_file", "routing_key", "routing_key_file",
                                          "url", "client", "client_url", "description", "details", "images", "links",
                                          "source", "severity", "class", "component", "group"},
        "slack_configs": _NOTIFIER | {"http_config", "api_url", "api_url_file", "channel", "username", "color", "title",
                                      "title_link", "pretext", "text", "fields", "short_fields", "footer", "fallback",
                                      "callback_id", "icon_emoji", "icon_url", "image_url", "thumb_url", "link_names",
                                      "mrkdwn_in", "actions"},
        "webhook_configs": _NOTIFIER | {"http_config", "url", "max_alerts"},
        "opsgenie_configs": _NOTIFIER | {"http_config", "api_key", "api_key_file", "api_url", "message", "description",
                                         "source", "details", "entity", "responders", "actions", "tags", "note",
                                         "priority", "update_alerts"},
    },
}
FIELDS["0.34"] = {
    "config": FIELDS["0.25"]["config"] | {"tracing", "event_recorder"},
    "global": FIELDS["0.25"]["global"] | {"jira_api_url", "smtp_auth_secret_file", "smtp_tls_config", "smtp_force_implicit_tls",
                                          "slack_app_token", "slack_app_token_file", "slack_app_url", "wechat_api_secret_file",
                                          "telegram_bot_token", "telegram_bot_token_file", "rocketchat_api_url",
                                          "rocketchat_token", "rocketchat_token_file", "rocketchat_token_id",
                                          "rocketchat_token_id_file", "mattermost_webhook_url", "mattermost_webhook_url_file"},
    "route": FIELDS["0.25"]["route"] | {"labels"},
    "inhibit_rule": FIELDS["0.25"]["inhibit_rule"] | {"name"},
    "receiver": FIELDS["0.25"]["receiver"] | {"labels", "incidentio_configs", "msteams_configs", "msteamsv2_configs",
                                              "jira_configs", "rocketchat_configs", "mattermost_configs"},
    "email_configs": FIELDS["0.25"]["email_configs"] | {"auth_secret_file", "force_implicit_tls", "threading"},
    "pagerduty_configs": FIELDS["0.25"]["pagerduty_configs"] | {"timeout"},
    "slack_configs": FIELDS["0.25"]["slack_configs"] | {"app_token", "app_token_file", "app_url", "message_text",
                                                        "update_message", "timeout"},
    "webhook_configs": FIELDS["0.25"]["webhook_configs"] | {"url_file", "timeout", "payload"},
    "opsgenie_configs": FIELDS["0.25"]["opsgenie_configs"],
    "msteams_configs": _NOTIFIER | {"http_config", "webhook_url", "webhook_url_file", "title", "summary", "text"},
    "msteamsv2_configs": _NOTIFIER | {"http_config", "webhook_url", "webhook_url_file", "title", "text"},
}
PLACEHOLDER_URL = "http://127.0.0.1:9/not-delivered"


def unknown_fields(config, version):
    """Paths of keys the given Alertmanager version does not know."""
    table = FIELDS[version]
    found = []

    def check(obj, kind, path):
        for key in obj:
            if key not in table[kind]:
                found.append("%s.%s" % (path, key))

    def route(obj, path):
        check(obj, "route", path)
        for i, child in enumerate(obj.get("routes", [])):
            route(child, "%s.routes[%d]" % (path, i))

    check(config, "config", "")
    check(config.get("global", {}), "global", "global")
    route(config["route"], "route")
    for i, rule in enumerate(config.get("inhibit_rules", [])):
        check(rule, "inhibit_rule", "inhibit_rules[%d]" % i)
    for receiver in config.get("receivers", []):
        check(receiver, "receiver", "receivers[%s]" % receiver["name"])
        for key, configs in receiver.items():
            if key != "name" and key in table:
                for i, cfg in enumerate(configs):
                    check(cfg, key, "receivers[%s].%s[%d]" % (receiver["name"], key, i))
    return found


def for_alertmanager_0_25(config, secrets_root=None, rendered_prefix="/etc/alertmanager/secrets"):
    """(config 0.25 loads, [what was rewritten]).

    webhook `url_file` becomes `url`: the URL read from its secret file under `secrets_root` (end-to-end tests), or a
    placeholder (configuration checks). msteams and msteamsv2 integrations, which 0.25 does not have, become webhooks to
    the placeholder, so that routing to their receivers can still be tested.
    """
    out = copy.deepcopy(config)
    changes = []
    for receiver in out["receivers"]:
        for cfg in receiver.get("webhook_configs", []):
            if "url_file" in cfg:
                path = cfg.pop("url_file")
                if secrets_root is not None:
                    with open(os.path.join(secrets_root, os.path.relpath(path, rendered_prefix)), encoding="utf-8") as handle:
                        cfg["url"] = handle.read()
                else:
                    cfg["url"] = PLACEHOLDER_URL
                changes.append("receivers[%s].webhook_configs.url_file" % receiver["name"])
        for kind in ("msteams_configs", "msteamsv2_configs"):
            if kind in receiver:
                receiver.pop(kind)
                receiver.setdefault("webhook_configs", []).append({"url": PLACEHOLDER_URL})
                changes.append("receivers[%s].%s" % (receiver["name"], kind))
    return out, changes


def amtool_check(amtool, path):
    proc = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def amtool_routes(amtool, path, labels):
    """The receivers Alertmanager's routing picks for an alert with these labels, in order."""
    args = [amtool, "config", "routes", "test", "--config.file=%s" % path] + ["%s=%s" % kv for kv in sorted(labels.items())]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        pytest.fail("amtool config routes test failed for %s: %s" % (labels, proc.stderr.strip()), pytrace=False)
    return proc.stdout.strip().split(",")


def digest(value):
    """Secrets are compared by digest, so that a failing assertion never prints one."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def assert_no_secret(text, secrets, where):
    # pytest.fail, not assert: assertion introspection would print the secret it found.
    for index, secret in enumerate(sorted(secrets)):
        if secret in text:
            pytest.fail("secret #%d (%d characters, not shown) appears in %s" % (index, len(secret), where), pytrace=False)
