# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SLOs from Sloth (prometheus/v1) and OpenSLO (openslo/v1) specs, as SLOs of the collection's own model.

A team's `slo_specs` lists files (read by the plan action, relative to the inventory directory) and inline
documents. Each SLO of a spec becomes the raw mapping of a native SLO (errors and total selectors, or latency),
with its objective, period, labels and alert names, so that it behaves exactly as the same SLO written natively.
What the model cannot express exactly is refused, naming the spec file, the document's path and the reason:
a query that is not a sum of rates over one selector, calendar windows, Timeslices budgeting, single-window
OpenSLO alert conditions, SLI plugins, labels the collection sets. The mapping, field by field, is in docs/slo.md.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import Matcher, Selector, SelectorError, parse_selector
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import describe
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import RESERVED_ALERT_LABELS as RESERVED

SLOTH_VERSION = "prometheus/v1"
OPENSLO_VERSION = "openslo/v1"
FILE_KEY, DOCUMENTS_KEY, ERROR_KEY = "__file__", "__documents__", "__error__"
_WINDOW = r"(?:\{\{\s*\.window\s*\}\}|[0-9]+[smhdwy])"
# sum(rate(<selector>[<window>])) or with increase, optionally in parentheses: a sum of rates over one selector.
# A selector: a metric name with optional matchers, or matchers alone; quoted values may hold any character.
_MATCHERS = r'\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\}'
_SELECTOR = r"(?:[a-zA-Z_:][a-zA-Z0-9_:]*\s*(?:" + _MATCHERS + r")?|" + _MATCHERS + r")"
_SUM_RATE = re.compile(r"\(?\s*sum\s*\(\s*(?:rate|increase)\s*\(\s*(?P<selector>" + _SELECTOR + r")\s*\[\s*" + _WINDOW
                       + r"\s*\]\s*\)\s*\)\s*\)?", re.S)
_NOT_SUM_RATE = ("is not sum(rate(<selector>[{{.window}}])) of one selector, the only query the collection counts as events "
                 "(%s)")


class _Doc:
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


def convert(items: List[Tuple[str, Any]], problems: Problems) -> List[Tuple[str, Dict[str, Any], str]]:
    """(service name, native SLO mapping, path of the SLO in its spec) of every SLO of a team's slo_specs items."""
    out: List[Tuple[str, Dict[str, Any], str]] = []
    for entry_path, entry in items:
        file_name, documents = _documents(entry_path, entry, problems)
        docs = [_Doc(entry_path, file_name, i, len(documents), problems) for i in range(len(documents))]
        openslo = [(d, doc) for d, doc in zip(docs, documents) if isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith("openslo/")]
        for where, doc in zip(docs, documents):
            if not isinstance(doc, dict):
                where.fail("must be a Sloth (version: prometheus/v1) or OpenSLO (apiVersion: openslo/v1) document, got %s" % describe(doc))
            elif "version" in doc and "apiVersion" not in doc:
                out.extend(_sloth(doc, where))
            elif "apiVersion" in doc:
                if doc.get("apiVersion") != OPENSLO_VERSION:
                    where.fail("%s is not supported: OpenSLO documents must be apiVersion openslo/v1 (Sloth's own converter reads only "
                               "openslo/v1alpha)" % describe(doc.get("apiVersion")), "apiVersion")
                elif doc.get("kind") == "SLO":
                    out.extend(_openslo(doc, where, openslo))
                elif doc.get("kind") not in ("Service", "SLI", "DataSource", "AlertPolicy", "AlertCondition", "AlertNotificationTarget"):
                    where.fail("is not an OpenSLO kind the collection reads (Service, SLO, SLI, DataSource), got %s" % describe(doc.get("kind")),
                               "kind")
            else:
                where.fail("names neither a Sloth version (version: prometheus/v1) nor an OpenSLO apiVersion")
    return out


def _documents(entry_path: str, entry: Any, problems: Problems) -> Tuple[Optional[str], List[Any]]:
    if isinstance(entry, dict) and FILE_KEY in entry:
        if entry.get(ERROR_KEY):
            problems.add(entry_path, "%s: %s" % (entry[FILE_KEY], entry[ERROR_KEY]))
            return entry[FILE_KEY], []
        return entry[FILE_KEY], [d for d in entry.get(DOCUMENTS_KEY) or [] if d is not None]
    if isinstance(entry, dict):
        return None, [entry]
    if isinstance(entry, str):
        problems.add(entry_path, "%s: spec files are read by the plan action, relative to the inventory directory" % describe(entry))
        return None, []
    problems.add(entry_path, "must be a spec file (a path relative to the inventory directory) or an inline document, got %s" % describe(entry))
    return None, []


# ---------------------------------------------------------------------------------------------
# Queries


def _selector_text(text: str) -> Optional[str]:
    match = _SUM_RATE.fullmatch(text.strip())
    return match.group("selector") if match else None


def _parse(text: str, where: _Doc, *keys: Any):
    try:
        return parse_selector(text)
    except SelectorError as exc:
        where.fail("holds %s, which is not a PromQL selector: %s" % (describe(text), exc), *keys)
        return None


def _events(error_query: Any, total_query: Any, where: _Doc, *keys: Any) -> Optional[Dict[str, Any]]:
    """errors/total, or latency, of Sloth's (or OpenSLO's) error and total queries."""
    if not isinstance(error_query, str) or not isinstance(total_query, str):
        where.fail("error_query and total_query must be strings", *keys)
        return None
    total_text = _selector_text(total_query)
    if total_text is None:
        where.fail(_NOT_SUM_RATE % "total_query", *(keys + ("total_query",)))
        return None
    error_text = _selector_text(error_query)
    if error_text is not None:
        if _parse(error_text, where, *(keys + ("error_query",))) and _parse(total_text, where, *(keys + ("total_query",))):
            return {"errors": error_text, "total": total_text}
        return None
    latency = _latency(error_query, total_text, where, *(keys + ("error_query",)))
    if latency is None and where.ok:
        where.fail(_NOT_SUM_RATE % "or the count minus one bucket of a histogram", *(keys + ("error_query",)))
    return latency


def _latency(error_query: str, total_text: str, where: _Doc, *keys: Any) -> Optional[Dict[str, Any]]:
    """(sum(rate(h_count{m}[w])) - sum(rate(h_bucket{le="T",m}[w]))), total sum(rate(h_count{m}[w])): a latency SLO."""
    body = error_query.strip()
    while body.startswith("(") and body.endswith(")"):
        body = body[1:-1].strip()
    parts = _split_top(body, "-")
    if parts is None:
        return None
    count_text, bucket_text = (_selector_text(p) for p in parts)
    if count_text is None or bucket_text is None:
        return None
    count, bucket, total = (_parse(t, where, *keys) for t in (count_text, bucket_text, total_text))
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
    latency = {"histogram": count.metric[:-len("_count")], "threshold": _number(threshold)}
    if count.matchers:
        latency["selector"] = _matchers_text(sorted(count.matchers, key=lambda m: (m.name, m.op, m.value)))
    return {"latency": latency}


def _matchers_text(matchers) -> str:
    """Label matchers alone, as a latency SLO's selector holds them (each value escaped by Matcher)."""
    return "{%s}" % ",".join(str(m) for m in matchers)


def _number(value: Decimal) -> Any:
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------------------------------------
# Labels and alerts


def _labels(raw: Any, where: _Doc, *keys: Any) -> Dict[str, str]:
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


def _sloth_alert(alerting: Dict[str, Any], action: str, where: _Doc, keys: Tuple[Any, ...]) -> Dict[str, Any]:
    key = "page_alert" if action == "page" else "ticket_alert"
    raw = alerting.get(key) or {}
    if not isinstance(raw, dict):
        where.fail("must be a mapping, got %s" % describe(raw), *(keys + (key,)))
        return {}
    labels = dict(raw.get("labels") or {}) if isinstance(raw.get("labels"), dict) else raw.get("labels")
    # Sloth's own examples label pages critical and tickets warning: what the collection routes on, so kept as is.
    ours = "critical" if action == "page" else "warning"
    if isinstance(labels, dict) and labels.get("severity") == ours:
        labels.pop("severity")
    merged = _labels(alerting.get("labels"), where, *(keys + ("labels",)))
    merged.update(_labels(labels, where, *(keys + (key, "labels"))))
    annotations = {}
    for source, akeys in ((alerting.get("annotations"), keys + ("annotations",)), (raw.get("annotations"), keys + (key, "annotations"))):
        if source is None:
            continue
        if not isinstance(source, dict):
            where.fail("must be a mapping, got %s" % describe(source), *akeys)
            continue
        annotations.update({str(k): str(v) for k, v in source.items()})
    out: Dict[str, Any] = {"enabled": not bool(raw.get("disable"))}
    if alerting.get("name"):
        out["name"] = alerting["name"]
    if merged:
        out["labels"] = merged
    if annotations:
        out["annotations"] = annotations
    return out


# ---------------------------------------------------------------------------------------------
# Sloth prometheus/v1


def _sloth(doc: Dict[str, Any], where: _Doc) -> List[Tuple[str, Dict[str, Any], str]]:
    if doc.get("version") != SLOTH_VERSION:
        where.fail("%s is not supported: Sloth specs must be version prometheus/v1 (the Kubernetes CRD form is not read)"
                   % describe(doc.get("version")), "version")
        return []
    known = {"version", "service", "labels", "slos", "slo_plugins"}
    for key in sorted(set(doc) - known, key=str):
        where.fail("is not a field of a Sloth prometheus/v1 spec", key)
    service = doc.get("service")
    if not is_dns_label(service):
        where.fail("must be a service name (a Kubernetes name), got %s" % describe(service), "service")
        return []
    if (doc.get("slo_plugins") or {}).get("chain"):
        where.fail("SLO plugins run Sloth's Go code; the collection has none", "slo_plugins")
    spec_labels = _labels(doc.get("labels"), where, "labels")
    slos = doc.get("slos")
    if not isinstance(slos, list) or not slos:
        where.fail("must be a non-empty list of SLOs", "slos")
        return []
    out = []
    for i, slo in enumerate(slos):
        keys = ("slos", i)
        before = where.ok
        where.ok = True
        native = _sloth_slo(slo, spec_labels, where, keys)
        if native is not None and where.ok:
            out.append((service, native, where.at(*keys)))
        where.ok = before and where.ok
    return out


def _sloth_slo(slo: Any, spec_labels: Dict[str, str], where: _Doc, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    if not isinstance(slo, dict):
        where.fail("must be a mapping, got %s" % describe(slo), *keys)
        return None
    for key in sorted(set(slo) - {"name", "description", "objective", "labels", "sli", "alerting", "plugins"}, key=str):
        where.fail("is not a field of a Sloth SLO", *(keys + (key,)))
    if (slo.get("plugins") or {}).get("chain"):
        where.fail("SLO plugins run Sloth's Go code; the collection has none", *(keys + ("plugins",)))
    native: Dict[str, Any] = {"name": slo.get("name"), "objective": slo.get("objective")}
    if slo.get("description"):
        native["description"] = slo["description"]
    sli = slo.get("sli")
    if not isinstance(sli, dict):
        where.fail("must be a mapping with events or raw", *(keys + ("sli",)))
        return None
    if sli.get("plugin"):
        where.fail("SLI plugins run Sloth's Go code; write the SLI's error and total queries instead", *(keys + ("sli", "plugin")))
        return None
    if sli.get("events"):
        events = sli["events"] if isinstance(sli["events"], dict) else {}
        counted = _events(events.get("error_query"), events.get("total_query"), where, *(keys + ("sli", "events")))
    elif sli.get("raw"):
        counted = _raw_ratio(sli["raw"], where, *(keys + ("sli", "raw")))
    else:
        where.fail("needs events (error_query and total_query)", *(keys + ("sli",)))
        return None
    if counted is None:
        return None
    native.update(counted)
    labels = dict(spec_labels)
    labels.update(_labels(slo.get("labels"), where, *(keys + ("labels",))))
    if labels:
        native["labels"] = labels
    alerting = slo.get("alerting")
    if isinstance(alerting, dict):
        native["alerting"] = {action: _sloth_alert(alerting, action, where, keys + ("alerting",)) for action in ("page", "ticket")}
    elif alerting is not None:
        where.fail("must be a mapping, got %s" % describe(alerting), *(keys + ("alerting",)))
    return native


def _raw_ratio(raw: Any, where: _Doc, *keys: Any) -> Optional[Dict[str, Any]]:
    """sli.raw's error_ratio_query is counted only when it is sum(rate(errors)) / sum(rate(total))."""
    query = raw.get("error_ratio_query") if isinstance(raw, dict) else None
    if not isinstance(query, str):
        where.fail("needs error_ratio_query", *keys)
        return None
    body = query.strip()
    while body.startswith("(") and body.endswith(")") and _balanced(body[1:-1]):
        body = body[1:-1].strip()
    parts = _split_top(body, "/")
    texts = [_selector_text(p) for p in parts] if parts else [None]
    if len(texts) != 2 or None in texts:
        where.fail("is a ratio the collection cannot count as events: only sum(rate(<errors>[{{.window}}])) / "
                   "sum(rate(<total>[{{.window}}])) maps to errors and total", *(keys + ("error_ratio_query",)))
        return None
    if _parse(texts[0], where, *keys) is None or _parse(texts[1], where, *keys) is None:
        return None
    return {"errors": texts[0], "total": texts[1]}


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _split_top(body: str, op: str) -> Optional[List[str]]:
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


# ---------------------------------------------------------------------------------------------
# OpenSLO v1


def _openslo(doc: Dict[str, Any], where: _Doc, siblings: List[Tuple[_Doc, Dict[str, Any]]]) -> List[Tuple[str, Dict[str, Any], str]]:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else None
    if spec is None:
        where.fail("must be a mapping", "spec")
        return []
    name = meta.get("name")
    if not is_dns_label(name):
        where.fail("must be an SLO name (a Kubernetes name), got %s" % describe(name), "metadata", "name")
    service = spec.get("service")
    if not is_dns_label(service):
        where.fail("must be a service name (a Kubernetes name), got %s" % describe(service), "spec", "service")
    native: Dict[str, Any] = {"name": name}
    if spec.get("description"):
        native["description"] = spec["description"]
    method = spec.get("budgetingMethod")
    if method != "Occurrences":
        where.fail("%s cannot be counted: the collection's error budget is a share of events (Occurrences)" % describe(method),
                   "spec", "budgetingMethod")
    native.update(_openslo_window(spec.get("timeWindow"), where))
    if spec.get("alertPolicies"):
        native.update(_openslo_alerting(spec["alertPolicies"], native.get("period"), where, siblings))
    sli, sli_keys = _openslo_indicator(spec, where, siblings)
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or len(objectives) != 1 or not isinstance(objectives[0], dict):
        where.fail("must hold exactly one objective: write one SLO per objective", "spec", "objectives")
        return []
    objective = objectives[0]
    native["objective"] = _openslo_target(objective, where)
    if sli is not None:
        native.update(_openslo_sli(sli, objective, where, sli_keys) or {})
    labels = _openslo_labels(meta.get("labels"), where)
    if labels:
        native["labels"] = labels
    if not where.ok or not {"errors", "latency"} & set(native):
        return []
    return [(service, native, where.at("spec"))]


def _openslo_window(windows: Any, where: _Doc) -> Dict[str, Any]:
    if windows is None:
        return {}  # the team's slo_period
    if not isinstance(windows, list) or len(windows) != 1 or not isinstance(windows[0], dict):
        where.fail("must hold exactly one time window", "spec", "timeWindow")
        return {}
    window = windows[0]
    if window.get("calendar") or window.get("isRolling") is not True:
        where.fail("calendar windows cannot be expressed: the collection's SLO period is rolling (isRolling: true)", "spec", "timeWindow", 0)
        return {}
    try:
        return {"period": str(Duration.parse(str(window.get("duration"))))}
    except ValueError as exc:
        where.fail("is not a duration: %s" % exc, "spec", "timeWindow", 0, "duration")
        return {}


_SEVERITY_ACTIONS = {"page": "page", "critical": "page", "ticket": "ticket", "warning": "ticket"}


def _named(item: Any, kind: str, ref_key: str, siblings, where: _Doc, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    """An inline OpenSLO object of `kind`, or the document of this entry its `ref_key` names."""
    if isinstance(item, dict) and item.get(ref_key):
        for _other, doc in siblings:
            if doc.get("kind") == kind and (doc.get("metadata") or {}).get("name") == item[ref_key]:
                return doc
        where.fail("names no %s of this spec entry (%s)" % (kind, describe(item[ref_key])), *(keys + (ref_key,)))
        return None
    if isinstance(item, dict) and item.get("kind") == kind:
        return item
    where.fail("must be an inline %s or a %s" % (kind, ref_key), *keys)
    return None


def _openslo_alerting(policies: Any, period_text: Optional[str], where: _Doc, siblings) -> Dict[str, Any]:
    """AlertPolicies of burn-rate AlertConditions, as native tiers (single-window: short = long) and alert names.

    A condition (severity, threshold burn rate, lookbackWindow, alertAfter) is a tier: page for a page or critical
    severity, ticket for ticket or warning; its budget share is threshold x lookbackWindow / period.
    """
    if not isinstance(policies, list):
        where.fail("must be a list", "spec", "alertPolicies")
        return {}
    if period_text is None:
        where.fail("alert policies need the SLO's rolling timeWindow (their burn rates are shares of it)", "spec", "alertPolicies")
        return {}
    period = Duration.parse(period_text)
    tiers: List[Dict[str, Any]] = []
    names: Dict[str, str] = {}
    no_data = False
    for i, item in enumerate(policies):
        keys = ("spec", "alertPolicies", i)
        policy = _named(item, "AlertPolicy", "alertPolicyRef", siblings, where, keys)
        if policy is None:
            continue
        pspec = policy.get("spec") if isinstance(policy.get("spec"), dict) else {}
        if pspec.get("notificationTargets"):
            where.fail("notification targets cannot be expressed: the team's alerting receivers and routes say where alerts go",
                       *(keys + ("spec", "notificationTargets")))
        if pspec.get("alertWhenBreaching") is False:
            where.fail("alertWhenBreaching false cannot be expressed: the tiers alert when the budget burns", *(keys + ("spec", "alertWhenBreaching")))
        no_data = no_data or pspec.get("alertWhenNoData") is True
        name = (policy.get("metadata") or {}).get("name")
        conditions = pspec.get("conditions")
        if not isinstance(conditions, list) or not conditions:
            where.fail("needs conditions", *(keys + ("spec", "conditions")))
            continue
        for j, entry in enumerate(conditions):
            ckeys = keys + ("spec", "conditions", j)
            condition = _named(entry, "AlertCondition", "conditionRef", siblings, where, ckeys)
            if condition is None:
                continue
            tier = _openslo_tier(condition, period, where, ckeys)
            if tier is None:
                continue
            tiers.append(tier)
            if isinstance(name, str) and name:
                if names.setdefault(tier["action"], name) != name:
                    message = "names the %s alert %s, another policy %s: one name per action" % (
                        tier["action"], describe(name), describe(names[tier["action"]]))
                    where.fail(message, *keys)
    out: Dict[str, Any] = {}
    if tiers:
        out["tiers"] = tiers
        out["alerting"] = {action: {"name": _alert_name(n)} for action, n in sorted(names.items())}
        for action in ("page", "ticket"):
            if not any(t["action"] == action for t in tiers):
                out["alerting"].setdefault(action, {})["enabled"] = False
    if no_data:
        out["no_data"] = True
    return out


def _alert_name(name: str) -> str:
    """An OpenSLO policy name as an alert name: its words joined, each capitalized (fast-burn -> FastBurn)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part) or name


def _openslo_tier(condition: Dict[str, Any], period: Duration, where: _Doc, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    cspec = condition.get("spec") if isinstance(condition.get("spec"), dict) else {}
    severity = str(cspec.get("severity", "")).lower()
    action = _SEVERITY_ACTIONS.get(severity)
    if action is None:
        where.fail("severity %s cannot be routed: page or critical pages, ticket or warning tickets" % describe(cspec.get("severity")),
                   *(keys + ("spec", "severity")))
        return None
    rule = cspec.get("condition") if isinstance(cspec.get("condition"), dict) else {}
    if rule.get("kind") != "burnrate":
        where.fail("only burnrate conditions map to the tiers, got %s" % describe(rule.get("kind")), *(keys + ("spec", "condition", "kind")))
        return None
    if rule.get("op", "gte") not in ("gt", "gte"):
        where.fail("a burn-rate tier fires above its threshold: op must be gt or gte, got %s" % describe(rule.get("op")),
                   *(keys + ("spec", "condition", "op")))
        return None
    try:
        threshold = Decimal(str(rule.get("threshold")))
        window = Duration.parse(str(rule.get("lookbackWindow")))
    except (InvalidOperation, ValueError):
        where.fail("needs a numeric threshold and a lookbackWindow duration", *(keys + ("spec", "condition")))
        return None
    share = threshold * Decimal(window.ms) / Decimal(period.ms) * 100
    if not Decimal(0) < share <= Decimal(100):
        where.fail("burn rate %s over %s spends %s%% of the %s budget: it must spend more than 0 and at most 100" % (
            threshold, window, share.normalize(), period), *(keys + ("spec", "condition", "threshold")))
        return None
    tier: Dict[str, Any] = {"action": action, "burn_rate": str(threshold), "long_window": str(window), "short_window": str(window)}
    if rule.get("alertAfter"):
        tier["for"] = str(rule["alertAfter"])
    return tier


def _openslo_target(objective: Dict[str, Any], where: _Doc) -> Any:
    keys = ("spec", "objectives", 0)
    if "target" in objective and "targetPercent" not in objective:
        try:
            value = Decimal(str(objective["target"]))
        except InvalidOperation:
            value = None
        if value is None or not Decimal(0) < value < Decimal(1):
            where.fail("must be a number in (0, 1), got %s" % describe(objective["target"]), *(keys + ("target",)))
            return None
        return str(value * 100)
    if "targetPercent" in objective and "target" not in objective:
        return objective["targetPercent"]
    where.fail("needs exactly one of target and targetPercent", *keys)
    return None


def _openslo_indicator(spec: Dict[str, Any], where: _Doc, siblings) -> Tuple[Optional[Dict[str, Any]], Tuple[Any, ...]]:
    if isinstance(spec.get("indicator"), dict):
        return spec["indicator"].get("spec"), ("spec", "indicator", "spec")
    ref = spec.get("indicatorRef")
    if ref:
        for other, doc in siblings:
            if doc.get("kind") == "SLI" and (doc.get("metadata") or {}).get("name") == ref:
                return doc.get("spec"), ("spec",) if other is where else ("spec", "indicatorRef")
        where.fail("names no SLI of this spec entry (%s)" % describe(ref), "spec", "indicatorRef")
        return None, ()
    where.fail("needs an indicator or an indicatorRef", "spec")
    return None, ()


def _query(metric: Any, where: _Doc, *keys: Any) -> Optional[str]:
    source = metric.get("metricSource") if isinstance(metric, dict) else None
    if not isinstance(source, dict):
        where.fail("needs a metricSource", *keys)
        return None
    kind = str(source.get("type") or "Prometheus")
    if kind.lower() != "prometheus":
        where.fail("%s is not Prometheus: the collection writes Prometheus rules" % describe(source.get("type")), *(keys + ("metricSource", "type")))
        return None
    query = (source.get("spec") or {}).get("query") if isinstance(source.get("spec"), dict) else None
    if not isinstance(query, str):
        where.fail("needs spec.query", *(keys + ("metricSource",)))
        return None
    return query.strip()


def _counter(query: str, where: _Doc, *keys: Any):
    """The counter selector of an OpenSLO query: a bare selector, or a sum of its rates."""
    text = _selector_text(query)
    parsed = _parse(text if text is not None else query, where, *keys)
    if parsed is None and where.ok:
        where.fail(_NOT_SUM_RATE % "or a counter selector", *keys)
    return parsed, text if text is not None else query


def _openslo_sli(sli: Any, objective: Dict[str, Any], where: _Doc, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    if not isinstance(sli, dict):
        where.fail("must be a mapping", *keys)
        return None
    if isinstance(sli.get("ratioMetric"), dict):
        return _openslo_ratio(sli["ratioMetric"], where, keys + ("ratioMetric",))
    if isinstance(sli.get("thresholdMetric"), dict):
        return _openslo_threshold(sli["thresholdMetric"], objective, where, keys + ("thresholdMetric",))
    where.fail("needs ratioMetric or thresholdMetric", *keys)
    return None


def _openslo_ratio(ratio: Dict[str, Any], where: _Doc, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    if "raw" in ratio:
        where.fail("a precomputed ratio cannot be counted as events: give bad (or good) and total", *(keys + ("raw",)))
        return None
    if ratio.get("counter") is False:
        where.fail("a gauge cannot be counted as events: the collection needs counters (counter: true)", *(keys + ("counter",)))
        return None
    total_query = _query(ratio.get("total"), where, *(keys + ("total",)))
    if total_query is None:
        return None
    total, total_text = _counter(total_query, where, *(keys + ("total",)))
    if "bad" in ratio and "good" not in ratio:
        bad_query = _query(ratio.get("bad"), where, *(keys + ("bad",)))
        if bad_query is None:
            return None
        bad, bad_text = _counter(bad_query, where, *(keys + ("bad",)))
        return {"errors": bad_text, "total": total_text} if bad is not None and total is not None else None
    if "good" in ratio and "bad" not in ratio:
        good_query = _query(ratio.get("good"), where, *(keys + ("good",)))
        if good_query is None:
            return None
        good, _good_text = _counter(good_query, where, *(keys + ("good",)))
        if good is None or total is None:
            return None
        return _complement(good, total, total_text, where, keys + ("good",))
    where.fail("needs exactly one of good and bad, with total", *keys)
    return None


_NEGATE = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}


def _complement(good, total, total_text: str, where: _Doc, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    """Bad events = total events that are not good: exact when good is total plus one matcher, which is negated."""
    good_set = {(m.name, m.op, m.value) for m in good.matchers}
    total_set = {(m.name, m.op, m.value) for m in total.matchers}
    extra = good_set - total_set
    if good.metric != total.metric or not total_set <= good_set or len(extra) != 1:
        where.fail("good must be total's selector with one more matcher, which the collection negates to count bad events "
                   "(total minus good is not one selector otherwise): give bad instead", *keys)
        return None
    name, op, value = extra.pop()
    text = str(Selector(total.metric, tuple(total.matchers) + (Matcher(name, _NEGATE[op], value),)))
    return {"errors": text, "total": total_text}


def _openslo_threshold(metric: Dict[str, Any], objective: Dict[str, Any], where: _Doc, keys: Tuple[Any, ...]) -> Optional[Dict[str, Any]]:
    query = _query(metric, where, *keys)
    if query is None:
        return None
    parsed = _parse(_selector_text(query) or query, where, *keys)
    if parsed is None:
        return None
    if not parsed.metric.endswith("_bucket") or any(m.name == "le" for m in parsed.matchers):
        where.fail("a threshold on a query's value is a Timeslices SLI: only a histogram's buckets (<name>_bucket{...}, no le) count "
                   "the events under a threshold", *keys)
        return None
    op, value = objective.get("op"), objective.get("value")
    if op not in ("lte", "lt") or isinstance(value, bool) or not isinstance(value, (int, float)):
        where.fail("a latency objective needs op lte (or lt) and a numeric value: the events at or under a bucket bound are good",
                   "spec", "objectives", 0)
        return None
    latency: Dict[str, Any] = {"histogram": parsed.metric[:-len("_bucket")], "threshold": value}
    if parsed.matchers:
        latency["selector"] = _matchers_text(parsed.matchers)
    return {"latency": latency}


def _openslo_labels(raw: Any, where: _Doc) -> Dict[str, str]:
    """OpenSLO labels: a value or a list of values per key; a list of more than one cannot be one Prometheus label."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        where.fail("must be a mapping, got %s" % describe(raw), "metadata", "labels")
        return {}
    flat = {}
    for key, value in raw.items():
        if isinstance(value, list):
            if len(value) != 1:
                where.fail("holds %d values: a Prometheus label holds one" % len(value), "metadata", "labels", key)
                continue
            value = value[0]
        flat[key] = value
    return _labels(flat, where, "metadata", "labels")
