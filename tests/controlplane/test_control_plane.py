# -*- coding: utf-8 -*-
"""scripts/control_plane.py: two real control planes (etcd, kube-apiserver, kube-controller-manager, the Prometheus
Operator, built by scripts/build-tools.sh) on 127.0.0.1, reached the way the production inventory reaches its clusters.

What is proven here is the harness itself: each context reaches its own API server at the pinned version, a team's
user is held to RBAC by the real authorizer, the namespace controller finishes a deletion, the operator is up, and
`stop` ends exactly the processes `start` started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "control_plane.py"
sys.path.insert(0, str(SCRIPT.parent))
import control_plane  # noqa: E402  pylint: disable=wrong-import-position
TOOLS = Path(os.environ.get("VIGIL_TOOLS_CACHE", Path.home() / ".cache" / "vigil-observability" / "tools"))


def _built():
    missing = [name for name in ("etcd-v*/etcd", "kube-apiserver-v*/kube-apiserver", "kube-controller-manager-v*/kube-controller-manager",
                                 "prometheus-operator-v*/operator") if not list(TOOLS.glob(name))]
    if missing:
        reason = "control-plane binaries not built (scripts/build-tools.sh): %s" % ", ".join(missing)
        if os.environ.get("VIGIL_REQUIRE_TOOLS") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def plane(tmp_path_factory):
    _built()
    directory = tmp_path_factory.mktemp("control-plane")
    proc = subprocess.run([sys.executable, str(SCRIPT), "start", "--dir", str(directory), "--groups", "payments,search"],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    yield directory
    subprocess.run([sys.executable, str(SCRIPT), "stop", "--dir", str(directory)], capture_output=True, text=True, timeout=120, check=False)


def api(directory, context):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    return client, config.new_client_from_config(str(directory / "kubeconfig"), context=context)


def test_each_cluster_has_its_own_api_server_at_the_pinned_version(plane):
    servers = set()
    for cluster in ("prod-eu", "prod-us"):
        client, api_client = api(plane, "%s-admin" % cluster)
        assert client.VersionApi(api_client).get_code().git_version == "v1.35.4"
        servers.add(api_client.configuration.host)
        namespaces = {n.metadata.name for n in client.CoreV1Api(api_client).list_namespace().items}
        assert {"default", "kube-system"} <= namespaces
    assert len(servers) == 2  # the collection refuses two hosts that reach one API server


def test_a_team_user_is_held_to_rbac_by_the_real_authorizer(plane):
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    client, admin = api(plane, "prod-eu-admin")
    core, rbac = client.CoreV1Api(admin), client.RbacAuthorizationV1Api(admin)
    for name in ("payments", "search"):
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    rbac.create_namespaced_role("payments", client.V1Role(metadata=client.V1ObjectMeta(name="cm"), rules=[
        client.V1PolicyRule(api_groups=[""], resources=["configmaps"], verbs=["create", "get", "delete"])]))
    rbac.create_namespaced_role_binding("payments", client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name="cm"), role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="cm"),
        subjects=[client.RbacV1Subject(kind="Group", name="payments", api_group="rbac.authorization.k8s.io")]))
    _client, team = api(plane, "prod-eu-payments")
    as_team = client.CoreV1Api(team)
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="mine"), data={"a": "b"})
    deadline = time.monotonic() + 10  # the authorizer's informers see the new binding within moments
    while True:
        try:
            as_team.create_namespaced_config_map("payments", body)
            break
        except ApiException as exc:
            if exc.status != 403 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    as_team.delete_namespaced_config_map("mine", "payments")
    for namespace in ("search", "kube-system", "default"):
        with pytest.raises(ApiException) as refused:
            as_team.create_namespaced_config_map(namespace, body)
        assert refused.value.status == 403


def test_the_namespace_controller_finishes_a_deletion(plane):
    from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
    client, admin = api(plane, "prod-us-admin")
    core = client.CoreV1Api(admin)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="offboarded")))
    core.create_namespaced_config_map("offboarded", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="x"), data={"a": "b"}))
    core.delete_namespace("offboarded")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            assert core.read_namespace("offboarded").status.phase == "Terminating"
        except ApiException as exc:
            assert exc.status == 404
            return
        time.sleep(0.5)
    pytest.fail("namespace offboarded still there after 60 s: the controller-manager's namespace controller did not finish it")


def test_the_operator_runs_against_its_cluster(plane):
    state = json.loads((plane / "state.json").read_text())
    operators = [p for p in state["processes"] if p["what"] == "prometheus-operator"]
    assert sorted(p["cluster"] for p in operators) == ["prod-eu", "prod-us"]
    log = (plane / "prod-eu" / "logs" / "prometheus-operator.log").read_text()
    assert "starting insecure server" in log and "connection refused" not in log


def test_stop_ends_exactly_the_started_processes(tmp_path):
    _built()
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        proc = subprocess.run([sys.executable, str(SCRIPT), "start", "--dir", str(tmp_path), "--clusters", "solo", "--groups", ""],
                              capture_output=True, text=True, timeout=600, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        pids = [p["pid"] for p in json.loads((tmp_path / "state.json").read_text())["processes"]]
        assert len(pids) == 4 and all(control_plane.alive(pid) for pid in pids)
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--dir", str(tmp_path)], check=True, capture_output=True, timeout=120)
        assert [pid for pid in pids if control_plane.alive(pid)] == []
        assert bystander.poll() is None  # a process it did not start is left alone
        assert not (tmp_path / "state.json").exists()
    finally:
        bystander.kill()
