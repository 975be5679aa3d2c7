# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Kubernetes and the Prometheus Operator accept, as numbers, and how an object is measured against them.

- The operator refuses a PrometheusRule whose spec, marshalled to YAML, is over 512 KiB (`MaxConfigMapDataSize`, half
  of `MaxSecretSize`, pkg/operator/rules.go): its webhook rejects it, or it skips it with an InvalidConfiguration event.
  The plan allows half of that, for the headroom a later edit or another YAML emitter needs.
- The API server refuses a ConfigMap or Secret with more than 1 MiB of data (`MaxSecretSize`), annotations over
  256 KiB (`TotalAnnotationSizeLimitB`), and etcd any request over 1.5 MiB (its default --max-request-bytes).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Mapping, Sequence, Tuple

import yaml

KIB = 1024
MAX_RULE_SPEC_BYTES = 256 * KIB
OPERATOR_RULE_SPEC_BYTES = 512 * KIB
MAX_DATA_BYTES = 1024 * KIB
MAX_OBJECT_BYTES = 1536 * KIB
MAX_ANNOTATION_BYTES = 256 * KIB
DATA_KINDS = ("ConfigMap", "Secret")

_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
try:
    _Dumper = yaml.CSafeDumper  # libyaml, when PyYAML was built with it
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Dumper = yaml.SafeDumper


def utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def json_bytes(value: Any) -> int:
    """Bytes of `value` as compact JSON, what the API server stores and etcd receives."""
    return utf8_len(_json(value))


def yaml_bytes(value: Any) -> int:
    """Bytes of `value` as block YAML with lines folded at 80 columns, as the operator's YAML library writes it."""
    return utf8_len(yaml.dump(value, Dumper=_Dumper, default_flow_style=False, allow_unicode=True, width=80, sort_keys=True))


# Block YAML of rule groups is under three times their compact JSON: a scalar costs at most its JSON text, quotes doubled
# (single-quoted style), a newline, its indentation (at most four levels) and a fold every 80 columns; JSON's quotes,
# colon and comma pay for most of that (tested on hostile text). Specs whose JSON is under a third of the limit are
# within it without being written out as YAML, which is about 25 times slower.
YAML_OVER_JSON = 3
_GROUPS_KEY = len("groups:\n")


def rule_spec_bytes(spec: Mapping[str, Any], json_size: int = 0) -> int:
    """A PrometheusRule spec's size as the operator measures it (YAML); `json_size`, an upper bound of its JSON."""
    size = json_size or json_bytes(spec)
    if YAML_OVER_JSON * size <= MAX_RULE_SPEC_BYTES:
        return size
    return yaml_bytes(spec)


def split_groups(groups: Sequence[Dict[str, Any]], limit: int = MAX_RULE_SPEC_BYTES) -> List[List[Dict[str, Any]]]:
    """Rule groups in order, cut into consecutive parts whose specs (`{"groups": part}` as YAML) are each within `limit`.

    Greedy over a stable order: an unchanged list is cut the same way on every run, and a change moves only the cuts
    after it. A group over the limit on its own is a part of its own (the plan's limit check reports it).
    """
    if not groups:
        return []
    sizes = [json_bytes(group) for group in groups]
    if YAML_OVER_JSON * (sum(sizes) + len(sizes) + len('{"groups":[]}')) <= limit:
        return [list(groups)]
    # A block sequence's items are written independently of each other: the spec's YAML is the sum of its items'.
    sizes = [yaml_bytes({"groups": [group]}) - _GROUPS_KEY for group in groups]
    parts: List[List[Dict[str, Any]]] = [[]]
    used = _GROUPS_KEY
    for group, size in zip(groups, sizes):
        if parts[-1] and used + size > limit:
            parts.append([])
            used = _GROUPS_KEY
        parts[-1].append(group)
        used += size
    return parts


def object_problems(obj: Mapping[str, Any]) -> Iterator[Tuple[str, int, int]]:
    """(what, bytes, limit) for every limit `obj` is over."""
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    size = sum(utf8_len(k) + utf8_len(v) for k, v in annotations.items() if isinstance(v, str))
    if size > MAX_ANNOTATION_BYTES:
        yield "its annotations", size, MAX_ANNOTATION_BYTES
    if obj.get("kind") in DATA_KINDS:
        size = sum(utf8_len(k) + utf8_len(v) for field in ("data", "stringData", "binaryData")
                   for k, v in (obj.get(field) or {}).items() if isinstance(v, str))
        if size > MAX_DATA_BYTES:
            yield "its data", size, MAX_DATA_BYTES
    whole = json_bytes(obj)
    if whole > MAX_OBJECT_BYTES:
        yield "the object as JSON", whole, MAX_OBJECT_BYTES
    if obj.get("kind") == "PrometheusRule":
        size = rule_spec_bytes(obj.get("spec") or {}, whole)
        if size > MAX_RULE_SPEC_BYTES:
            yield "its rules as the Prometheus Operator marshals them", size, MAX_RULE_SPEC_BYTES


def describe_problem(what: str, size: int, limit: int) -> str:
    return "%s would take %s, over the %s %s" % (what, _kib(size), _kib(limit), _WHO.get(limit, "the API server accepts"))


def _kib(size: int) -> str:
    return "%.1f KiB (%d bytes)" % (size / KIB, size)


_WHO = {
    MAX_RULE_SPEC_BYTES: "the plan allows (half the Prometheus Operator's %s)" % _kib(OPERATOR_RULE_SPEC_BYTES),
    MAX_OBJECT_BYTES: "etcd and the API server accept in one request",
}
