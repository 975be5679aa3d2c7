# -*- coding: utf-8 -*-
"""Read generated PromQL with an independent parser (promql-parser, Rust), to check structure, not text."""

from __future__ import annotations

from datetime import timedelta

import promql_parser


def parse(expr):
    return promql_parser.parse(expr)


def _children(node):
    for attr in ("lhs", "rhs", "expr", "param"):
        child = getattr(node, attr, None)
        if isinstance(child, promql_parser.Expr):
            yield child
    if isinstance(node, promql_parser.Call):
        yield from node.args
    if isinstance(node, promql_parser.MatrixSelector):
        yield node.vector_selector


def nodes(expr):
    stack = [parse(expr) if isinstance(expr, str) else expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(_children(node))))


def _selector_nodes(expr):
    """(vector selector, range or None) of every selector, a matrix selector's own vector selector not apart."""
    stack = [parse(expr) if isinstance(expr, str) else expr]
    while stack:
        node = stack.pop()
        if isinstance(node, promql_parser.MatrixSelector):
            yield node.vector_selector, node.range
        elif isinstance(node, promql_parser.VectorSelector):
            yield node, None
        else:
            stack.extend(reversed(list(_children(node))))


def selectors(expr):
    """Every vector selector as (metric name, frozenset of (label, op, value), range in seconds or None)."""
    return [(vs.name or "", matcher_set(vs), seconds(rng) if rng is not None else None) for vs, rng in _selector_nodes(expr)]


def reads(expr):
    """Every selector as (metric name, range in seconds or 0, offset in seconds or 0): which span of time it reads."""
    return [(vs.name or "", seconds(rng) if rng is not None else 0, seconds(vs.offset) if vs.offset else 0)
            for vs, rng in _selector_nodes(expr)]


def matcher_set(vector_selector):
    ops = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}
    return frozenset((m.name, ops[str(m.op)], m.value) for m in vector_selector.matchers.matchers)


def seconds(delta):
    assert isinstance(delta, timedelta)
    return int(delta.total_seconds())


def functions(expr):
    return [node.func.name for node in nodes(expr) if isinstance(node, promql_parser.Call)]


def numbers(expr):
    return [node.val for node in nodes(expr) if isinstance(node, promql_parser.NumberLiteral)]
