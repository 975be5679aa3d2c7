# -*- coding: utf-8 -*-
"""catalog/index.html: what the platform alerts on and where each alert goes.

The routing on the page is checked row by row against `amtool config routes test` on the rendered Alertmanager
configuration; hostile team text is escaped; no secret value appears; a second render changes nothing; a real
headless Chromium loads the page without console errors and finds every team and SLO; 200 teams x 10 services
render the page in under 2 seconds and under 5 MB.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.alertmanager_helpers import amtool_routes, for_alertmanager_0_25
from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, run_playbook


from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.generators import catalog
from ansible_collections.vigil.observability.plugins.module_utils.inventory.teams import parse_teams
from ansible_collections.vigil.observability.tests.support.plan import team_settings

SITE = REPO / "playbooks" / "site.yml"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'


class Page(HTMLParser):
    """The page's alert rows, its team and SLO sections, and whether any script or event handler is in it."""

    def __init__(self):
        super().__init__()
        self.rows, self.sections, self.slos, self.scripts, self.handlers = [], [], [], 0, 0
        self._row, self._team, self._text = None, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        self.handlers += sum(1 for k in attrs if k.startswith("on"))
        if tag == "section" and attrs.get("class") == "team":
            self.sections.append(attrs["id"])
            self._team = attrs["id"][len("team-"):]
        if tag == "div" and attrs.get("class") == "slo":
            self.slos.append(attrs["id"])
        if tag == "tr" and attrs.get("class") == "alert":
            self._row = {"team": self._team, "cells": []}
        if tag == "td" and self._row is not None:
            self._text = []

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None:
            self._row["cells"].append("".join(self._text))
        if tag == "tr" and self._row is not None:
            cells = self._row["cells"]
            self._row.update(alert=cells[0], severity=cells[1], service=cells[2], slo=cells[3])
            self.rows.append(self._row)
            self._row = None


def parse(path):
    page = Page()
    page.feed(Path(path).read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("catalog")
    inventory = copy_example_inventory(tmp / "inventory")
    out = tmp / "out"
    run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, "-e", "observability_grafana_url=https://grafana.example.com")
    first = {p: p.read_bytes() for p in sorted(out.rglob("catalog/index.html"))}
    run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, "-e", "observability_grafana_url=https://grafana.example.com")
    return out, first


def alert_labels(cluster_dir):
    """(team, alert, severity, service, slo) -> labels of every alert rule the render holds."""
    found = {}
    for path in sorted((cluster_dir / "manifests").rglob("prometheusrule-*.yaml")):
        obj = yaml.safe_load(path.read_text(encoding="utf-8"))
        team = obj["metadata"]["labels"].get("vigil.observability/team")
        for group in obj["spec"]["groups"]:
            for rule in group["rules"]:
                if "alert" in rule and team:
                    labels = dict(rule["labels"], alertname=rule["alert"])
                    found[(team, rule["alert"], labels["severity"], labels.get("service", ""), labels.get("slo", ""))] = labels
    return found


@pytest.mark.usefixtures("amtool")
def test_every_row_routes_where_amtool_says(rendered, amtool):
    out, _first = rendered
    checked = 0
    for cluster_dir in sorted(p for p in out.iterdir() if p.is_dir()):
        page = parse(cluster_dir / "catalog" / "index.html")
        labels = alert_labels(cluster_dir)
        keys = {(r["team"], r["alert"], r["severity"], r["service"], r["slo"]) for r in page.rows}
        # Every alert of every team's rules is on the page, and nothing else.
        assert keys == set(labels), cluster_dir.name
        # Debian's amtool (0.25) lacks two receiver kinds the configuration uses; they become webhooks for it,
        # which changes no route (alertmanager_helpers.for_alertmanager_0_25).
        config, _changes = for_alertmanager_0_25(yaml.safe_load((cluster_dir / "alertmanager" / "alertmanager.yaml").read_text(encoding="utf-8")))
        path = cluster_dir / "amtool-alertmanager.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        for row in page.rows:
            key = (row["team"], row["alert"], row["severity"], row["service"], row["slo"])
            assert row["cells"][4] == ", ".join(amtool_routes(amtool, path, labels[key])), key
            checked += 1
    assert checked > 20


def test_the_page_shows_each_slo_with_its_tier_arithmetic_and_links_dashboards(rendered):
    out, _first = rendered
    text = (out / "prod-eu" / "catalog" / "index.html").read_text(encoding="utf-8")
    # 99.9% over 30d: the 1h tier pages at 14.4x, so a 20x burn pages after 1h x 14.4 / 20 = 43.2 minutes.
    assert "<b>payment-service / availability</b> 99.9% over 30d, error budget 0.1% of events" in text
    assert "error-ratio thresholds: page 1h 1.44%; page 6h 0.6%; ticket 1d 0.3%; ticket 3d 0.1%" in text
    assert "<tr><td>page</td><td>1h / 5m</td><td>14.4x</td><td>never</td><td>never</td><td>43m</td></tr>" in text
    # The 3d tier at 1x: a 2x burn tickets after 3d x 1 / 2 = 36 hours.
    assert "<tr><td>ticket</td><td>3d / 6h</td><td>1x</td><td>36.0h</td>" in text
    assert 'href="https://grafana.example.com/d/payments-slo-' in text
    assert text.count("<use href=\"#chart-") == len(parse(out / "prod-eu" / "catalog" / "index.html").slos)


def test_the_page_is_deterministic_and_holds_no_secret(rendered):
    out, first = rendered
    assert first and {p: p.read_bytes() for p in sorted(out.rglob("catalog/index.html"))} == first
    inventory_secrets = ("PLACEHOLDER",)
    for path in first:
        text = path.read_text(encoding="utf-8")
        assert not any(s in text for s in inventory_secrets)
        page = parse(path)
        assert page.scripts == 0 and page.handlers == 0


def test_hostile_team_text_is_escaped(tmp_path):
    team = {"labels": {"owner": HOSTILE}, "services": [{"name": "api", "slos": [{
        "name": "availability", "objective": 99.9, "errors": 'http_requests_total{job="api",code=~"5.."}',
        "total": 'http_requests_total{job="api"}', "description": HOSTILE, "labels": {"note": HOSTILE},
        "alerting": {"page": {"annotations": {"summary": HOSTILE}}}}]}]}
    plan = plan_helpers.build({"observability_team_shop": team, "observability_mode": "render"})
    page = plan["scopes"][catalog.SCOPE]["files"][catalog.CATALOG_FILE]
    assert "<script" not in page and "onerror=" not in page.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;" in page or HOSTILE not in page
    parsed = Page()
    parsed.feed(page)
    assert parsed.scripts == 0 and parsed.handlers == 0 and parsed.sections == ["team-shop"]


def test_routing_follows_alertmanagers_rules():
    route = {"receiver": "default", "routes": [
        {"receiver": "null", "matchers": ['alertname=~"Watchdog|InfoInhibitor"']},
        {"receiver": "a", "matchers": ['team="a"'], "continue": True, "routes": [
            {"receiver": "a-pager", "matchers": ['severity="critical"']},
            {"matchers": ['service=~"web.*"'], "routes": [{"receiver": "a-web", "matchers": ['slo!=""']}]}]},
        {"receiver": "audit", "matchers": ['team!~"b|c"']},
    ]}
    assert catalog.receivers(route, {"team": "a", "severity": "critical"}) == ["a-pager", "audit"]
    # A child without a receiver inherits its parent's; one none of whose children match delivers itself.
    assert catalog.receivers(route, {"team": "a", "service": "web1"}) == ["a", "audit"]
    assert catalog.receivers(route, {"team": "a", "service": "web1", "slo": "x"}) == ["a-web", "audit"]
    assert catalog.receivers(route, {"team": "b"}) == ["default"]
    assert catalog.receivers(route, {"alertname": "Watchdog", "team": "a"}) == ["null"]


def test_time_to_alert_is_the_tier_arithmetic():
    plan = plan_helpers.build({"observability_team_shop": {"services": [{"name": "api", "slos": [{
        "name": "availability", "objective": 99.9, "errors": 'x_total{code="5"}', "total": "x_total"}]}]}})
    text = plan["scopes"][catalog.SCOPE]["files"][catalog.CATALOG_FILE]
    # 6h tier at 6x: a 10x burn pages after 6h x 6 / 10 = 3.6 hours, before the 1h tier (14.4x > 10x never does).
    assert "<tr><th>page</th><td>never</td><td>3.6h</td><td>43m</td></tr>" in text


def _chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is missing: make test installs it (Debian, as root), or apt-get install chromium")
    return found


def test_a_real_browser_loads_the_page_without_console_errors(rendered, tmp_path):
    out, _first = rendered
    browser = _chromium()
    page_path = out / "prod-eu" / "catalog" / "index.html"
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=%s" % (tmp_path / "profile")]
    dom = subprocess.run(base + ["--enable-logging=stderr", "--v=0", "--dump-dom", page_path.as_uri()], capture_output=True, text=True,
                         timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    loaded = Page()
    loaded.feed(dom.stdout)
    written = parse(page_path)
    assert loaded.sections == written.sections == ["team-checkout", "team-payments"]
    assert loaded.slos == written.slos and len(loaded.slos) >= 4
    shot = tmp_path / "catalogue.png"
    proc = subprocess.run(base + ["--window-size=1280,1800", "--screenshot=%s" % shot, page_path.as_uri()], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and shot.stat().st_size > 20000, proc.stderr[-2000:]
    with shot.open("rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_two_hundred_teams_render_the_page_in_under_two_seconds_and_five_megabytes():
    slos = [{"name": "availability", "objective": 99.9, "errors": 'http_requests_total{code=~"5.."}', "total": "http_requests_total"},
            {"name": "latency", "objective": 99, "latency": {"histogram": "http_request_duration_seconds", "threshold": 0.5,
                                                             "selector": '{job="api"}'}}]
    team_vars = {"observability_team_t%03d" % i: {"services": [{"name": "svc-%d" % j, "slos": slos} for j in range(10)]}
                 for i in range(200)}
    plan = plan_helpers.build(team_vars)
    problems = Problems()
    settings = team_settings({}, problems)
    teams = parse_teams([(name, value, name.split("_")[-1]) for name, value in sorted(team_vars.items())], settings, problems)
    started = time.process_time()
    page = catalog.build("c1", teams, plan["scopes"], plan["alertmanager"]["config"]["route"], plan["warnings"])
    took = time.process_time() - started
    size = len(page.encode("utf-8"))
    print("catalogue of 200 teams x 10 services x 2 SLOs: %.2f s CPU, %.2f MB" % (took, size / 1e6))
    assert took < 2.0 and size < 5e6
    assert page == plan["scopes"][catalog.SCOPE]["files"][catalog.CATALOG_FILE]


def test_per_namespace_routing_is_resolved_on_the_operators_merged_tree():
    team = {"services": [{"name": "api", "slos": [{"name": "a", "objective": 99.9, "errors": 'x_total{c="5"}', "total": "x_total"}]}],
            "alerting": {"receivers": {"webhook": {"url": "https://hooks.example.com/x"}}}}
    plan = plan_helpers.build({"observability_team_shop": team, "observability_alertmanager_mode": "per_namespace"})
    page = Page()
    page.feed(plan["scopes"][catalog.SCOPE]["files"][catalog.CATALOG_FILE])
    # The team's AlertmanagerConfig route comes first (namespace matcher, continue), receivers named as Alertmanager
    # shows them; then the main configuration's route that stops the team's alerts at its null receiver.
    assert page.rows and {r["cells"][4] for r in page.rows} == {"shop/shop-alerting/shop-webhook, null"}
