# -*- coding: utf-8 -*-
"""Every role's argument_specs stays in step with its defaults: same variables, same literal defaults,
role-prefixed names, and a description for each."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
ROLE_NAMES = sorted(p.name for p in ROLES.iterdir() if (p / "tasks").is_dir())


def load(role, *parts):
    path = ROLES.joinpath(role, *parts)
    return yaml.safe_load(path.read_text()) if path.exists() else None


def test_there_are_roles():
    assert {"observability", "teams", "kube_prometheus_stack", "helm_release"} <= set(ROLE_NAMES)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_argument_specs_match_defaults(role):
    defaults = load(role, "defaults", "main.yml") or {}
    specs = load(role, "meta", "argument_specs.yml")
    assert specs, "%s has no meta/argument_specs.yml" % role
    entry_points = specs["argument_specs"]
    # Every tasks file a playbook or role may enter by has its entry point (tasks_from), and main only with tasks/main.yml.
    tasks = {p.stem for p in ROLES.joinpath(role, "tasks").glob("*.yml")}
    assert set(entry_points) <= tasks, sorted(set(entry_points) - tasks)
    assert ("main" in entry_points) == ("main" in tasks)
    options = {}
    for entry in entry_points.values():
        for name, option in entry.get("options", {}).items():
            assert options.get(name, option) == option, "%s is documented differently in two entry points" % name
            options[name] = option
    assert set(options) == set(defaults), "in one but not the other: %s" % sorted(set(options) ^ set(defaults))
    for name, option in options.items():
        assert name.startswith(role + "_"), "%s is not prefixed with the role name" % name
        assert option.get("description"), "%s has no description" % name
        value = defaults[name]
        templated = isinstance(value, str) and "{{" in value
        if "default" in option and templated:
            # A computed default may document its fallback, e.g. "{{ observability_mode | default('render') }}".
            assert "default(%r)" % option["default"] in value or "default(%s)" % option["default"] in value, (
                "%s: argument_specs default %r is not the fallback of %r" % (name, option["default"], value))
        elif "default" in option:
            assert option["default"] == value, "%s: argument_specs default %r, defaults/main.yml %r" % (name, option["default"], value)
        elif not templated:
            assert option.get("required"), "%s: literal default %r missing from argument_specs" % (name, value)
