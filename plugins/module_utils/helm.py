# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helm releases as data: pinned chart coordinates, values merged from a private base and user overrides,
and the kubeVersion constraint check of apply-mode preflight."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from ansible_collections.vigil.observability.plugins.module_utils.fields import Reader

_SEMVER_RE = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_CONSTRAINT_RE = re.compile(r"^(>=|<=|!=|=|>|<|\^|~)?\s*(v?[0-9][0-9A-Za-z.+-]*)$")


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str
    chart: str
    repository: str
    version: str
    values: dict = field(default_factory=dict)

    def summary(self):
        """What helm/releases.yaml records: everything but the values."""
        return {"release": self.name, "namespace": self.namespace, "chart": self.chart,
                "repository": self.repository, "version": self.version}


def deep_merge(base, override):
    """`override` merged into a copy of `base`: mappings recursively, anything else (lists too) replaced."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_chart(raw, path, problems, default_name):
    """Chart coordinates of one release: name, namespace, chart, repository, version (never 'latest')."""
    r = Reader(raw, path, problems)
    release = r.name("release", default=default_name)
    namespace = r.name("namespace", required=True)
    chart = r.string("chart", required=True)
    repository = r.string("repository", required=True, pattern=r"(https?|oci)://\S+", what="an http(s):// or oci:// URL")
    version = r.string("version", required=True)
    r.done()
    if version is not None and (version.strip().lower() in ("latest", "") or not _SEMVER_RE.match(version)):
        problems.add(r.sub("version"), "must pin an exact chart version such as 1.2.3, got %r" % version)
        version = None
    if None in (release, namespace, chart, repository, version):
        return None
    return release, namespace, chart, repository, version


def parse_version(text):
    match = _SEMVER_RE.match(str(text).strip())
    if not match:
        raise ValueError("not a version: %r" % (text,))
    major, minor, patch, _pre = match.groups()
    return (int(major), int(minor or 0), int(patch or 0))


def _satisfies_one(version, op, target_text):
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


def version_satisfies(version_text, constraint):
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


def _split_term(term):
    match = _CONSTRAINT_RE.match(term.strip())
    if not match:
        raise ValueError("cannot read version constraint %r" % term)
    return match.group(1) or "", match.group(2)
