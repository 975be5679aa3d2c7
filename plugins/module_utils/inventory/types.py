# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The team inventory's types: teams, services, SLOs, tiers and the settings the generators read (frozen dataclasses)."""

from __future__ import annotations

import functools

import re
from dataclasses import dataclass, field
from fractions import Fraction
from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import Monitor
from typing import Any


TEAM_VAR_PREFIX = "observability_team_"


TEAM_LIST_VAR = "observability_teams"


NOT_A_LIST = object()  # marks an observability_teams value that is not a list


PAGE, TICKET = "page", "ticket"


# The SRE workbook's tiers, as budget spent in a window: the defaults docs/slo.md documents.
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

    def burn_factor(self, period: Duration) -> Fraction:
        """How many times faster than sustainable the budget burns when this tier fires."""
        return _burn_factor(self.budget_percent, period.ms, self.long_window.ms)

    def __hash__(self) -> int:
        # Tiers key the caches of every generator (alert expressions, descriptions, the catalogue's tier sets), and a
        # Fraction's hash is costly: the fields' hash is made once per tier (a frozen dataclass never changes).
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.action, self.budget_percent, self.long_window, self.short_window, self.for_, self.min_events))
            object.__setattr__(self, "_hash", cached)
        return cached


@dataclass(frozen=True)
class Latency:
    histogram: str
    threshold: Fraction
    selector: object  # promql.Selector without metric name


@dataclass(frozen=True)
class SLOAlert:
    action: str
    name: str = ""  # empty: the collection's alert name for the action
    labels: tuple = ()  # sorted (name, value) pairs
    annotations: tuple = ()
    enabled: bool = True


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
    # Extra labels of every alert of this SLO, as sorted (name, value) pairs.
    labels: tuple = ()
    # Per action (page, ticket): (name, labels, annotations, enabled); an action not listed keeps the defaults.
    alerting: tuple = ()

    def alert(self, action: str) -> "SLOAlert":
        """This SLO's settings of the page or ticket alert."""
        for item in self.alerting:
            if item.action == action:
                return item
        return SLOAlert(action)

    @property
    def kind(self) -> str:
        return "latency" if self.latency else "ratio"

    @functools.cached_property
    def error_budget(self) -> Fraction:
        """Allowed share of bad events (1 - objective), exact; asked for by every rule of the SLO, so kept once made
        (cached_property writes the instance's __dict__ directly, which a frozen dataclass allows)."""
        return _error_budget(self.objective)


@functools.lru_cache(maxsize=4096)
def _burn_factor(budget_percent: Fraction, period_ms: int, window_ms: int) -> Fraction:
    # Exact arithmetic, asked for by every rule of every SLO with the same few tiers: cached.
    return budget_percent / 100 * Fraction(period_ms, window_ms)


@functools.lru_cache(maxsize=4096)
def _error_budget(objective: Fraction) -> Fraction:
    return 1 - objective / 100


GOLDEN_SIGNALS = ("error_rate", "latency", "saturation", "traffic_drop")


ALERT_SEVERITIES = ("critical", "warning", "info")


# Grafana dashboard and datasource UIDs: at most 40 of these characters.
# Anchored both ends, whichever of re.match or re.fullmatch the Reader uses.
_METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z"


_LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*\Z"


_GRAFANA_UID = r"^[a-zA-Z0-9_-]{1,40}\Z"


GRAFANA_UID_RE = re.compile(_GRAFANA_UID)


@dataclass(frozen=True)
class Metrics:
    """How a service's request series are named (the platform design's defaults) and selected."""

    selector: object = None  # promql.Selector of label matchers only; None: namespace and job of the service
    requests: str = "http_requests_total"
    status_label: str = "status"
    error_pattern: str = "5.."
    duration_histogram: str = "http_request_duration_seconds"
    queue_depth: str = "http_request_queue_depth"
    explicit: tuple = ()  # the keys the inventory set


@dataclass(frozen=True)
class GoldenSignal:
    """One golden-signal alert of a service.

    `threshold` is an error ratio (error_rate), seconds (latency), a gauge value
    (saturation) or a share of the earlier request rate (traffic_drop).
    """

    signal: str
    threshold: Fraction
    for_: Duration
    severity: str
    window: Duration | None = None
    quantile: Fraction | None = None  # latency
    min_rate: Fraction | None = None  # traffic_drop: silent when the earlier rate was at most this (per second)
    offset: Duration | None = None  # traffic_drop: how far back the comparison looks
    runbook_url: str = ""


@dataclass(frozen=True)
class TeamRule:
    """A rule a team writes itself, in Prometheus' rule format: an alert or a recording rule."""

    kind: str  # "alert" or "record"
    name: str  # the alert's name, or the recorded series' name
    expr: str  # as written (parsed and checked: every selector reads the team's namespace only)
    for_: Duration | None = None
    keep_firing_for: Duration | None = None
    labels: tuple = ()  # sorted (name, value) pairs, as written (the platform adds team, namespace and service)
    annotations: tuple = ()  # sorted (name, value) pairs
    path: str = ""


@dataclass(frozen=True)
class RuleTest:
    """A promtool unit test a team attaches to its rules, in promtool's own format, with the team's namespace written
    into its input series (the series a team's rules can read)."""

    test: Any  # the test mapping, as promtool reads it
    path: str = ""


@dataclass(frozen=True)
class Service:
    name: str
    monitor: Monitor | None
    slos: tuple = ()
    runbook_url: str = ""
    path: str = ""
    metrics: Metrics = field(default_factory=Metrics)
    golden: tuple = ()  # enabled GoldenSignal, in GOLDEN_SIGNALS order
    rules: tuple = ()  # TeamRule, labelled with the service

    def signal(self, name: str) -> Any:
        return next((g for g in self.golden if g.signal == name), None)


@dataclass(frozen=True)
class CustomDashboard:
    """A dashboard a team ships itself, as canonical JSON text (sorted keys)."""

    name: str
    json_text: str
    uid: str = ""  # the uid in the JSON; empty: derived from team and name
    path: str = ""


@dataclass(frozen=True)
class Team:
    name: str
    namespace: str
    labels: tuple = ()  # sorted (name, value) pairs added to every alert
    clusters: tuple | None = None  # None: every cluster
    services: tuple = ()
    path: str = ""
    dashboards: tuple = ()  # CustomDashboard
    alerting: object = None  # alerting.TeamAlerting; None: the team's alerts go to the default receiver
    manage_namespace: bool = True
    namespace_labels: tuple = ()  # sorted (name, value) pairs for the Namespace object
    rbac_groups: tuple = ()  # subjects bound to the team's Role in its namespace
    rbac_users: tuple = ()
    instrumentation: object = None  # inventory/instrumentation.TeamInstrumentation; None: no Instrumentation object
    shares_namespace_with: tuple = ()  # sorted names of the teams the owner lets use its namespace
    rules: tuple = ()  # TeamRule of the team as a whole
    rule_tests: tuple = ()  # RuleTest, run against every rule the team's objects hold
    # The platform's own SLOs (observability_platform_slos): rules in the platform namespace, selectors not scoped.
    reads_all_namespaces: bool = False

    def on_cluster(self, cluster: str) -> bool:
        return self.clusters is None or cluster in self.clusters


@dataclass(frozen=True)
class Settings:
    """Platform-wide settings the generators need; built once per run by pipeline/compose from the role variables."""

    clusters: tuple
    platform_namespace: str
    scrape_interval: Duration
    retention: Duration | None
    tiers: tuple
    period: Duration
    budget_interval: Duration | None
    # Dashboards: the Grafana sidecar's label and folder annotation, where the ConfigMaps go, datasource UIDs.
    dashboard_label: str
    dashboard_label_value: str
    dashboard_folder_annotation: str
    dashboard_placement: str  # team or platform namespace
    prometheus_datasource_uid: str
    tempo_datasource_uid: str
    loki_datasource_uid: str
    runbook_base_url: str  # runbook links of alerts that have none of their own: <base>/<alertname>
    # Where teams' auto-instrumented SDKs send OTLP/HTTP: the opentelemetry role's agent.
    otlp_endpoint: str  # set by the plan from the Service registry
