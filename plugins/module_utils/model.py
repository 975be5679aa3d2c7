# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The team inventory model: parse, default and validate teams, services and SLOs.

Input is plain data as Ansible hands it over (`observability_team_<name>`
variables and the `observability_teams` list); output is frozen dataclasses.
Every problem is reported with the variable path it came from, all at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ansible_collections.vigil.observability.plugins.module_utils.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.fields import Reader, describe, is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.promql import eq

TEAM_VAR_PREFIX = "observability_team_"
TEAM_LIST_VAR = "observability_teams"
NOT_A_LIST = object()  # marks an observability_teams value that is not a list
PAGE, TICKET = "page", "ticket"

# The SRE workbook's tiers, as budget spent in a window (issue 2 fixes these defaults).
DEFAULT_TIERS = (
    {"action": PAGE, "budget_percent": 2, "long_window": "1h", "short_window": "5m"},
    {"action": PAGE, "budget_percent": 5, "long_window": "6h", "short_window": "30m"},
    {"action": TICKET, "budget_percent": 10, "long_window": "1d", "short_window": "2h"},
    {"action": TICKET, "budget_percent": 10, "long_window": "3d", "short_window": "6h"},
)


@dataclass(frozen=True)
class Tier:
    action: str  # page or ticket
    budget_percent: Fraction  # share of the period's budget spent within long_window
    long_window: Duration
    short_window: Duration
    for_: Duration | None = None
    min_events: int | None = None

    def burn_factor(self, period):
        """How many times faster than sustainable the budget burns when this tier fires."""
        return self.budget_percent / 100 * Fraction(period.ms, self.long_window.ms)


@dataclass(frozen=True)
class Latency:
    histogram: str
    threshold: Fraction
    selector: object  # promql.Selector without metric name


@dataclass(frozen=True)
class SLO:
    name: str
    objective: Fraction  # percent
    period: Duration
    errors: object = None  # promql.Selector of the bad-events counter
    total: object = None  # promql.Selector of the all-events counter
    latency: Latency | None = None
    tiers: tuple = ()
    min_events: int | None = None
    no_data: bool = False
    no_data_for: Duration | None = None
    description: str = ""
    runbook_url: str = ""
    dashboard_url: str = ""
    path: str = ""

    @property
    def kind(self):
        return "latency" if self.latency else "ratio"

    @property
    def error_budget(self):
        """Allowed share of bad events (1 - objective), exact."""
        return 1 - self.objective / 100


@dataclass(frozen=True)
class Monitor:
    kind: str = "ServiceMonitor"
    selector: tuple = ()  # sorted (label, value) pairs
    port: str = "metrics"
    path: str = "/metrics"
    interval: Duration | None = None
    scrape_timeout: Duration | None = None
    drop_metrics: tuple = ()


@dataclass(frozen=True)
class Service:
    name: str
    monitor: Monitor | None
    slos: tuple = ()
    runbook_url: str = ""
    path: str = ""


@dataclass(frozen=True)
class Team:
    name: str
    namespace: str
    labels: tuple = ()  # sorted (name, value) pairs added to every alert
    clusters: tuple | None = None  # None: every cluster
    services: tuple = ()
    path: str = ""

    @property
    def label_dict(self):
        return dict(self.labels)

    def on_cluster(self, cluster):
        return self.clusters is None or cluster in self.clusters


@dataclass(frozen=True)
class Settings:
    """Platform-wide settings the generators need; built by the roles from role variables."""

    clusters: tuple = ()
    platform_namespace: str = "monitoring"
    scrape_interval: Duration = field(default_factory=lambda: Duration.parse("30s"))
    retention: Duration | None = None
    tiers: tuple = ()
    period: Duration = field(default_factory=lambda: Duration.parse("30d"))
    budget_interval: Duration | None = None


def parse_tiers(items, problems, period=None):
    """Parse a list of tier mappings (global or per SLO)."""
    tiers, first_for = [], {}
    for path, raw in items:
        r = Reader(raw, path, problems)
        action = r.string("action", required=True, choices=(PAGE, TICKET))
        budget = r.decimal("budget_percent", required=True, low=0, high=100, high_open=False)
        long_window = r.duration("long_window", required=True)
        short_window = r.duration("short_window", required=True)
        for_ = r.duration("for")
        min_events = r.integer("min_events", minimum=1)
        r.done()
        bad = False
        if long_window and short_window and short_window >= long_window:
            problems.add(join_path(path, "short_window"), "must be shorter than long_window (%s), got %s" % (long_window, short_window))
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


def parse_settings(raw, problems, path="observability_settings"):
    """Settings from a plain mapping (the roles assemble it from their variables)."""
    r = Reader(raw, path, problems)
    clusters = tuple(r.string_list("clusters"))
    platform_namespace = r.name("platform_namespace", default="monitoring")
    scrape_interval = r.duration("scrape_interval", default=Duration.parse("30s"))
    retention = r.duration("retention")
    period = r.duration("slo_period", default=Duration.parse("30d"))
    budget_interval = r.duration("slo_budget_interval")
    tier_items = r.items("slo_tiers")
    r.done()
    tiers = parse_tiers(tier_items, problems) if tier_items else parse_tiers(
        [("default", t) for t in DEFAULT_TIERS], problems)
    return Settings(
        clusters=clusters,
        platform_namespace=platform_namespace,
        scrape_interval=scrape_interval,
        retention=retention,
        tiers=tiers,
        period=period,
        budget_interval=budget_interval,
    )


def _parse_latency(raw, path, problems):
    r = Reader(raw, path, problems)
    histogram = r.string("histogram", required=True, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", what="a metric name")
    threshold = r.decimal("threshold", required=True, low=0)
    selector = r.selector("selector", required=True)
    r.done()
    if selector is not None and selector.metric:
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


def parse_slo(raw, path, problems, settings):
    r = Reader(raw, path, problems)
    name = r.name("name", required=True)
    objective = r.decimal("objective", required=True, low=0, high=100)
    period = r.duration("period", default=settings.period)
    errors = r.selector("errors")
    total = r.selector("total")
    latency = _parse_latency(r.raw("latency"), r.sub("latency"), problems) if r.has("latency") else None
    tier_items = r.items("tiers")
    min_events = r.integer("min_events", minimum=1)
    no_data_raw = r.raw("no_data", False)
    description = r.string("description", default="")
    runbook_url = r.string("runbook_url", default="")
    dashboard_url = r.string("dashboard_url", default="")
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

    if r.has("latency") and (errors or total or r.has("errors") or r.has("total")):
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
    )


def parse_monitor(raw, path, problems, service_name):
    r = Reader(raw, path, problems)
    kind = r.string("kind", default="ServiceMonitor", choices=("ServiceMonitor", "PodMonitor"))
    selector = r.label_map("selector") if r.has("selector") else {"app": service_name}
    r.raw("selector")
    port = r.string("port", default="metrics")
    metrics_path = r.string("path", default="/metrics", pattern=r"^/", what="a path starting with /")
    interval = r.duration("interval")
    scrape_timeout = r.duration("scrape_timeout")
    drop_metrics = tuple(r.string_list("drop_metrics", regex=True))
    r.done()
    if interval and scrape_timeout and scrape_timeout > interval:
        problems.add(r.sub("scrape_timeout"), "must not be longer than interval (%s), got %s" % (interval, scrape_timeout))
    return Monitor(
        kind=kind,
        selector=tuple(sorted(selector.items())),
        port=port,
        path=metrics_path,
        interval=interval,
        scrape_timeout=scrape_timeout,
        drop_metrics=drop_metrics,
    )


def parse_service(raw, path, problems, settings):
    r = Reader(raw, path, problems)
    name = r.name("name", required=True)
    monitor = parse_monitor(r.raw("monitor"), r.sub("monitor"), problems, name) if r.has("monitor") else None
    r.raw("monitor")
    slo_items = r.items("slos")
    runbook_url = r.string("runbook_url", default="")
    r.done()
    slos = tuple(s for s in (parse_slo(raw_slo, p, problems, settings) for p, raw_slo in slo_items) if s)
    _no_duplicates(list(slo_items), "SLO", problems)
    if name is None:
        return None
    return Service(name=name, monitor=monitor, slos=slos, runbook_url=runbook_url, path=path)


def parse_team(raw, path, problems, settings, default_name=None):
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
    r.done()
    services = tuple(s for s in (parse_service(item, p, problems, settings) for p, item in service_items) if s)
    _no_duplicates(service_items, "service", problems)
    if name is None or namespace is None:
        return None
    return Team(
        name=name,
        namespace=namespace,
        labels=tuple(sorted(labels.items())),
        clusters=clusters,
        services=tuple(sorted(services, key=lambda s: s.name)),
        path=path,
    )


def _no_duplicates(items, what, problems):
    seen = {}
    for path, item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str):
            if name in seen:
                problems.add(join_path(path, "name"), "duplicate %s name %r (first at %s)" % (what, name, seen[name]))
            else:
                seen[name] = path


def collect_team_inputs(variables, team_list=None):
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


def parse_teams(inputs, settings, problems=None):
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
    if own:
        problems.raise_if_any()
    return sorted(teams, key=lambda t: t.name)


def slo_identity(team, service, slo):
    """The labels that identify one SLO's series, in a stable order."""
    return (("namespace", team.namespace), ("service", service.name), ("slo", slo.name), ("team", team.name))


def identity_matchers(team, service, slo):
    return tuple(eq(k, v) for k, v in slo_identity(team, service, slo))
