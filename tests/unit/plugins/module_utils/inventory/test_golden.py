# -*- coding: utf-8 -*-
"""inventory/golden: a service's golden-signal and metrics settings, each bad one a clear error at its path."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.tests.support.golden_inputs import VAR, load


@pytest.mark.parametrize("service, where, message", [
    ({"golden_signals": {"error_rate": {"threshold_percent": 120}}}, "golden_signals.error_rate.threshold_percent", "between 0 and 100"),
    ({"golden_signals": {"latency": {"quantile": 1}}}, "golden_signals.latency.quantile", "between 0 and 1"),
    ({"golden_signals": {"latency": {"threshold": 0}}}, "golden_signals.latency.threshold", "greater than 0"),
    ({"golden_signals": {"traffic_drop": {"window": "2h"}}}, "golden_signals.traffic_drop.window", "must not be longer than offset"),
    ({"golden_signals": {"error_rate": {"severity": "page"}}}, "golden_signals.error_rate.severity", "must be one of"),
    ({"golden_signals": {"error_rate": "yes"}}, "golden_signals.error_rate", "must be true, false or a mapping"),
    ({"golden_signals": {"errors": False}}, "golden_signals.errors", "unknown key"),
    ({"golden_signals": {"latency": {"for": "soon"}}}, "golden_signals.latency.for", "Prometheus duration"),
    ({"metrics": {"selector": 'http_requests_total{job="x"}'}}, "metrics.selector", "only label matchers"),
    ({"metrics": {"selector": '{job="x"} or vector(1)'}}, "metrics.selector", "is not a PromQL selector"),
    ({"metrics": {"requests": "http-requests"}}, "metrics.requests", "a metric name"),
    ({"metrics": {"status_label": "status code"}}, "metrics.status_label", "a label name"),
    ({"metrics": {"error_pattern": "5(.."}}, "metrics.error_pattern", "does not parse"),
    ({"metrics": {"duration_histogram": "latency_bucket"}}, "metrics.duration_histogram", "base name"),
])
def test_bad_golden_settings_are_clear_errors(service, where, message):
    service = dict(service, name="api")
    _teams, _settings, problems = load(service)
    path = "%s.services[0].%s" % (VAR, where)
    assert any(p.startswith(path + ":") and message in p for p in problems), problems
