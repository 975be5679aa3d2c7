# -*- coding: utf-8 -*-
"""Prometheus durations: what parses, to how many milliseconds, and how it prints (the CRDs' pattern)."""

from __future__ import annotations

import re

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration

S, M, H, D = 1000, 60 * 1000, 3600 * 1000, 24 * 3600 * 1000


@pytest.mark.parametrize("text, ms, canonical", [
    ("30s", 30 * S, "30s"),
    ("5m", 5 * M, "5m"),
    ("1h30m", H + 30 * M, "1h30m"),
    ("90m", 90 * M, "1h30m"),
    ("1d", D, "1d"),
    ("30d", 30 * D, "30d"),
    ("1w", 7 * D, "7d"),
    ("4w2d", 30 * D, "30d"),
    ("1y", 365 * D, "365d"),
    ("500ms", 500, "500ms"),
    ("1m30s500ms", M + 30 * S + 500, "1m30s500ms"),
    ("1h0m", H, "1h"),
    ("3600s", H, "1h"),
    ("  5m ", 5 * M, "5m"),
])
def test_parse_and_print(text, ms, canonical):
    duration = Duration.parse(text)
    assert duration.ms == ms
    assert str(duration) == canonical
    assert Duration.parse(str(duration)) == duration  # printing round-trips


@pytest.mark.parametrize("text", [
    "", " ", "5", "0", "0s", "0m0s", "5M", "5 m", "1.5h", "-5m", "+5m", "5m1h", "1h1h", "1hour", "5mm", "s",
    "\u0665m",  # an Arabic-Indic five: a digit to Python's \d, not to Prometheus
    "5m\nx",
])
def test_invalid_durations(text):
    with pytest.raises(ValueError) as info:
        Duration.parse(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("value", [5, 5.0, True, None, ["5m"], {"m": 5}])
def test_non_strings_are_rejected(value):
    with pytest.raises(ValueError, match="a string"):
        Duration.parse(value)


def test_order_and_equality():
    five, hour, also_hour = Duration.parse("5m"), Duration.parse("1h"), Duration.parse("60m")
    assert five < hour and hour > five and hour >= also_hour and five <= hour
    assert hour == also_hour and hash(hour) == hash(also_hour)
    assert hour != "1h" and hour != H
    assert sorted([hour, five]) == [five, hour]
    assert min([hour, five, also_hour]) == five
    assert repr(hour) == "Duration('1h')"


def test_seconds():
    assert Duration.parse("2m").seconds == 120
    assert Duration.parse("1500ms").seconds == 1.5


def test_multiply():
    assert Duration.parse("30s") * 4 == Duration.parse("2m")


@pytest.mark.parametrize("ms", [0, -1, 1.5, "1"])
def test_constructor_needs_positive_whole_milliseconds(ms):
    with pytest.raises(ValueError):
        Duration(ms)


def test_printed_durations_match_the_prometheusrule_crd_pattern(reference_dir):
    """What we print into `for` and `interval` must pass the CRD's own pattern."""
    crd = yaml.safe_load((reference_dir / "crds" / "prometheus-operator" / "monitoring.coreos.com_prometheusrules.yaml").read_text())
    group = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["groups"]["items"]
    patterns = {group["properties"]["interval"]["pattern"], group["properties"]["rules"]["items"]["properties"]["for"]["pattern"]}
    for text in ("1ms", "999ms", "59s", "1m", "1h1m1s1ms", "7d", "30d", "365d", "2d3h"):
        printed = str(Duration.parse(text))
        for pattern in patterns:
            assert re.match(pattern, printed), (pattern, printed)
