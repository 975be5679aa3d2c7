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

KIB = 1024
MAX_RULE_SPEC_BYTES = 256 * KIB
OPERATOR_RULE_SPEC_BYTES = 512 * KIB
MAX_DATA_BYTES = 1024 * KIB
MAX_OBJECT_BYTES = 1536 * KIB
MAX_ANNOTATION_BYTES = 256 * KIB
DATA_KINDS = ("ConfigMap", "Secret")

_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
try:
    # The same compact UTF-8 JSON, five times faster: the plan measures every rule group of every team.
    import orjson as _orjson
except ImportError:  # pragma: no cover - optional; the standard library gives the same bytes
    _orjson = None


def utf8_len(text: str) -> int:
    # surrogatepass: a lone surrogate is measured, not raised here (the YAML writer refuses it at its field).
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def json_bytes(value: Any) -> int:
    """Bytes of `value` as compact JSON, what the API server stores and etcd receives."""
    if _orjson is not None:
        try:
            return len(_orjson.dumps(value))
        except (TypeError, _orjson.JSONEncodeError):  # integers past 64 bits, lone surrogates: the standard library's way
            pass
    return _json_bytes(value)


def _json_bytes(value: Any) -> int:
    return utf8_len(_json(value))


def yaml_bytes(value: Any) -> int:
    """Bytes of `value` as block YAML with lines folded at 80 columns, as the operator's YAML library writes it."""
    # PyYAML comes with ansible-core wherever the plan runs; imported here, where a large spec needs it, so that the
    # core imports nothing beyond the standard library at load time.
    import yaml  # pylint: disable=import-outside-toplevel

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when PyYAML was built with it
    return utf8_len(yaml.dump(value, Dumper=dumper, default_flow_style=False, allow_unicode=True, width=80, sort_keys=True))


# Block YAML of rule groups is under three times their compact JSON: a scalar costs at most its JSON text, quotes doubled
# (single-quoted style), a newline, its indentation (at most four levels) and a fold every 80 columns; JSON's quotes,
# colon and comma pay for most of that (tested on hostile text). Specs whose JSON is under a third of the limit are
# within it without being written out as YAML, which is about 25 times slower.
YAML_OVER_JSON = 3
_GROUPS_KEY = len("groups:\n")


def yaml_bytes_against(value: Any, limit: int, json_size: int = 0) -> int:
    """`value`'s YAML size, exact only where it matters: a bound from its JSON (`json_size`, an upper bound of it, or
    measured) when three times that is within `limit`, else written out as YAML."""
    size = json_size or json_bytes(value)
    if YAML_OVER_JSON * size <= limit:
        return size
    return yaml_bytes(value)


def rule_spec_bytes(spec: Mapping[str, Any], json_size: int = 0) -> int:
    """A PrometheusRule spec's size as the operator measures it (YAML); `json_size`, an upper bound of its JSON."""
    return yaml_bytes_against(spec, MAX_RULE_SPEC_BYTES, json_size)


def split_groups(groups: Sequence[Dict[str, Any]], limit: int = MAX_RULE_SPEC_BYTES) -> List[List[Dict[str, Any]]]:
    """Rule groups in order, cut into consecutive parts whose specs (`{"groups": part}` as YAML) are each within `limit`."""
    return [part for part, _size in measured_parts(groups, limit)]


def measured_parts(groups: Sequence[Dict[str, Any]], limit: int = MAX_RULE_SPEC_BYTES) -> List[Tuple[List[Dict[str, Any]], int]]:
    """split_groups, each part with an upper bound of its spec's YAML bytes (for rule_spec_bytes' caller to reuse).

    Greedy over a stable order: an unchanged list is cut the same way on every run, and a change moves only the cuts
    after it. A group over the limit on its own is a part of its own (the plan's limit check reports it).
    """
    if not groups:
        return []
    whole = json_bytes(groups) + len('{"groups":}')
    if YAML_OVER_JSON * whole <= limit:
        return [(list(groups), YAML_OVER_JSON * whole)]
    # A block sequence's items are written independently of each other: the spec's YAML is the sum of its items'.
    sizes = [yaml_bytes({"groups": [group]}) - _GROUPS_KEY for group in groups]
    parts: List[Tuple[List[Dict[str, Any]], int]] = [([], _GROUPS_KEY)]
    for group, size in zip(groups, sizes):
        part, used = parts[-1]
        if part and used + size > limit:
            parts.append(([], _GROUPS_KEY))
            part, used = parts[-1]
        part.append(group)
        parts[-1] = (part, used + size)
    return parts


# Escaped, a character takes at most six bytes of JSON (\u001f); its UTF-8 bytes are at least one.
JSON_PER_BYTE = 6


def object_problems(obj: Mapping[str, Any], rule_spec_bound: int = 0) -> Iterator[Tuple[str, int, int]]:
    """(what, bytes, limit) for every limit `obj` is over.

    `rule_spec_bound`: for a PrometheusRule, an upper bound of its spec's YAML already measured (measured_parts); the
    object is then only written out where that bound does not settle it.
    """
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    size = sum(utf8_len(k) + utf8_len(v) for k, v in annotations.items() if isinstance(v, str))
    if size > MAX_ANNOTATION_BYTES:
        yield "its annotations", size, MAX_ANNOTATION_BYTES
    kind = obj.get("kind")
    bound = 0
    if kind in DATA_KINDS:
        data = sum(utf8_len(k) + utf8_len(v) for field in ("data", "stringData", "binaryData")
                   for k, v in (obj.get(field) or {}).items() if isinstance(v, str))
        if data > MAX_DATA_BYTES:
            yield "its data", data, MAX_DATA_BYTES
        bound = JSON_PER_BYTE * data + json_bytes({k: v for k, v in obj.items() if k not in ("data", "stringData", "binaryData")})
    elif kind == "PrometheusRule" and rule_spec_bound and rule_spec_bound <= MAX_RULE_SPEC_BYTES:
        # Under the rule limit, YAML is within JSON_PER_BYTE times JSON's size the other way round as well.
        bound = JSON_PER_BYTE * rule_spec_bound + json_bytes(meta) + 100
        if bound <= MAX_OBJECT_BYTES:
            return
    whole = bound if bound and bound <= MAX_OBJECT_BYTES else json_bytes(obj)
    if whole > MAX_OBJECT_BYTES:
        yield "the object as JSON", whole, MAX_OBJECT_BYTES
    if kind == "PrometheusRule":
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
