#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Render time of playbooks/site.yml, side by side with an earlier commit, on the same inventory.

Usage: .venv/bin/python benchmarks/site_render.py [--teams 200] [--services 10] [--small 20] [--baseline 5a7f552]
(with PYTHONPATH=.venv/collections, as `make bench` runs it: the benchmarks import the collection by name)

Writes a throw-away inventory (one file per team, as users keep them), then for this checkout and for the
baseline commit (extracted with git archive and run by the same ansible-playbook through
ANSIBLE_COLLECTIONS_PATH) runs site.yml in render mode twice: a first render into an empty directory, and a
second one with nothing changed. Each run gets an empty tool cache (XDG_CACHE_HOME) before the first render,
so the first render pays every promtool check. Prints wall time, files and tasks of each run, the speed-ups,
and whether the task count stays the same for a small and the large inventory.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from ansible_collections.vigil.observability.benchmarks.baseline import extract
from ansible_collections.vigil.observability.benchmarks.generation import team_vars

REPO = Path(__file__).resolve().parents[1]


def write_inventory(root, teams, services, render_dir):
    (root / "group_vars" / "all").mkdir(parents=True)
    (root / "hosts.yml").write_text(yaml.safe_dump({"observability_clusters": {
        "hosts": {"bench": {}},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
    }}))
    (root / "group_vars" / "all" / "platform.yml").write_text(yaml.safe_dump({
        "observability_mode": "render", "observability_render_dir": str(render_dir)}))
    # The same teams generation.py builds, one file per team as users keep them.
    for index, (var, value) in enumerate(sorted(team_vars(teams, services).items())):
        (root / "group_vars" / "all" / ("team_%03d.yml" % index)).write_text(yaml.safe_dump({var: value}))


def play(inventory, playbook, collections, cache):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_DISPLAY_SKIPPED_HOSTS="true",
               XDG_CACHE_HOME=str(cache))
    if collections:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    cmd = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(inventory), str(playbook)]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("site.yml failed:\n%s\n%s" % (proc.stdout[-5000:], proc.stderr[-3000:]))
    return elapsed, len(re.findall(r"^TASK \[", proc.stdout, re.M))


def measure(label, teams, services, playbook, collections, tmp):
    root = Path(tempfile.mkdtemp(prefix="inv-", dir=tmp))
    out = Path(tempfile.mkdtemp(prefix="out-", dir=tmp))
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=tmp))
    write_inventory(root, teams, services, out)
    first, tasks = play(root, playbook, collections, cache)
    second, _tasks = play(root, playbook, collections, cache)
    files = sum(1 for p in out.rglob("*.yaml"))
    print("%-10s %4d teams x %d services x 2 SLOs: first %6.1f s, second (nothing changed) %6.1f s, %3d tasks, %6d files"
          % (label, teams, services, first, second, tasks, files), flush=True)
    return first, second, tasks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--baseline", default="5a7f552", help="commit to compare with; empty for none")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        small = measure("this", args.small, args.services, REPO / "playbooks" / "site.yml", None, tmp)
        now = measure("this", args.teams, args.services, REPO / "playbooks" / "site.yml", None, tmp)
        if args.baseline:
            old_root = extract(args.baseline, Path(tmp) / "baseline")
            old_playbook = old_root / "ansible_collections" / "vigil" / "observability" / "playbooks" / "site.yml"
            old = measure(args.baseline, args.teams, args.services, old_playbook, old_root, tmp)
            print("speed-up over %s: first render %.2fx (target 1.75x), second render %.2fx (target 3x)"
                  % (args.baseline, old[0] / now[0], old[1] / now[1]))
    same = small[2] == now[2]
    print("tasks executed: %d for %d teams, %d for %d teams -> %s"
          % (small[2], args.small, now[2], args.teams, "constant" if same else "GROWS WITH TEAMS"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
