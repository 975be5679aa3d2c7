# -*- coding: utf-8 -*-
"""generators/dashboards: dashboards as ConfigMaps: sidecar label and folder, placement, stable UIDs, datasources by UID,
deterministic JSON, the panels docs/dashboards.md lists, a team's own dashboards, and kubernetes-validate on every
ConfigMap."""

from __future__ import annotations

import json
import re

import kubernetes_validate
import pytest

from ansible_collections.vigil.observability.plugins.module_utils.generators import dashboards
from ansible_collections.vigil.observability.plugins.module_utils.generators import cluster as manifests
from ansible_collections.vigil.observability.plugins.module_utils.core import objects
from ansible_collections.vigil.observability.tests.support.dashboard_inputs import SHOP, SLO_AVAILABILITY, load

KUBERNETES_VERSION = "1.33"  # a version kubernetes-validate ships schemas for


def configmaps(teams_raw, settings_raw=None):
    teams, settings, problems = load(teams_raw, settings_raw)
    assert problems == []
    out = {}
    for team in teams:
        for obj in manifests.team_objects(team, settings):
            if obj["kind"] == "ConfigMap":
                out[obj["metadata"]["name"]] = obj
    return out


def dashboard_of(cm):
    (text,) = cm["data"].values()
    return json.loads(text)


def test_one_slo_dashboard_per_team_and_one_red_dashboard_per_service():
    cms = configmaps({"shop": SHOP})
    titles = sorted(dashboard_of(cm)["title"] for cm in cms.values())
    assert titles == ["shop / SLOs", "shop / api / RED", "shop / worker / RED"]


def test_configmaps_carry_the_sidecar_label_and_the_team_folder():
    for cm in configmaps({"shop": SHOP}).values():
        meta = cm["metadata"]
        assert meta["labels"]["grafana_dashboard"] == "1"
        assert meta["labels"][objects.TEAM_LABEL] == "shop"
        assert meta["labels"][objects.MANAGED_BY_LABEL] == objects.MANAGED_BY
        assert meta["annotations"] == {"grafana_folder": "shop"}
        assert meta["namespace"] == "shop-ns"
    custom = configmaps({"shop": SHOP}, {"dashboard_label": "example.com/dashboard", "dashboard_label_value": "yes",
                                         "dashboard_folder_annotation": "example.com/folder", "dashboard_placement": "platform",
                                         "platform_namespace": "obs"})
    for cm in custom.values():
        meta = cm["metadata"]
        assert meta["labels"]["example.com/dashboard"] == "yes" and "grafana_dashboard" not in meta["labels"]
        assert meta["annotations"] == {"example.com/folder": "shop"}
        assert meta["namespace"] == "obs"


def test_uids_are_short_stable_and_distinct():
    pairs = [("shop", "slo"), ("a-b", "c"), ("a", "b-c"), ("x" * 63, "red-" + "y" * 63), ("x" * 63, "red-" + "y" * 62 + "z")]
    uids = [dashboards.dashboard_uid(t, n) for t, n in pairs]
    assert uids == [dashboards.dashboard_uid(t, n) for t, n in pairs]  # same on every call
    assert len(set(uids)) == len(uids)
    assert all(len(u) <= 40 and re.fullmatch(r"[a-zA-Z0-9_-]+", u) for u in uids)
    # Derived from team and name only: another run, another settings object, the same UIDs.
    first = {n: dashboard_of(cm)["uid"] for n, cm in configmaps({"shop": SHOP}).items()}
    second = {n: dashboard_of(cm)["uid"] for n, cm in configmaps({"shop": SHOP}, {"dashboard_placement": "platform"}).items()}
    assert first == second and len(set(first.values())) == len(first)


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_datasources_are_referenced_by_uid_and_the_json_is_sorted():
    settings = {"prometheus_datasource_uid": "prom-main", "tempo_datasource_uid": "traces", "loki_datasource_uid": "logs"}
    for cm in configmaps({"shop": SHOP}, settings).values():
        (text,) = cm["data"].values()
        data = json.loads(text)
        assert text == dashboards.to_json(data)  # sorted keys, one layout
        refs = [node["datasource"] for node in _walk(data) if "datasource" in node]
        assert refs
        for ref in refs:
            assert isinstance(ref, dict) and set(ref) == {"type", "uid"}
            assert ref["uid"] == {"prometheus": "prom-main", "tempo": "traces", "loki": "logs"}[ref["type"]]


def _targets(dashboard, title_prefix=""):
    return [t for p in dashboard["panels"] if p.get("title", "").startswith(title_prefix) for t in p.get("targets", [])]


def test_slo_dashboard_picks_service_and_slo_through_variables_and_lists_every_slo():
    dash = dashboard_of(configmaps({"shop": SHOP})["shop-slo-dashboard"])
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert sorted(variables) == ["service", "slo"]
    # Both read the labels of a series every SLO of the team records, confined to the team and its namespace.
    assert variables["service"]["query"]["query"] == 'label_values(vigil:slo_objective:ratio{namespace="shop-ns",team="shop"}, service)'
    assert variables["slo"]["query"]["query"] == (
        'label_values(vigil:slo_objective:ratio{namespace="shop-ns",team="shop",service=~"$service"}, slo)')
    for variable in variables.values():
        assert variable["multi"] and variable["includeAll"] and variable["allValue"] == ".+"
    alerts = _targets(dash, "Firing alerts")
    assert len(alerts) == 1 and 'ALERTS{alertstate="firing",team="shop"}' in alerts[0]["expr"]
    (table,) = [p for p in dash["panels"] if p.get("title") == "SLOs"]
    assert [t["format"] for t in table["targets"]] == ["table"] * 4 and all(t["instant"] for t in table["targets"])
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            if "vigil:slo_" in target["expr"]:
                assert '{namespace="shop-ns",service=~"$service",slo=~"$slo",team="shop"}' in target["expr"] or (
                    'namespace="shop-ns",service=~"$service",slo=~"$slo",team="shop"}' in target["expr"]), target["expr"]
    (burn,) = _targets(dash, "Burn rate per window")
    assert burn["expr"].startswith('label_replace({__name__=~"vigil:slo_error_ratio:rate.+",')
    assert burn["legendFormat"] == "{{service}} / {{slo}} {{window}}"
    # The RED dashboards are one drop-down of the team's tagged dashboards, not a link per service.
    assert dash["links"] == [{"type": "dashboards", "title": "RED dashboards", "tags": ["red", "team:shop"], "asDropdown": True,
                              "includeVars": False, "keepTime": True, "targetBlank": False}]


@pytest.mark.parametrize("services, slos", [(1, 1), (150, 2), (30, 3)])
def test_the_slo_dashboard_has_the_same_panels_whatever_the_team_size(services, slos):
    team = {"services": [{"name": "svc-%d" % i, "slos": [dict(SLO_AVAILABILITY, name="slo-%d" % j) for j in range(slos)]}
                         for i in range(services)]}
    dash = dashboard_of(configmaps({"big": team})["big-slo-dashboard"])
    assert [p.get("title") for p in dash["panels"]] == [
        "Firing alerts of big", "SLOs", "Picked SLOs over time", "SLI", "Burn rate per window", "Error budget remaining", "Burn rate now"]


def test_a_team_without_slos_gets_a_note_instead_of_empty_panels():
    dash = dashboard_of(configmaps({"shop": {"services": [{"name": "worker"}]}})["shop-slo-dashboard"])
    assert [p["type"] for p in dash["panels"]] == ["table", "text"] and dash["templating"]["list"] == []


def test_red_dashboard_panels_follow_what_the_service_declares():
    cms = configmaps({"shop": SHOP})
    api = dashboard_of(cms["shop-api-red-dashboard"])
    titles = [p["title"] for p in api["panels"]]
    assert titles[:2] == ["Request rate by status", "Error ratio (status =~ 5..)"]
    latency = next(p for p in api["panels"] if p["title"].startswith("Latency"))
    assert sorted(t["legendFormat"] for t in latency["targets"]) == ["p50", "p90", "p99"]
    assert all(t["exemplar"] is True for t in latency["targets"])
    assert any(t.startswith("Saturation") for t in titles)
    assert {p["type"] for p in api["panels"]} >= {"logs", "table", "timeseries"}
    worker = [p["title"] for p in dashboard_of(cms["shop-worker-red-dashboard"])["panels"]]
    assert not any(t.startswith(("Latency", "Saturation")) for t in worker)


def test_panels_have_unique_ids_and_do_not_overlap():
    for cm in configmaps({"shop": SHOP}).values():
        panels = dashboard_of(cm)["panels"]
        assert len({p["id"] for p in panels}) == len(panels)
        cells = set()
        for p in panels:
            g = p["gridPos"]
            assert g["x"] + g["w"] <= 24
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    assert (x, y) not in cells, (cm["metadata"]["name"], p["title"])
                    cells.add((x, y))


def test_team_dashboards_from_the_inventory_keep_or_get_a_uid():
    team = dict(SHOP, dashboards=[
        {"name": "business", "json": {"title": "Business", "panels": []}},
        {"name": "ops", "json": json.dumps({"title": "Ops", "uid": "shop-ops", "panels": [{"type": "text"}]})},
    ])
    cms = configmaps({"shop": team})
    business = dashboard_of(cms["shop-custom-business-dashboard"])
    ops = dashboard_of(cms["shop-custom-ops-dashboard"])
    assert ops["uid"] == "shop-ops" and ops["panels"] == [{"type": "text"}]
    assert business["uid"] and len(business["uid"]) <= 40
    assert business["uid"] == dashboard_of(configmaps({"shop": team})["shop-custom-business-dashboard"])["uid"]
    assert business["uid"] not in {dashboard_of(cm)["uid"] for n, cm in cms.items() if n != "shop-custom-business-dashboard"}
    assert cms["shop-custom-ops-dashboard"]["metadata"]["annotations"] == {"grafana_folder": "shop"}


def test_every_configmap_passes_kubernetes_validate():
    team = dict(SHOP, dashboards=[{"name": "business", "json": {"title": "Business", "panels": []}}])
    cms = configmaps({"shop": team, "cart": {"services": [{"name": "cart"}]}}, {"dashboard_placement": "platform"})
    assert len(cms) == 6
    for cm in cms.values():
        kubernetes_validate.validate(cm, KUBERNETES_VERSION, strict=True)


def test_kubernetes_validate_rejects_a_broken_configmap():
    cm = next(iter(configmaps({"shop": SHOP}).values()))
    cm["data"] = {"a.json": {"not": "a string"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cm, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("value", [
    {}, [], {"a": []}, {"b": {}, "a": [1, 2.5, -0.0, 1e300, True, False, None, "x\u00e9\u2603\"\\\n\t\u0001"]},
    {"nested": [{"z": 1, "y": [[], {}, [{}]]}], "é": "ü", "": 0}, "plain", 3, None,
    {"panels": [{"targets": [{"expr": "sum(x)", "refId": "A"}], "id": 1}], "uid": "u"},
])
def test_to_json_is_the_same_data(value):
    assert json.loads(dashboards.to_json(value)) == value


def test_to_json_puts_each_panel_on_a_line_of_its_own():
    text = dashboards.to_json({"uid": "u", "panels": [{"id": 1, "targets": [{"refId": "A", "expr": "up"}]}, {"id": 2}]})
    assert text == ('{\n  "panels": [\n    {"id": 1, "targets": [{"expr": "up", "refId": "A"}]},\n    {"id": 2}\n  ],\n'
                    '  "uid": "u"\n}\n')


def test_to_json_on_every_generated_dashboard():
    for cm in configmaps({"shop": SHOP}).values():
        for text in cm["data"].values():
            data = json.loads(text)
            assert text == dashboards.to_json(data)
            # One panel's change shows as that panel's lines: no line holds two panels.
            assert all(line.count('"gridPos"') <= 1 for line in text.splitlines())
