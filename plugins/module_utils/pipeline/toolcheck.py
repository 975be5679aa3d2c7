# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks with the real tools: promtool for rules, amtool for the Alertmanager configuration.

The plan runs them before anything is written or applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.yaml import json_text


class ToolMissing(Exception):
    pass


def find_tool(name: str) -> Any:
    return shutil.which(name)


def _version(tool):
    proc = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False, timeout=60)
    return (proc.stdout + proc.stderr).strip().splitlines()[0] if (proc.stdout + proc.stderr).strip() else tool


def promtool_check_rules(
    rule_files: Dict[str, Any],
    promtool: Optional[str] = None,
    lint_fatal: bool = True,
    jobs: None = None,
    cache_dir: None = None,
) -> Dict[str, str]:
    """Run `promtool check rules` on {label: {'groups': [...]}}; return {label: failure text} of the files that fail.

    All files go to a few promtool processes at once (one per CPU, at most 4): one call per file would
    spend most of its time starting promtool. With `cache_dir`, a file promtool passed before (same
    content, same promtool version and flags) is not checked again: the check is a pure function of
    those, and a run with nothing changed then spends no time on it. Failures are never cached.
    Raises ToolMissing when promtool cannot be found.
    """
    promtool = promtool or find_tool("promtool")
    if not promtool:
        raise ToolMissing("promtool was not found on PATH (Debian: apt-get install prometheus)")
    failures = {}
    salt = "%s\0%s\0" % (_version(promtool), lint_fatal) if cache_dir else ""
    with tempfile.TemporaryDirectory(prefix="vigil-promtool-") as tmp:
        paths, keys = {}, {}
        for index, (label, content) in enumerate(sorted(rule_files.items())):
            text = json_text(content, sort_keys=True)  # JSON is YAML, and needs no PyYAML here; text as itself
            if cache_dir:
                key = hashlib.sha256((salt + text).encode("utf-8")).hexdigest()
                if os.path.exists(os.path.join(cache_dir, key[:2], key)):
                    continue
            path = os.path.join(tmp, "rules-%05d.yaml" % index)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
            paths[path] = label
            if cache_dir:
                keys[path] = key
        ordered = sorted(paths)
        jobs = max(1, min(jobs or os.cpu_count() or 1, 4, len(ordered) or 1))
        chunks = [ordered[i::jobs] for i in range(jobs)]
        procs = [subprocess.Popen([promtool, "check", "rules"] + (["--lint-fatal"] if lint_fatal else []) + chunk,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for chunk in chunks if chunk]
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode == 0:
                continue
            found = False
            for line in (err + out).splitlines():
                for path, label in paths.items():
                    if path in line:
                        text = line.replace(path, label).strip()
                        if text and not text.startswith("Checking "):
                            failures.setdefault(label, []).append(text)
                            found = True
            if not found:
                failures.setdefault(paths[proc.args[-1]], []).append((out + err).strip())
        for path, key in keys.items():
            if paths[path] not in failures:
                _mark(cache_dir, key)
    return {label: "\n".join(lines) for label, lines in failures.items()}


def promtool_test_rules(groups: List[Any], tests: Mapping[str, Any], promtool: Optional[str] = None,
                        evaluation_interval: str = "1m") -> Dict[str, str]:
    """Run `promtool test rules` for each of {label: test group} (promtool's format) against the rule `groups`;
    return {label: failure text} of the tests that fail.

    Each test is a file of its own and a promtool of its own (a few at once): promtool prints a failure's details on
    stderr, apart from the file it names on stdout, so one process per test is what ties a failure to its test."""
    promtool = promtool or find_tool("promtool")
    if not promtool:
        raise ToolMissing("promtool was not found on PATH (Debian: apt-get install prometheus)")
    failures = {}
    with tempfile.TemporaryDirectory(prefix="vigil-promtool-test-") as tmp:
        rules = os.path.join(tmp, "rules.yaml")
        with open(rules, "w", encoding="utf-8") as handle:
            handle.write(json_text({"groups": list(groups)}, sort_keys=True))
        files = []
        for index, (label, test) in enumerate(sorted(tests.items())):
            path = os.path.join(tmp, "test-%05d.yaml" % index)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(json_text({"rule_files": [rules], "evaluation_interval": evaluation_interval, "tests": [test]}, sort_keys=True))
            files.append((label, path))
        for start in range(0, len(files), 4):
            procs = [(label, subprocess.Popen([promtool, "test", "rules", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                              text=True, cwd=tmp)) for label, path in files[start:start + 4]]
            for label, proc in procs:
                out, err = proc.communicate()
                if proc.returncode != 0:
                    text = "\n".join(line.rstrip() for line in (out + err).replace(tmp + os.sep, "").splitlines()
                                     if line.strip() and not line.startswith("Unit Testing:"))
                    failures[label] = text or "promtool test rules failed (exit status %d)" % proc.returncode
    return failures


def _mark(cache_dir, key):
    try:
        os.makedirs(os.path.join(cache_dir, key[:2]), exist_ok=True)
        with open(os.path.join(cache_dir, key[:2], key), "w", encoding="utf-8"):
            pass
    except OSError:  # a cache that cannot be written only costs time
        pass


# Alertmanager before 0.26 has neither webhook `url_file` nor the msteams receivers; the configuration targets 0.34.
# With an older amtool (Debian 12 ships 0.25) those two are swapped for a placeholder webhook URL before the
# check, so that everything else is still checked; the result says what was swapped.
_PLACEHOLDER_URL = "http://127.0.0.1:9/vigil-amtool-check"
_AMTOOL_VERSION_RE = re.compile(r"version (\d+)\.(\d+)")


def amtool_version(amtool: str) -> Optional[Tuple[int, int]]:
    proc = subprocess.run([amtool, "--version"], capture_output=True, text=True, check=False, timeout=60)
    match = _AMTOOL_VERSION_RE.search(proc.stdout + proc.stderr)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _for_old_amtool(config):
    out = json.loads(json.dumps(config))
    swapped = []
    for receiver in out.get("receivers", []):
        for cfg in receiver.get("webhook_configs", []):
            if "url_file" in cfg:
                cfg.pop("url_file")
                cfg["url"] = _PLACEHOLDER_URL
                swapped.append("receivers[%s].webhook_configs.url_file" % receiver["name"])
        for kind in ("msteams_configs", "msteamsv2_configs"):
            if kind in receiver:
                receiver.pop(kind)
                receiver.setdefault("webhook_configs", []).append({"url": _PLACEHOLDER_URL})
                swapped.append("receivers[%s].%s" % (receiver["name"], kind))
    return out, swapped


def amtool_check_config(config: Mapping[str, Any], amtool: Optional[str] = None) -> Tuple[List[str], List[str]]:
    """Run `amtool check-config` on an Alertmanager configuration; return (failure texts, fields swapped for an old amtool).

    Raises ToolMissing when amtool cannot be found.
    """
    amtool = amtool or find_tool("amtool")
    if not amtool:
        raise ToolMissing("amtool was not found on PATH (Debian: apt-get install prometheus-alertmanager)")
    swapped = []
    version = amtool_version(amtool)
    if version is not None and version < (0, 26):
        config, swapped = _for_old_amtool(config)
    with tempfile.TemporaryDirectory(prefix="vigil-amtool-") as tmp:
        path = os.path.join(tmp, "alertmanager.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(json_text(config))
        proc = subprocess.run([amtool, "check-config", path], capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        return [(proc.stdout + proc.stderr).replace(path, "alertmanager.yaml").strip()], swapped
    return [], swapped
