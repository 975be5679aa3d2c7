# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PromQL pieces built from inventory values, and the recognition of whole queries.

Nothing from the inventory reaches an expression as raw text: selectors are
parsed into `Selector` objects and printed back with every value escaped, so a
value cannot close a string and add a matcher, a label or a rule.

Whole queries (the SLIs of imported Sloth and OpenSLO specs) are read by promql-parser, the bindings of the Rust port
of Prometheus' own parser, and recognised on its syntax tree (`counted_selector`, `sides`): what the collection
counts as events comes back as a Selector, never as text cut out of the query.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from numbers import Rational
from typing import Any, Dict, List

# \Z, not $: `$` also matches before a trailing newline.
METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")
OPERATORS = ("=~", "!~", "!=", "=")
# Constructs Python's re accepts but RE2 (Prometheus) rejects: lookaround, backreferences,
# atomic groups, possessive quantifiers, comments, conditionals, \Z.
_NOT_RE2 = re.compile(r"\(\?[=!<]|\(\?P=|\\[1-9]|\(\?>|\*\+|\+\+|\?\+|\}\+|\(\?#|\(\?\(|\\Z")
# Inline flags: RE2 knows i, m, s and U; Python also a, L, u and x.
_FLAGS = re.compile(r"\(\?([a-zA-Z-]+)[:)]")
# RE2 (Go's regexp/syntax) refuses a repeat count over 1000, nesting over 1000 levels, and programs over about
# 3.3 million instructions (128 MiB of 40-byte instructions): "invalid repeat count", "expression too large".
RE2_MAX_REPEAT = 1000
RE2_MAX_SIZE = (128 << 20) // 40
RE2_MAX_DEPTH = 1000
try:
    import promql_parser as _promql
except ImportError:  # pragma: no cover - only reading whole queries needs it (meta/ee-requirements.txt)
    _promql = None
try:
    from re import _parser as _sre_parse  # Python >= 3.11
except ImportError:  # pragma: no cover - older controllers
    import sre_parse as _sre_parse  # pylint: disable=deprecated-module


class SelectorError(ValueError):
    """A selector or regex that Prometheus would not accept."""


def quote(value: str) -> str:
    """A PromQL double-quoted string literal holding `value` exactly."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return '"%s"' % escaped


def check_regex(pattern: Any) -> None:
    """Raise SelectorError when `pattern` is not a regex Prometheus can use (RE2, fully anchored)."""
    if not isinstance(pattern, str):
        raise SelectorError("a regex must be a string, got %r" % (pattern,))
    _check_regex(pattern)


# Every service's error pattern and every dashboard's variables are checked where a matcher is made: the same few
# patterns thousands of times (a failing one raises, and is never cached).
@functools.lru_cache(maxsize=4096)
def _check_regex(pattern: str) -> None:
    if _NOT_RE2.search(pattern):
        raise SelectorError("regex %r uses lookaround, backreferences, possessive quantifiers, comments, conditionals or \\Z, "
                            "which RE2 does not support" % pattern)
    for flags in _FLAGS.findall(pattern):
        if set(flags) - set("imsU-"):
            raise SelectorError("regex %r uses inline flags %r; RE2 supports only i, m, s and U" % (pattern, flags))
    try:
        with warnings.catch_warnings():
            # Python warns about POSIX classes such as [[:alpha:]], which RE2 supports.
            warnings.simplefilter("ignore", FutureWarning)
            parsed = _sre_parse.parse(pattern)
            re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise SelectorError("regex %s does not parse: %s" % (_short(pattern), exc)) from None
    problem = _re2_limits(parsed)
    if problem:
        raise SelectorError("regex %s %s" % (_short(pattern), problem))


def _short(pattern: str) -> str:
    text = repr(pattern)
    return text if len(text) <= 80 else text[:77] + "..."


def _re2_limits(parsed: Any) -> str:
    """What RE2 would refuse in a pattern Python parsed: a repeat count, nested repeats, the nesting, the size.

    Go's regexp/syntax (repeatIsValid) refuses a counted repeat over 1000, and nested counted repeats whose counts
    multiply to over 1000: `(a{10}){101}` is refused, `(a{10}){100}` is not.
    """
    unbounded = _sre_parse.MAXREPEAT

    def walk(items: Any, budget: int, depth: int) -> int:
        if depth > RE2_MAX_DEPTH:
            raise ValueError("nests deeper than RE2's %d levels" % RE2_MAX_DEPTH)
        total = 0
        for op, arg in items:
            name = str(op)
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, high, sub = arg
                star = high == unbounded and low <= 1  # *, + and {1,} are not counted repeats in RE2
                count = low if high == unbounded else high
                inner_budget = budget
                if not star and count > 0:
                    if count > budget:
                        raise ValueError("repeats %d times%s; RE2 allows at most %d repeats, nested repeats multiplied" % (
                            count, "" if budget == RE2_MAX_REPEAT else " inside other repeats", RE2_MAX_REPEAT))
                    inner_budget = budget // count
                inner = walk(sub, inner_budget, depth + 1) if (star or count > 0) else 0
                total += inner * max(count, 1) + 1
            elif name == "SUBPATTERN":
                total += walk(arg[-1], budget, depth + 1)
            elif name == "BRANCH":
                total += sum(walk(branch, budget, depth + 1) for branch in arg[1]) + 1
            else:
                total += 1
            if total > RE2_MAX_SIZE:
                raise ValueError("is too large for RE2 once its repeats are expanded (over %d instructions)" % RE2_MAX_SIZE)
        return total

    try:
        walk(parsed, RE2_MAX_REPEAT, 0)
    except ValueError as exc:
        return str(exc)
    return ""


@dataclass(frozen=True, order=True)
class Matcher:
    name: str
    op: str
    value: str

    def __post_init__(self) -> None:
        if not LABEL_NAME_RE.match(self.name):
            raise SelectorError("%r is not a valid label name" % self.name)
        if self.op not in OPERATORS:
            raise SelectorError("%r is not a matcher operator (one of = != =~ !~)" % self.op)
        if not isinstance(self.value, str):
            raise SelectorError("label %s: value must be a string" % self.name)
        if self.op in ("=~", "!~"):
            check_regex(self.value)

    def __str__(self) -> str:
        return "%s%s%s" % (self.name, self.op, quote(self.value))


@dataclass(frozen=True)
class Selector:
    """An instant-vector selector: an optional metric name and label matchers."""

    metric: str = ""
    matchers: tuple = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.metric and not METRIC_NAME_RE.match(self.metric):
            raise SelectorError("%r is not a valid metric name" % self.metric)
        if not self.metric and not any(_matches_something(m) for m in self.matchers):
            raise SelectorError("a selector needs a metric name or a matcher that does not match the empty string")

    def with_metric(self, metric: str) -> "Selector":
        return Selector(metric, self.matchers)

    def with_matchers(self, *extra) -> "Selector":
        """A copy with `extra` matchers added; an existing matcher of the same name and operator is replaced."""
        keep = [m for m in self.matchers if not any(m.name == e.name and m.op == e.op for e in extra)]
        return Selector(self.metric, tuple(keep) + tuple(extra))

    def in_namespace(self, namespace: str) -> "Selector":
        """Scoped to one namespace: a namespace="<namespace>" matcher unless it has a namespace matcher already."""
        if any(m.name == "namespace" for m in self.matchers):
            return self
        return Selector(self.metric, self.matchers + (eq("namespace", namespace),))

    def label_values(self) -> Dict[str, str]:
        """Labels fixed to one value by an equality matcher."""
        return {m.name: m.value for m in self.matchers if m.op == "="}

    def __str__(self) -> str:
        inner = ",".join(str(m) for m in self.matchers)
        if not inner:
            return self.metric
        return "%s{%s}" % (self.metric, inner)


def _matches_something(matcher: Matcher) -> bool:
    if matcher.op == "=":
        return matcher.value != ""
    if matcher.op == "=~":
        return re.fullmatch(matcher.value, "") is None
    return False


def eq(name: str, value: str) -> Matcher:
    return Matcher(name, "=", value)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\n\r":
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, regex: re.Pattern) -> Any:
        self.skip_space()
        match = regex.match(self.text, self.pos)
        if not match:
            return None
        self.pos = match.end()
        return match.group(0)

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise SelectorError("expected %r at position %d of %r" % (char, self.pos, self.text))
        self.pos += 1

    def string(self) -> str:
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] not in "\"'`":
            raise SelectorError("expected a quoted label value at position %d of %r" % (self.pos, self.text))
        quote_char = self.text[self.pos]
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == quote_char:
                return "".join(out)
            if char == "\\" and quote_char != "`":
                if self.pos >= len(self.text):
                    break
                nxt = self.text[self.pos]
                self.pos += 1
                mapping = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
                if nxt not in mapping:
                    raise SelectorError("unsupported escape \\%s in %r" % (nxt, self.text))
                out.append(mapping[nxt])
            elif char == "\n" and quote_char != "`":
                raise SelectorError("unterminated string in %r" % self.text)
            else:
                out.append(char)
        raise SelectorError("unterminated string in %r" % self.text)


_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_OP = re.compile(r"=~|!~|!=|=")


def parse_selector(text: Any) -> Selector:
    """Parse `metric{label="value", ...}`, `{...}` or `metric` into a Selector.

    Only a single instant-vector selector is accepted: no functions, ranges,
    offsets or operators, which is what keeps generated expressions under our control.
    """
    if not isinstance(text, str):
        raise SelectorError("a selector must be a string, got %r" % (text,))
    scan = _Scanner(text)
    metric = scan.take(_IDENT) or ""
    matchers = []
    if scan.peek() == "{":
        scan.expect("{")
        while scan.peek() != "}":
            name = scan.take(_LABEL)
            if not name:
                raise SelectorError("expected a label name at position %d of %r" % (scan.pos, text))
            op = scan.take(_OP)
            if not op:
                raise SelectorError("expected one of = != =~ !~ after %r in %r" % (name, text))
            matchers.append(Matcher(name, op, scan.string()))
            if scan.peek() == ",":
                scan.expect(",")
            elif scan.peek() != "}":
                raise SelectorError("expected ',' or '}' at position %d of %r" % (scan.pos, text))
        scan.expect("}")
    scan.skip_space()
    if scan.pos != len(text):
        raise SelectorError("unexpected %r at position %d of %r: only a metric name and label matchers are allowed" % (text[scan.pos:], scan.pos, text))
    if not metric and not matchers:
        raise SelectorError("empty selector")
    for matcher in matchers:
        if matcher.name == "__name__" and metric:
            raise SelectorError("metric name given twice in %r" % text)
    return Selector(metric, tuple(matchers))


def parse_matcher(text: Any) -> Matcher:
    """Parse one matcher such as `severity="critical"` (Alertmanager and PromQL share the syntax)."""
    selector = parse_selector("{%s}" % text) if isinstance(text, str) else None
    if selector is None or len(selector.matchers) != 1:
        raise SelectorError("expected exactly one matcher such as severity=\"critical\", got %r" % (text,))
    return selector.matchers[0]


def decimal_str(value: Any) -> str:
    """Print a number exactly when it has a finite decimal form (0.0144, never 0.014399999999999998).

    Fractions without one (1/3) are printed with 15 significant digits.
    """
    if isinstance(value, Fraction):
        return _decimal_text(value.numerator, value.denominator)
    if isinstance(value, (float, str)):
        return _decimal_of(value)
    value = Fraction(value)
    return _decimal_text(value.numerator, value.denominator)


@functools.lru_cache(maxsize=4096)
def _decimal_of(value: Any) -> str:
    # Dashboards print the same few quantiles and thresholds (floats, or text as the inventory gave them) everywhere.
    fraction = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    return _decimal_text(fraction.numerator, fraction.denominator)


@functools.lru_cache(maxsize=8192)
def _decimal_text(numerator: int, denominator: int) -> str:
    # Every threshold of every rule is printed through here, most of them the same few numbers: cached.
    den = denominator
    for prime in (2, 5):
        while den % prime == 0:
            den //= prime
    if den == 1:
        text = format(Decimal(numerator) / Decimal(denominator), "f")
    else:
        text = format(Decimal(numerator) / Decimal(denominator), ".15g")
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def le_values(threshold: Rational) -> List[str]:
    """Every `le` label spelling of a bucket boundary: Prometheus 2 writes `1`, Prometheus 3 writes `1.0`."""
    exact = decimal_str(threshold)
    spellings = {exact}
    if "." not in exact:
        spellings.add(exact + ".0")
    # Go's float formatting switches to exponent form for large and tiny numbers.
    as_float = float(Fraction(threshold))
    spellings.add(_go_float(as_float))
    return sorted(spellings)


def _go_float(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64) plus Prometheus 3's '.0' for whole numbers in `le`."""
    dec = Decimal(repr(value)).normalize()
    digits = "".join(str(d) for d in dec.as_tuple().digits).rstrip("0") or "0"
    exp = dec.adjusted()
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return "%se%s%02d" % (mantissa, "-" if exp < 0 else "+", abs(exp))
    text = format(dec, "f")
    return text if "." in text else text + ".0"


def le_matcher(threshold: Rational) -> Matcher:
    """A matcher for the bucket `le` label that works under Prometheus 2 and 3."""
    values = le_values(threshold)
    if len(values) == 1:
        return eq("le", values[0])
    return Matcher("le", "=~", "|".join(re.escape(v) for v in values))


# ---------------------------------------------------------------------------------------------
# Whole queries, on Prometheus' parser

# Sloth's queries hold its window placeholder; any duration stands in for it (the window is never read back).
_WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")
_MATCH_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}
COUNTER_FUNCTIONS = ("rate", "increase")


class QueryError(SelectorError):
    """A whole query that does not parse as PromQL."""


def parse_query(text: Any) -> Any:
    """The syntax tree of a whole PromQL query (Sloth's {{.window}} allowed); QueryError when it does not parse."""
    if not isinstance(text, str):
        raise QueryError("a query must be a string, got %r" % (text,))
    if _promql is None:
        raise QueryError("reading whole PromQL queries needs the Python package promql-parser (meta/ee-requirements.txt)")
    try:
        return _promql.parse(_WINDOW_PLACEHOLDER.sub("5m", text))
    except ValueError as exc:
        raise QueryError("does not parse as PromQL: %s" % exc) from None


def unwrapped(node: Any) -> Any:
    """`node` without the parentheses around it."""
    while _promql is not None and isinstance(node, _promql.ParenExpr):
        node = node.expr
    return node


def sides(node: Any, op: str) -> Any:
    """(left, right) of a plain binary `op` at the top of `node` (no bool, on or ignoring), else None."""
    node = unwrapped(node)
    if isinstance(node, _promql.BinaryExpr) and str(node.op) == op and node.modifier is None:
        return node.lhs, node.rhs
    return None


def vector_selector(node: Any) -> Any:
    """The Selector of an instant-vector selector node (no offset, @ or `or` matchers), else None.

    SelectorError when a matcher is one the collection refuses (an RE2-incompatible regex)."""
    node = unwrapped(node)
    if not isinstance(node, _promql.VectorSelector) or node.offset is not None or node.at is not None or node.matchers.or_matchers:
        return None
    matchers = tuple(Matcher(m.name, _MATCH_OPS[str(m.op)], m.value) for m in node.matchers.matchers)
    names = [m for m in matchers if m.name == "__name__"]
    if not node.name and len(names) == 1 and names[0].op == "=":
        # {__name__="x", ...} is x{...}: the metric named as the collection names it.
        return Selector(names[0].value, tuple(m for m in matchers if m.name != "__name__"))
    return Selector(node.name or "", matchers)


def counted_selector(node: Any) -> Any:
    """The selector of `sum(rate(<selector>[<window>]))` (or increase; in parentheses or not, `sum by ()` alike): a sum
    of a counter's rates over one selector, what the collection counts as events. None for any other query."""
    node = unwrapped(node)
    if not isinstance(node, _promql.AggregateExpr) or str(node.op) != "sum" or node.param is not None:
        return None
    if node.modifier is not None and (str(node.modifier.type) != "AggModifierType.By" or node.modifier.labels):
        return None
    call = unwrapped(node.expr)
    if not isinstance(call, _promql.Call) or call.func.name not in COUNTER_FUNCTIONS or len(call.args) != 1:
        return None
    matrix = call.args[0]
    if not isinstance(matrix, _promql.MatrixSelector):
        return None
    return vector_selector(matrix.vector_selector)


def query_selectors(tree: Any) -> List[Selector]:
    """Every instant-vector selector of a query's tree (in ranges, subqueries and under offset or @ too), as Selectors.

    SelectorError for `or` matchers (several selectors in one) or a matcher the collection refuses."""
    found: List[Selector] = []
    refused: List[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, _promql.VectorSelector):
            if node.matchers.or_matchers:
                refused.append("%s uses `or` between matchers; write one selector per alternative" % (node.name or "a selector"))
                return
            matchers = tuple(Matcher(m.name, _MATCH_OPS[str(m.op)], m.value) for m in node.matchers.matchers)
            found.append(Selector(node.name or "", matchers))

    _promql.walk(tree, visit, None)
    if refused:
        raise SelectorError(refused[0])
    return found
