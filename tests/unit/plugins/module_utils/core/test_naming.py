# -*- coding: utf-8 -*-
"""core/naming: Kubernetes' own naming rules (k8s.io/apimachinery/pkg/util/validation), one each, for every parser."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core.naming import (
    is_dns_label,
    is_dns_subdomain,
    is_label_key,
    is_label_value,
)


@pytest.mark.parametrize("key,ok", [
    ("team", True),
    ("app.kubernetes.io/name", True),
    ("grafana_dashboard", True),
    ("a/b", True),
    ("A_b.c-D", True),
    ("a..b/x", False),          # the prefix is a DNS subdomain: no empty label between dots
    ("-a.b/x", False),
    ("a.b-/x", False),
    ("A.b/x", False),           # the prefix is lower case
    ("/x", False),              # a slash needs a prefix
    ("a/", False),
    ("a/b/c", False),
    ("x" * 63, True),
    ("x" * 64, False),
    ("%s/x" % ".".join(["a" * 63] * 3 + ["b" * 61]), True),   # a 253-character prefix
    ("%s/x" % ".".join(["a" * 63] * 3 + ["b" * 62]), False),  # 254
    ("team\n", False),
    ("_team", False),
    ("", False),
    (7, False),
])
def test_label_keys_are_what_the_api_server_accepts(key, ok):
    assert is_label_key(key) is ok


@pytest.mark.parametrize("value,ok", [
    ("", True), ("1", True), ("a.b_c-d", True), ("v" * 63, True), ("v" * 64, False), ("-a", False), ("a-", False),
    ("a b", False), ("a\n", False), ("é", False), (1, False),
])
def test_label_values(value, ok):
    assert is_label_value(value) is ok


@pytest.mark.parametrize("name,ok", [
    ("payments", True), ("a-1", True), ("a" * 63, True), ("a" * 64, False), ("A", False), ("a.b", False), ("-a", False),
    ("a\n", False), ("", False), (None, False),
])
def test_dns_labels(name, ok):
    assert is_dns_label(name) is ok


def test_dns_labels_shortened_where_a_name_is_built_on_them():
    assert is_dns_label("a" * 40, max_len=40) and not is_dns_label("a" * 41, max_len=40)


@pytest.mark.parametrize("name,ok", [
    ("receivers.payments", True), ("a-b.c", True), ("a..b", False), (".a", False), ("a.", False), ("A.b", False),
    ("a" * 253, True), ("a" * 254, False),  # IsDNS1123Subdomain limits the whole name, not each part
    (".".join(["a" * 63] * 3 + ["b" * 61]), True), (".".join(["a" * 63] * 3 + ["b" * 62]), False), ("a\n", False),
])
def test_dns_subdomains(name, ok):
    assert is_dns_subdomain(name) is ok
