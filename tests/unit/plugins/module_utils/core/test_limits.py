# -*- coding: utf-8 -*-
"""core/limits.py: the sizes Kubernetes and the Prometheus Operator accept, measured as they measure them, and the
cutting of a service's rule groups into objects that fit."""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.core import limits

KIB = 1024


def group(name, expr="sum(rate(http_requests_total[5m]))", rules=1, labels=None, annotations=None):
    rule = {"record": "x:y", "expr": expr, "labels": labels or {"team": "t"}}
    if annotations:
        rule = {"alert": "A", "expr": expr, "labels": labels or {}, "annotations": annotations}
    return {"name": name, "rules": [dict(rule) for _copy in range(rules)]}


def go_like_yaml_bytes(value):
    # Independent of the module: PyYAML's pure-Python emitter, 80 columns, as the operator's go-yaml folds.
    return len(yaml.dump(value, Dumper=yaml.SafeDumper, default_flow_style=False, allow_unicode=True, width=80).encode("utf-8"))


HOSTILE = [
    group("quotes", expr="'" * 3000),
    group("dquotes", expr='"' * 3000),
    group("tiny", labels={chr(97 + i): "" for i in range(26)}),
    group("one-char", labels={chr(97 + i): "b" for i in range(26)}),
    group("unicode", annotations={"summary": "équipe 🚨 " * 300, "description": "支付服务 " * 500}),
    group("long words", annotations={"description": "word " * 5000}),
    group("newlines", annotations={"description": "line\n" * 2000}),
    group("control", annotations={"description": "\t\x07" * 1000}),
    group("colons", expr=": - ? # {} [] , & * ! | > % @ `" * 200),
]


@pytest.mark.parametrize("value", HOSTILE, ids=[g["name"] for g in HOSTILE])
def test_yaml_stays_under_three_times_json_even_for_hostile_text(value):
    spec = {"groups": [value]}
    assert go_like_yaml_bytes(spec) < limits.YAML_OVER_JSON * limits.json_bytes(spec)
    assert limits.yaml_bytes(spec) < limits.YAML_OVER_JSON * limits.json_bytes(spec)


def test_json_bytes_counts_utf8_bytes_not_characters():
    assert limits.json_bytes({"a": "🚨"}) == len('{"a":"🚨"}'.encode("utf-8")) == 12


def test_a_small_spec_is_measured_by_json_and_a_large_one_as_yaml():
    small = {"groups": [group("g")]}
    assert limits.rule_spec_bytes(small) == len(json.dumps(small, separators=(",", ":")))
    large = {"groups": [group("g%d" % i, expr="x" * 1000) for i in range(200)]}
    assert limits.rule_spec_bytes(large) == go_like_yaml_bytes(large)


def test_split_keeps_a_small_service_in_one_part():
    groups = [group("a"), group("b")]
    assert limits.split_groups(groups) == [groups]
    assert limits.split_groups([]) == []


def test_split_cuts_in_order_into_parts_within_the_limit():
    groups = [group("g%03d" % i, expr="sum(rate(x_total{job=\"api\"}[5m])) " * 40, rules=5) for i in range(300)]
    parts = limits.split_groups(groups)
    assert len(parts) > 1
    assert [g for part in parts for g in part] == groups  # nothing lost, nothing reordered
    for part in parts:
        assert go_like_yaml_bytes({"groups": part}) <= limits.MAX_RULE_SPEC_BYTES
    # The fewest parts a greedy cut can make: no part could take the next one's first group.
    for part, following in zip(parts, parts[1:]):
        assert go_like_yaml_bytes({"groups": part + following[:1]}) > limits.MAX_RULE_SPEC_BYTES
    # A change to the last group moves no earlier cut.
    changed = groups[:-1] + [group("g299", expr="y", rules=1)]
    assert limits.split_groups(changed)[:-1] == parts[:-1]


def test_a_group_too_large_alone_is_a_part_of_its_own_and_reported():
    huge = group("huge", expr="x" * (300 * KIB))
    parts = limits.split_groups([group("a"), huge, group("b")])
    assert [[g["name"] for g in part] for part in parts] == [["a"], ["huge"], ["b"]]
    obj = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "r", "namespace": "n"},
           "spec": {"groups": [huge]}}
    found = list(limits.object_problems(obj))
    assert [what for what, _size, _limit in found] == ["its rules as the Prometheus Operator marshals them"]
    assert found[0][1] > 300 * KIB and found[0][2] == 256 * KIB


def configmap(data, annotations=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "n", "annotations": annotations or {}},
            "data": data}


def test_configmap_data_over_one_mib_and_annotations_over_256_kib_are_reported():
    assert list(limits.object_problems(configmap({"a.json": "x" * (1024 * KIB - 6)}))) == []
    (what, size, limit), = limits.object_problems(configmap({"a.json": "x" * (1024 * KIB)}))
    assert (what, size, limit) == ("its data", 1024 * KIB + 6, 1024 * KIB)
    (what, size, limit), = limits.object_problems(configmap({}, {"a": "x" * (256 * KIB)}))
    assert (what, size, limit) == ("its annotations", 256 * KIB + 1, 256 * KIB)


def test_an_object_over_etcds_request_limit_is_reported_even_when_each_part_fits():
    # JSON escapes every newline and quote: 1 MiB of data that is mostly quotes is far more as a request.
    obj = configmap({"a.json": '"' * (900 * KIB)})
    found = {what: (size, limit) for what, size, limit in limits.object_problems(obj)}
    assert list(found) == ["the object as JSON"] and found["the object as JSON"][0] > 1536 * KIB


def test_the_message_names_the_sizes_and_who_refuses():
    text = limits.describe_problem("its data", 2 * 1024 * KIB, limits.MAX_DATA_BYTES)
    assert text == "its data would take 2048.0 KiB (2097152 bytes), over the 1024.0 KiB (1048576 bytes) the API server accepts"
    assert "Prometheus Operator's 512.0 KiB" in limits.describe_problem("its rules", 300 * KIB, limits.MAX_RULE_SPEC_BYTES)


@pytest.mark.parametrize("value", [{"a": "🚨 équipe 支付"}, {"groups": HOSTILE}, {"n": 2 ** 70}, {"lone": "\ud83d"}, [1.5, None, True]],
                         ids=["unicode", "hostile", "big-int", "lone-surrogate", "scalars"])
def test_the_fast_and_the_standard_json_measure_agree(value):
    # orjson where installed, else the standard library: the same bytes either way (and no exception on what orjson refuses).
    standard = limits._json_bytes(value)  # pylint: disable=protected-access
    assert limits.json_bytes(value) == standard
    if not (isinstance(value, dict) and "lone" in value):
        assert standard == len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
