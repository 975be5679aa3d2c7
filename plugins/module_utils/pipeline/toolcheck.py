# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks with the real tools: promtool for rules, amtool for the Alertmanager configuration.

The plan runs them before anything is written or applied.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

try:
    import jsonschema
except ImportError:  # pragma: no cover - optional: only the tests and CRD checks need it
    jsonschema = None


class ToolMissing(Exception):
    pass


def find_tool(name):
    return shutil.which(name)


def promtool_check_rules(rule_files, promtool=None, lint_fatal=True):
    """Run `promtool check rules` on {label: {'groups': [...]}}; return a list of failure texts.

    Raises ToolMissing when promtool cannot be found.
    """
    promtool = promtool or find_tool("promtool")
    if not promtool:
        raise ToolMissing("promtool was not found on PATH (Debian: apt-get install prometheus)")
    failures = []
    with tempfile.TemporaryDirectory(prefix="vigil-promtool-") as tmp:
        paths = {}
        for index, (label, content) in enumerate(sorted(rule_files.items())):
            path = os.path.join(tmp, "rules-%04d.yaml" % index)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(content))  # JSON is YAML, and needs no PyYAML here
            paths[path] = label
        args = [promtool, "check", "rules"] + (["--lint-fatal"] if lint_fatal else []) + sorted(paths)
        proc = subprocess.run(args, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            output = proc.stdout + proc.stderr
            for path, label in paths.items():
                output = output.replace(path, label)
            failures.append(output.strip())
    return failures


# Alertmanager before 0.26 has neither webhook `url_file` nor the msteams receivers; the configuration targets 0.34.
# With an older amtool (Debian 12 ships 0.25) those two are swapped for a placeholder webhook URL before the
# check, so that everything else is still checked; the result says what was swapped.
_PLACEHOLDER_URL = "http://127.0.0.1:9/vigil-amtool-check"
_AMTOOL_VERSION_RE = re.compile(r"version (\d+)\.(\d+)")


def amtool_version(amtool):
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


def amtool_check_config(config, amtool=None):
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
            handle.write(json.dumps(config))
        proc = subprocess.run([amtool, "check-config", path], capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        return [(proc.stdout + proc.stderr).replace(path, "alertmanager.yaml").strip()], swapped
    return [], swapped


class CRDValidator:
    """Validate custom resources against CustomResourceDefinition schemas found in a directory tree."""

    def __init__(self, crd_dir, strict=True):
        if jsonschema is None or yaml is None:
            raise ToolMissing("jsonschema and PyYAML are required for CRD validation")
        self.schemas = {}
        self.strict = strict
        for root, _dirs, files in os.walk(crd_dir):
            for name in sorted(files):
                if name.endswith((".yaml", ".yml")):
                    self._load(os.path.join(root, name))

    def _load(self, path):
        class Loader(yaml.SafeLoader):
            pass

        # One CRD carries a bare '=' enum value, which YAML 1.1 reads as a special tag.
        Loader.add_constructor("tag:yaml.org,2002:value", Loader.construct_yaml_str)
        with open(path, encoding="utf-8") as handle:
            for doc in yaml.load_all(handle, Loader=Loader):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                group = doc["spec"]["group"]
                kind = doc["spec"]["names"]["kind"]
                for version in doc["spec"]["versions"]:
                    if version.get("served"):
                        schema = version["schema"]["openAPIV3Schema"]
                        self.schemas[("%s/%s" % (group, version["name"]), kind)] = _strict(schema) if self.strict else schema

    def kinds(self):
        return sorted(self.schemas)

    def errors(self, obj):
        """Schema violations of one object, as 'path: message' strings; unknown kinds are an error."""
        key = (obj.get("apiVersion"), obj.get("kind"))
        schema = self.schemas.get(key)
        if schema is None:
            return ["no CRD schema for %s %s" % key]
        validator = jsonschema.Draft7Validator(schema)
        found = []
        for err in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path)):
            where = ".".join(str(p) for p in err.absolute_path) or "(root)"
            found.append("%s %s: %s" % (obj["kind"], where, err.message))
        return found


def _strict(schema):
    """Forbid unknown fields (Kubernetes would prune them silently), except where the CRD preserves them."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items() if k != "x-kubernetes-validations"}
        if "properties" in out and not schema.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in out:
            out["additionalProperties"] = False
        if "properties" in out:
            out["properties"] = {k: _strict(v) for k, v in schema["properties"].items()}
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def unknown_value_paths(values, reference, reference_text="", path=""):
    """Key paths of chart `values` that the chart's own values.yaml (`reference`) does not have.

    A key under a map the chart leaves empty ({}: resources, storageSpec, labels) is free-form and allowed;
    so is a key the chart documents only as a comment (`# storageClassName:`) under a key that exists.
    Lists and scalars are replaced whole by Helm, so their content is not compared.
    """
    unknown = []
    for key, value in sorted(values.items(), key=lambda kv: str(kv[0])):
        here = "%s.%s" % (path, key) if path else str(key)
        if not isinstance(reference, dict):
            continue
        if key not in reference:
            if reference == {} or re.search(r"^\s*#\s*%s:" % re.escape(str(key)), reference_text, re.M):
                continue
            unknown.append(here)
            continue
        if isinstance(value, dict) and isinstance(reference[key], dict):
            unknown.extend(unknown_value_paths(value, reference[key], reference_text, here))
    return unknown
