#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Render time of playbooks/site.yml for many teams, and proof that the task count does not grow with them.

Usage: .venv/bin/python benchmarks/site_render.py [--teams 200] [--services 10] [--small 20]

Writes a throw-away inventory (one file per team, as users do), runs site.yml in render mode for a
small and a large number of teams, and prints wall time, files rendered and tasks executed for each.
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

from generation import team_vars  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def write_inventory(root, teams, services):
    (root / "group_vars" / "all").mkdir(parents=True)
    (root / "hosts.yml").write_text(yaml.safe_dump({"observability_clusters": {
        "hosts": {"bench": {}},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
    }}))
    (root / "group_vars" / "all" / "platform.yml").write_text(yaml.safe_dump({
        "observability_mode": "render", "observability_render_dir": str(root / "rendered")}))
    # The same teams generation.py builds, one file per team as users keep them.
    for index, (var, value) in enumerate(sorted(team_vars(teams, services).items())):
        (root / "group_vars" / "all" / ("team_%03d.yml" % index)).write_text(yaml.safe_dump({var: value}))


def run(teams, services):
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        root = Path(tmp)
        write_inventory(root, teams, services)
        env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_DISPLAY_SKIPPED_HOSTS="true")
        cmd = [str(REPO / ".venv" / "bin" / "ansible-playbook"), "-i", str(root), "playbooks/site.yml"]
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            sys.exit("site.yml failed for %d teams:\n%s\n%s" % (teams, proc.stdout[-5000:], proc.stderr[-3000:]))
        tasks = len(re.findall(r"^TASK \[", proc.stdout, re.M))
        files = sum(1 for p in (root / "rendered").rglob("*.yaml"))
        return elapsed, tasks, files


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--small", type=int, default=20)
    args = parser.parse_args()
    rows = []
    for count in (args.small, args.teams):
        elapsed, tasks, files = run(count, args.services)
        rows.append((count, elapsed, tasks, files))
        print("site.yml render: %4d teams x %d services x 2 SLOs: %6.1f s, %3d tasks, %6d files"
              % (count, args.services, elapsed, tasks, files), flush=True)
    same = rows[0][2] == rows[1][2]
    print("tasks executed: %d for %d teams, %d for %d teams -> %s"
          % (rows[0][2], rows[0][0], rows[1][2], rows[1][0], "constant" if same else "GROWS WITH TEAMS"))
    print("target: under 60 s for %d teams -> %s" % (args.teams, "met" if rows[1][1] < 60 else "MISSED"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
