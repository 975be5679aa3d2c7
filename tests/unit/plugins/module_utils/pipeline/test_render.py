# -*- coding: utf-8 -*-
"""Rendering to files: stable YAML, the layout, idempotent writes, check mode, and pruning that only ever removes
files the index says a scope wrote."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.pipeline import render


def rule(name, namespace="payments", team="payments"):
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {"app.kubernetes.io/managed-by": "vigil.observability", "vigil.observability/team": team}},
        "spec": {"groups": [{"name": "g", "rules": [{"record": "r", "expr": "sum(rate(x[5m]))\n or vector(0)"}]}]},
    }


def files_under(root):
    out = {}
    for base, _dirs, names in os.walk(root):
        for name in names:
            full = os.path.join(base, name)
            with open(full, encoding="utf-8") as handle:
                out[os.path.relpath(full, root)] = handle.read()
    return out


def test_yaml_is_stable_and_round_trips():
    obj = rule("payments-slos")
    reordered = json.loads(json.dumps(obj))
    reordered["metadata"] = dict(reversed(list(reordered["metadata"].items())))
    text = render.to_yaml(obj)
    assert text == render.to_yaml(reordered)  # key order does not matter
    assert yaml.safe_load(text) == obj
    assert "expr: |-" in text  # multi-line strings as literal blocks
    assert "&" not in text and "*id" not in text  # no anchors, even for repeated objects
    shared = {"a": 1}
    assert "&" not in render.to_yaml({"x": shared, "y": shared})


def test_yaml_keeps_template_text_and_unicode_readable():
    text = render.to_yaml({"summary": "{{ $labels.service }} \u00fcber \u2603", "n": "0.0144"})
    assert yaml.safe_load(text) == {"summary": "{{ $labels.service }} \u00fcber \u2603", "n": "0.0144"}
    assert "\u00fcber" in text and "'0.0144'" in text  # a numeric-looking string stays a string


def test_layout():
    assert render.object_path(rule("payments-slos")) == "manifests/payments/prometheusrule-payments-slos.yaml"
    cluster_scoped = {"kind": "ClusterRole", "metadata": {"name": "x"}}
    assert render.object_path(cluster_scoped) == "manifests/_cluster/clusterrole-x.yaml"
    files = render.object_files([rule("a"), rule("b")])
    assert sorted(files) == ["manifests/payments/prometheusrule-a.yaml", "manifests/payments/prometheusrule-b.yaml"]
    with pytest.raises(render.RenderError, match="two objects render to"):
        render.object_files([rule("a"), rule("a")])


def test_write_then_nothing_to_do(tmp_path):
    root = str(tmp_path)
    scoped = {"team/payments": render.object_files([rule("payments-slos")])}
    first = render.apply_plan(root, scoped)
    assert first["changed"] and first["written"] == ["manifests/payments/prometheusrule-payments-slos.yaml"]
    on_disk = files_under(root)
    assert yaml.safe_load(on_disk["manifests/payments/prometheusrule-payments-slos.yaml"]) == rule("payments-slos")
    assert json.loads(on_disk[".vigil-index.json"]) == {"scopes": {"team/payments": ["manifests/payments/prometheusrule-payments-slos.yaml"]}}
    mtimes = {p: os.stat(os.path.join(root, p)).st_mtime_ns for p in on_disk}
    second = render.apply_plan(root, scoped)
    assert second["changed"] is False and second["written"] == [] and second["removed"] == [] and second["diff"] == []
    assert {p: os.stat(os.path.join(root, p)).st_mtime_ns for p in on_disk} == mtimes


def test_check_mode_reports_and_writes_nothing(tmp_path):
    root = str(tmp_path)
    scoped = {"team/payments": render.object_files([rule("payments-slos")])}
    result = render.apply_plan(root, scoped, check_mode=True)
    assert result["changed"] and result["written"] == ["manifests/payments/prometheusrule-payments-slos.yaml"]
    assert result["diff"][0]["before"] == "" and "payments-slos" in result["diff"][0]["after"]
    assert files_under(root) == {}


def test_a_scope_prunes_what_it_no_longer_generates_and_nothing_else(tmp_path):
    root = str(tmp_path)
    render.apply_plan(root, {"team/payments": render.object_files([rule("a"), rule("b")]),
                             "team/checkout": render.object_files([rule("c", "checkout", "checkout")])})
    hand_made = os.path.join(root, "manifests", "payments", "my-own.yaml")
    with open(hand_made, "w", encoding="utf-8") as handle:
        handle.write("kept: true\n")
    result = render.apply_plan(root, {"team/payments": render.object_files([rule("a")])})
    assert result["removed"] == ["manifests/payments/prometheusrule-b.yaml"]
    assert result["diff"][-1]["after_header"] == "(removed)"
    on_disk = files_under(root)
    # checkout was not part of this run and no prune pattern names it: untouched.
    assert set(on_disk) == {".vigil-index.json", "manifests/payments/prometheusrule-a.yaml", "manifests/payments/my-own.yaml",
                            "manifests/checkout/prometheusrule-c.yaml"}


def test_prune_absent_scopes_offboards_a_team(tmp_path):
    root = str(tmp_path)
    render.apply_plan(root, {"team/payments": render.object_files([rule("a")]),
                             "team/checkout": render.object_files([rule("c", "checkout", "checkout")]),
                             "platform": {"manifests/monitoring/x.yaml": "x: 1\n"}})
    result = render.apply_plan(root, {"team/payments": render.object_files([rule("a")])}, prune_absent=["team/*"])
    assert result["removed"] == ["manifests/checkout/prometheusrule-c.yaml"]
    on_disk = files_under(root)
    assert "manifests/monitoring/x.yaml" in on_disk  # 'platform' does not match team/*
    assert not os.path.exists(os.path.join(root, "manifests", "checkout"))  # emptied directories go too
    assert set(json.loads(on_disk[".vigil-index.json"])["scopes"]) == {"platform", "team/payments"}


def test_a_file_moving_between_scopes_is_not_removed(tmp_path):
    root = str(tmp_path)
    content = render.object_files([rule("a")])
    render.apply_plan(root, {"team/old": content})
    result = render.apply_plan(root, {"team/new": content}, prune_absent=["team/*"])
    assert result["removed"] == [] and result["written"] == []
    assert json.loads(files_under(root)[".vigil-index.json"])["scopes"] == {"team/new": sorted(content)}


def test_two_scopes_cannot_write_one_file(tmp_path):
    content = render.object_files([rule("a")])
    with pytest.raises(render.RenderError, match="generated by both"):
        render.plan(str(tmp_path), {"team/x": content, "team/y": content})


@pytest.mark.parametrize("rel", ["../escape.yaml", "manifests/../../escape.yaml", "/etc/passwd"])
def test_never_writes_outside_the_root(tmp_path, rel):
    with pytest.raises(render.RenderError, match="refusing to write outside"):
        render.apply_plan(str(tmp_path / "root"), {"team/x": {rel: "x: 1\n"}})


def test_a_tampered_index_cannot_remove_files_outside_the_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    victim = tmp_path / "victim.yaml"
    victim.write_text("precious\n")
    (root / ".vigil-index.json").write_text(json.dumps({"scopes": {"team/x": ["../victim.yaml"]}}))
    with pytest.raises(render.RenderError):
        render.apply_plan(str(root), {}, prune_absent=["team/*"])
    assert victim.read_text() == "precious\n"


def test_a_broken_index_is_reported(tmp_path):
    (tmp_path / ".vigil-index.json").write_text("{not json")
    with pytest.raises(render.RenderError, match="not valid JSON"):
        render.apply_plan(str(tmp_path), {})
