# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alertmanager routing: the platform's route tree, each team's receivers, inhibitions, secret references.

The platform owns the tree (root, grouping, inhibitions, the default receiver); each team owns its receivers
and, optionally, its routes under one child route matching `team="<team>"`. Secret values never enter the
configuration: it names the files of the mounted Secret (`*_file` fields), or, per namespace,
AlertmanagerConfig objects name Secret keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher
from ansible_collections.vigil.observability.plugins.module_utils.inventory.alerting import (
    AlertmanagerSettings, Grouping, Integration, SecretField, SecretValue, TeamAlerting,
    GLOBAL,
    KINDS,
    NULL_RECEIVER,
    SECRETS_DIR,
    SILENT_ALERTS,
    TeamRoute,
)
from ansible_collections.vigil.observability.plugins.module_utils.inventory.alerting import receiver_name
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Team
from typing import Any, Dict, List, Optional


def secret_key(receiver: str, integration: Integration, secret: SecretField) -> str:
    """The Secret key of one secret: <receiver>.<entry key>.<field>, unique because receiver names hold no '.'."""
    return "%s.%s.%s" % (receiver, integration.key, secret.name)


SMTP_PASSWORD_KEY = "smtp.auth_password"


@dataclass(frozen=True)
class SecretSpec:
    """One Kubernetes Secret: where it lives, whose it is, and its values by key."""

    name: str
    namespace: str
    team: str | None
    values: tuple  # sorted (key, SecretValue)

    @property
    def keys(self) -> List[str]:
        return [k for k, _v in self.values]


@dataclass
class Plan:
    """Everything alerting generates for one cluster."""

    config: dict  # the Alertmanager configuration
    secrets: list  # SecretSpec, platform first
    team_configs: list  # (team, AlertmanagerConfig name, namespace, spec) in per-namespace mode
    mode: str = GLOBAL
    secrets_dir: str = SECRETS_DIR

    def mounted_secrets(self, platform_namespace: str) -> List[Any]:
        """Names of the Secrets Alertmanager mounts (kube-prometheus-stack alertmanagerSpec.secrets)."""
        return sorted(s.name for s in self.secrets if s.namespace == platform_namespace and s.team is None)

    def secret_refs(self) -> List[Any]:
        """Names, namespaces, keys and mount paths of the Secrets, never their values."""
        out = []
        for spec in self.secrets:
            ref = {"name": spec.name, "namespace": spec.namespace, "keys": spec.keys,
                   "sources": {key: value.path for key, value in spec.values}}
            if spec.team is None:
                ref["mounted_at"] = "%s/%s" % (self.secrets_dir, spec.name)
            else:
                ref["team"] = spec.team
            out.append(ref)
        return out


class _Secrets:
    def __init__(self, name: str, namespace: str, team: Optional[Any] = None) -> None:
        self.name, self.namespace, self.team = name, namespace, team
        self.values = {}

    def add(self, key: str, value: SecretValue) -> None:
        self.values[key] = value

    def spec(self) -> SecretSpec:
        return SecretSpec(self.name, self.namespace, self.team, tuple(sorted(self.values.items())))


def _integration_config(receiver: str, integration: Integration, store: _Secrets, secrets_dir: str) -> Dict[str, str]:
    """The Alertmanager `<kind>_configs` entry, secrets as mounted files."""
    cfg = dict(integration.options)
    for secret, value in integration.secrets:
        key = secret_key(receiver, integration, secret)
        store.add(key, value)
        cfg[secret.file_field] = "%s/%s/%s" % (secrets_dir, store.name, key)
    return cfg


def _receiver(name: str, integrations: Any, store: _Secrets, secrets_dir: str) -> Dict[str, Any]:
    out = {"name": name}
    for integration in integrations:
        out.setdefault(KINDS[integration.kind].config_key, []).append(_integration_config(name, integration, store, secrets_dir))
    return out


def _matcher_text(matcher: Matcher) -> str:
    return str(matcher)


def _default_children(alerting: TeamAlerting) -> List[Any]:
    """Without routes: critical alerts page, everything else goes to the first receiver that does not."""
    pager = next((i for i in alerting.receivers if i.paging), None)
    other = next((i for i in alerting.receivers if not i.paging), None)
    if pager is None or other is None:
        return []
    return [TeamRoute(pager.key, (Matcher("severity", "=", "critical"),))]


def _fallback(alerting: TeamAlerting) -> str:
    """Where a team's alerts go when none of its routes matches: its first non-paging receiver."""
    other = next((i for i in alerting.receivers if not i.paging), None)
    return (other or alerting.receivers[0]).key


def team_routes(team: Team) -> List[Any]:
    alerting = team.alerting
    return list(alerting.routes) if alerting.routes is not None else _default_children(alerting)


def _route_config(team: Team, route: TeamRoute) -> Dict[str, Any]:
    out = {"receiver": receiver_name(team, route.receiver)}
    if route.matchers:
        out["matchers"] = [_matcher_text(m) for m in route.matchers]
    if route.continue_:
        out["continue"] = True
    out.update(route.grouping.fields())
    return out


def team_route(team: Team) -> Dict[str, Any]:
    """The team's child of the root route: everything labelled team="<team>" from its namespace, and the team's own routes below.

    The namespace matcher is what keeps another team from reaching these receivers: the operator stamps every alert of a
    team's rules with the rules' namespace, while the team label is whatever the rule says.
    """
    alerting = team.alerting
    out = {"receiver": receiver_name(team, _fallback(alerting)), "matchers": [
        _matcher_text(Matcher("namespace", "=", team.namespace)), _matcher_text(Matcher("team", "=", team.name))]}
    out.update(alerting.grouping.fields())
    children = [_route_config(team, r) for r in team_routes(team)]
    if children:
        out["routes"] = children
    return out


def inhibit_rules() -> List[Dict[str, List[str]]]:
    return [
        # A page for a fast burn makes the ticket for the slow burn of the same SLO noise, whatever the SLO names
        # its alerts (an SLO's alerting.page.name and alerting.ticket.name).
        {"source_matchers": [_matcher_text(Matcher("severity", "=", "critical")), _matcher_text(Matcher("slo", "=~", ".+"))],
         "target_matchers": [_matcher_text(Matcher("severity", "=", "warning")), _matcher_text(Matcher("slo", "=~", ".+"))],
         "equal": ["namespace", "service", "slo", "team"]},
        # namespace too: alerts without team and service labels must not silence each other across namespaces.
        {"source_matchers": [_matcher_text(Matcher("severity", "=", "critical"))],
         "target_matchers": [_matcher_text(Matcher("severity", "=", "warning"))],
         "equal": ["alertname", "namespace", "service", "team"]},
        # kube-prometheus-stack's InfoInhibitor: info alerts only matter next to a warning or critical one.
        {"source_matchers": [_matcher_text(Matcher("alertname", "=", "InfoInhibitor"))],
         "target_matchers": [_matcher_text(Matcher("severity", "=", "info"))],
         "equal": ["namespace"]},
    ]


def _crd_matcher(matcher: Matcher) -> Dict[str, str]:
    return {"name": matcher.name, "value": matcher.value, "matchType": matcher.op}


def _crd_grouping(grouping: Grouping) -> Dict[Any, Any]:
    out = {}
    if grouping.group_by is not None:
        out["groupBy"] = list(grouping.group_by)
    for key, crd in (("group_wait", "groupWait"), ("group_interval", "groupInterval"), ("repeat_interval", "repeatInterval")):
        if getattr(grouping, key) is not None:
            out[crd] = str(getattr(grouping, key))
    return out


def _crd_integration(receiver: str, integration: Integration, store: _Secrets) -> Dict[str, Any]:
    spec = KINDS[integration.kind]
    by_name = {o.name: o for o in spec.options}
    cfg = {by_name[name].crd_field: value for name, value in integration.options}
    for secret, value in integration.secrets:
        key = secret_key(receiver, integration, secret)
        store.add(key, value)
        cfg[secret.crd_field] = {"name": store.name, "key": key}
    return cfg


def team_config_spec(team: Team, store: _Secrets) -> Dict[str, Any]:
    """The spec of a team's AlertmanagerConfig (camelCase, secrets as SecretKeySelectors in the team's namespace).

    The operator adds a namespace="<namespace>" matcher and `continue: true` to the top route, and puts it before the
    main configuration's routes: it leaves Watchdog and InfoInhibitor (which copies the labels of info alerts,
    team included) to the main configuration's null route.
    """
    alerting = team.alerting
    route = {"receiver": receiver_name(team, _fallback(alerting)), "matchers": [
        _crd_matcher(Matcher("team", "=", team.name)), _crd_matcher(Matcher("alertname", "!~", "|".join(SILENT_ALERTS)))]}
    route.update(_crd_grouping(alerting.grouping))
    children = []
    for child in team_routes(team):
        entry = {"receiver": receiver_name(team, child.receiver)}
        if child.matchers:
            entry["matchers"] = [_crd_matcher(m) for m in child.matchers]
        if child.continue_:
            entry["continue"] = True
        entry.update(_crd_grouping(child.grouping))
        children.append(entry)
    if children:
        route["routes"] = children
    receivers = []
    for integration in alerting.receivers:
        name = receiver_name(team, integration.key)
        receivers.append({"name": name, KINDS[integration.kind].crd_key: [_crd_integration(name, integration, store)]})
    return {"route": route, "receivers": sorted(receivers, key=lambda r: r["name"])}


def team_config_name(team: Team) -> str:
    return "%s-alerting" % team.name


def team_secret_name(team: Team) -> str:
    return "%s-alerting-receivers" % team.name


def plan(teams: List[Any], settings: AlertmanagerSettings, platform_namespace: str, secrets_dir: str = SECRETS_DIR) -> Plan:
    """The Alertmanager configuration, Secrets and (per namespace) AlertmanagerConfig specs of one cluster's teams."""
    store = _Secrets(settings.secret_name, platform_namespace)
    with_alerting = sorted((t for t in teams if getattr(t, "alerting", None)), key=lambda t: t.name)
    receivers = [_receiver(settings.default_receiver, settings.receivers, store, secrets_dir), {"name": NULL_RECEIVER}]
    root = {"receiver": settings.default_receiver}
    root.update(settings.grouping.fields())
    routes = [{"receiver": NULL_RECEIVER, "matchers": [_matcher_text(Matcher("alertname", "=~", "|".join(SILENT_ALERTS)))]}]
    team_configs, team_secrets = [], []
    for team in with_alerting:
        if settings.mode == GLOBAL:
            routes.append(team_route(team))
            for integration in team.alerting.receivers:
                receivers.append(_receiver(receiver_name(team, integration.key), [integration], store, secrets_dir))
        else:
            team_store = _Secrets(team_secret_name(team), team.namespace, team.name)
            team_configs.append((team, team_config_name(team), team.namespace, team_config_spec(team, team_store)))
            team_secrets.append(team_store.spec())
            # The operator gives the team's route `continue: true`; this stops its alerts at the null receiver after it.
            routes.append({"receiver": NULL_RECEIVER, "matchers": [
                _matcher_text(Matcher("namespace", "=", team.namespace)), _matcher_text(Matcher("team", "=", team.name))]})
    root["routes"] = routes
    # Every top-level key of kube-prometheus-stack's default configuration is set, so Helm's merge of the
    # chart defaults with these values leaves exactly this configuration (templates: the chart's templateFiles).
    config = {"global": {"resolve_timeout": "5m"}, "route": root, "receivers": sorted(receivers, key=lambda r: r["name"]),
              "inhibit_rules": inhibit_rules(), "templates": [TEMPLATES_GLOB]}
    if settings.smtp is not None:
        config["global"].update(settings.smtp.options)
        if settings.smtp.password is not None:
            store.add(SMTP_PASSWORD_KEY, settings.smtp.password)
            config["global"]["smtp_auth_password_file"] = "%s/%s/%s" % (secrets_dir, store.name, SMTP_PASSWORD_KEY)
    secrets = ([store.spec()] if store.values else []) + [s for s in team_secrets if s.values]
    return Plan(config, secrets, team_configs, settings.mode, secrets_dir)


TEMPLATES_GLOB = "/etc/alertmanager/config/*.tmpl"


def _route_receivers(route: Dict[str, Any]) -> set:
    names = {route["receiver"]} if "receiver" in route else set()
    for child in route.get("routes", []):
        names |= _route_receivers(child)
    return names


def config_part(config: Dict[str, Any], owned: set, keep: set) -> Dict[str, Any]:
    """The configuration less the receivers in `owned` (the teams') other than those in `keep`, and less every child
    of the root route that sends to a receiver left out: a part that amtool can check alone (a receiver no route
    uses is valid), to find whose part of a failing configuration fails."""
    receivers = [r for r in config["receivers"] if r["name"] not in owned or r["name"] in keep]
    names = {r["name"] for r in receivers}
    route = dict(config["route"])
    route["routes"] = [child for child in route.get("routes", []) if _route_receivers(child) <= names]
    return dict(config, route=route, receivers=receivers)


def config_selector() -> Dict[str, Dict[str, str]]:
    """The alertmanagerConfigSelector that picks this collection's AlertmanagerConfig objects."""
    return {"matchLabels": {"app.kubernetes.io/managed-by": "vigil.observability", "app.kubernetes.io/component": "alerting"}}
