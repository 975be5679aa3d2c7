# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Golden-signal alerts per service, and the platform's alerts about itself.

A service's series are selected by `namespace` and `job` (the monitors set job to
the service name) unless the service gives its own selector; metric and label
names come from the service's `metrics` block. Every piece of inventory text goes
through `promql.Selector`/`Matcher` (expressions) or `slo.template_literal`
(labels and annotations).
"""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher, Selector, decimal_str, eq
from ansible_collections.vigil.observability.plugins.module_utils.generators.slo import template_literal
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import GoldenSignal, Service, Settings, Team
from typing import Any, Dict, List, Tuple

HIGH_ERROR_RATE = "HighErrorRate"
HIGH_LATENCY = "HighLatency"
QUEUE_DEPTH_HIGH = "RequestQueueDepthHigh"
TRAFFIC_DROPPED = "TrafficDropped"
ALERT_NAMES = {"error_rate": HIGH_ERROR_RATE, "latency": HIGH_LATENCY, "saturation": QUEUE_DEPTH_HIGH, "traffic_drop": TRAFFIC_DROPPED}
SELF_CHECK_GROUP = "vigil-platform-self-check"
_VALUE = "\x00"  # stands for the alert's value template while inventory text is escaped


def series_selector(team: Team, service: Service) -> Selector:
    """Label matchers of the service's series: its own selector or job, always in the team's namespace.

    The operator labels every series a team's monitor scrapes with the monitor's namespace (enforcedNamespaceLabel),
    whichever namespaces the targets run in, and adds the same matcher to every selector of the team's rules.
    """
    if service.metrics.selector is not None:
        return service.metrics.selector.in_namespace(team.namespace)
    return Selector("", (eq("job", service.name), eq("namespace", team.namespace)))


def requests_selector(team: Team, service: Service, errors_only: bool = False) -> Selector:
    selector = series_selector(team, service).with_metric(service.metrics.requests)
    if errors_only:
        selector = selector.with_matchers(Matcher(service.metrics.status_label, "=~", service.metrics.error_pattern))
    return selector


def bucket_selector(team: Team, service: Service) -> Selector:
    return series_selector(team, service).with_metric(service.metrics.duration_histogram + "_bucket")


def queue_selector(team: Team, service: Service) -> Selector:
    return series_selector(team, service).with_metric(service.metrics.queue_depth)


def error_ratio_expr(team: Team, service: Service, window: Any) -> str:
    return "sum(rate(%s[%s])) / sum(rate(%s[%s]))" % (
        requests_selector(team, service, errors_only=True), window, requests_selector(team, service), window)


def quantile_expr(team: Team, service: Service, quantile: Any, window: Any) -> str:
    return "histogram_quantile(%s, sum by (le) (rate(%s[%s])))" % (decimal_str(quantile), bucket_selector(team, service), window)


def _text(template: str, value_template: str = "", **values) -> str:
    """Escape inventory text for Go templates, then put the alert's value template where `_VALUE` stands."""
    return template_literal(template % values).replace(_VALUE, value_template)


def _runbook(settings: Settings, signal_url: str, service_url: str, alert: str) -> str:
    url = signal_url or service_url or ("%s/%s" % (settings.runbook_base_url, alert) if settings.runbook_base_url else "")
    return template_literal(url) if url else ""


def _expr_and_text(team: Team, service: Service, signal: GoldenSignal) -> Tuple[str, str, str]:
    """The expression, summary and description of one golden signal."""
    name = service.name
    if signal.signal == "error_rate":
        expr = "(%s) > %s" % (error_ratio_expr(team, service, signal.window), decimal_str(signal.threshold))
        summary = _text("%(svc)s returns too many errors", svc=name)
        description = _text(
            "%(v)s of the requests to %(svc)s failed (%(label)s matching %(pattern)s) over the last %(window)s; the threshold is %(limit)s.",
            "{{ $value | humanizePercentage }}", v=_VALUE, svc=name, label=service.metrics.status_label,
            pattern=service.metrics.error_pattern, window=signal.window, limit=decimal_str(signal.threshold * 100) + "%")
    elif signal.signal == "latency":
        quantile = "p" + decimal_str(signal.quantile * 100)
        expr = "%s > %s" % (quantile_expr(team, service, signal.quantile, signal.window), decimal_str(signal.threshold))
        summary = _text("%(svc)s responds slowly", svc=name)
        description = _text(
            "The %(q)s latency of %(svc)s (%(hist)s) is %(v)s over the last %(window)s; the threshold is %(limit)ss.",
            "{{ $value | humanizeDuration }}", q=quantile, svc=name, hist=service.metrics.duration_histogram, v=_VALUE,
            window=signal.window, limit=decimal_str(signal.threshold))
    elif signal.signal == "saturation":
        expr = "max(%s) > %s" % (queue_selector(team, service), decimal_str(signal.threshold))
        summary = _text("%(svc)s has too many requests waiting", svc=name)
        description = _text(
            "%(svc)s reports %(v)s in %(gauge)s on its busiest instance; the threshold is %(limit)s.",
            "{{ $value | humanize }}", svc=name, v=_VALUE, gauge=service.metrics.queue_depth, limit=decimal_str(signal.threshold))
    else:
        now = "sum(rate(%s[%s]))" % (requests_selector(team, service), signal.window)
        before = "sum(rate(%s[%s] offset %s))" % (requests_selector(team, service), signal.window, signal.offset)
        # `or 0 * before`: a service whose series vanished altogether counts as serving nothing.
        expr = "(%s or 0 * %s) < %s * %s and %s > %s" % (now, before, decimal_str(signal.threshold), before, before, decimal_str(signal.min_rate))
        summary = _text("Traffic to %(svc)s dropped", svc=name)
        description = _text(
            "%(svc)s serves %(v)s requests/s, under %(share)s of its rate %(offset)s earlier "
            "(this alert stays silent when that earlier rate was at most %(min)s/s).",
            "{{ $value | humanize }}", svc=name, v=_VALUE, share=decimal_str(signal.threshold * 100) + "%", offset=signal.offset,
            min=decimal_str(signal.min_rate))
    return expr, summary, description


def service_rules(team: Team, service: Service, settings: Settings) -> List[Dict[str, Any]]:
    rules = []
    for signal in service.golden:
        alert = ALERT_NAMES[signal.signal]
        expr, summary, description = _expr_and_text(team, service, signal)
        labels = {k: template_literal(v) for k, v in team.labels}
        labels.update({"team": team.name, "namespace": team.namespace, "service": service.name, "severity": signal.severity})
        annotations = {"summary": summary, "description": description}
        runbook = _runbook(settings, signal.runbook_url, service.runbook_url, alert)
        if runbook:
            annotations["runbook_url"] = runbook
        rules.append({"alert": alert, "expr": expr, "for": str(signal.for_), "labels": labels, "annotations": annotations})
    return rules


def group_name(team: Team, service: Service) -> str:
    return "golden/%s/%s" % (team.name, service.name)


def service_groups(team: Team, service: Service, settings: Settings) -> List[Any]:
    """The service's one rule group, when it has any golden signal on."""
    return [{"name": group_name(team, service), "rules": service_rules(team, service, settings)}] if service.golden else []


def team_groups(team: Team, settings: Settings) -> List[Any]:
    return [group for service in team.services for group in service_groups(team, service, settings)]


def _otel(kind: str) -> str:
    # The collector (0.158) serves its own counters without _total (its reader's without_type_suffix defaults to true);
    # a reader configured with type suffixes appends it, so both spellings are matched.
    base = "otelcol_exporter_send_failed_%s" % kind
    return '{__name__=~"%s|%s_total"}' % (base, base)


# (alert, component, severity, expression, labels, summary, description); {{ }} are Prometheus templates.
# Each series is scraped by a monitor of the platform (docs/monitors-and-alerts.md names which), grouped by the job and
# namespace of the target that reports it.
SELF_CHECKS = (
    ("ScrapeTargetDown", "prometheus", "warning",
     "count by (job, namespace) (up == 0)", {},
     "Scrape targets of {{ $labels.job }} are down",
     "{{ $value }} target(s) of job {{ $labels.job }} in namespace {{ $labels.namespace }} have failed every scrape (up == 0) "
     "for 5 minutes; their metrics, and every alert on them, are missing."),
    ("PrometheusRuleEvaluationFailures", "prometheus", "critical",
     "sum by (job, namespace, rule_group) (increase(prometheus_rule_evaluation_failures_total[5m])) > 0", {},
     "Prometheus fails to evaluate rules",
     "{{ $labels.job }} failed {{ $value | humanize }} rule evaluations of group {{ $labels.rule_group }} in 5 minutes; "
     "alerts and recorded series of that group may be missing."),
    ("PrometheusRuleEvaluationsMissed", "prometheus", "warning",
     "sum by (job, namespace, rule_group) (increase(prometheus_rule_group_iterations_missed_total[5m])) > 0", {},
     "Prometheus skips rule group evaluations",
     "{{ $labels.job }} missed {{ $value | humanize }} evaluations of group {{ $labels.rule_group }} in 5 minutes: "
     "the group takes longer than its interval."),
    ("AlertmanagerNotificationsFailing", "alertmanager", "critical",
     "sum by (job, namespace, integration) (increase(alertmanager_notifications_failed_total[5m])) > 0", {},
     "Alertmanager cannot deliver notifications",
     "{{ $labels.job }} failed to send {{ $value | humanize }} notifications through {{ $labels.integration }} in 5 minutes."),
    ("LokiLinesDiscarded", "loki", "warning",
     "sum by (job, namespace, tenant, reason) (increase(loki_discarded_samples_total[5m])) > 0", {},
     "Loki drops log lines",
     "{{ $labels.job }} discarded {{ $value | humanize }} log lines of tenant {{ $labels.tenant }} in 5 minutes "
     "(reason {{ $labels.reason }})."),
    # Alloy's loki.write gives up on a batch after its retries (or at once when its queue is full): those lines are lost.
    ("AlloyLogEntriesDropped", "alloy", "warning",
     "sum by (job, namespace, host, reason) (increase(loki_write_dropped_entries_total[5m])) > 0", {},
     "Alloy drops log lines",
     "{{ $labels.job }} dropped {{ $value | humanize }} log lines bound for {{ $labels.host }} in 5 minutes "
     "(reason {{ $labels.reason }}); they never reach Loki."),
    # Every push attempt is observed with its HTTP status (-1: no response); anything but 2xx failed. 429, 5xx and no
    # response are retried (with backoff) before the batch is dropped; any other status drops it at once.
    ("AlloyLogWritesFailing", "alloy", "warning",
     'sum by (job, namespace, host, status_code) (increase(loki_write_request_duration_seconds_count{status_code!~"2.."}[5m])) > 0', {},
     "Alloy cannot push logs to Loki",
     "{{ $labels.job }} failed {{ $value | humanize }} pushes to {{ $labels.host }} in 5 minutes (HTTP status {{ $labels.status_code }}, "
     "-1 for no response); the lines of a push that keeps failing are dropped."),
    ("OtelCollectorExportFailing", "otel-collector", "warning",
     "sum by (job, namespace, exporter) (increase(%s[5m])) > 0" % _otel("spans"), {"signal": "traces"},
     "The OpenTelemetry Collector fails to export spans",
     "{{ $labels.job }} failed to send {{ $value | humanize }} spans through exporter {{ $labels.exporter }} in 5 minutes."),
    ("OtelCollectorExportFailing", "otel-collector", "warning",
     "sum by (job, namespace, exporter) (increase(%s[5m])) > 0" % _otel("metric_points"), {"signal": "metrics"},
     "The OpenTelemetry Collector fails to export metrics",
     "{{ $labels.job }} failed to send {{ $value | humanize }} metric points through exporter {{ $labels.exporter }} in 5 minutes."),
    ("OtelCollectorExportFailing", "otel-collector", "warning",
     "sum by (job, namespace, exporter) (increase(%s[5m])) > 0" % _otel("log_records"), {"signal": "logs"},
     "The OpenTelemetry Collector fails to export logs",
     "{{ $labels.job }} failed to send {{ $value | humanize }} log records through exporter {{ $labels.exporter }} in 5 minutes."),
    ("TempoSpansDiscarded", "tempo", "warning",
     "sum by (job, namespace, tenant, reason) (increase(tempo_discarded_spans_total[5m])) > 0", {},
     "Tempo discards spans",
     "{{ $labels.job }} discarded {{ $value | humanize }} spans of tenant {{ $labels.tenant }} in 5 minutes (reason {{ $labels.reason }})."),
    # Tempo 2 distributors append to ingesters; Tempo 3 distributors produce to Kafka.
    ("TempoIngestionFailing", "tempo", "warning",
     'sum by (job, namespace) (increase({__name__=~"tempo_distributor_ingester_append_failures_total|'
     'tempo_distributor_produce_failures_total"}[5m])) > 0', {},
     "Tempo fails to store incoming spans",
     "{{ $labels.job }} failed {{ $value | humanize }} writes of received spans in 5 minutes."),
)


def self_check_groups(settings: Settings) -> List[Dict[str, Any]]:
    rules = []
    for alert, component, severity, expr, extra, summary, description in SELF_CHECKS:
        labels = {"component": component, "severity": severity}
        labels.update(extra)
        annotations = {"summary": summary, "description": description}
        runbook = _runbook(settings, "", "", alert)
        if runbook:
            annotations["runbook_url"] = runbook
        rules.append({"alert": alert, "expr": expr, "for": "5m", "labels": labels, "annotations": annotations})
    return [{"name": SELF_CHECK_GROUP, "rules": rules}]


def lint(team: Team, settings: Settings) -> List[Any]:
    """Warnings about golden signals that are valid but will not behave as expected."""
    warnings = []
    for service in team.services:
        interval = (service.monitor.interval if service.monitor and service.monitor.interval else None) or settings.scrape_interval
        for signal in service.golden:
            if signal.window and signal.window.ms < 4 * interval.ms:
                warnings.append(
                    "%s.golden_signals.%s: the window %s is under four scrape intervals (%s); its rate will be noisy or empty"
                    % (service.path or "%s/%s" % (team.name, service.name), signal.signal, signal.window, interval))
    return warnings
