# -*- coding: utf-8 -*-
"""inventory/monitors: a service's monitor settings as the inventory gives them: each bad one a clear error at its path,
every problem at once, no series an SLO or alert reads dropped, and no inline credential, nor its echo."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.tests.support.monitor_inputs import VAR, load


@pytest.mark.parametrize("monitor, settings, where, message", [
    ({"interval": "10s", "scrape_timeout": "20s"}, {}, "monitor.scrape_timeout", "must not be longer than the scrape interval (10s"),
    ({"scrape_timeout": "45s"}, {"scrape_interval": "30s"}, "monitor.scrape_timeout", "global interval"),
    ({"drop_metrics": ["go_(.*"]}, {}, "monitor.drop_metrics[0]", "does not parse"),
    ({"drop_metrics": ["(?=x)y"]}, {}, "monitor.drop_metrics[0]", "RE2"),
    ({"keep_metrics": ["[a-"]}, {}, "monitor.keep_metrics[0]", "does not parse"),
    ({"kind": "Monitor"}, {}, "monitor.kind", "must be one of ServiceMonitor, PodMonitor"),
    ({"scheme": "http", "tls": {"server_name": "x"}}, {}, "monitor.scheme", "TLS needs scheme https"),
    ({"relabelings": [{"target_label": "job", "replacement": "x"}]}, {}, "monitor.relabelings[0].target_label", "job is set"),
    ({"relabelings": [{"action": "hashmod", "source_labels": ["a"], "target_label": "b"}]}, {}, "monitor.relabelings[0]", "modulus"),
    ({"relabelings": [{"action": "keep", "regex": "(x"}]}, {}, "monitor.relabelings[0].regex", "does not parse"),
    ({"basic_auth": {"username": {"secret": "s", "key": "u"}}}, {}, "monitor.basic_auth.password", "is required"),
    ({"basic_auth": {"username": {"secret": "s", "key": "u"}, "password": "hunter2"}}, {}, "monitor.basic_auth.password",
     "credentials are never written inline"),
    ({"tls": {"ca": {"key": "ca.crt"}}}, {}, "monitor.tls.ca", "exactly one of secret and configmap"),
    ({"tls": {"cert": {"secret": "c", "key": "tls.crt"}}}, {}, "monitor.tls", "cert and key go together"),
    ({"intervall": "30s"}, {}, "monitor.intervall", "unknown key"),
    ({"selector": {}}, {}, "monitor.selector", "must not be empty"),
    ({"selector": {"app": "a b"}}, {}, "monitor.selector.app", "label value"),
    ({"port": "Metrics_Port"}, {}, "monitor.port", "named container or Service port"),
    ({"path": "metrics"}, {}, "monitor.path", "starting with /"),
    ({"namespaces": ["Bad_NS"]}, {}, "monitor.namespaces[0]", "namespace name"),
    ({"drop_metrics": ["http_.*"]}, {}, "monitor",
     "drop_metrics 'http_.*' drops it: http_requests_total, which the error_rate alert and the traffic_drop alert read"),
    ({"keep_metrics": ["go_.*"]}, {}, "monitor", "http_request_duration_seconds_bucket, which the latency alert reads"),
])
def test_bad_monitor_settings_are_clear_errors(monitor, settings, where, message):
    _teams, _settings, problems = load({"name": "api", "monitor": monitor}, settings)
    path = "%s.services[0].%s" % (VAR, where)
    assert any(p.startswith(path + ":") and message in p for p in problems), problems


def test_a_series_an_slo_reads_must_not_be_dropped():
    service = {
        "name": "api",
        "monitor": {"drop_metrics": ["orders_.*"]},
        "golden_signals": {"error_rate": False, "latency": False, "traffic_drop": False},
        "slos": [{"name": "ok", "objective": 99, "errors": 'orders_total{result="error"}', "total": "orders_total"}],
    }
    _teams, _settings, problems = load(service)
    assert any("orders_total, which SLO ok reads" in p for p in problems), problems
    # With nothing reading them, dropping is fine.
    service["slos"] = []
    assert load(service)[2] == []


def test_every_problem_is_reported_at_once():
    _teams, _settings, problems = load({"name": "api", "monitor": {
        "interval": "10s", "scrape_timeout": "20s", "drop_metrics": ["(x"], "kind": "Other", "bogus": 1}})
    joined = "\n".join(problems)
    for fragment in ("monitor.scrape_timeout", "monitor.drop_metrics[0]", "monitor.kind", "monitor.bogus"):
        assert fragment in joined, joined


def test_an_inline_credential_is_rejected_without_being_echoed():
    _teams, _settings, problems = load({"name": "api", "monitor": {
        "basic_auth": {"username": "scraper", "password": "hunter2"}, "tls": {"key": "-----BEGIN PRIVATE KEY-----"}}})
    joined = "\n".join(problems)
    assert "basic_auth.password" in joined and "basic_auth.username" in joined and "tls.key" in joined
    assert "hunter2" not in joined and "PRIVATE KEY" not in joined and "scraper" not in joined
