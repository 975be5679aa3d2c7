# -*- coding: utf-8 -*-
"""Every object site.yml renders for the example inventory is valid for Kubernetes: core objects
(Namespace, Role, RoleBinding, ConfigMap, Secret, service accounts and cluster roles) pass
kubernetes-validate, custom resources pass their CRD schema. Secrets are rendered with their values
here (the SOPS/sealed-secrets option) so that they are validated as the cluster would receive them."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, run_playbook

KUBERNETES_VERSION = "1.33"
CRD_GROUPS = ("monitoring.coreos.com/", "opentelemetry.io/")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rendered-objects")
    inventory = copy_example_inventory(tmp / "inventory")
    out = tmp / "out"
    run_playbook(REPO / "playbooks" / "site.yml", inventory, "-e", "observability_render_dir=%s" % out,
                 "-e", '{"observability_render_secret_values": true}')
    objects = []
    for path in sorted(Path(out).rglob("manifests/**/*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                objects.append((str(path.relative_to(out)), doc))
    return objects


def test_there_are_core_objects_of_every_expected_kind(rendered):
    kinds = {obj["kind"] for _path, obj in rendered}
    assert {"Namespace", "Role", "RoleBinding", "ConfigMap", "Secret", "PrometheusRule"} <= kinds, kinds


def test_core_objects_pass_kubernetes_validate(rendered):
    checked = 0
    for path, obj in rendered:
        if obj["apiVersion"].startswith(CRD_GROUPS):
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail("%s: %s" % (path, exc.message))
        checked += 1
    assert checked > 0


def test_custom_resources_pass_their_crd(rendered, crd_validator):
    checked = 0
    for path, obj in rendered:
        if obj["apiVersion"].startswith(CRD_GROUPS):
            assert crd_validator.errors(obj) == [], path
            checked += 1
    assert checked > 0


def test_kubernetes_validate_catches_a_broken_object():
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                                      "metadata": {"name": "x", "namespace": "y"}, "roleRef": {"kind": "Role"}},
                                     KUBERNETES_VERSION, strict=True)
