# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes manifests (YAML, several documents) read as the API server's YAML reader reads them.

PyYAML resolves a plain `=` to YAML 1.1's value tag and its safe loader has no constructor for it, so
`from_yaml_all` fails on the Prometheus Operator's CRDs (their enums hold `=`, the label-matching operators). Go's
YAML, which kubectl and Helm use, reads it as the string "=": this loader does the same and nothing else differs.
"""

from __future__ import annotations

from typing import Any, List

import yaml


class _ManifestLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    pass


_ManifestLoader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)


def documents(text: str) -> List[Any]:
    """Every non-empty document of `text`."""
    return [doc for doc in yaml.load_all(text, Loader=_ManifestLoader) if doc is not None]  # nosec: a safe loader
