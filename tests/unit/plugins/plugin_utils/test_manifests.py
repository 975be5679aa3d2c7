# -*- coding: utf-8 -*-
"""The manifests filter reads CRDs as kubectl and Helm do: a plain '=' is the string '='."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.plugin_utils import manifests

CRD_PART = """---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  operators:
    enum:
    - =
    - '!='
    - =~
---
---
kind: ConfigMap
data: {eq: =}
"""


def test_pyyaml_safe_loader_refuses_a_plain_equals_sign():
    with pytest.raises(yaml.constructor.ConstructorError):
        list(yaml.safe_load_all(CRD_PART))


def test_a_plain_equals_sign_is_a_string_and_empty_documents_are_dropped():
    docs = manifests.documents(CRD_PART)
    assert [d["kind"] for d in docs] == ["CustomResourceDefinition", "ConfigMap"]
    assert docs[0]["spec"]["operators"]["enum"] == ["=", "!=", "=~"]
    assert docs[1]["data"] == {"eq": "="}


def test_other_tags_stay_refused():
    with pytest.raises(yaml.YAMLError):
        manifests.documents("a: !!python/object:os.system x\n")
