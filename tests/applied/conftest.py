# -*- coding: utf-8 -*-
"""tests/applied: what the API servers and the Prometheus Operators hold after the controlplane molecule scenario's
converge (molecule/controlplane/verify.yml runs these), never a stand-in.

The scenario says where: VIGIL_APPLIED_CONTROL_PLANE (the control planes' directory: kubeconfig, state.json, logs)
and VIGIL_APPLIED_INVENTORIES (the inventories it applied, ':'-separated). The same inventories are rendered here once,
so that every expectation comes from the collection's own render of the same input. Outside the scenario these tests
fail, saying so: they are not in pytest.ini's testpaths.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CLUSTERS = ("prod-eu", "prod-us")


def _required(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail("%s is not set: run these through molecule (molecule test -s controlplane)" % name, pytrace=False)
    return value


@pytest.fixture(scope="session")
def plane():
    return Path(_required("VIGIL_APPLIED_CONTROL_PLANE"))


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """The collection's render of the applied inventories: <dir>/<cluster>/..."""
    inventories = _required("VIGIL_APPLIED_INVENTORIES").split(":")
    out = tmp_path_factory.mktemp("rendered")
    args = [str(Path(sys.executable).with_name("ansible-playbook"))]
    for inventory in inventories:
        args += ["-i", inventory]
    args += [str(REPO / "playbooks" / "site.yml"), "-e", "observability_mode=render", "-e", "observability_render_dir=%s" % out]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=REPO, check=False, timeout=900,
                          env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), VIGIL_CHART_DIR=os.environ.get("VIGIL_CHART_DIR", "/")))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return out


def rendered_objects(rendered, cluster):
    """Every object the collection generated for `cluster` (its manifests/ tree)."""
    objects = []
    for path in sorted((rendered / cluster / "manifests").rglob("*.yaml")):
        objects.extend(doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc)
    return objects


@pytest.fixture(scope="session")
def api(plane):
    """api(context) -> a kubernetes ApiClient for that context of the control planes' kubeconfig."""
    from kubernetes import config  # pylint: disable=import-outside-toplevel
    clients = {}

    def get(context):
        if context not in clients:
            clients[context] = config.new_client_from_config(str(plane / "kubeconfig"), context=context)
        return clients[context]
    return get


@pytest.fixture(scope="session")
def promtool3():
    """promtool of Prometheus 3.14 built by scripts/build-tools.sh: Debian's (2.42) is built without Kubernetes service
    discovery and refuses every scrape job the operator generates."""
    tools = Path(os.environ.get("VIGIL_TOOLS_CACHE", Path.home() / ".cache" / "vigil-observability" / "tools"))
    found = sorted(tools.glob("promtool-v*/promtool"))
    if not found:
        pytest.fail("promtool is not built: scripts/build-tools.sh promtool", pytrace=False)
    return str(found[-1])


def gunzipped(secret, key):
    import base64  # pylint: disable=import-outside-toplevel
    return gzip.decompress(base64.b64decode(secret.data[key])).decode("utf-8")
