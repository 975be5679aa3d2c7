# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse, default and validate teams, services and SLOs.

Input is plain data as Ansible hands it over (`observability_team_<name>` variables and the `observability_teams`
list); output is the frozen dataclasses of inventory/types. Every problem is reported with the variable path it
came from, all at once.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import json
import re
from dataclasses import replace
from fractions import Fraction
from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import SelectorError, check_regex, parse_selector, quote
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import MAX_DEPTH, Reader, describe, too_deep
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.inventory.alerting import parse_team_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory.instrumentation import parse_team_instrumentation
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import parse_monitor
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import RESERVED_ALERT_LABELS, dropped_by
from ansible_collections.vigil.observability.plugins.module_utils.inventory import slo_specs
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import (
    _LABEL_NAME,
    _METRIC_NAME,
    ALERT_SEVERITIES,
    CustomDashboard,
    GOLDEN_SIGNALS,
    GoldenSignal,
    GRAFANA_UID_RE,
    Latency,
    Metrics,
    NOT_A_LIST,
    PAGE,
    Service,
    Settings,
    SLO,
    SLOAlert,
    Team,
    TEAM_LIST_VAR,
    TEAM_VAR_PREFIX,
    TICKET,
    Tier,
)


def parse_tiers(items: Sequence[Tuple[str, Any]], problems: Problems, period: Optional[Duration] = None) -> Tuple[Tier, ...]:
    """Parse a list of tier mappings (global or per SLO)."""
    tiers, first_for = [], {}
    for path, raw in items:
        r = Reader(raw, path, problems)
        action = r.string("action", required=True, choices=(PAGE, TICKET))
        # The share of the budget spent within long_window, or the burn rate itself (Sloth's and OpenSLO's terms).
        by_rate = r.has("burn_rate") and not r.has("budget_percent")
        budget = None if by_rate else r.decimal("budget_percent", required=True, low=0, high=100, high_open=False)
        rate = r.decimal("burn_rate", low=0) if r.has("burn_rate") else None
        if r.has("burn_rate") and r.has("budget_percent"):
            problems.add(path, "set budget_percent or burn_rate, not both")
        long_window = r.duration("long_window", required=True)
        short_window = r.duration("short_window", required=True)
        for_ = r.duration("for")
        min_events = r.integer("min_events", minimum=1)
        r.done()
        bad = False
        if by_rate and rate is not None and long_window and period:
            budget = rate * Fraction(long_window.ms, period.ms) * 100
            if budget > 100:
                problems.add(join_path(path, "burn_rate"), "spends %s%% of the budget within %s: at most 100%%" % (float(budget), long_window))
                bad = True
        elif by_rate and rate is not None and long_window and not period:
            problems.add(join_path(path, "burn_rate"), "needs the SLO's period: set it on an SLO's tiers, or use budget_percent")
            bad = True
        # short_window equal to long_window makes a single-window tier (an OpenSLO burn-rate condition).
        if long_window and short_window and short_window > long_window:
            problems.add(join_path(path, "short_window"), "must not be longer than long_window (%s), got %s" % (long_window, short_window))
            bad = True
        if period and long_window and long_window > period:
            problems.add(join_path(path, "long_window"), "must not be longer than the SLO period (%s), got %s" % (period, long_window))
            bad = True
        if bad or None in (action, budget, long_window, short_window):
            continue
        # The tiers of one action make one alert rule: two `for` values would make two rules with the same labels.
        first = first_for.setdefault(action, (path, for_))
        if first[1] != for_:
            problems.add(join_path(path, "for"), "must be the same for every %s tier (%s has %s), got %s" % (
                action, first[0], first[1] or "none", for_ or "none"))
            continue
        tiers.append(Tier(action, budget, long_window, short_window, for_, min_events))
    return tuple(tiers)


def _parse_latency(raw, path, problems):
    r = Reader(raw, path, problems)
    histogram = r.string("histogram", required=True, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z", what="a metric name")
    threshold = r.decimal("threshold", required=True, low=0)
    text = r.raw("selector")
    braces = bool(histogram) and isinstance(text, str) and text.strip().startswith("{")
    if braces:
        # Read with the histogram's name, which the rules add: negative matchers alone (`{verb!="WATCH"}`) then select.
        selector = _histogram_matchers(histogram, text, r.sub("selector"), problems)
    else:
        selector = r.selector("selector", required=True)
    r.done()
    if selector is not None and selector.metric and not braces:
        problems.add(join_path(path, "selector"), "must hold only label matchers such as '{job=\"api\"}'; the metric is `histogram`")
        return None
    if histogram and histogram.endswith(("_bucket", "_count", "_sum")):
        problems.add(join_path(path, "histogram"), "must be the histogram's base name without _bucket, _count or _sum, got %s" % describe(histogram))
        return None
    for matcher in selector.matchers if selector else ():
        if matcher.name == "le":
            problems.add(join_path(path, "selector"), "must not match on `le`; it is set from `threshold`")
            return None
    if None in (histogram, threshold, selector):
        return None
    return Latency(histogram, threshold, selector)


def _histogram_matchers(histogram: str, text: str, path: str, problems: Problems) -> Any:
    try:
        parsed = parse_selector(histogram + text.strip())
    except SelectorError as exc:
        problems.add(path, "is not a PromQL selector: %s" % exc)
        return None
    if not parsed.matchers:
        problems.add(path, "is not a PromQL selector: empty selector")
        return None
    if any(m.name == "__name__" for m in parsed.matchers):
        problems.add(path, "must hold only label matchers such as '{job=\"api\"}'; the metric is `histogram`")
        return None
    return parsed


def parse_slo(raw: Any, path: str, problems: Problems, settings: Settings) -> Optional[SLO]:
    r = Reader(raw, path, problems)
    name = r.name("name", required=True)
    objective = r.decimal("objective", required=True, low=0, high=100)
    period = r.duration("period", default=settings.period)
    errors = r.selector("errors")
    total = r.selector("total")
    latency_raw = r.raw("latency")  # read even when absent, so `latency` is listed among the known keys
    latency = _parse_latency(latency_raw, r.sub("latency"), problems) if r.has("latency") else None
    tier_items = r.items("tiers")
    min_events = r.integer("min_events", minimum=1)
    no_data_raw = r.raw("no_data", False)
    description = r.string("description", default="")
    runbook_url = r.string("runbook_url", default="")
    dashboard_url = r.string("dashboard_url", default="")
    labels = parse_alert_labels(r.raw("labels"), r.sub("labels"), problems) if r.has("labels") else ()
    alerting = _parse_slo_alerting(r.raw("alerting"), r.sub("alerting"), problems) if r.has("alerting") else ()
    r.done()

    no_data, no_data_for = False, None
    if isinstance(no_data_raw, bool):
        no_data = no_data_raw
    elif isinstance(no_data_raw, dict):
        nd = Reader(no_data_raw, r.sub("no_data"), problems)
        no_data = nd.boolean("enabled", default=True)
        no_data_for = nd.duration("for")
        nd.done()
    else:
        problems.add(r.sub("no_data"), "must be true, false or a mapping with enabled and for, got %s" % describe(no_data_raw))

    if not r.ok:
        pass  # already reported: the SLO is not a mapping
    elif r.has("latency") and (errors or total or r.has("errors") or r.has("total")):
        problems.add(path, "set either errors and total (a ratio SLO) or latency, not both")
    elif not r.has("latency") and (r.has("errors") != r.has("total") or not r.has("errors")):
        problems.add(path, "a ratio SLO needs both errors and total (counters of bad and of all events); a latency SLO needs latency")
    for key, selector in (("errors", errors), ("total", total)):
        if selector is not None and not selector.metric:
            problems.add(r.sub(key), "must name the counter, as in http_requests_total{job=\"api\"}")

    tiers = parse_tiers(tier_items, problems, period) if tier_items else settings.tiers
    if period and not tier_items:
        for tier in tiers:
            if tier.long_window > period:
                problems.add(r.sub("period"), "is shorter than the %s tier's long window %s; set tiers for this SLO" % (tier.action, tier.long_window))
                break
    if None in (name, objective, period):
        return None
    return SLO(
        name=name,
        objective=objective,
        period=period,
        errors=errors,
        total=total,
        latency=latency,
        tiers=tiers,
        min_events=min_events,
        no_data=no_data,
        no_data_for=no_data_for,
        description=description,
        runbook_url=runbook_url,
        dashboard_url=dashboard_url,
        path=path,
        labels=labels,
        alerting=alerting,
    )


_ALERT_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"


def parse_alert_labels(raw: Any, path: str, problems: Problems) -> tuple:
    """An SLO's extra alert labels: valid label names and string values, none of the collection's own."""
    if not isinstance(raw, dict):
        problems.add(path, "must be a mapping of label names to values, got %s" % describe(raw))
        return ()
    out = []
    for key, value in sorted(raw.items(), key=lambda kv: str(kv[0])):
        where = join_path(path, str(key))
        if not isinstance(key, str) or not re.match(_LABEL_NAME, key):
            problems.add(where, "is not a Prometheus label name")
        elif key in RESERVED_ALERT_LABELS or key.startswith("__"):
            problems.add(where, "is set by the collection (routing and identity: %s); use another label" % ", ".join(RESERVED_ALERT_LABELS))
        elif not isinstance(value, str):
            problems.add(where, "must be a string, got %s" % describe(value))
        else:
            out.append((key, value))
    return tuple(out)


def _parse_slo_alerting(raw: Any, path: str, problems: Problems) -> tuple:
    """alerting: {page: {...}, ticket: {...}}, each with name, labels, annotations and enabled."""
    r = Reader(raw, path, problems)
    out = []
    for action in (PAGE, TICKET):
        if not r.has(action):
            continue
        a = Reader(r.raw(action), r.sub(action), problems)
        name = a.string("name", default="", pattern=_ALERT_NAME, what="an alert name (letters, digits, '_' and ':')")
        labels = parse_alert_labels(a.raw("labels"), a.sub("labels"), problems) if a.has("labels") else ()
        annotations = ()
        if a.has("annotations"):
            raw_annotations = a.raw("annotations")
            if not isinstance(raw_annotations, dict):
                problems.add(a.sub("annotations"), "must be a mapping, got %s" % describe(raw_annotations))
            else:
                pairs = []
                for key, value in sorted(raw_annotations.items(), key=lambda kv: str(kv[0])):
                    if not isinstance(key, str) or not re.match(_LABEL_NAME, key):
                        problems.add(join_path(a.sub("annotations"), str(key)), "is not an annotation name")
                    elif not isinstance(value, str):
                        problems.add(join_path(a.sub("annotations"), key), "must be a string, got %s" % describe(value))
                    else:
                        pairs.append((key, value))
                annotations = tuple(pairs)
        enabled = a.boolean("enabled", default=True)
        a.done()
        out.append(SLOAlert(action, name or "", labels, annotations, bool(enabled)))
    r.done()
    return tuple(out)


def _parse_metrics(raw, path, problems):
    r = Reader(raw, path, problems)
    selector = r.selector("selector")
    names = {}
    for key, default in (("requests", "http_requests_total"), ("duration_histogram", "http_request_duration_seconds"),
                         ("queue_depth", "http_request_queue_depth")):
        names[key] = r.string(key, default=default, pattern=_METRIC_NAME, what="a metric name")
    status_label = r.string("status_label", default="status", pattern=_LABEL_NAME, what="a label name")
    error_pattern = r.string("error_pattern", default="5..")
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
        requests=names["requests"] or "http_requests_total",
        status_label=status_label or "status",
        error_pattern=error_pattern or "5..",
        duration_histogram=histogram or "http_request_duration_seconds",
        queue_depth=names["queue_depth"] or "http_request_queue_depth",
        explicit=tuple(sorted(str(k) for k, v in r.data.items() if v is not None)),
    )


def _parse_golden(raw, path, problems):
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


def _parse_dashboards(items, problems):
    dashboards = []
    for path, raw in items:
        r = Reader(raw, path, problems)
        name = r.name("name", required=True, max_len=40)
        content = r.raw("json")
        r.done()
        where = join_path(path, "json")
        if not r.ok:
            continue
        if content is None:
            problems.add(where, "is required: the dashboard as a mapping or JSON text (e.g. \"{{ lookup('file', 'dash.json') }}\")")
            continue
        if isinstance(content, str):
            try:
                content = json.loads(content, parse_constant=_no_constant)
            except ValueError as exc:
                problems.add(where, "is not valid JSON: %s" % str(exc)[:200])
                continue
            except RecursionError:
                problems.add(where, "nests deeper than %d levels" % MAX_DEPTH)
                continue
        if too_deep(content):
            problems.add(where, "nests deeper than %d levels" % MAX_DEPTH)
            continue
        if not isinstance(content, dict):
            problems.add(where, "must be a JSON object (a Grafana dashboard), got %s" % describe(content))
            continue
        try:
            text = json.dumps(content, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            problems.add(where, "holds a value JSON cannot represent: %s" % exc)
            continue
        uid = content.get("uid")
        if uid is not None and not (isinstance(uid, str) and GRAFANA_UID_RE.match(uid)):
            problems.add(join_path(where, "uid"), "must be a Grafana UID (at most 40 letters, digits, '-', '_'), got %s" % describe(uid))
            continue
        if not isinstance(content.get("title"), str) or not content["title"].strip():
            problems.add(join_path(where, "title"), "is required: Grafana does not load a dashboard without a title")
            continue
        if "panels" in content and not isinstance(content["panels"], list):
            problems.add(join_path(where, "panels"), "must be a list")
            continue
        if name:
            dashboards.append(CustomDashboard(name, text, uid or "", path))
    _no_duplicates(items, "dashboard", problems)
    return tuple(sorted(dashboards, key=lambda d: d.name))


def _no_constant(name):
    raise ValueError("%s is not a JSON number" % name)


def parse_service(raw: Any, path: str, problems: Problems, settings: Settings) -> Optional[Service]:
    r = Reader(raw, path, problems)
    name = r.name("name", required=True)
    monitor = parse_monitor(r.raw("monitor"), r.sub("monitor"), problems, name, settings.scrape_interval) if r.has("monitor") else None
    r.raw("monitor")
    slo_items = r.items("slos")
    runbook_url = r.string("runbook_url", default="")
    metrics = _parse_metrics(r.raw("metrics"), r.sub("metrics"), problems)
    golden = _parse_golden(r.raw("golden_signals"), r.sub("golden_signals"), problems)
    r.done()
    slos = tuple(s for s in (parse_slo(raw_slo, p, problems, settings) for p, raw_slo in slo_items) if s)
    _no_duplicates(list(slo_items), "SLO", problems)
    if name is None:
        return None
    service = Service(name=name, monitor=monitor, slos=slos, runbook_url=runbook_url, path=path, metrics=metrics, golden=golden)
    if monitor is not None:
        readers = {}
        for series, reader in series_read(service):
            readers.setdefault(series, []).append(reader)
        for series, names in sorted(readers.items()):
            reason = dropped_by(monitor, series)
            if reason:
                problems.add(r.sub("monitor"), "%s: %s, which %s read%s" % (reason, series, " and ".join(names), "" if len(names) > 1 else "s"))
    return service


def parse_team(raw: Any, path: str, problems: Problems, settings: Settings, default_name: Optional[str] = None) -> Optional[Team]:
    r = Reader(raw, path, problems)
    name = r.name("name", required=default_name is None, default=default_name)
    namespace = r.name("namespace", default=name)
    labels = r.label_map("labels")
    for reserved in ("alertname", "namespace", "service", "severity", "slo", "team"):
        if reserved in labels:
            problems.add(join_path(r.sub("labels"), reserved), "is set by the platform and cannot be overridden")
    clusters = None
    if r.has("clusters"):
        clusters = tuple(sorted(set(r.string_list("clusters"))))
        for cluster in clusters:
            if settings.clusters and cluster not in settings.clusters:
                problems.add(r.sub("clusters"), "names %s, which is not a host of observability_clusters (%s)" % (
                    describe(cluster), ", ".join(settings.clusters)))
    else:
        r.raw("clusters")
    service_items = r.items("services")
    spec_items = r.items("slo_specs")
    dashboards = _parse_dashboards(r.items("dashboards"), problems)
    alerting = parse_team_alerting(r.raw("alerting"), r.sub("alerting"), problems)
    manage_namespace = r.boolean("manage_namespace", default=True)
    namespace_labels = r.k8s_label_map("namespace_labels")
    rbac = Reader(r.raw("rbac"), r.sub("rbac"), problems)
    rbac_groups = tuple(sorted(set(rbac.string_list("groups")))) if rbac.has("groups") else ((name,) if name else ())
    rbac_users = tuple(sorted(set(rbac.string_list("users"))))
    rbac.done()
    instrumentation = parse_team_instrumentation(r.raw("instrumentation"), r.sub("instrumentation"), problems)
    shares = []
    for item_path, item in r.items("shares_namespace_with"):
        if not is_dns_label(item):
            problems.add(item_path, "must be a team name, got %s" % describe(item))
        elif item == name:
            problems.add(item_path, "names the team itself")
        elif item not in shares:
            shares.append(item)
    r.done()
    services = tuple(s for s in (parse_service(item, p, problems, settings) for p, item in service_items) if s)
    _no_duplicates(service_items, "service", problems)
    services = _with_imported(services, slo_specs.convert(spec_items, problems), r.sub("slo_specs"), problems, settings)
    if name is None or namespace is None:
        return None
    for service in services:
        _own_namespace_selectors(service, namespace, problems)
    return Team(
        name=name,
        namespace=namespace,
        labels=tuple(sorted(labels.items())),
        clusters=clusters,
        services=tuple(sorted(services, key=lambda s: s.name)),
        path=path,
        dashboards=dashboards,
        alerting=alerting,
        manage_namespace=manage_namespace,
        namespace_labels=tuple(sorted(namespace_labels.items())),
        rbac_groups=rbac_groups,
        rbac_users=rbac_users,
        instrumentation=instrumentation,
        shares_namespace_with=tuple(sorted(shares)),
    )


def _with_imported(services: Tuple[Service, ...], imported: List[Tuple[str, Dict[str, Any], str]], path: str, problems: Problems,
                   settings: Settings) -> Tuple[Service, ...]:
    """The team's services with the SLOs of its slo_specs, each parsed as a native SLO at its place in its spec."""
    if not imported:
        return services
    by_name = {service.name: service for service in services}
    added: Dict[str, List[SLO]] = {}
    for service_name, raw, where in imported:
        slo = parse_slo(raw, where, problems, settings)
        if slo is None:
            continue
        existing = [s.name for s in by_name[service_name].slos] if service_name in by_name else []
        if slo.name in existing or slo.name in [s.name for s in added.get(service_name, [])]:
            problems.add(where, "defines SLO %s of service %s a second time (in the inventory or another spec)" % (slo.name, service_name))
            continue
        added.setdefault(service_name, []).append(slo)
    out = dict(by_name)
    for service_name, slos in added.items():
        if service_name in out:
            out[service_name] = replace(out[service_name], slos=out[service_name].slos + tuple(slos))
        else:
            # A service only a spec names: its SLOs, and no golden-signal alerts on metrics nobody declared.
            out[service_name] = Service(name=service_name, monitor=None, slos=tuple(slos), runbook_url="", path=path,
                                        metrics=_parse_metrics(None, path, problems),
                                        golden=_parse_golden({signal: False for signal in GOLDEN_SIGNALS}, path, problems))
    return tuple(out[name] for name in sorted(out))


def _own_namespace_selectors(service: Service, namespace: str, problems: Problems) -> None:
    """A team's selectors read its own namespace's series: the platform adds namespace="<namespace>" to each."""
    selectors = [(join_path(join_path(service.path, "metrics"), "selector"), service.metrics.selector)]
    for slo in service.slos:
        selectors += [(join_path(slo.path, "errors"), slo.errors), (join_path(slo.path, "total"), slo.total)]
        if slo.latency is not None:
            selectors.append((join_path(join_path(slo.path, "latency"), "selector"), slo.latency.selector))
    for path, selector in selectors:
        for matcher in selector.matchers if selector is not None else ():
            if matcher.name == "namespace" and (matcher.op, matcher.value) != ("=", namespace):
                problems.add(path, "must not match on namespace other than namespace=%s: a team's rules read only the series of its "
                             "namespace %r (see docs/tenancy.md)" % (quote(namespace), namespace))


def _no_duplicates(items, what, problems):
    seen = {}
    for path, item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str):
            if name in seen:
                problems.add(join_path(path, "name"), "duplicate %s name %r (first at %s)" % (what, name, seen[name]))
            else:
                seen[name] = path


def collect_team_inputs(variables: Mapping[str, Any], team_list: Any = None) -> List[Tuple[str, Any, Any]]:
    """Pair every team definition with its variable path.

    `variables` maps variable names to values; those named observability_team_<name>
    are teams (the suffix, with '_' as '-', is the default team name).
    """
    inputs = []
    for var in sorted(variables):
        if var.startswith(TEAM_VAR_PREFIX) and var != TEAM_LIST_VAR:
            suffix = var[len(TEAM_VAR_PREFIX):]
            inputs.append((var, variables[var], suffix.replace("_", "-")))
    if team_list is not None and not isinstance(team_list, list):
        # Enumerating a mapping or a string would report its keys or characters as teams.
        inputs.append((TEAM_LIST_VAR, team_list, NOT_A_LIST))
        return inputs
    for index, raw in enumerate(team_list or []):
        inputs.append((join_path(TEAM_LIST_VAR, index), raw, None))
    return inputs


def parse_teams(inputs: Sequence[Tuple[str, Any, Any]], settings: Settings, problems: Optional[Problems] = None) -> List[Team]:
    """Parse (path, raw, default_name) triples into teams sorted by name; raise ModelError on any problem."""
    own = problems is None
    problems = Problems() if own else problems
    teams, seen_names = [], {}
    for path, raw, default_name in inputs:
        if default_name is NOT_A_LIST:
            problems.add(path, "must be a list of team mappings, got %s" % describe(raw))
            continue
        named = isinstance(raw, dict) and raw.get("name") is not None
        if default_name is not None and not named and not is_dns_label(default_name):
            problems.add(path, "the variable name gives team name %r, which is not a valid Kubernetes name; set `name`" % default_name)
        team = parse_team(raw, path, problems, settings, default_name)
        if team is None:
            continue
        if team.name in seen_names:
            problems.add(path, "duplicate team name %r (also defined by %s)" % (team.name, seen_names[team.name]))
            continue
        seen_names[team.name] = path
        teams.append(team)
    _unique_dashboard_uids(teams, problems)
    owners = namespace_owners(teams, problems)
    _monitored_namespaces(teams, owners, problems)
    if own:
        problems.raise_if_any()
    return sorted(teams, key=lambda t: t.name)


def namespace_owners(teams: Sequence[Team], problems: Optional[Problems] = None) -> Dict[str, Team]:
    """The owner of every team namespace; guests (other teams there) must be listed in its shares_namespace_with.

    The owner is the team that manages the namespace (manage_namespace, the default), else the one team there that no
    other team there lists. A team may use another's namespace only when that owner lets it.
    """
    problems = problems if problems is not None else Problems()
    by_namespace: Dict[str, List[Team]] = {}
    for team in teams:
        by_namespace.setdefault(team.namespace, []).append(team)
    owners = {}
    for namespace, members in sorted(by_namespace.items()):
        managers = [t for t in members if t.manage_namespace]
        for extra in managers[1:]:
            problems.add(join_path(extra.path, "manage_namespace"), "namespace %r is already managed by team %r (%s); only its owner "
                         "manages it: set manage_namespace: false and ask %r to list %r in shares_namespace_with" % (
                             namespace, managers[0].name, managers[0].path, managers[0].name, extra.name))
        if managers:
            owner = managers[0]
        else:
            listed = {n for t in members for n in t.shares_namespace_with}
            unlisted = [t for t in members if t.name not in listed]
            owner = unlisted[0] if len(unlisted) == 1 else None
            if owner is None and len(members) > 1:
                first = members[0]
                for team in members[1:]:
                    problems.add(join_path(team.path, "namespace"), "%r is also the namespace of team %r (%s), and neither owns it: the owner "
                                 "keeps manage_namespace: true or lists the other teams in shares_namespace_with" % (
                                     namespace, first.name, first.path))
                continue
        owners[namespace] = owner
        for team in members:
            if team is not owner and team.name not in owner.shares_namespace_with:
                problems.add(join_path(team.path, "namespace"), "%r belongs to team %r (%s), which does not share it with %r: the owner "
                             "lists the teams that may use its namespace in shares_namespace_with" % (namespace, owner.name, owner.path, team.name))
    return owners


def may_use(team: Team, namespace: str, owners: Mapping[str, Team]) -> bool:
    """Whether `team` may read or scrape `namespace`: its own, or one whose owner shares it with the team."""
    owner = owners.get(namespace)
    return namespace == team.namespace or (owner is not None and team.name in owner.shares_namespace_with)


def _monitored_namespaces(teams: Sequence[Team], owners: Mapping[str, Team], problems: Problems) -> None:
    for team in teams:
        for service in team.services:
            for namespace in service.monitor.namespaces if service.monitor else ():
                if not may_use(team, namespace, owners):
                    owner = owners.get(namespace)
                    why = ("belongs to team %r (%s), which does not list %r in shares_namespace_with" % (owner.name, owner.path, team.name)
                           if owner else "is the namespace of no team")
                    problems.add(join_path(join_path(service.path, "monitor"), "namespaces"),
                                 "%r %s: a monitor scrapes only namespaces its team owns or is shared" % (namespace, why))


def _unique_dashboard_uids(teams, problems):
    """Grafana keys dashboards by UID across every folder: two teams' dashboards must not share one."""
    seen = {}
    for team in teams:
        for dashboard in team.dashboards:
            if not dashboard.uid:
                continue
            if dashboard.uid in seen:
                problems.add(join_path(join_path(dashboard.path, "json"), "uid"), "%r is also the uid of %s" % (dashboard.uid, seen[dashboard.uid]))
            else:
                seen[dashboard.uid] = dashboard.path
