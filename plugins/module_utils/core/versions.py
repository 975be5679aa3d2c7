# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Semantic versions and Helm kubeVersion constraints (apply mode's preflight checks the cluster against them)."""

from __future__ import annotations

import re
from typing import Tuple


SEMVER_RE = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


_CONSTRAINT_RE = re.compile(r"^(>=|<=|!=|=|>|<|\^|~)?\s*(v?[0-9][0-9A-Za-z.+-]*)$")


def parse_version(text: str) -> Tuple[int, int, int]:
    match = SEMVER_RE.match(str(text).strip())
    if not match:
        raise ValueError("not a version: %r" % (text,))
    major, minor, patch, _pre = match.groups()
    return (int(major), int(minor or 0), int(patch or 0))


def _satisfies_one(version: Tuple[int, int, int], op: str, target_text: str) -> bool:
    target = parse_version(target_text)
    if op in ("", "="):
        return version == target
    if op == "!=":
        return version != target
    if op == ">=":
        return version >= target
    if op == ">":
        return version > target
    if op == "<=":
        return version <= target
    if op == "<":
        return version < target
    if op == "^":  # same major (or same minor for 0.x)
        upper = (target[0] + 1, 0, 0) if target[0] > 0 else (0, target[1] + 1, 0)
        return target <= version < upper
    if op == "~":  # same minor
        return target <= version < (target[0], target[1] + 1, 0)
    raise ValueError("unknown operator %r" % op)


def version_satisfies(version_text: str, constraint: str) -> bool:
    """Whether a Kubernetes version (v1.30.2, v1.29.4-eks-1) meets a Helm kubeVersion constraint.

    Supports the forms charts use: comparisons, ^ and ~, ANDed with commas or spaces and ORed with ||.
    Pre-release and build suffixes of the cluster's version are ignored, as charts write '-0' to allow them.
    """
    version = parse_version(version_text)
    for alternative in str(constraint).split("||"):
        terms = [t for t in re.split(r"[,\s]+(?=[<>=!^~v0-9])", alternative.strip()) if t.strip()]
        if not terms:
            continue
        if all(_satisfies_one(version, *_split_term(t)) for t in terms):
            return True
    return False


def _split_term(term: str) -> Tuple[str, str]:
    match = _CONSTRAINT_RE.match(term.strip())
    if not match:
        raise ValueError("cannot read version constraint %r" % term)
    return match.group(1) or "", match.group(2)
