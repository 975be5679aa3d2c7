# -*- coding: utf-8 -*-
"""Run the collection's playbooks the way a user does: ansible-playbook from the repository root."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_INVENTORY = REPO / "inventories" / "example"


def ansible_playbook():
    path = REPO / ".venv" / "bin" / "ansible-playbook"
    return str(path) if path.exists() else shutil.which("ansible-playbook")


def copy_example_inventory(dest):
    """A private copy of the example inventory, so tests can add and remove team files."""
    shutil.copytree(EXAMPLE_INVENTORY, dest)
    return Path(dest)


def example_team_vars():
    """The example inventory's team variables as plain data, for in-process builds.

    Their alerting blocks are left out: their vault references are only templated by Ansible. The files are loaded as
    Ansible loads group_vars (trusted as templates), so their Jinja is read as a run reads it.
    """
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=import-outside-toplevel

    loader = DataLoader()
    team_vars = {}
    for path in sorted((EXAMPLE_INVENTORY / "group_vars" / "all").glob("team_*.yml")):
        team_vars.update(loader.load_from_file(str(path), trusted_as_template=True))
    for team in team_vars.values():
        team.pop("alerting", None)
    return team_vars


def run_playbook(playbook, inventory, *args, check=True, extra_env=None, merge_stderr=False, cwd=REPO):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
    })
    env.update(extra_env or {})
    cmd = [ansible_playbook(), "-i", str(inventory), str(playbook)] + list(args)
    # merge_stderr keeps warnings (stderr) in order with the task headers (stdout).
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT} if merge_stderr else {"capture_output": True}
    proc = subprocess.run(cmd, cwd=cwd, env=env, text=True, timeout=600, check=False, **streams)
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (" ".join(cmd), proc.returncode, proc.stdout[-20000:], proc.stderr[-5000:]))
    return proc


def recap(output):
    """{host: {'ok': n, 'changed': n, 'failed': n, ...}} from the PLAY RECAP."""
    hosts = {}
    for match in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", output, re.M):
        hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return hosts


def tree(root):
    """{relative path: (content, mtime_ns)} of every file under root."""
    root = Path(root)
    return {
        str(p.relative_to(root)): (p.read_text(encoding="utf-8"), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
