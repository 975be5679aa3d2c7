# -*- coding: utf-8 -*-
"""The core is in layers whose imports point down only, and none imports Ansible itself: core <- inventory <-
generators <- platform <- pipeline. A new module outside the layers, or an upward import, fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MODULE_UTILS = Path(__file__).resolve().parents[4] / "plugins" / "module_utils"
LAYERS = ("core", "inventory", "generators", "platform", "pipeline")
PREFIX = "ansible_collections.vigil.observability.plugins.module_utils."
MODULES = sorted(p for p in MODULE_UTILS.rglob("*.py") if p.name != "__init__.py")


def imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []


def test_every_module_is_in_a_layer():
    assert MODULES
    assert sorted({p.relative_to(MODULE_UTILS).parts[0] for p in MODULES}) == sorted(LAYERS)
    assert all(len(p.relative_to(MODULE_UTILS).parts) >= 2 for p in MODULES)  # in a layer, or a package of one (inventory/specs)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(MODULE_UTILS)))
def test_imports_point_down_and_never_at_ansible(path):
    layer = LAYERS.index(path.relative_to(MODULE_UTILS).parts[0])
    for line, module, names in imports(path):
        assert not (module == "ansible" or module.startswith("ansible.")), "%s:%d imports %s" % (path.name, line, module)
        if not module.startswith("ansible_collections."):
            continue
        assert module.startswith(PREFIX), "%s:%d imports %s" % (path.name, line, module)
        rest = module[len(PREFIX):].split(".")
        target = rest[0]
        assert target in LAYERS, "%s:%d imports %s outside the layers" % (path.name, line, module)
        assert LAYERS.index(target) <= layer, "%s:%d imports %s, a layer above its own" % (path.name, line, module)


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from %spipeline import plan\n" % PREFIX)
    found = [m for _l, m, _n in imports(bad)]
    assert found == [PREFIX + "pipeline"] and LAYERS.index("pipeline") > LAYERS.index("core")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(MODULE_UTILS)))
def test_public_functions_have_type_hints(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            arguments = node.args.args + node.args.kwonlyargs
            assert node.returns is not None, "%s:%d %s has no return type" % (path.name, node.lineno, node.name)
            untyped = [a.arg for a in arguments if a.annotation is None]
            assert not untyped, "%s:%d %s: %s untyped" % (path.name, node.lineno, node.name, ", ".join(untyped))
