# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the spec importers (spec_sloth, spec_openslo) share: where a problem is in a spec, the one query they count as
events (a sum of rates over one selector), labels.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Selector, SelectorError, parse_selector
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import describe
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import RESERVED_ALERT_LABELS as RESERVED

_WINDOW = r"(?:\{\{\s*\.window\s*\}\}|[0-9]+[smhdwy])"
# sum(rate(<selector>[<window>])) or with increase, optionally in parentheses: a sum of rates over one selector.
# A selector: a metric name with optional matchers, or matchers alone; quoted values may hold any character.
_MATCHERS = r'\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\}'
_SELECTOR = r"(?:[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:" + _MATCHERS + r")?|" + _MATCHERS + r")"
SUM_RATE = re.compile(r"\(?\s*sum\s*\(\s*(?:rate|increase)\s*\(\s*(?P<selector>" + _SELECTOR + r")\s*\[\s*" + _WINDOW
                      + r"\s*\]\s*\)\s*\)\s*\)?", re.S)
NOT_SUM_RATE = ("is not sum(rate(<selector>[{{.window}}])) of one selector, the only query the collection counts as events "
                "(%s)")


class SpecDocument:
    """One document of one spec entry: where it is, for every problem about it."""

    def __init__(self, entry_path: str, file_name: Optional[str], index: int, count: int, problems: Problems):
        if file_name:
            self.base = "%s (%s%s)" % (entry_path, file_name, ", document %d" % (index + 1) if count > 1 else "")
        else:
            self.base = entry_path if count == 1 else "%s (document %d)" % (entry_path, index + 1)
        self.problems = problems
        self.ok = True

    def at(self, *keys: Any) -> str:
        path = self.base
        for key in keys:
            path = join_path(path, key)
        return path

    def fail(self, message: str, *keys: Any) -> None:
        self.problems.add(self.at(*keys), message)
        self.ok = False


# ---------------------------------------------------------------------------------------------
# Queries


def selector_text(text: str) -> Optional[str]:
    match = SUM_RATE.fullmatch(text.strip())
    return match.group("selector") if match else None


def parse_query(text: str, where: SpecDocument, *keys: Any) -> Optional[Selector]:
    try:
        return parse_selector(text)
    except SelectorError as exc:
        where.fail("holds %s, which is not a PromQL selector: %s" % (describe(text), exc), *keys)
        return None


def counted_events(error_query: Any, total_query: Any, where: SpecDocument, *keys: Any) -> Optional[Dict[str, Any]]:
    """errors/total, or latency, of Sloth's (or OpenSLO's) error and total queries."""
    if not isinstance(error_query, str) or not isinstance(total_query, str):
        where.fail("error_query and total_query must be strings", *keys)
        return None
    total_text = selector_text(total_query)
    if total_text is None:
        where.fail(NOT_SUM_RATE % "total_query", *(keys + ("total_query",)))
        return None
    error_text = selector_text(error_query)
    if error_text is not None:
        if parse_query(error_text, where, *(keys + ("error_query",))) and parse_query(total_text, where, *(keys + ("total_query",))):
            return {"errors": error_text, "total": total_text}
        return None
    latency = latency_events(error_query, total_text, where, *(keys + ("error_query",)))
    if latency is None and where.ok:
        where.fail(NOT_SUM_RATE % "or the count minus one bucket of a histogram", *(keys + ("error_query",)))
    return latency


def latency_events(error_query: str, total_text: str, where: SpecDocument, *keys: Any) -> Optional[Dict[str, Any]]:
    """(sum(rate(h_count{m}[w])) - sum(rate(h_bucket{le="T",m}[w]))), total sum(rate(h_count{m}[w])): a latency SLO."""
    body = error_query.strip()
    while body.startswith("(") and body.endswith(")"):
        body = body[1:-1].strip()
    parts = split_top(body, "-")
    if parts is None:
        return None
    count_text, bucket_text = (selector_text(p) for p in parts)
    if count_text is None or bucket_text is None:
        return None
    count, bucket, total = (parse_query(t, where, *keys) for t in (count_text, bucket_text, total_text))
    if None in (count, bucket, total):
        return None
    if not (count.metric.endswith("_count") and bucket.metric == count.metric[:-len("_count")] + "_bucket" and total.metric == count.metric):
        return None
    les = [m for m in bucket.matchers if m.name == "le"]
    rest = frozenset((m.name, m.op, m.value) for m in bucket.matchers if m.name != "le")
    if len(les) != 1 or les[0].op != "=" or rest != frozenset((m.name, m.op, m.value) for m in count.matchers) or rest != frozenset(
            (m.name, m.op, m.value) for m in total.matchers):
        return None
    try:
        threshold = Decimal(les[0].value)
    except InvalidOperation:
        return None
    latency = {"histogram": count.metric[:-len("_count")], "threshold": number(threshold)}
    if count.matchers:
        latency["selector"] = matchers_text(sorted(count.matchers, key=lambda m: (m.name, m.op, m.value)))
    return {"latency": latency}


def matchers_text(matchers: Any) -> str:
    """Label matchers alone, as a latency SLO's selector holds them (each value escaped by Matcher)."""
    return "{%s}" % ",".join(str(m) for m in matchers)


def number(value: Decimal) -> Any:
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------------------------------------
# Labels and alerts


def read_labels(raw: Any, where: SpecDocument, *keys: Any) -> Dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        where.fail("must be a mapping of label names to values, got %s" % describe(raw), *keys)
        return {}
    out = {}
    for key, value in raw.items():
        if key == "severity":
            where.fail("the collection routes on severity, critical for page alerts and warning for tickets; got %s: route on "
                       "another label (such as routing_key)" % describe(value), *(keys + (key,)))
        elif key == "cluster":
            where.fail("cluster is the label each Prometheus adds (its external label); a spec cannot set it", *(keys + (key,)))
        elif key in RESERVED:
            where.fail("is set by the collection (routing and identity: %s): a spec cannot set it" % ", ".join(RESERVED), *(keys + (key,)))
        elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
            where.fail("must be a string, got %s" % describe(value), *(keys + (key,)))
        else:
            out[str(key)] = str(value)
    return out


def balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def split_top(body: str, op: str) -> Optional[List[str]]:
    """The two sides of the one `op` of `body` outside brackets and quotes, if it has exactly one."""
    depth, quote, cuts, escaped = 0, None, [], False
    for i, ch in enumerate(body):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == op and depth == 0:
            cuts.append(i)
    if len(cuts) != 1:
        return None
    return [body[:cuts[0]], body[cuts[0] + 1:]]
