# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""catalog/index.html: what the platform alerts on for each team, and where each alert goes (docs/catalogue.md).

A static page, built from the plan's own objects: the teams' services and monitors, each SLO with its objective,
period, budget and tiers (burn factor, threshold, time to page or ticket at 2x, 10x and 20x burn, from the tier
arithmetic of the rules), every alert of the team's PrometheusRules with its severity and the receivers
Alertmanager's route tree sends it to (resolved here the way Alertmanager resolves it; amtool agrees in the tests),
the dashboards and the lint warnings. Every inventory text is HTML-escaped; the page has no script, needs no
network, and the same plan gives the same bytes.
"""

from __future__ import annotations

import functools
import html
import json
import math
import re
from fractions import Fraction
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.objects import COMPONENT_LABEL
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher, parse_selector
from ansible_collections.vigil.observability.plugins.module_utils.generators.rules import TEAM_RULES_COMPONENT

CATALOG_FILE = "catalog/index.html"
SCOPE = "catalog"
BURNS = (2, 10, 20)
# Burn rates the chart plots: from 1x (sustainable) to 100x, on a log scale.
CHART_BURNS = (1.05, 1.5, 2, 3, 4, 6, 8, 10, 14.4, 20, 30, 50, 100)


_HTML_SPECIAL = re.compile("[&<>\"']")


def esc(text: Any) -> str:
    text = str(text)
    # Most of the page is names (DNS labels): one search instead of five replacements.
    return html.escape(text, quote=True) if _HTML_SPECIAL.search(text) else text


# ---------------------------------------------------------------------------------------------
# Alertmanager's routing


@functools.lru_cache(maxsize=4096)
def _matcher(text: str) -> Matcher:
    """A route's matcher string, read back by the core's own PromQL parser (the configuration prints it with it)."""
    [matcher] = parse_selector("x{%s}" % text).matchers
    return matcher


def _matches(matcher: Matcher, labels: Mapping[str, str]) -> bool:
    have = labels.get(matcher.name, "")
    if matcher.op == "=":
        return have == matcher.value
    if matcher.op == "!=":
        return have != matcher.value
    hit = re.fullmatch(matcher.value, have) is not None
    return hit if matcher.op == "=~" else not hit


def _route_matches(route: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    matchers = [_matcher(m) for m in route.get("matchers") or []]
    matchers += [Matcher(k, "=", v) for k, v in (route.get("match") or {}).items()]
    matchers += [Matcher(k, "=~", v) for k, v in (route.get("match_re") or {}).items()]
    return all(_matches(m, labels) for m in matchers)


def receivers(route: Mapping[str, Any], labels: Mapping[str, str], inherited: Optional[str] = None) -> List[str]:
    """The receivers an alert with `labels` reaches from `route`, as Alertmanager walks its tree.

    Children are tried in order; a matching child is followed, and the walk goes on to its siblings only when it
    has `continue: true`. A node none of whose children match delivers to its own receiver, else its parent's.
    """
    receiver = route.get("receiver") or inherited
    out: List[str] = []
    for child in route.get("routes") or []:
        if _route_matches(child, labels):
            out.extend(receivers(child, labels, receiver))
            if not child.get("continue"):
                break
    return out or ([receiver] if receiver else [])


def _route_label_names(route: Mapping[str, Any]) -> Tuple[str, ...]:
    names = {_matcher(m).name for m in route.get("matchers") or []} | set(route.get("match") or {}) | set(route.get("match_re") or {})
    for child in route.get("routes") or []:
        names.update(_route_label_names(child))
    return tuple(sorted(names))


def router(route: Mapping[str, Any]) -> Callable[[Mapping[str, str]], List[str]]:
    """receivers() of `route` for many alerts: the walk depends only on the labels its matchers name, so alerts that
    agree on those (every alert of a team, mostly) are routed once."""
    names = _route_label_names(route)
    cache: Dict[Tuple[str, ...], List[str]] = {}

    def route_of(labels: Mapping[str, str]) -> List[str]:
        key = tuple(labels.get(name, "") for name in names)
        if key not in cache:
            cache[key] = receivers(route, labels)
        return cache[key]

    return route_of


def operator_route(root: Mapping[str, Any], team_configs: Sequence[Tuple[Any, str, str, Mapping[str, Any]]]) -> Dict[str, Any]:
    """The route tree the Prometheus Operator makes of the main configuration and the teams' AlertmanagerConfigs.

    Each AlertmanagerConfig's route goes first, with a namespace matcher and `continue: true` (the operator's
    OnNamespace strategy), its receivers named <namespace>/<name>/<receiver>.
    """
    def convert(route, prefix, top):
        out = {"receiver": prefix + route["receiver"]} if route.get("receiver") else {}
        matchers = [str(Matcher(m["name"], m.get("matchType", "="), m["value"])) for m in route.get("matchers") or []]
        if top:
            matchers.insert(0, str(Matcher("namespace", "=", top)))
        if matchers:
            out["matchers"] = matchers
        if route.get("continue") or top:
            out["continue"] = True
        if route.get("routes"):
            out["routes"] = [convert(child, prefix, None) for child in route["routes"]]
        return out

    merged = dict(root)
    merged["routes"] = [convert(spec["route"], "%s/%s/" % (namespace, name), namespace) for _team, name, namespace, spec in team_configs]
    merged["routes"] += list(root.get("routes") or [])
    return merged


# ---------------------------------------------------------------------------------------------
# Tier arithmetic


def time_to_alert(tiers: Sequence[Any], period: Duration, burn: float) -> Optional[float]:
    """Seconds until an action's first tier fires for a constant `burn` from a clean history, or None.

    A tier's long window crosses its threshold after long_window x factor / burn (its short window sooner), then
    waits its `for`; the rules hold exactly that threshold (generators/slo.py).
    """
    best = None
    for tier in tiers:
        factor = float(tier.burn_factor(period))
        if burn <= factor:
            continue
        seconds = tier.long_window.ms / 1000.0 * factor / burn + (tier.for_.ms / 1000.0 if tier.for_ else 0)
        best = seconds if best is None else min(best, seconds)
    return best


def _human(seconds: Optional[float]) -> str:
    if seconds is None:
        return "never"
    if seconds < 3600:
        return "%dm" % round(seconds / 60)
    if seconds < 2 * 86400:
        return "%.1fh" % (seconds / 3600)
    return "%.1fd" % (seconds / 86400)


def _percent(value: Fraction) -> str:
    text = "%.4f" % (float(value) * 100)
    return text.rstrip("0").rstrip(".") + "%"


def _chart(tiers: Sequence[Any], period: Duration) -> str:
    """A small SVG symbol: time to page and to ticket (log, 1m to 30d) against the burn rate (log, 1x to 100x)."""
    width, height, pad = 220, 110, 18

    def x(burn):
        return pad + (width - 2 * pad) * math.log(burn) / math.log(100)

    def y(seconds):
        lo, hi = math.log(60), math.log(30 * 86400)
        return height - pad - (height - 2 * pad) * (math.log(max(60, min(seconds, 30 * 86400))) - lo) / (hi - lo)

    lines = []
    for action, colour in (("page", "#c0392b"), ("ticket", "#d68910")):
        mine = [t for t in tiers if t.action == action]
        points = [(b, time_to_alert(mine, period, b)) for b in CHART_BURNS]
        pts = " ".join("%.0f,%.0f" % (x(b), y(s)) for b, s in points if s is not None)
        if pts:
            lines.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (colour, pts))
    axes = ('<path d="M%d %d V%d H%d" stroke="#888" fill="none"/>' % (pad, pad, height - pad, width - pad)
            + '<text x="%d" y="%d" font-size="9">1x</text><text x="%d" y="%d" font-size="9">100x burn</text>'
            % (pad - 4, height - 4, width - pad - 40, height - 4)
            + '<text x="2" y="%d" font-size="9">30d</text><text x="2" y="%d" font-size="9">1m</text>' % (pad, height - pad)
            + '<text x="%d" y="10" font-size="9" fill="#c0392b">page</text><text x="%d" y="10" font-size="9" fill="#d68910">ticket</text>'
            % (width - 80, width - 50))
    return axes + "".join(lines)


# ---------------------------------------------------------------------------------------------
# The page


_STYLE = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 2em 2em;color:#222}h1{margin-top:.6em}"
    "section.team{border-top:2px solid #ccc;margin-top:1.5em}table{border-collapse:collapse;margin:.4em 0}"
    "td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}th{background:#f4f4f4}"
    ".slo,.tiers{display:inline-block;border:1px solid #ddd;border-radius:4px;padding:6px;margin:4px;vertical-align:top}"
    ".critical{color:#c0392b}.warning{color:#b9770e}.muted{color:#777}nav a{margin-right:.6em}"
)


def _team_rules(objects: Sequence[Mapping[str, Any]]) -> List[Tuple[Dict[str, Any], bool]]:
    """(alerting rule, whether the team wrote it) of every PrometheusRule of a team."""
    return [(rule, obj["metadata"].get("labels", {}).get(COMPONENT_LABEL) == TEAM_RULES_COMPONENT)
            for obj in objects if obj.get("kind") == "PrometheusRule" for group in obj["spec"]["groups"]
            for rule in group["rules"] if "alert" in rule]


def _dashboards(objects: Sequence[Mapping[str, Any]]) -> List[Tuple[str, str]]:
    found = []
    for obj in objects:
        if obj.get("kind") != "ConfigMap":
            continue
        for text in (obj.get("data") or {}).values():
            try:
                doc = json.loads(text)
            except (TypeError, ValueError):
                continue
            if isinstance(doc, dict) and doc.get("uid"):
                found.append((str(doc.get("title") or doc["uid"]), str(doc["uid"])))
    return sorted(found)


def build(cluster: str, teams: Sequence[Any], scopes: Mapping[str, Mapping[str, Any]], route: Optional[Mapping[str, Any]],
          warnings: Sequence[str], grafana_url: str = "") -> str:
    """The page's HTML. `route`: the route tree Alertmanager runs (operator_route of it in per-namespace mode)."""
    charts: Dict[Any, int] = {}
    tier_sets: Dict[Any, Tuple[int, str, int, str]] = {}
    body: List[str] = []
    route_of = router(route) if route else None
    for team in sorted(teams, key=lambda t: t.name):
        body.append(_team(team, scopes.get("team/%s" % team.name, {}).get("objects", []), route_of, warnings, grafana_url, charts, tier_sets))
    sets = "".join('<div class="tiers" id="tiers-%d"><b>tiers %d</b>%s</div>' % (i, i + 1, table) for i, table, _c, _a in sorted(tier_sets.values()))
    symbols = "".join('<symbol id="chart-%d" viewBox="0 0 220 110">%s</symbol>' % (i, svg) for svg, i in sorted(charts.items(), key=lambda kv: kv[1]))
    nav = "".join('<a href="#team-%s">%s</a>' % (esc(t.name), esc(t.name)) for t in sorted(teams, key=lambda t: t.name))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Alert catalogue: %s</title>"
            "<meta name=\"viewport\" content=\"width=device-width\"><style>%s</style></head><body>\n"
            "<h1>Alert catalogue: %s</h1><p class=\"muted\">What vigil.observability alerts on for each team on this cluster, "
            "and where each alert goes. Generated from the render; the routing is Alertmanager's.</p>\n"
            "<svg width=\"0\" height=\"0\" style=\"position:absolute\">%s</svg><nav>%s</nav>\n"
            "<h2>Tier sets</h2><p class=\"muted\">Each SLO fires by one of these: windows, burn factor, and the time to fire at a "
            "constant burn from a clean history.</p>%s\n%s\n</body></html>\n"
            % (esc(cluster), _STYLE, esc(cluster), symbols, nav, sets, "\n".join(body)))


def _team(team, objects, route, warnings, grafana_url, charts, tier_sets) -> str:
    out = ['<section class="team" id="team-%s"><h2>%s</h2><p>namespace <code>%s</code></p>' % (esc(team.name), esc(team.name), esc(team.namespace))]
    out.append("<h3>Services</h3><table><tr><th>service</th><th>monitor</th><th>SLOs</th></tr>")
    for service in team.services:
        monitor = service.monitor
        shown = "%s, port %s, every %s" % (monitor.kind, monitor.port, monitor.interval) if monitor is not None else "none"
        out.append("<tr><td>%s</td><td>%s</td><td>%s</td></tr>" % (esc(service.name), esc(shown), esc(", ".join(s.name for s in service.slos)) or "none"))
    out.append("</table>")
    slos = [(service, slo) for service in team.services for slo in service.slos]
    if slos:
        out.append("<h3>SLOs</h3>")
        for service, slo in slos:
            out.append(_slo(team, service, slo, charts, tier_sets))
    rules = _team_rules(objects)
    out.append("<h3>Alerts and where they go</h3><table><tr><th>alert</th><th>severity</th><th>service</th><th>SLO</th><th>receivers</th>"
               "<th>written by</th></tr>")
    for rule, own in sorted(rules, key=lambda ro: (ro[0]["labels"].get("service", ""), ro[0]["labels"].get("slo", ""), ro[0]["alert"],
                                                   ro[0]["labels"].get("severity", ""), ro[1])):
        labels = dict(rule["labels"], alertname=rule["alert"])
        out.append('<tr class="alert"><td>%s</td><td class="%s">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>' % (
            esc(rule["alert"]), esc(labels.get("severity", "")), esc(labels.get("severity", "")), esc(labels.get("service", "")),
            esc(labels.get("slo", "")), esc(", ".join(route(labels) if route else [])), "the team" if own else "the platform"))
    out.append("</table>")
    dashboards = _dashboards(objects)
    if dashboards:
        out.append("<h3>Dashboards</h3><ul>")
        for title, uid in dashboards:
            link = '<a href="%s/d/%s">%s</a>' % (esc(grafana_url.rstrip("/")), esc(uid), esc(title)) if grafana_url else esc(title)
            out.append("<li>%s <code>%s</code></li>" % (link, esc(uid)))
        out.append("</ul>")
    mine = [w for w in warnings if w.startswith((team.path + ".", team.path + ":", team.path + "["))] if team.path else []
    if mine:
        out.append("<h3>Lint warnings</h3><ul>%s</ul>" % "".join("<li>%s</li>" % esc(w) for w in mine))
    out.append("</section>")
    return "\n".join(out)


def _tier_key(tier) -> Tuple[Any, ...]:
    return (tier.action != "page", tier.long_window.ms, tier.short_window.ms)


def _tier_set(tiers, period) -> str:
    """A table of tiers: windows, burn factor, time to fire at 2x, 10x and 20x; shared by every SLO with them."""
    rows = []
    for tier in sorted(tiers, key=_tier_key):
        times = "".join("<td>%s</td>" % _human(time_to_alert([tier], period, b)) for b in BURNS)
        rows.append("<tr><td>%s</td><td>%s / %s</td><td>%sx</td>%s</tr>" % (
            tier.action, tier.long_window, tier.short_window, _num(tier.burn_factor(period)), times))
    return ("<table><tr><th>tier</th><th>windows</th><th>burn</th>%s</tr>%s</table>"
            % ("".join("<th>at %dx</th>" % b for b in BURNS), "".join(rows)))


def _slo(team, service, slo, charts, tier_sets) -> str:
    key = _tier_set_key(slo.tiers, slo.period)
    if key not in tier_sets:
        # What depends only on the tiers and the period is made once per distinct set (most SLOs share one).
        svg = _chart(slo.tiers, slo.period)
        chart = charts.setdefault(svg, len(charts))
        actions = "".join("<tr><th>%s</th>%s</tr>" % (action, "".join(
            "<td>%s</td>" % _human(time_to_alert([t for t in slo.tiers if t.action == action], slo.period, b)) for b in BURNS))
            for action in ("page", "ticket"))
        tier_sets[key] = (len(tier_sets), _tier_set(slo.tiers, slo.period), chart, actions)
    tier_set, _table, chart, actions = tier_sets[key]
    thresholds = _thresholds(slo.tiers, slo.period, slo.objective)
    return ('<div class="slo" id="slo-%s-%s-%s"><b>%s / %s</b> %s over %s, error budget %s of events<br>'
            '<a href="#tiers-%d">tiers %d</a>, error-ratio thresholds: %s'
            '<table><tr><th>first alert</th>%s</tr>%s</table>'
            '<svg width="220" height="110" role="img" aria-label="time to alert against burn rate"><use href="#chart-%d"/></svg></div>'
            % (esc(team.name), esc(service.name), esc(slo.name), esc(service.name), esc(slo.name), _percent(slo.objective / 100),
               esc(slo.period), _percent(slo.error_budget), tier_set, tier_set + 1, thresholds,
               "".join("<th>at %dx</th>" % b for b in BURNS), actions, chart))


@functools.lru_cache(maxsize=1024)
def _tier_set_key(tiers, period) -> Tuple[Any, ...]:
    """What makes two SLOs share a tier set: the period and the tiers in any order (made once per tiers and period)."""
    return (period.ms, tuple((t.action, t.budget_percent, t.long_window.ms, t.short_window.ms, t.for_.ms if t.for_ else 0)
                             for t in sorted(tiers, key=_tier_key)))


@functools.lru_cache(maxsize=1024)
def _thresholds(tiers, period, objective) -> str:
    # The same few tier sets and objectives over thousands of SLOs: exact fractions made once per combination.
    budget = 1 - Fraction(objective) / 100
    return "; ".join("%s %s %s" % (t.action, t.long_window, _percent(t.burn_factor(period) * budget)) for t in sorted(tiers, key=_tier_key))


def _num(value: Fraction) -> str:
    text = "%.2f" % float(value)
    return text.rstrip("0").rstrip(".")
