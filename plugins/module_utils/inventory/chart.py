# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A release's pinned chart coordinates (release, namespace, chart, repository, exact version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader
from ansible_collections.vigil.observability.plugins.module_utils.core.versions import SEMVER_RE
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from typing import Dict


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


def parse_chart(raw: Dict[str, str], path: str, problems: Problems, default_name: str) -> None:
    """Chart coordinates of one release: name, namespace, chart, repository, version (never 'latest')."""
    r = Reader(raw, path, problems)
    release = r.name("release", default=default_name)
    namespace = r.name("namespace", required=True)
    chart = r.string("chart", required=True)
    repository = r.string("repository", required=True, pattern=r"(https?|oci)://\S+", what="an http(s):// or oci:// URL")
    version = r.string("version", required=True)
    r.done()
    if version is not None and (version.strip().lower() in ("latest", "") or not SEMVER_RE.match(version)):
        problems.add(r.sub("version"), "must pin an exact chart version such as 1.2.3, got %r" % version)
        version = None
    if None in (release, namespace, chart, repository, version):
        return None
    return release, namespace, chart, repository, version
