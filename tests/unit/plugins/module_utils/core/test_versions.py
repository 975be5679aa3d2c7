# -*- coding: utf-8 -*-
"""core/versions: Kubernetes version constraints as Helm charts write them, suffixes of managed clusters included."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core.versions import version_satisfies


@pytest.mark.parametrize("version,constraint,expected", [
    ("v1.30.2", ">=1.25.0-0", True),
    ("v1.25.0", ">=1.25.0-0", True),
    ("v1.24.17", ">=1.25.0-0", False),
    ("v1.29.4-eks-036c24b", "^1.25.0-0", True),   # managed clusters carry suffixes
    ("v1.31.1+k3s1", "^1.25.0-0", True),
    ("v2.0.0", "^1.25.0-0", False),
    ("1.28.3", ">=1.25 <1.30", True),
    ("1.30.0", ">=1.25 <1.30", False),
    ("1.30.0", ">=1.25, <1.30 || >=1.30.0", True),
    ("1.26.9", "~1.26.0", True),
    ("1.27.0", "~1.26.0", False),
])
def test_kube_version_constraints(version, constraint, expected):
    assert version_satisfies(version, constraint) is expected
