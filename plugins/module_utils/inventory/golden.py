# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service's request series (metrics) and its golden-signal alerts: error rate, latency, saturation, traffic drop."""

from __future__ import annotations

from typing import Any, List, Tuple

from fractions import Fraction
from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import SelectorError, check_regex
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import (
    _LABEL_NAME,
    _METRIC_NAME,
    ALERT_SEVERITIES,
    GOLDEN_SIGNALS,
    GoldenSignal,
    Metrics,
    Service,
)


_ERROR_PATTERN = "5.."  # the 5xx statuses


def parse_metrics(raw: Any, path: str, problems: Problems) -> Metrics:
    r = Reader(raw, path, problems)
    selector = r.selector("selector")
    names = {}
    for key, default in (("requests", "http_requests_total"), ("duration_histogram", "http_request_duration_seconds"),
                         ("queue_depth", "http_request_queue_depth")):
        names[key] = r.string(key, default=default, pattern=_METRIC_NAME, what="a metric name")
    status_label = r.string("status_label", default="status", pattern=_LABEL_NAME, what="a label name")
    # An empty pattern would match no status at all: it reads as the default, as when left out.
    error_pattern = r.string("error_pattern", default=_ERROR_PATTERN) or _ERROR_PATTERN
    r.done()
    if selector is not None and selector.metric:
        problems.add(r.sub("selector"), "must hold only label matchers such as '{job=\"api\"}'; metric names are set by requests, "
                     "duration_histogram and queue_depth")
        selector = None
    for matcher in selector.matchers if selector else ():
        if matcher.name in ("__name__", "le"):
            problems.add(r.sub("selector"), "must not match on %s" % matcher.name)
            selector = None
            break
    histogram = names["duration_histogram"]
    if histogram and histogram.endswith(("_bucket", "_count", "_sum")):
        problems.add(r.sub("duration_histogram"), "must be the histogram's base name without _bucket, _count or _sum, got %s" % describe(histogram))
    if status_label in ("le", "__name__"):
        problems.add(r.sub("status_label"), "cannot be %s" % status_label)
    if error_pattern is not None:
        try:
            check_regex(error_pattern)
        except SelectorError as exc:
            problems.add(r.sub("error_pattern"), str(exc))
    return Metrics(
        selector=selector,
        # A wrong value has been reported and reads as its default (Reader), so the other problems are still found.
        requests=names["requests"],
        status_label=status_label,
        error_pattern=error_pattern,
        duration_histogram=histogram,
        queue_depth=names["queue_depth"],
        explicit=tuple(sorted(str(k) for k, v in r.data.items() if v is not None)),
    )


def parse_golden(raw: Any, path: str, problems: Problems) -> Tuple[GoldenSignal, ...]:
    """The enabled golden signals: each is on by default (saturation once it has a threshold), false turns it off."""
    r = Reader(raw, path, problems)
    signals = []
    five = Duration.parse("5m")
    for signal in GOLDEN_SIGNALS:
        where = r.sub(signal)
        value = r.raw(signal)
        if value is False:
            continue
        if signal == "saturation" and value in (None, True):
            if value is True:
                problems.add(where, "needs a threshold: {threshold: <queue depth or in-flight requests>}")
            continue
        if value is None or value is True:
            value = {}
        if not isinstance(value, dict):
            problems.add(where, "must be true, false or a mapping, got %s" % describe(value))
            continue
        g = Reader(value, where, problems)
        severity = g.string("severity", default="critical" if signal == "error_rate" else "warning", choices=ALERT_SEVERITIES)
        for_ = g.duration("for", default=Duration.parse("10m") if signal == "traffic_drop" else five)
        window = None if signal == "saturation" else g.duration("window", default=five)
        runbook_url = g.string("runbook_url", default="")
        quantile = min_rate = offset = None
        if signal == "error_rate":
            percent = g.decimal("threshold_percent", default=Fraction(1), low=0, high=100)
            threshold = percent / 100 if percent is not None else None
        elif signal == "latency":
            threshold = g.decimal("threshold", default=Fraction(1), low=0)
            quantile = g.decimal("quantile", default=Fraction(99, 100), low=0, high=1)
        elif signal == "saturation":
            threshold = g.decimal("threshold", required=True)
        else:
            threshold = g.decimal("ratio", default=Fraction(1, 2), low=0, high=1)
            min_rate = g.decimal("min_rate", default=Fraction(1, 10), low=0, low_open=False)
            offset = g.duration("offset", default=Duration.parse("1h"))
            if offset and window and window > offset:
                problems.add(g.sub("window"), "must not be longer than offset (%s), or the two windows overlap" % offset)
                threshold = None
        g.done()
        if None in (threshold, for_, severity) or (signal == "latency" and quantile is None) or (signal == "traffic_drop" and None in (min_rate, offset)):
            continue
        signals.append(GoldenSignal(signal, threshold, for_, severity, window, quantile, min_rate, offset, runbook_url or ""))
    r.done()
    return tuple(signals)


def series_read(service: Service) -> List[Tuple[str, str]]:
    """(series name, reader) pairs: what the golden-signal alerts and SLOs read from the service's scrape."""
    out = []
    metrics = service.metrics
    for signal in service.golden:
        if signal.signal in ("error_rate", "traffic_drop"):
            out.append((metrics.requests, "the %s alert" % signal.signal))
        elif signal.signal == "latency":
            out.append((metrics.duration_histogram + "_bucket", "the latency alert"))
        else:
            out.append((metrics.queue_depth, "the saturation alert"))
    for slo in service.slos:
        if slo.latency:
            for suffix in ("_bucket", "_count"):
                out.append((slo.latency.histogram + suffix, "SLO %s" % slo.name))
        for selector in (slo.errors, slo.total):
            if selector is not None and selector.metric:
                out.append((selector.metric, "SLO %s" % slo.name))
    return sorted(set(out))
