# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules a team writes itself (`rules`, per team and per service, in Prometheus' rule format) and the promtool unit
tests it attaches (`rule_tests`, in promtool's format).

A team pastes the rules it has; what could reach past its namespace is refused at the field: a selector on another
namespace, `team` or `namespace` labels naming another's, the labels the platform routes and inhibits on, a template
that runs a query (Prometheus runs it with its full view). Expressions are read by Prometheus' parser (core.promql).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.gotemplate import template_functions
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import (
    SelectorError, eq, parse_query, parse_selector, query_selectors)
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import RESERVED_ALERT_LABELS
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import ALERT_SEVERITIES, RuleTest, TeamRule

ALERT, RECORD = "alert", "record"
# The platform's own series (SLO and golden-signal recording rules): a team's recording rule may not write them.
PLATFORM_SERIES_PREFIX = "vigil:"
_RULE_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
# Template functions that read series: Prometheus runs them with its full view, across every team's namespace.
QUERYING_FUNCTIONS = ("query",)
_TEST_KEYS = ("name", "interval", "input_series", "alert_rule_test", "promql_expr_test", "external_labels", "external_url")


def parse_rules(items: Sequence[Tuple[str, Any]], problems: Problems, team: str, namespace: str, services: Sequence[str],
                service: str = "") -> Tuple[TeamRule, ...]:
    """The rules of a team (`service` empty) or of one of its services; `services` are the team's service names."""
    out = []
    for path, raw in items:
        rule = _parse_rule(raw, path, problems, team, namespace, services, service)
        if rule is not None:
            out.append(rule)
    return tuple(out)


def _parse_rule(raw: Any, path: str, problems: Problems, team: str, namespace: str, services: Sequence[str],
                service: str) -> Optional[TeamRule]:
    r = Reader(raw, path, problems)
    before = len(problems)
    kind = ALERT if r.has(ALERT) else RECORD if r.has(RECORD) else None
    if r.ok and (kind is None or (r.has(ALERT) and r.has(RECORD))):
        problems.add(path, "needs exactly one of alert (an alerting rule) and record (a recording rule)")
    name = r.string(kind, pattern=_RULE_NAME.pattern, what="an alert name" if kind == ALERT else "a metric name") if kind else None
    r.raw(ALERT)
    r.raw(RECORD)
    expr = r.string("expr", required=True)
    for_ = r.duration("for")
    keep_firing_for = r.duration("keep_firing_for")
    labels = r.mapping("labels")
    annotations = r.mapping("annotations")
    r.done()
    if kind == RECORD:
        if name and name.startswith(PLATFORM_SERIES_PREFIX):
            problems.add(r.sub(RECORD), "names a series of the platform (%s*): choose a name of the team's own" % PLATFORM_SERIES_PREFIX)
        for key in ("for", "keep_firing_for", "annotations"):
            if r.has(key):
                problems.add(r.sub(key), "is for alerting rules; a recording rule has none")
    if isinstance(expr, str):
        _check_expr(expr, r.sub("expr"), problems, namespace)
    label_pairs = _labels(labels, r.sub("labels"), problems, kind, team, namespace, services, service)
    annotation_pairs = _annotations(annotations, r.sub("annotations"), problems)
    if len(problems) != before or None in (kind, name, expr):
        return None
    return TeamRule(kind, name, expr.strip(), for_, keep_firing_for, label_pairs, annotation_pairs, path)


def _check_expr(expr: str, path: str, problems: Problems, namespace: str) -> None:
    """The expression parses, and every selector reads the team's namespace (the operator adds namespace="<namespace>"
    to each; one that names another namespace would read nothing there, and says the team means to read it)."""
    try:
        selectors = query_selectors(parse_query(expr))
    except SelectorError as exc:
        problems.add(path, "is not a PromQL expression the platform can use: %s" % exc)
        return
    own = eq("namespace", namespace)
    for selector in selectors:
        for matcher in selector.matchers:
            if matcher.name == "namespace" and matcher != own:
                problems.add(path, "must not match on namespace other than %s: a team's rules read only the series of its namespace "
                             "%r (see docs/tenancy.md); %s does" % (own, namespace, selector))
                return


def _labels(raw: Dict[str, Any], path: str, problems: Problems, kind: Optional[str], team: str, namespace: str,
            services: Sequence[str], service: str) -> Tuple[Tuple[str, str], ...]:
    own = {"team": (team,), "namespace": (namespace,), "service": (service,) if service else tuple(services)}
    out = []
    for key, value in sorted(raw.items(), key=lambda kv: str(kv[0])):
        where = join_path(path, str(key))
        if not isinstance(key, str) or not _LABEL_NAME.match(key) or key.startswith("__"):
            problems.add(where, "is not a label name a rule may set")
        elif not isinstance(value, str):
            problems.add(where, "must be a string, got %s" % describe(value))
        elif key in own:
            if value not in own[key]:
                problems.add(where, "must be %s: the platform labels the team's rules with its own %s, which routes them" % (
                    " or ".join(repr(v) for v in own[key]) or "one of the team's services", key))
        elif key == "severity":
            if kind == RECORD:
                problems.add(where, "is for alerting rules: a recorded series has no severity")
            elif value not in ALERT_SEVERITIES:
                problems.add(where, "must be one of %s (what the platform routes and inhibits on), got %s" % (
                    ", ".join(ALERT_SEVERITIES), describe(value)))
        elif key in RESERVED_ALERT_LABELS:
            problems.add(where, "is set by the platform (routing and identity: %s); use another label" % ", ".join(RESERVED_ALERT_LABELS))
        else:
            _check_template(value, where, problems)
        out.append((key, value))
    if kind == ALERT and "severity" not in raw:
        problems.add(join_path(path, "severity"), "is required: one of %s, what the team's routes and inhibitions read" % ", ".join(ALERT_SEVERITIES))
    return tuple(out)


def _annotations(raw: Dict[str, Any], path: str, problems: Problems) -> Tuple[Tuple[str, str], ...]:
    out = []
    for key, value in sorted(raw.items(), key=lambda kv: str(kv[0])):
        where = join_path(path, str(key))
        if not isinstance(key, str) or not _LABEL_NAME.match(key):
            problems.add(where, "is not an annotation name")
        elif not isinstance(value, str):
            problems.add(where, "must be a string, got %s" % describe(value))
        else:
            _check_template(value, where, problems)
            out.append((key, value))
    return tuple(out)


def _check_template(text: str, path: str, problems: Problems) -> None:
    try:
        called = template_functions(text)
    except ValueError as exc:
        problems.add(path, "is not a template Prometheus can run: %s" % exc)
        return
    for name in sorted(called & set(QUERYING_FUNCTIONS)):
        problems.add(path, "calls %s, which queries Prometheus with its full view (every team's series); use the alert's own "
                     "{{ $value }} and {{ $labels }}" % name)


# ---------------------------------------------------------------------------------------------
# promtool unit tests


def parse_rule_tests(items: Sequence[Tuple[str, Any]], problems: Problems, team: str, namespace: str) -> Tuple[RuleTest, ...]:
    """promtool test groups, each checked for its shape and with the team's namespace in its input series.

    A series without a namespace label gets namespace="<namespace>" (every series the team's rules can read has it); an
    alert's expected labels get the team and namespace labels the platform gives every team alert, where not written."""
    out = []
    for path, raw in items:
        r = Reader(raw, path, problems)
        before = len(problems)
        test: Dict[str, Any] = {}
        for key in _TEST_KEYS:
            if r.has(key):
                test[key] = r.raw(key)
        r.done()
        if not r.ok:
            continue
        test["input_series"] = [_series(item, p, problems, namespace) for p, item in r.items("input_series")]
        test["alert_rule_test"] = [_alert_test(item, p, problems, team, namespace) for p, item in r.items("alert_rule_test")]
        test["promql_expr_test"] = [_expr_test(item, p, problems) for p, item in r.items("promql_expr_test")]
        if not test["alert_rule_test"] and not test["promql_expr_test"]:
            problems.add(path, "tests nothing: give alert_rule_test or promql_expr_test")
        if len(problems) == before:
            out.append(RuleTest({k: v for k, v in test.items() if v != []}, path))
    return tuple(out)


def _series(raw: Any, path: str, problems: Problems, namespace: str) -> Any:
    r = Reader(raw, path, problems)
    text = r.string("series", required=True)
    values = r.raw("values")
    r.done()
    if not isinstance(values, str):
        problems.add(join_path(path, "values"), "must be promtool's expanding notation, such as '0+10x60', got %s" % describe(values))
    if not isinstance(text, str):
        return raw
    try:
        series = parse_selector(text)
    except SelectorError as exc:
        problems.add(join_path(path, "series"), "is not a series: %s" % exc)
        return raw
    if any(m.op != "=" for m in series.matchers):
        problems.add(join_path(path, "series"), "is a series: its labels are name=\"value\" pairs, got %s" % describe(text))
        return raw
    own = eq("namespace", namespace)
    names = [m for m in series.matchers if m.name == "namespace"]
    if names and names != [own]:
        problems.add(join_path(path, "series"), "is in another namespace than %r: the team's rules could never read it" % namespace)
        return raw
    if not names:
        series = series.with_matchers(own)
    return {"series": str(series), "values": values}


def _alert_test(raw: Any, path: str, problems: Problems, team: str, namespace: str) -> Any:
    r = Reader(raw, path, problems)
    r.raw("eval_time")
    r.string("alertname", required=True)
    exp_alerts = r.items("exp_alerts")
    r.done()
    if not r.ok:
        return raw
    out = dict(raw)
    alerts = []
    for item_path, item in exp_alerts:
        a = Reader(item, item_path, problems)
        labels = a.mapping("exp_labels")
        annotations = a.mapping("exp_annotations")
        a.done()
        if not a.ok:
            continue
        expected = {"exp_labels": dict({"team": team, "namespace": namespace}, **{str(k): v for k, v in labels.items()})}
        if annotations:
            expected["exp_annotations"] = annotations
        alerts.append(expected)
    out["exp_alerts"] = alerts
    return out


def _expr_test(raw: Any, path: str, problems: Problems) -> Any:
    r = Reader(raw, path, problems)
    expr = r.string("expr", required=True)
    r.raw("eval_time")
    r.items("exp_samples")
    r.done()
    if isinstance(expr, str):
        try:
            parse_query(expr)
        except SelectorError as exc:
            problems.add(join_path(path, "expr"), "is not a PromQL expression: %s" % exc)
    return raw


def rule_names(rules: Sequence[TeamRule], kind: str) -> List[str]:
    return [rule.name for rule in rules if rule.kind == kind]
