# -*- coding: utf-8 -*-
"""`make test-specs`: the peers' own example specs, imported as a team imports them (the real plan, every problem at
once). Sloth's examples at v0.16.0 and Pyrra's at v0.10.1, assembled outside the repository by
tests/specs/spec_sources.py into $VIGIL_SPEC_SOURCES.

What each example must give is read from the example itself, not from the importer: a Sloth spec imports unless it
needs Sloth's Go plugins or a backend other than Prometheus (its queries are not PromQL); a Pyrra SLO imports unless it
uses what docs/slo.md says the model cannot count (grouping, a boolean gauge, a native histogram, a latency whose total
is not its buckets' count), labels it as another team's, or reads another namespace. A refusal must name that field.
"""

from __future__ import annotations

import os
from pathlib import Path

import promql_parser
import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.inventory import slo_specs
from ansible_collections.vigil.observability.tests.support import plan as plan_helpers

SOURCES = Path(os.environ.get("VIGIL_SPEC_SOURCES", "/nonexistent"))
TEAM = "observability_team_shop"


def _documents(path):
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def _import(name, documents):
    """(the plan's SLO rule objects of the team, None) or (None, the problems)."""
    team = {"slo_specs": [{slo_specs.FILE_KEY: name, slo_specs.DOCUMENTS_KEY: documents}]}
    try:
        plan = plan_helpers.build({TEAM: team})
    except plan_helpers.PlanError as exc:
        return None, exc.problems
    return [o for o in plan["scopes"]["team/shop"]["objects"] if o["kind"] == "PrometheusRule"], None


def _examples(peer):
    """The examples/ directory of `peer` (sloth, pyrra) in VIGIL_SPEC_SOURCES; the gate fails without it."""
    root = SOURCES / peer / "examples"
    if not root.is_dir():
        pytest.fail("VIGIL_SPEC_SOURCES=%s holds no %s/examples: run tests/specs/spec_sources.py first" % (SOURCES, peer))
    return root


def _sloth_files():
    root = _examples("sloth")
    out = []
    for path in sorted(root.glob("*.y*ml")):
        documents = _documents(path)
        if all(doc.get("version") == "prometheus/v1" or doc.get("apiVersion") == "sloth.slok.dev/v1" for doc in documents):
            out.append(path)
    return out


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _sloth_expectation(documents):
    """None (must import), or the words a refusal must hold."""
    for node in _walk(documents):
        if node.get("plugin") or any(isinstance(node.get(k), dict) and node[k].get("chain") for k in ("plugins", "slo_plugins", "sloPlugins")):
            return "Go code"
    for node in _walk(documents):
        for key in ("error_query", "total_query", "errorQuery", "totalQuery", "error_ratio_query", "errorRatioQuery"):
            if isinstance(node.get(key), str):
                try:
                    promql_parser.parse(node[key].replace("{{.window}}", "5m"))
                except ValueError:
                    return "does not parse as PromQL"  # another backend's query language (VictoriaMetrics' MetricsQL)
    return None


def test_every_sloth_spec_imports_but_those_needing_its_go_plugins_or_another_backend():
    files = _sloth_files()
    assert files, "no Sloth prometheus/v1 or sloth.slok.dev/v1 example found"
    failures, counts = [], {"imported": 0, "refused as expected": 0}
    for path in files:
        documents = _documents(path)
        expected = _sloth_expectation(documents)
        objects, problems = _import(path.name, documents)
        if expected is None and objects is None:
            failures.append("%s does not import:\n  %s" % (path.name, "\n  ".join(problems)))
        elif expected is not None and (objects is not None or not any(expected in p for p in problems)):
            failures.append("%s should be refused (%s): %s" % (path.name, expected, problems or "it imported"))
        else:
            counts["imported" if expected is None else "refused as expected"] += 1
    print("Sloth examples (%d files): %s" % (len(files), counts))
    assert not failures, "\n".join(failures)


def _pyrra_documents():
    root = _examples("pyrra")
    out = []
    for path in sorted(root.rglob("*.yaml")):
        try:
            documents = _documents(path)
        except yaml.YAMLError:
            continue
        out += [(path.relative_to(root), i, doc) for i, doc in enumerate(documents)
                if isinstance(doc, dict) and doc.get("kind") == "ServiceLevelObjective"]
    return out


def _matchers(metric):
    return {(m.name, str(m.op), m.value) for m in promql_parser.parse(metric).matchers.matchers}


def _pyrra_expectation(doc):
    """[] (must import), or the fields a refusal may name (a document may hold several reasons)."""
    spec = doc.get("spec") or {}
    [(kind, body)] = (spec.get("indicator") or {}).items()
    if kind in ("bool_gauge", "latencyNative"):
        return ["spec.indicator.%s:" % kind]
    if body.get("grouping"):
        return ["spec.indicator.%s.grouping:" % kind]
    reasons = []
    if str((doc.get("metadata") or {}).get("labels", {}).get("pyrra.dev/team", "shop")) != "shop":
        reasons.append("metadata.labels.team:")
    metrics = [part["metric"] for part in body.values() if isinstance(part, dict) and "metric" in part]
    if any(name == "namespace" for metric in metrics for name, _op, _value in _matchers(metric)):
        reasons.append("must not match on namespace other than")  # a team reads its own namespace only (docs/tenancy.md)
    if kind == "latency":
        success = _matchers(body["success"]["metric"])
        if {m for m in success if m[0] != "le"} != _matchers(body["total"]["metric"]):
            reasons.append("spec.indicator.latency.total.metric:")
    return reasons


def test_every_pyrra_slo_imports_but_what_the_model_cannot_count():
    documents = _pyrra_documents()
    assert documents, "no Pyrra ServiceLevelObjective found"
    failures, counts = [], {}
    for rel, index, doc in documents:
        expected = _pyrra_expectation(doc)
        objects, problems = _import(str(rel), [doc])
        kind = next(iter(doc["spec"]["indicator"]))
        if not expected and objects is None:
            failures.append("%s #%d does not import:\n  %s" % (rel, index + 1, "\n  ".join(problems)))
        elif expected and (objects is not None or not any(e in p for e in expected for p in problems)):
            failures.append("%s #%d should be refused (%s): %s" % (rel, index + 1, " or ".join(expected), problems or "it imported"))
        else:
            key = ("imported" if not expected else "refused: " + " or ".join(e.rstrip(":").split(".")[-1] for e in expected), kind)
            counts[key] = counts.get(key, 0) + 1
    print("Pyrra examples (%d SLOs): %s" % (len(documents), sorted(counts.items())))
    assert not failures, "\n".join(failures)
