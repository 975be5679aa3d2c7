# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A service's `monitor` block: ServiceMonitor or PodMonitor settings, TLS, relabelings, kept and dropped metrics.

Parsed into frozen dataclasses with every problem at its variable path; the objects are built by
generators/monitors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import LABEL_NAME_RE, SelectorError, check_regex
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import DNS_SUBDOMAIN, is_dns_label, is_label_key, is_label_value
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from typing import Any, Dict, Optional


API_VERSION = "monitoring.coreos.com/v1"


SERVICE_MONITOR, POD_MONITOR = "ServiceMonitor", "PodMonitor"


# Relabel actions of the Prometheus Operator v0.93 CRDs (lower-case spelling).
RELABEL_ACTIONS = ("replace", "keep", "drop", "hashmod", "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase",
                   "keepequal", "dropequal")


# Actions that write `target_label`, so they need one.
_NEEDS_TARGET = ("replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal")


# A Kubernetes label key: optional DNS-subdomain prefix and a name of at most 63 characters.
# Labels the platform's alerts, routes and inhibitions trust: no relabeling may write them. The monitors restore or
# drop them after the team's relabelings (generators/monitors), and the operator enforces `namespace`.
TRUSTED_LABELS = ("alertname", "cluster", "job", "namespace", "prometheus", "prometheus_replica", "service", "severity", "slo", "team")
# What an SLO's alerts may not set (teams' `labels`, Sloth and OpenSLO specs): the trusted labels and alertstate.
RESERVED_ALERT_LABELS = tuple(sorted(set(TRUSTED_LABELS) | {"alertstate"}))


# Patterns for Reader.string, anchored both ends.


_SUBDOMAIN_WHAT = "a Kubernetes object name (lower-case letters, digits, '-' and '.')"


@dataclass(frozen=True)
class SecretRef:
    """A key of a Secret (or, for CA and client certificates, a ConfigMap) in the monitor's namespace."""

    name: str
    key: str
    source: str = "secret"  # secret or configmap

    def selector(self) -> Dict[str, str]:
        return {"name": self.name, "key": self.key}

    def ca_or_cert(self) -> Dict[str, Dict[str, str]]:
        return {"configMap" if self.source == "configmap" else "secret": self.selector()}


@dataclass(frozen=True)
class TLS:
    ca: SecretRef | None = None
    cert: SecretRef | None = None
    key: SecretRef | None = None
    server_name: str = ""
    insecure_skip_verify: bool = False

    def spec(self) -> Dict[str, Any]:
        out = {}
        if self.ca:
            out["ca"] = self.ca.ca_or_cert()
        if self.cert:
            out["cert"] = self.cert.ca_or_cert()
        if self.key:
            out["keySecret"] = self.key.selector()
        if self.server_name:
            out["serverName"] = self.server_name
        if self.insecure_skip_verify:
            out["insecureSkipVerify"] = True
        return out


@dataclass(frozen=True)
class Relabel:
    action: str = "replace"
    source_labels: tuple = ()
    separator: str | None = None
    target_label: str = ""
    regex: str | None = None
    modulus: int | None = None
    replacement: str | None = None

    def spec(self) -> Dict[str, Any]:
        out = {"action": self.action}
        if self.source_labels:
            out["sourceLabels"] = list(self.source_labels)
        if self.separator is not None:
            out["separator"] = self.separator
        if self.target_label:
            out["targetLabel"] = self.target_label
        if self.regex is not None:
            out["regex"] = self.regex
        if self.modulus is not None:
            out["modulus"] = self.modulus
        if self.replacement is not None:
            out["replacement"] = self.replacement
        return out


@dataclass(frozen=True)
class Monitor:
    kind: str = SERVICE_MONITOR
    selector: tuple = ()  # sorted (label, value) pairs
    port: str = "metrics"
    path: str = "/metrics"
    interval: object = None  # Duration
    scrape_timeout: object = None  # Duration
    scheme: str = ""  # empty: Prometheus' default (http)
    tls: TLS | None = None
    username: SecretRef | None = None
    password: SecretRef | None = None
    drop_metrics: tuple = ()
    keep_metrics: tuple = ()
    relabelings: tuple = ()  # Relabel
    namespaces: tuple = ()  # target namespaces other than the team's; empty: the team's


def _secret_ref(raw: Any, path: str, problems: Problems, allow_configmap: bool = False) -> Any:
    if not isinstance(raw, dict):
        # Never echo the value: it may be the credential itself.
        problems.add(path, "must be a reference such as {secret: <name>, key: <key>}; credentials are never written inline")
        return None
    r = Reader(raw, path, problems)
    secret = r.string("secret", pattern=DNS_SUBDOMAIN, what=_SUBDOMAIN_WHAT)
    configmap = r.string("configmap", pattern=DNS_SUBDOMAIN, what=_SUBDOMAIN_WHAT) if allow_configmap else None
    key = r.string("key", required=True, pattern=r"^[-._a-zA-Z0-9]+\Z", what="a Secret or ConfigMap key (letters, digits, '-', '_', '.')")
    r.done()
    if not r.ok:
        return None
    if bool(secret) == bool(configmap):
        problems.add(path, "needs %s" % ("exactly one of secret and configmap" if allow_configmap else "secret (the Secret's name)"))
        return None
    if key is None:
        return None
    return SecretRef(secret or configmap, key, "secret" if secret else "configmap")


def _parse_tls(raw: Dict[str, Any], path: str, problems: Problems) -> TLS:
    r = Reader(raw, path, problems)
    ca = _secret_ref(r.raw("ca"), r.sub("ca"), problems, allow_configmap=True) if r.has("ca") else None
    cert = _secret_ref(r.raw("cert"), r.sub("cert"), problems, allow_configmap=True) if r.has("cert") else None
    key = _secret_ref(r.raw("key"), r.sub("key"), problems) if r.has("key") else None
    server_name = r.string("server_name", default="")
    insecure = r.boolean("insecure_skip_verify", default=False)
    r.done()
    if r.has("cert") != r.has("key"):
        problems.add(path, "cert and key go together (a client certificate needs its key)")
    return TLS(ca=ca, cert=cert, key=key, server_name=server_name, insecure_skip_verify=insecure)


def _parse_relabel(raw: Dict[str, Any], path: str, problems: Problems) -> Any:
    r = Reader(raw, path, problems)
    action = r.string("action", default="replace", choices=RELABEL_ACTIONS)
    source_labels = []
    for item_path, item in r.items("source_labels"):
        if not isinstance(item, str) or not LABEL_NAME_RE.match(item):
            problems.add(item_path, "must be a label name, got %s" % describe(item))
        else:
            source_labels.append(item)
    separator = r.string("separator")
    target_label = r.string("target_label", default="")
    regex = r.string("regex")
    modulus = r.integer("modulus", minimum=1)
    replacement = r.string("replacement")
    r.done()
    if not r.ok:
        return None
    bad = False
    if target_label and not LABEL_NAME_RE.match(target_label):
        # replace may write $1-style names, which Prometheus expands; keep it to plain names here.
        problems.add(r.sub("target_label"), "must be a label name, got %s" % describe(target_label))
        bad = True
    if regex is not None:
        try:
            check_regex(regex)
        except SelectorError as exc:
            problems.add(r.sub("regex"), str(exc))
            bad = True
    if action in _NEEDS_TARGET and not target_label:
        problems.add(path, "action %s needs target_label" % action)
        bad = True
    if action == "hashmod" and modulus is None:
        problems.add(path, "action hashmod needs modulus")
        bad = True
    if action in ("keep", "drop", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal") and not source_labels:
        problems.add(path, "action %s needs source_labels" % action)
        bad = True
    if target_label == "job":
        problems.add(r.sub("target_label"), "job is set to the service name, which the golden-signal alerts and dashboards select on")
        bad = True
    elif target_label in TRUSTED_LABELS:
        problems.add(r.sub("target_label"), "%s is a label the platform sets and routes on; a relabeling may not write it (see docs/tenancy.md)"
                     % target_label)
        bad = True
    if action == "labelmap" and replacement is not None and replacement in TRUSTED_LABELS:
        problems.add(r.sub("replacement"), "%s is a label the platform sets and routes on; a labelmap may not write it" % replacement)
        bad = True
    if bad or action is None:
        return None
    return Relabel(action, tuple(source_labels), separator, target_label, regex, modulus, replacement)


def parse_monitor(raw: Dict[str, Any], path: str, problems: Problems, service_name: str, default_interval: Optional[Duration] = None) -> Monitor:
    """Parse one service's `monitor` block; `default_interval` is Prometheus' global scrape interval."""
    r = Reader(raw, path, problems)
    kind = r.string("kind", default=SERVICE_MONITOR, choices=(SERVICE_MONITOR, POD_MONITOR))
    selector = {"app": service_name} if service_name else {}
    if r.has("selector"):
        selector = {}
        for key, value in sorted(r.mapping("selector").items(), key=lambda kv: str(kv[0])):
            where = join_path(r.sub("selector"), str(key))
            if not is_label_key(key):
                problems.add(where, "is not a valid Kubernetes label key")
            elif isinstance(value, bool) or not isinstance(value, (str, int)) or not is_label_value(str(value)):
                problems.add(where, "must be a Kubernetes label value (at most 63 letters, digits, '-', '_', '.'), got %s" % describe(value))
            else:
                selector[key] = str(value)
        if not selector and r.ok and isinstance(r.data.get("selector"), dict):
            problems.add(r.sub("selector"), "must not be empty: an empty selector scrapes every %s in the namespace" % (
                "Service" if kind != POD_MONITOR else "Pod"))
    else:
        r.raw("selector")
    port = r.string("port", default="metrics", pattern=r"^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?\Z",
                    what="a named container or Service port (at most 15 lower-case letters, digits and '-')")
    metrics_path = r.string("path", default="/metrics", pattern=r"^/\S*\Z", what="a path starting with / and without spaces")
    interval = r.duration("interval")
    scrape_timeout = r.duration("scrape_timeout")
    scheme = r.string("scheme", default="", choices=("http", "https"))
    tls = _parse_tls(r.raw("tls"), r.sub("tls"), problems) if r.has("tls") else None
    username = password = None
    if r.has("basic_auth"):
        ba = Reader(r.raw("basic_auth"), r.sub("basic_auth"), problems)
        username = _secret_ref(ba.raw("username"), ba.sub("username"), problems) if ba.has("username") else None
        password = _secret_ref(ba.raw("password"), ba.sub("password"), problems) if ba.has("password") else None
        for key in ("username", "password"):
            if not ba.has(key) and ba.ok:
                problems.add(ba.sub(key), "is required (a Secret reference: {secret: <name>, key: <key>})")
            ba.raw(key)
        ba.done()
    else:
        r.raw("basic_auth")
    drop_metrics = tuple(r.string_list("drop_metrics", regex=True))
    keep_metrics = tuple(r.string_list("keep_metrics", regex=True))
    relabelings = tuple(x for x in (_parse_relabel(item, p, problems) for p, item in r.items("relabelings")) if x)
    namespaces = []
    for item_path, item in r.items("namespaces"):
        if not is_dns_label(item):
            problems.add(item_path, "must be a namespace name, got %s" % describe(item))
        elif item not in namespaces:
            namespaces.append(item)
    r.done()

    if tls is not None and scheme == "http":
        problems.add(r.sub("scheme"), "is http, but tls is set; TLS needs scheme https")
    if tls is not None and not scheme:
        scheme = "https"
    effective = interval or default_interval
    if effective and scrape_timeout and scrape_timeout > effective:
        problems.add(r.sub("scrape_timeout"), "must not be longer than the scrape interval (%s%s), got %s" % (
            effective, "" if interval else ", Prometheus' global interval", scrape_timeout))
    return Monitor(
        kind=kind,
        selector=tuple(sorted(selector.items())),
        port=port,
        path=metrics_path,
        interval=interval,
        scrape_timeout=scrape_timeout,
        scheme=scheme or "",
        tls=tls,
        username=username,
        password=password,
        drop_metrics=drop_metrics,
        keep_metrics=keep_metrics,
        relabelings=relabelings,
        namespaces=tuple(sorted(namespaces)),
    )


def dropped_by(monitor: Monitor, series_name: str) -> Any:
    """The drop_metrics or keep_metrics setting that stops `series_name` from being stored, or None."""
    for pattern in monitor.drop_metrics:
        if re.fullmatch(pattern, series_name):
            return "drop_metrics %r drops it" % pattern
    if monitor.keep_metrics and not any(re.fullmatch(p, series_name) for p in monitor.keep_metrics):
        return "keep_metrics keeps only %s" % ", ".join(repr(p) for p in monitor.keep_metrics)
    return None
