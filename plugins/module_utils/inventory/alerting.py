# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alertmanager settings from the inventory: each team's receivers and routes, the platform's block.

Parsed into frozen dataclasses with every problem at its variable path. Secret values (routing keys, webhook
URLs, passwords) are held as SecretValue, which never shows in a repr, and which remembers the inventory path
it came from so that the one no_log task writing the Secret can read it again there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ansible_collections.vigil.observability.plugins.module_utils.core import gotemplate
from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher, LABEL_NAME_RE, SelectorError, parse_selector
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Team
from typing import Any, Dict, List, Sequence, Tuple


ALERTMANAGER_VAR = "observability_alertmanager"


GLOBAL, PER_NAMESPACE = "global", "per_namespace"


MODES = (GLOBAL, PER_NAMESPACE)


# kube-prometheus-stack mounts each Secret of alertmanagerSpec.secrets at <dir>/<secret name>/<key>.
SECRETS_DIR = "/etc/alertmanager/secrets"


DEFAULT_SECRET_NAME = "vigil-alertmanager-receivers"


NULL_RECEIVER = "null"


# kube-prometheus-stack's always-firing and info-inhibiting alerts: never a notification.
SILENT_ALERTS = ("Watchdog", "InfoInhibitor")


DEFAULT_GROUP_BY = ("alertname", "team", "severity")


DEFAULT_TIMINGS = (("group_wait", "30s"), ("group_interval", "5m"), ("repeat_interval", "4h"))


AMC_API_VERSION = "monitoring.coreos.com/v1alpha1"


_SECRET_NOTE = "(the value is not shown: it is a secret)"


_SMARTHOST = r"^(\[[0-9a-fA-F:.]+\]|[^\s:\[\]]+):[0-9]{1,5}\Z"


_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*\Z")


class SecretValue:
    """A secret string that never shows in a repr, a traceback or a test failure."""

    __slots__ = ("_value", "path")

    def __init__(self, value: str, path: str = "") -> None:
        self._value = value
        self.path = path  # the inventory variable path it was read from: how the Secret's writer finds it again

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretValue(<hidden>)"

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, SecretValue) and self._value == other._value

    def __hash__(self):
        return hash(self._value)


@dataclass(frozen=True)
class SecretField:
    name: str  # inventory key
    file_field: str  # Alertmanager configuration field naming the mounted file
    crd_field: str  # AlertmanagerConfig field taking a SecretKeySelector
    required: bool = True
    url: bool = False


@dataclass(frozen=True)
class Option:
    name: str  # inventory key, also the Alertmanager field
    crd_field: str
    kind: str = "str"  # str, url, bool, int, smarthost
    required: bool = False
    templated: bool = False  # Alertmanager expands the field as a Go template: the inventory's text is made literal


@dataclass(frozen=True)
class Kind:
    config_key: str  # <kind>_configs in a receiver
    crd_key: str  # the AlertmanagerConfig receiver's list
    paging: bool
    secrets: tuple
    options: tuple = ()


_SEND_RESOLVED = Option("send_resolved", "sendResolved", "bool")


KINDS = {
    "pagerduty": Kind("pagerduty_configs", "pagerdutyConfigs", True,
                      (SecretField("routing_key", "routing_key_file", "routingKey"),),
                      (Option("url", "url", "url"), _SEND_RESOLVED)),
    "opsgenie": Kind("opsgenie_configs", "opsgenieConfigs", True,
                     (SecretField("api_key", "api_key_file", "apiKey"),),
                     (Option("api_url", "apiURL", "url"), _SEND_RESOLVED)),
    "slack": Kind("slack_configs", "slackConfigs", False,
                  (SecretField("api_url", "api_url_file", "apiURL", url=True),),
                  (Option("channel", "channel", templated=True), _SEND_RESOLVED)),
    # Office 365 connector webhooks (Alertmanager >= 0.26) and Power Automate workflows (>= 0.28).
    "msteams": Kind("msteams_configs", "msteamsConfigs", False,
                    (SecretField("webhook_url", "webhook_url_file", "webhookUrl", url=True),), (_SEND_RESOLVED,)),
    "msteamsv2": Kind("msteamsv2_configs", "msteamsv2Configs", False,
                      (SecretField("webhook_url", "webhook_url_file", "webhookURL", url=True),), (_SEND_RESOLVED,)),
    "email": Kind("email_configs", "emailConfigs", False,
                  (SecretField("auth_password", "auth_password_file", "authPassword", required=False),),
                  (Option("to", "to", required=True, templated=True), Option("from", "from", templated=True), Option("smarthost", "smarthost", "smarthost"),
                   Option("auth_username", "authUsername"), Option("require_tls", "requireTLS", "bool"), _SEND_RESOLVED)),
    # A webhook URL may carry a token, so it is always treated as a secret (url_file: Alertmanager >= 0.26).
    "webhook": Kind("webhook_configs", "webhookConfigs", False,
                    (SecretField("url", "url_file", "urlSecret", url=True),),
                    (Option("max_alerts", "maxAlerts", "int"), _SEND_RESOLVED)),
}


@dataclass(frozen=True)
class Integration:
    """One notifier: a team receiver (key `pagerduty` -> receiver `<team>-pagerduty`), or one of the default receiver's."""

    key: str
    kind: str
    options: tuple = ()  # sorted (field, value) pairs
    secrets: tuple = ()  # sorted (SecretField, SecretValue) pairs
    path: str = ""

    @property
    def paging(self) -> bool:
        return KINDS[self.kind].paging


@dataclass(frozen=True)
class Grouping:
    group_by: tuple | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None

    def fields(self) -> Dict[str, Any]:
        out = {}
        if self.group_by is not None:
            out["group_by"] = list(self.group_by)
        for key in ("group_wait", "group_interval", "repeat_interval"):
            if getattr(self, key) is not None:
                out[key] = str(getattr(self, key))
        return out


@dataclass(frozen=True)
class TeamRoute:
    receiver: str  # key of one of the team's receivers
    matchers: tuple = ()  # promql.Matcher
    continue_: bool = False
    grouping: Grouping = field(default_factory=Grouping)


@dataclass(frozen=True)
class TeamAlerting:
    receivers: tuple = ()  # Integration, in inventory order
    routes: tuple | None = None  # TeamRoute; None: the default routing
    grouping: Grouping = field(default_factory=Grouping)
    path: str = ""

    def receiver(self, key):
        return next(r for r in self.receivers if r.key == key)


@dataclass(frozen=True)
class Smtp:
    options: tuple = ()  # sorted (global field, value) pairs
    password: SecretValue | None = None


@dataclass(frozen=True)
class AlertmanagerSettings:
    default_receiver: str = "platform"
    receivers: tuple = ()  # Integration of the default receiver
    grouping: Grouping = field(default_factory=Grouping)
    smtp: Smtp | None = None
    secret_name: str = DEFAULT_SECRET_NAME
    mode: str = GLOBAL
    path: str = ALERTMANAGER_VAR


def _is_secret_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _read_grouping(r: Reader) -> Grouping:
    group_by = None
    if r.has("group_by"):
        group_by = []
        for path, item in r.items("group_by"):
            if item == "..." or (isinstance(item, str) and LABEL_NAME_RE.fullmatch(item)):
                if item in group_by:
                    r.problems.add(path, "duplicate label %r" % item)
                else:
                    group_by.append(item)
            else:
                r.problems.add(path, "must be a label name (or '...' for every label), got %s" % describe(item))
        if "..." in group_by and len(group_by) > 1:
            r.problems.add(r.sub("group_by"), "'...' groups by every label and cannot be combined with label names")
        group_by = tuple(group_by)
    else:
        r.raw("group_by")
    return Grouping(group_by, r.duration("group_wait"), r.duration("group_interval"), r.duration("repeat_interval"))


def _read_option(r: Reader, option: Option) -> Any:
    if option.kind == "bool":
        return r.boolean(option.name, default=None)
    if option.kind == "int":
        return r.integer(option.name, minimum=0, required=option.required)
    if option.kind == "url":
        return r.string(option.name, required=option.required, pattern=_URL.pattern, what="an http(s) URL")
    if option.kind == "smarthost":
        return r.string(option.name, required=option.required, pattern=_SMARTHOST, what="host:port")
    value = r.string(option.name, required=option.required)
    return gotemplate.literal(value) if option.templated and value is not None else value


def _read_secret(r: Reader, secret: SecretField) -> Any:
    """A secret string; its problems never quote the value."""
    value = r.raw(secret.name)
    if value is None or value == "":
        if secret.required and r.ok:
            r.fail(secret.name, "is required")
        return None
    if not _is_secret_text(value):
        r.fail(secret.name, "must be a non-empty string, got a %s %s" % (type(value).__name__, _SECRET_NOTE))
        return None
    if value != value.strip():
        r.fail(secret.name, "has leading or trailing white space %s" % _SECRET_NOTE)
        return None
    if secret.url and not _URL.match(value):
        r.fail(secret.name, "must be an http(s) URL %s" % _SECRET_NOTE)
        return None
    return SecretValue(value, r.sub(secret.name))


def parse_integration(key: str, raw: Any, path: str, problems: Problems) -> Any:
    """One receiver entry: `<key>: {kind?, <secret and option fields>}`; None when it has problems."""
    if not isinstance(raw, dict):
        # Not describe(raw): a misplaced secret would be quoted in the error.
        problems.add(path, "must be a mapping of the receiver's settings, got a %s" % type(raw).__name__)
        return None
    r = Reader(raw, path, problems)
    kind = r.string("kind", default=key if isinstance(key, str) else None)
    if kind not in KINDS:
        where = r.sub("kind") if r.has("kind") else path
        hint = "" if r.has("kind") else "; to name a receiver differently, set `kind`"
        problems.add(where, "unknown receiver kind %s (known: %s)%s" % (describe(kind), ", ".join(sorted(KINDS)), hint))
        return None
    spec = KINDS[kind]
    count = len(problems)
    secrets = tuple((s, _read_secret(r, s)) for s in spec.secrets)
    options = tuple((o.name, _read_option(r, o)) for o in spec.options)
    r.done()
    secrets = tuple((s, v) for s, v in secrets if v is not None)
    options = tuple(sorted((n, v) for n, v in options if v is not None))
    if kind == "email" and any(s.name == "auth_password" for s, _v in secrets) and "auth_username" not in dict(options):
        problems.add(r.sub("auth_password"), "needs auth_username")
    if len(problems) > count:
        return None
    return Integration(key, kind, options, secrets, path)


def _parse_receivers(receivers: Dict[str, Any], path: str, problems: Problems) -> Tuple[Integration, ...]:
    out = []
    for key, raw in receivers.items():
        where = join_path(path, str(key))
        if not is_dns_label(key, max_len=40):
            problems.add(where, "a receiver key must be a lower-case name of at most 40 letters, digits and '-', got %s" % describe(key))
            continue
        integration = parse_integration(key, raw, where, problems)
        if integration:
            out.append(integration)
    return tuple(out)


def parse_matcher(text: str) -> Matcher:
    """One Alertmanager matcher (`severity="critical"`, `service!="ledger"`), in the syntax PromQL shares.

    Parsed inside a named selector: Alertmanager, unlike PromQL, accepts a lone matcher that matches the empty string.
    """
    if not isinstance(text, str):
        raise SelectorError("expected a string, got %s" % describe(text))
    selector = parse_selector("vigil_matcher{%s}" % text)
    if len(selector.matchers) != 1:
        raise SelectorError("expected exactly one matcher, got %d" % len(selector.matchers))
    return selector.matchers[0]


def parse_matchers(items: List[Any], problems: Problems, forbid: Sequence[str] = ()) -> Tuple[Matcher, ...]:
    """Alertmanager matcher strings (`severity="critical"`), parsed so that they print back escaped."""
    out = []
    for path, item in items:
        try:
            matcher = parse_matcher(item)
        except SelectorError as exc:
            problems.add(path, "is not a matcher such as severity=\"critical\": %s" % exc)
            continue
        if any(ord(c) < 32 for c in matcher.value):
            problems.add(path, "must not contain control characters (tabs, newlines)")
            continue
        if matcher.name in forbid:
            problems.add(path, "must not match on %s: %s" % (matcher.name, forbid[matcher.name]))
            continue
        out.append(matcher)
    return tuple(out)


def _parse_route(raw: Dict[str, Any], path: str, problems: Problems, receiver_keys: List[str]) -> Any:
    r = Reader(raw, path, problems)
    receiver = r.string("receiver", required=True)
    matchers = parse_matchers(r.items("matchers"), problems,
                              forbid={"team": "the team's route already matches team=\"<team>\""})
    continue_ = r.boolean("continue", default=False)
    grouping = _read_grouping(r)
    r.done()
    if receiver is not None and receiver not in receiver_keys:
        problems.add(r.sub("receiver"), "names receiver %s, which the team does not have (its receivers: %s)" % (
            describe(receiver), ", ".join(receiver_keys) or "none"))
        return None
    if receiver is None:
        return None
    return TeamRoute(receiver, matchers, continue_, grouping)


def parse_team_alerting(raw: Any, path: str, problems: Problems) -> Any:
    """A team's `alerting` block; None when the team has none."""
    if raw is None:
        return None
    r = Reader(raw, path, problems)
    receivers_raw = r.mapping("receivers")
    route_items = r.items("routes") if r.has("routes") else None
    if route_items is None:
        r.raw("routes")
    grouping = _read_grouping(r)
    r.done()
    if not r.ok:
        return None
    count = len(problems)
    receivers = _parse_receivers(receivers_raw, r.sub("receivers"), problems)
    keys = [str(k) for k in receivers_raw]
    routes = None
    if route_items is not None:
        if not receivers_raw:
            problems.add(r.sub("routes"), "the team has routes but no receivers; add them under receivers")
        else:
            routes = tuple(x for x in (_parse_route(item, p, problems, keys) for p, item in route_items) if x)
    elif receivers and not any(not i.paging for i in receivers):
        problems.add(r.sub("receivers"), "has only paging receivers (%s); add a chat, email or webhook receiver for the "
                     "alerts that do not page, or set routes" % ", ".join(i.key for i in receivers))
    if len(problems) > count:
        return None
    if not receivers:
        return None
    return TeamAlerting(receivers, routes, grouping, path)


def _parse_smtp(raw: Dict[str, str], path: str, problems: Problems) -> Smtp:
    r = Reader(raw, path, problems)
    options = []
    # smtp_from is the default `from` of every e-mail receiver, which Alertmanager expands as a template.
    for key, kind in (("smarthost", "smarthost"), ("from", "str"), ("hello", "str"), ("auth_username", "str")):
        value = _read_option(r, Option(key, "", kind, templated=key == "from"))
        if value is not None:
            options.append(("smtp_" + key, value))
    if r.has("require_tls"):
        options.append(("smtp_require_tls", r.boolean("require_tls")))
    else:
        r.raw("require_tls")
    password = _read_secret(r, SecretField("auth_password", "smtp_auth_password_file", "", required=False))
    r.done()
    if password is not None and "smtp_auth_username" not in dict(options):
        problems.add(r.sub("auth_password"), "needs auth_username")
    return Smtp(tuple(sorted(options)), password)


def parse_alertmanager(raw: Dict[str, Any], problems: Problems, mode: str = GLOBAL, path: str = ALERTMANAGER_VAR) -> AlertmanagerSettings:
    """The platform's part: default receiver, its integrations, root grouping and timings, global SMTP."""
    r = Reader(raw, path, problems)
    default_receiver = r.name("default_receiver", default="platform")
    receivers = _parse_receivers(r.mapping("receivers"), r.sub("receivers"), problems)
    grouping = _read_grouping(r)
    smtp = _parse_smtp(r.raw("smtp"), r.sub("smtp"), problems) if r.has("smtp") else None
    r.raw("smtp")
    secret_name = r.name("secret_name", default=DEFAULT_SECRET_NAME, max_len=253)
    r.done()
    if mode not in MODES:
        problems.add("observability_alertmanager_mode", "must be one of %s, got %s" % (", ".join(MODES), describe(mode)))
    if default_receiver == NULL_RECEIVER:
        problems.add(r.sub("default_receiver"), "%r is the receiver that drops %s" % (NULL_RECEIVER, " and ".join(SILENT_ALERTS)))
    root = Grouping(
        grouping.group_by if grouping.group_by is not None else DEFAULT_GROUP_BY,
        *(getattr(grouping, k) or Duration.parse(v) for k, v in DEFAULT_TIMINGS),
    )
    return AlertmanagerSettings(default_receiver or "platform", receivers, root, smtp, secret_name or DEFAULT_SECRET_NAME, mode, path)


def receiver_name(team: Team, key: str) -> str:
    return "%s-%s" % (team.name, key)


def check_teams(teams: List[Any], settings: AlertmanagerSettings, problems: Problems) -> None:
    """Problems across teams and the platform part: unique receiver names, SMTP settings for email."""
    owners = {settings.default_receiver: "%s.default_receiver" % settings.path, NULL_RECEIVER: "the null receiver"}
    integrations = list(settings.receivers)
    for team in teams:
        alerting = getattr(team, "alerting", None)
        if not alerting:
            continue
        integrations.extend(alerting.receivers)
        for integration in alerting.receivers:
            name = receiver_name(team, integration.key)
            if name in owners:
                problems.add(integration.path, "its receiver name %r is also %s" % (name, owners[name]))
            else:
                owners[name] = integration.path
    smtp = dict(settings.smtp.options) if settings.smtp else {}
    for integration in integrations:
        if integration.kind != "email":
            continue
        options = dict(integration.options)
        for key in ("smarthost", "from"):
            if key not in options and "smtp_" + key not in smtp:
                problems.add(integration.path, "needs %s (or set %s.smtp.%s)" % (key, settings.path, key))
