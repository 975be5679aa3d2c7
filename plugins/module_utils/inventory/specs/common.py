# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the spec importers (specs.sloth, specs.openslo) share: where a problem is in a spec, the queries they count as
events (recognised on Prometheus' parser: core.promql), labels.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import (
    LABEL_NAME_RE, Selector, SelectorError, counted_selector, parse_query, sides, vector_selector)
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import describe, to_fraction
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Latency
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import RESERVED_ALERT_LABELS as RESERVED

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


def parse(text: Any, where: SpecDocument, *keys: Any) -> Any:
    """The syntax tree of a spec's query, or None with the parser's reason at `keys`."""
    try:
        return parse_query(text)
    except SelectorError as exc:
        where.fail("holds %s, which %s" % (describe(text), exc), *keys)
        return None


def selector_of(node: Any, where: SpecDocument, *keys: Any, bare: bool = False) -> Optional[Selector]:
    """The counted selector of a query's tree (sum(rate(<selector>[w])); with `bare`, a plain selector too), or None;
    a matcher the collection refuses (an RE2-incompatible regex) is a problem at `keys`."""
    try:
        selector = counted_selector(node)
        if selector is None and bare:
            selector = vector_selector(node)
        return selector
    except SelectorError as exc:
        where.fail("holds a selector the collection cannot use: %s" % exc, *keys)
        return None


def counted_events(error_query: Any, total_query: Any, where: SpecDocument, *keys: Any,
                   names: Tuple[str, str] = ("error_query", "total_query")) -> Optional[Dict[str, Any]]:
    """errors and total, or latency, of Sloth's error and total queries (`names`: their fields), as build_slo takes them."""
    if not isinstance(error_query, str) or not isinstance(total_query, str):
        where.fail("%s and %s must be strings (PromQL queries)" % names, *keys)
        return None
    error_keys, total_keys = keys + (names[0],), keys + (names[1],)
    error_tree, total_tree = parse(error_query, where, *error_keys), parse(total_query, where, *total_keys)
    total = selector_of(total_tree, where, *total_keys) if total_tree is not None else None
    if total_tree is not None and total is None and where.ok:
        where.fail(NOT_SUM_RATE % names[1], *total_keys)
    if error_tree is None:
        return None
    errors = selector_of(error_tree, where, *error_keys)
    if errors is not None:
        return {"errors": errors, "total": total} if total is not None else None
    latency = latency_events(error_tree, total, where, *error_keys) if where.ok else None
    if latency is None and where.ok:
        where.fail(NOT_SUM_RATE % "or the count minus one bucket of a histogram", *error_keys)
    return latency if total is not None else None


def latency_events(error_tree: Any, total: Optional[Selector], where: SpecDocument, *keys: Any) -> Optional[Dict[str, Any]]:
    """(sum(rate(h_count{m}[w])) - sum(rate(h_bucket{le="T",m}[w]))) over total sum(rate(h_count{m}[w])): a latency SLO."""
    parts = sides(error_tree, "-")
    if parts is None or total is None:
        return None
    count, bucket = (selector_of(part, where, *keys) for part in parts)
    read = bucket_at_threshold(bucket) if count is not None and bucket is not None else None
    if read is None:
        return None
    histogram, threshold, rest = read
    if count.metric != histogram + "_count" or total.metric != count.metric or not rest == frozenset(count.matchers) == frozenset(total.matchers):
        return None
    return {"latency": Latency(histogram, threshold, Selector(histogram, tuple(sorted(rest))))}


def bucket_at_threshold(bucket: Selector) -> Optional[Tuple[str, Any, frozenset]]:
    """(histogram, threshold, the other matchers) of `<histogram>_bucket{...,le="<seconds>"}` (one le, a number of
    seconds, at least 0); None for any other selector. The latency SLO's good events, as Sloth and Pyrra write them."""
    les = [m for m in bucket.matchers if m.name == "le"]
    if not bucket.metric.endswith("_bucket") or len(les) != 1 or les[0].op != "=":
        return None
    try:
        threshold = to_fraction(les[0].value)
    except OverflowError:
        threshold = None
    if threshold is None or threshold < 0:
        return None
    return bucket.metric[:-len("_bucket")], threshold, frozenset(m for m in bucket.matchers if m.name != "le")


def ratio_events(query: Any, where: SpecDocument, *keys: Any) -> Optional[Dict[str, Any]]:
    """errors and total of sum(rate(<errors>[w])) / sum(rate(<total>[w])), else None with the reason at `keys`."""
    tree = parse(query, where, *keys)
    if tree is None:
        return None
    parts = sides(tree, "/")
    selectors = [selector_of(part, where, *keys) for part in parts] if parts else [None]
    if len(selectors) != 2 or None in selectors:
        if where.ok:
            where.fail("is a ratio the collection cannot count as events: only sum(rate(<errors>[{{.window}}])) / "
                       "sum(rate(<total>[{{.window}}])) maps to errors and total", *keys)
        return None
    return {"errors": selectors[0], "total": selectors[1]}


# ---------------------------------------------------------------------------------------------
# Labels and alerts


# A spec's own severity that is not the collection's (Sloth's examples page `pageteam`, ticket `slack`): kept on the
# alert under this label, beside the `severity` the collection routes on.
SPEC_SEVERITY_LABEL = "sloth_severity"


def read_labels(raw: Any, where: SpecDocument, *keys: Any, team: str = "", severity: str = "",
                kept_as: str = SPEC_SEVERITY_LABEL) -> Dict[str, str]:
    """A spec's labels, as an SLO's alert labels: Prometheus label names, string values, none the collection sets.

    What a migrating spec commonly holds is taken over, with a lint warning where it changes: a `severity` equal to
    the collection's for the alert (`severity`: critical for pages, warning for tickets) is that, another is kept as
    `kept_as` (sloth_severity, pyrra_severity); a `team` equal to the team's name is the label the platform sets anyway; `cluster` is each
    Prometheus' external label, so the spec's value is left out."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        where.fail("must be a mapping of label names to values, got %s" % describe(raw), *keys)
        return {}
    out = {}
    for key, value in raw.items():
        at = keys + (str(key),)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            hint = "; YAML read %s as a boolean: quote it (%r)" % (str(value).lower(), str(value).lower()) if isinstance(value, bool) else ""
            where.fail("must be a string, got %s%s" % (describe(value), hint), *at)
        elif not isinstance(key, str) or not LABEL_NAME_RE.match(key) or key.startswith("__"):
            where.fail("is not a Prometheus label name the collection lets a spec set", *at)
        elif key == "severity":
            if str(value) != severity:
                where.problems.warn(where.at(*at), "%s is kept as %s=%s: the collection routes on severity (critical for page "
                                    "alerts, warning for tickets); match %s in routes that matched severity" % (
                                        describe(value), kept_as, describe(str(value)), kept_as))
                out[kept_as] = str(value)
        elif key == "team" and team and str(value) == team:
            continue  # the label the platform sets on every alert of the team
        elif key == "cluster":
            where.problems.warn(where.at(*at), "%s is left out: cluster is each Prometheus' external label, on every alert already "
                                "(the cluster's host name in observability_clusters); routes that matched %s match that name" % (
                                    describe(value), describe(str(value))))
        elif key in RESERVED:
            where.fail("is set by the collection (routing and identity: %s)%s" % (
                ", ".join(RESERVED), "; the spec is imported into team %r" % team if key == "team" and team else ""), *at)
        else:
            out[str(key)] = str(value)
    return out
