# -*- coding: utf-8 -*-
"""The regex bounds of validation agree with Prometheus' own parser: each pattern goes through `check_regex` and,
inside a rule, through the real `promtool check rules`; both must accept it or both refuse it.

The patterns probe RE2's limits (Go's regexp/syntax): a repeat count over 1000, nested counted repeats whose counts
multiply past 1000 (with the integer division Go uses), and the repeats RE2 does not count (*, +, ?, {1,}).
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.core.promql import SelectorError, check_regex

PATTERNS = [
    "x{1000}", "x{1001}", "x{2,1001}", "x{1001,}", "[a-z]{0,1000}",
    "(a{10}){100}", "(a{10}){101}", "(a{10,}){100}", "(a{10,}){101}", "(a{0,5}){200}", "(a{0,5}){201}",
    "((a{2}){2}){250}", "((a{2}){2}){251}", "(?:a{3}){333}", "(?:a{3}){334}", "((a{100}){100}){100}",
    "(a{2}|b{500}){2}", "(a{2}|b{600}){2}", "(a*){1000}", "(a+){1000}", "(a{1,}){1000}", "(a?){1000}", "(a{0}){1000}",
    "(a{1000})*", "(a{1001})*", "[a-z]{5}{3}",
]


def ours(pattern):
    try:
        check_regex(pattern)
    except SelectorError:
        return False
    return True


def test_check_regex_agrees_with_promtool(promtool, tmp_path):
    disagreements, verdicts = [], set()
    for index, pattern in enumerate(PATTERNS):
        rule = {"record": "vigil:regex_probe", "expr": 'up{probe=~"%s"}' % pattern.replace("\\", "\\\\")}
        path = tmp_path / ("probe-%d.yaml" % index)
        path.write_text(yaml.safe_dump({"groups": [{"name": "probe", "rules": [rule]}]}), encoding="utf-8")
        accepted = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, check=False).returncode == 0
        verdicts.add(accepted)
        if ours(pattern) != accepted:
            disagreements.append("%s: promtool %s it, check_regex does not" % (pattern, "accepts" if accepted else "refuses"))
    assert verdicts == {True, False}  # the table probes both sides
    assert not disagreements, "\n".join(disagreements)


@pytest.mark.parametrize("pattern", ["x{1001}", "(a{10}){101}"])
def test_the_refusal_says_why(pattern):
    with pytest.raises(SelectorError, match="RE2 allows at most 1000"):
        check_regex(pattern)
