# -*- coding: utf-8 -*-
"""Validate a render tree the way the cluster and the tools would read it; molecule's render verify runs this.

Usage: python validate_rendered.py <render dir>. Checks every file parses; every manifest follows the layout
contract (<cluster>/manifests/<namespace>/<kind>-<name>.yaml) and its schema (Kubernetes core kinds with
kubernetes-validate, custom resources with the reference CRDs when VIGIL_REFERENCE_DIR is set); the
`spec.groups` of every PrometheusRule passes `promtool check rules`; every alertmanager.yaml passes
`amtool check-config` (with amtool older than 0.26, after the documented rewrite of the two features it lacks,
tests/support/alertmanager_helpers.py); every dashboard in a ConfigMap is JSON with a uid. Prints one line
per check and exits non-zero listing every problem.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import yaml

KUBERNETES_VERSION = "1.33"
BUILT_IN_GROUPS = {"apps", "batch", "policy", "autoscaling"}


def built_in(api_version):
    """Kubernetes' own API groups (kubernetes-validate has their schemas); anything else comes from a CRD."""
    group = api_version.rpartition("/")[0]
    return group == "" or group in BUILT_IN_GROUPS or group.endswith(".k8s.io")


def tool(name):
    path = shutil.which(name)
    if not path:
        raise SystemExit("%s is required on PATH (Debian: make setup as root)" % name)
    return path


def amtool_version(amtool):
    proc = subprocess.run([amtool, "--version"], capture_output=True, text=True, check=False, timeout=30)
    found = re.search(r"version (\d+)\.(\d+)", proc.stdout + proc.stderr)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def check_alertmanager(path, amtool, tmp, problems, notes):
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    target = path
    if amtool_version(amtool) < (0, 26):
        from ansible_collections.vigil.observability.tests.support.alertmanager_helpers import (  # pylint: disable=import-outside-toplevel
            for_alertmanager_0_25)

        config, changes = for_alertmanager_0_25(config)
        target = Path(tmp) / ("%s.alertmanager.yaml" % path.parts[-3])
        target.write_text(yaml.safe_dump(config), encoding="utf-8")
        if changes:
            notes.append("%s: amtool < 0.26, checked after rewriting %s" % (path, ", ".join(sorted(set(changes)))))
    proc = subprocess.run([amtool, "check-config", str(target)], capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        problems.append("%s: amtool check-config: %s" % (path, (proc.stdout + proc.stderr).strip()))


def check_manifest(path, obj, crds, problems):
    cluster_dir = path.parents[2]
    namespace = obj.get("metadata", {}).get("namespace", "_cluster")
    expected = cluster_dir / "manifests" / namespace / ("%s-%s.yaml" % (obj["kind"].lower(), obj["metadata"]["name"]))
    if path != expected:
        problems.append("%s: expected at %s" % (path, expected))
    if built_in(obj["apiVersion"]):
        import kubernetes_validate  # pylint: disable=import-outside-toplevel

        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append("%s: %s" % (path, exc.message))
    elif crds is not None:
        problems.extend("%s: %s" % (path, e) for e in crds.errors(obj))
    if obj["kind"] == "ConfigMap":
        for key, text in obj.get("data", {}).items():
            if key.endswith(".json"):
                dashboard = json.loads(text)
                if not dashboard.get("uid"):
                    problems.append("%s: %s has no uid" % (path, key))


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.scripts = 0, 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        self.scripts += tag == "script" or any(name.startswith("on") for name, _value in attrs)


def check_page(path, text, problems):
    """The catalogue page: HTML with no script and no event handler (it needs neither)."""
    page = _Page()
    page.feed(text)
    if not text.startswith("<!DOCTYPE html>") or page.tags == 0:
        problems.append("%s: not an HTML page" % path)
    if page.scripts:
        problems.append("%s: holds a script or an event handler" % path)


def main(root):
    root = Path(root)
    problems, notes, rule_files = [], [], {}
    promtool, amtool = tool("promtool"), tool("amtool")
    crds = None
    reference = os.environ.get("VIGIL_REFERENCE_DIR")
    if reference:
        from ansible_collections.vigil.observability.tests.support.reference_checks import (  # pylint: disable=import-outside-toplevel
            CRDValidator)

        crds = CRDValidator(str(Path(reference) / "crds"))
    else:
        notes.append("VIGIL_REFERENCE_DIR unset: custom resources not checked against their CRD schemas")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    if not files:
        raise SystemExit("nothing rendered under %s" % root)
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".html":
                check_page(path, text, problems)
                continue
            try:
                data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
            except (ValueError, yaml.YAMLError) as exc:
                problems.append("%s: does not parse: %s" % (path, exc))
                continue
            if "manifests" in path.parts and path.name != "kustomization.yaml":
                check_manifest(path, data, crds, problems)
                if data["kind"] == "PrometheusRule":
                    rule_file = Path(tmp) / ("rules-%d.yaml" % len(rule_files))
                    rule_file.write_text(yaml.safe_dump({"groups": data["spec"]["groups"]}), encoding="utf-8")
                    rule_files[str(rule_file)] = path
            elif path.name == "alertmanager.yaml":
                check_alertmanager(path, amtool, tmp, problems, notes)
        for rule_file, source in rule_files.items():
            proc = subprocess.run([promtool, "check", "rules", rule_file], capture_output=True, text=True, check=False, timeout=60)
            if proc.returncode != 0:
                problems.append("%s: promtool check rules: %s" % (source, (proc.stdout + proc.stderr).strip()))
    for note in notes:
        sys.stdout.write("note: %s\n" % note)
    sys.stdout.write("checked %d files, %d rule files, under %s\n" % (len(files), len(rule_files), root))
    if problems:
        sys.stderr.write("\n".join(problems) + "\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
