# -*- coding: utf-8 -*-
"""Checks of rendered data against the pinned reference data (CRD schemas, chart values), for the tests only."""

from __future__ import annotations

import os
import re

import jsonschema
import yaml


class ToolMissing(Exception):
    pass


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


def linked_uids(datasource):
    """Every datasource UID a datasource's settings link to."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in sorted(node.items()):
                if key in ("datasourceUid",) and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(datasource.get("jsonData", {}))
    return found
