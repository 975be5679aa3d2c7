# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each chart role's release: where and what it installs (release, namespace, pinned chart) and how Helm runs it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import SettingsReader, describe
from ansible_collections.vigil.observability.plugins.module_utils.core.versions import SEMVER_RE

# Role variables every chart role has; the rest of a role's variables are its component's settings.
RELEASE_KEYS = ("release_name", "namespace", "chart_name", "chart_repo_url", "chart_version", "chart_kube_version",
                "chart_crd_dir", "helm_timeout", "helm_history_max", "state", "delete_crds")
_GO_DURATION = r"^(?=.)([0-9]+h)?([0-9]+m)?([0-9]+s)?\Z"
_CONSTRAINT = r"^[<>=!~^]*\s*v?[0-9][0-9A-Za-z.+-]*(\s*,?\s*[<>=!~^]*\s*v?[0-9][0-9A-Za-z.+-]*)*\Z"
# The longest duration Go (and so Helm) holds, in nanoseconds.
_GO_MAX_NANOSECONDS = 2 ** 63 - 1


@dataclass(frozen=True)
class ReleaseSpec:
    component: str
    prefix: str
    name: str
    namespace: str
    chart: str
    repository: str
    version: str
    kube_version: str
    crd_dir: str
    timeout: str
    history_max: int
    state: str
    delete_crds: bool

    @property
    def scope(self) -> str:
        return "release/%s" % self.name

    @property
    def present(self) -> bool:
        return self.state == "present"

    def summary(self) -> Dict[str, str]:
        """What helm/releases.yaml records: everything but the values."""
        return {"release": self.name, "namespace": self.namespace, "chart": self.chart, "repository": self.repository,
                "version": self.version}

    def chart_path(self, chart_dir: str) -> str:
        """The packaged pinned chart in observability_chart_dir (named as helm pull and helm package name it), or ''."""
        return "%s/%s-%s.tgz" % (chart_dir.rstrip("/"), self.chart, self.version) if chart_dir else ""


def parse_release(component: str, prefix: str, variables: Mapping[str, Any], problems: Problems,
                  fallbacks: Mapping[str, Any]) -> Optional[ReleaseSpec]:
    """The release of one chart role from its variables (`<prefix>release_name`, ...), `fallbacks` the role's defaults;
    None when any is wrong."""
    r = SettingsReader({k: variables[k] for k in RELEASE_KEYS if k in variables}, "", problems,
                       paths={k: prefix + k for k in RELEASE_KEYS}, fallbacks={k: v for k, v in fallbacks.items() if k in RELEASE_KEYS})
    name = r.name("release_name", max_len=53)  # Helm's limit for release names
    namespace = r.name("namespace")
    chart = r.string("chart_name", pattern=r"[a-z0-9][a-z0-9._-]*", what="a chart name")
    repository = r.string("chart_repo_url", pattern=r"(https?|oci)://\S+", what="an http(s):// or oci:// URL")
    version = r.string("chart_version")
    if version is not None and not SEMVER_RE.match(version):
        r.fail("chart_version", "must pin an exact chart version such as 1.2.3, got %s" % describe(version))
        version = None
    kube_version = r.string("chart_kube_version", pattern=_CONSTRAINT, what="a version constraint such as >=1.25.0-0")
    # Only the roles whose chart has CRDs define these two: without them, there are no CRDs to apply or delete.
    crd_dir = r.string("chart_crd_dir", default="", pattern=r"[A-Za-z0-9._/-]*", what="a directory inside the chart")
    delete_crds = r.boolean("delete_crds", default=False)
    timeout = r.string("helm_timeout", pattern=_GO_DURATION, what="a Go duration such as 15m0s")
    if timeout is not None and _go_seconds(timeout) * 10 ** 9 > _GO_MAX_NANOSECONDS:
        r.fail("helm_timeout", "must be at most 2562047h, the longest duration Go (and so Helm) holds, got %s" % describe(timeout))
        timeout = None
    history_max = r.integer("helm_history_max", minimum=0)
    state = r.string("state", choices=("present", "absent"))
    if None in (name, namespace, chart, repository, version, kube_version, crd_dir, timeout, history_max, state):
        return None
    return ReleaseSpec(component, prefix, name, namespace, chart, repository, version, kube_version, crd_dir, timeout,
                       history_max, state, delete_crds)


def _go_seconds(text: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(number) * units[unit] for number, unit in re.findall(r"([0-9]+)([hms])", text))
