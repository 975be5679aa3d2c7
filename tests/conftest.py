# -*- coding: utf-8 -*-
"""Shared fixtures: the real tools and the reference data, found or explained.

A missing tool or reference directory skips the tests that need it with the reason,
except under VIGIL_REQUIRE_TOOLS=1 (set by .ci/run and `make test`), where it fails:
CI must never count a skipped real-tool test as passing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

REFERENCE_ENV = "VIGIL_REFERENCE_DIR"


def _missing(reason):
    if os.environ.get("VIGIL_REQUIRE_TOOLS") == "1":
        pytest.fail(reason + " (VIGIL_REQUIRE_TOOLS=1: required here)", pytrace=False)
    pytest.skip(reason)


def require_tool(name):
    path = shutil.which(name)
    if not path:
        _missing("%s is not on PATH (Debian: run `make setup` as root)" % name)
    return path


@pytest.fixture(scope="session")
def promtool():
    return require_tool("promtool")


@pytest.fixture(scope="session")
def prometheus_binary():
    return require_tool("prometheus")


@pytest.fixture(scope="session")
def alertmanager_binary():
    return require_tool("prometheus-alertmanager")


@pytest.fixture(scope="session")
def amtool():
    return require_tool("amtool")


@pytest.fixture(scope="session")
def reference_dir():
    value = os.environ.get(REFERENCE_ENV)
    passed_on = REPO / "tests" / "output" / "vigil-reference-dir"  # written by scripts/test.sh for ansible-test units
    if not value and passed_on.is_file():
        value = passed_on.read_text(encoding="utf-8").strip()
    if not value:
        _missing("%s is not set; point it at shared/reference (CI sets ../shared/reference)" % REFERENCE_ENV)
    path = Path(value)
    if not path.is_dir():
        _missing("%s=%s is not a directory" % (REFERENCE_ENV, value))
    return path


@pytest.fixture(scope="session")
def crd_validator(reference_dir):
    from ansible_collections.vigil.observability.tests.support.reference_checks import CRDValidator

    return CRDValidator(str(reference_dir / "crds"))


@pytest.fixture(scope="session")
def repo_root():
    return REPO
