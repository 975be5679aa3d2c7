#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Assemble the pinned charts' sources for `make test-charts`, outside the repository, from git mirrors of the chart
repositories (fetched snapshots, or clones): each chart at its release tag, its enabled subcharts in charts/.

Usage: python tests/charts/chart_sources.py <mirrors dir> <dest dir>

<mirrors dir> holds one git directory per repository, named as the search tool's fetch names them
(prometheus-community+helm-charts/repo, ...). Subcharts our values disable (Loki's minio and rollout-operator,
the stack's Windows exporter) are left out, and dropped from that chart's Chart.yaml so that helm does not ask
for them. Nothing is written into the repository.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

# chart: (repository, tag, path in the repository, subcharts as (repository, tag, path), dependencies left out)
CHARTS = {
    "kube-prometheus-stack": ("prometheus-community+helm-charts", "kube-prometheus-stack-88.5.3", "charts/kube-prometheus-stack", [
        ("prometheus-community+helm-charts", "kube-state-metrics-8.4.0", "charts/kube-state-metrics"),
        ("prometheus-community+helm-charts", "prometheus-node-exporter-4.56.1", "charts/prometheus-node-exporter"),
        ("grafana-community+helm-charts", "grafana-12.11.1", "charts/grafana"),
    ], {"prometheus-windows-exporter"}),
    "loki": ("grafana-community+helm-charts", "loki-18.11.0", "charts/loki", [], {"minio", "rollout-operator"}),
    "tempo": ("grafana-community+helm-charts", "tempo-2.2.4", "charts/tempo", [], set()),
    "opentelemetry-operator": ("open-telemetry+opentelemetry-helm-charts", "opentelemetry-operator-0.122.0",
                               "charts/opentelemetry-operator", [], set()),
    "alloy": ("grafana+alloy", "helm-chart/1.11.1", "operations/helm/charts/alloy", [], set()),
}


def extract(mirrors, repository, tag, path, dest):
    git_dir = mirrors / repository / "repo"
    if not git_dir.is_dir():
        git_dir = mirrors / repository
    archive = subprocess.run(["git", "-C", str(git_dir), "archive", "--format=tar", tag, path], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest / ".tmp")  # a public chart's sources, outside the repository
    shutil.move(str(dest / ".tmp" / path), str(dest / Path(path).name))
    shutil.rmtree(dest / ".tmp")


def main(mirrors, dest, only=None):
    """Assemble every chart (or those in `only`) under `dest`, emptied first."""
    mirrors, dest = Path(mirrors), Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for chart, (repository, tag, path, subcharts, drop) in CHARTS.items():
        if only is not None and chart not in only:
            continue
        extract(mirrors, repository, tag, path, dest)
        for sub_repository, sub_tag, sub_path in subcharts:
            extract(mirrors, sub_repository, sub_tag, sub_path, dest / chart / "charts")
        meta = dest / chart / "Chart.yaml"
        data = yaml.safe_load(meta.read_text())
        data["dependencies"] = [d for d in data.get("dependencies") or [] if d["name"] not in drop]
        meta.write_text(yaml.safe_dump(data, sort_keys=False))
        print("%-24s %s (%s)" % (chart, tag, ", ".join(Path(p).name for _r, _t, p in subcharts) or "no subcharts"))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
