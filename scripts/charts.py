#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""The pinned charts, packaged, for apply mode without the chart repositories (observability_chart_dir): the
control-plane scenario installs every release from them.

Usage: python scripts/charts.py [--dest DIR] [--mirrors DIR] [--helm HELM]

Each pin (chart name, version, repository) is read from the roles' defaults, the one place it is set. For each chart
`<dest>/<chart>-<version>.tgz` is, in this order:
  - kept, when it is there and holds that chart and version;
  - pulled from its repository (`helm pull`), as on any machine with access to the chart repositories;
  - assembled from git mirrors of the chart repositories (--mirrors, or VIGIL_CHART_MIRRORS: snapshots fetched by
    the search tool, or clones) at the chart's release tag by tests/charts/chart_sources.py, then `helm package`d.
The default dest is $HOME/.cache/vigil-observability/charts: outside the clone, so a fresh clone reuses it.
Prints one line per chart and the directory last; exits 1 naming each chart it could not get.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The chart roles' variable prefixes (plugins/module_utils/inventory/settings.py COMPONENT_PREFIXES, by role).
ROLES = ("kube_prometheus_stack", "loki", "tempo", "opentelemetry", "alloy")
DEFAULT_DEST = Path(os.environ.get("HOME", "/root")) / ".cache" / "vigil-observability" / "charts"


def pins():
    """(chart, version, repository) of every chart role, from its defaults."""
    out = []
    for role in ROLES:
        defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())
        out.append((defaults["%s_chart_name" % role], str(defaults["%s_chart_version" % role]), defaults["%s_chart_repo_url" % role]))
    return out


def packaged(helm, path):
    """(name, version) a chart package holds, or None."""
    if not path.is_file():
        return None
    proc = subprocess.run([helm, "show", "chart", str(path)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None
    meta = yaml.safe_load(proc.stdout) or {}
    return meta.get("name"), str(meta.get("version"))


def pull(helm, chart, version, repository, dest):
    ref = ["%s/%s" % (repository.rstrip("/"), chart)] if repository.startswith("oci://") else [chart, "--repo", repository]
    proc = subprocess.run([helm, "pull", *ref, "--version", version, "--destination", str(dest)],
                          capture_output=True, text=True, check=False, timeout=300)
    return proc.returncode == 0, (proc.stderr.strip().splitlines() or ["?"])[-1]


def from_mirrors(helm, chart, mirrors, dest):
    sys.path.insert(0, str(ROOT / "tests" / "charts"))
    import chart_sources  # pylint: disable=import-outside-toplevel

    if chart not in chart_sources.CHARTS:
        return False, "tests/charts/chart_sources.py has no tag for %s" % chart
    with tempfile.TemporaryDirectory(prefix="vigil-chart-") as scratch:
        sources = Path(scratch) / "src"
        try:
            chart_sources.main(mirrors, sources, only={chart})
        except (subprocess.CalledProcessError, OSError, KeyError) as exc:
            return False, "assembling from %s: %s" % (mirrors, exc)
        proc = subprocess.run([helm, "package", str(sources / chart), "--destination", str(dest)],
                              capture_output=True, text=True, check=False)
        return proc.returncode == 0, (proc.stderr.strip().splitlines() or ["packaged"])[-1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", default=str(DEFAULT_DEST))
    parser.add_argument("--mirrors", default=os.environ.get("VIGIL_CHART_MIRRORS", ""))
    parser.add_argument("--helm", default=os.environ.get("VIGIL_HELM") or shutil.which("helm") or "helm")
    args = parser.parse_args(argv)
    dest = Path(args.dest)
    dest.mkdir(parents=True, exist_ok=True)
    missing = []
    for chart, version, repository in pins():
        target = dest / ("%s-%s.tgz" % (chart, version))
        started = time.monotonic()
        if packaged(args.helm, target) == (chart, version):
            print("charts: %-24s %-8s cached" % (chart, version))
            continue
        target.unlink(missing_ok=True)
        ok, why = pull(args.helm, chart, version, repository, dest)
        how = "pulled from %s" % repository
        if not ok and args.mirrors and Path(args.mirrors).is_dir():
            pulled_why = why
            ok, why = from_mirrors(args.helm, chart, args.mirrors, dest)
            how = "assembled from the mirrors in %s (helm pull: %s)" % (args.mirrors, pulled_why)
        if ok and packaged(args.helm, target) != (chart, version):
            ok, why = False, "%s does not hold %s %s" % (target, chart, version)
        if not ok:
            missing.append("%s %s: %s" % (chart, version, why))
            continue
        print("charts: %-24s %-8s %s (%.1f s)" % (chart, version, how, time.monotonic() - started))
    if missing:
        print("charts: could not get\n  %s\nGive a machine access to the chart repositories, or VIGIL_CHART_MIRRORS a directory "
              "of git mirrors of them (docs/testing.md)." % "\n  ".join(missing), file=sys.stderr)
        return 1
    print(dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
