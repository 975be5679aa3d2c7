# -*- coding: utf-8 -*-
"""scripts/control_plane.py: two real control planes (etcd, kube-apiserver, kube-controller-manager, the Prometheus
Operator, built by scripts/build-tools.sh) on 127.0.0.1, reached the way the production inventory reaches its clusters.

What is proven here is the harness itself: each context reaches its own API server at the pinned version, a team's
user is held to RBAC by the real authorizer, the namespace controller finishes a deletion, and
`stop` ends exactly the processes `start` started. The operator starts when a chart installed its Deployment and CRDs,
with that Deployment's arguments.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible_collections.vigil.observability.scripts import control_plane

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "control_plane.py"
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
    # KUBECONFIG as a user's shell has it, pointing at this plane's kubeconfig (current context: prod-eu-admin): each
    # cluster's operator must still reach only its own cluster.
    proc = subprocess.run([sys.executable, str(SCRIPT), "start", "--dir", str(directory), "--groups", "payments,search"],
                          capture_output=True, text=True, timeout=600, check=False,
                          env=dict(os.environ, KUBECONFIG=str(directory / "kubeconfig")))
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


def test_the_operator_starts_with_its_charts_arguments_once_its_deployment_and_crds_exist(plane):
    state = json.loads((plane / "state.json").read_text())
    operators = [p for p in state["processes"] if p["what"] == "prometheus-operator"]
    assert sorted(p["cluster"] for p in operators) == ["prod-eu", "prod-us"]
    log = plane / "prod-us" / "logs" / "prometheus-operator.log"
    assert "waits for its Deployment" in log.read_text() and "starting " not in log.read_text()
    reference = os.environ.get("VIGIL_REFERENCE_DIR")
    if not reference:
        pytest.fail("VIGIL_REFERENCE_DIR is not set (.ci/run sets it): the operator's CRDs come from there", pytrace=False)
    client, api_client = api(plane, "prod-us-admin")
    from kubernetes import utils  # pylint: disable=import-outside-toplevel
    import yaml  # pylint: disable=import-outside-toplevel
    for kind in ("prometheuses", "alertmanagers"):
        crd = yaml.safe_load((Path(reference) / "crds" / "prometheus-operator" / ("monitoring.coreos.com_%s.yaml" % kind)).read_text())
        client.ApiextensionsV1Api(api_client).create_custom_resource_definition(crd)
    client.CoreV1Api(api_client).create_namespace({"metadata": {"name": "ops"}})
    # What a chart installs (any release name): the operator's image and its arguments; the pod-only flags are replaced.
    utils.create_from_dict(api_client, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "renamed-operator", "namespace": "ops"},
        "spec": {"selector": {"matchLabels": {"app": "op"}}, "template": {"metadata": {"labels": {"app": "op"}}, "spec": {"containers": [{
            "name": "operator", "image": "quay.io/prometheus-operator/prometheus-operator:v0.93.1",
            "args": ["--kubelet-service=kube-system/renamed-kubelet", "--web.enable-tls=true", "--web.cert-file=/cert/cert",
                     "--web.listen-address=:10250"]}]}}}})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "starting insecure server" not in log.read_text():
        time.sleep(0.5)
    text = log.read_text()
    assert "starting insecure server" in text, text[-2000:]
    started = [line for line in text.splitlines() if line.startswith("control plane: starting ")][0]
    assert "--kubelet-service=kube-system/renamed-kubelet" in started and "/cert/cert" not in started and ":10250" not in started
    assert control_plane.alive(operators[1]["pid"]) and "connection refused" not in text
    # It works on its own cluster: its kubelet controller makes the Service its arguments name there, and only there.
    services = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not services.get("prod-us"):
        for cluster in ("prod-eu", "prod-us"):
            core = client.CoreV1Api(api(plane, "%s-admin" % cluster)[1])
            services[cluster] = [s.metadata.name for s in core.list_namespaced_service("kube-system").items]
        time.sleep(0.5)
    assert services["prod-us"] == ["renamed-kubelet"] and services["prod-eu"] == [], services


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


def test_the_operators_arguments_come_from_the_deployment_running_its_image():
    def deployment(namespace, name, image, args):
        return {"metadata": {"namespace": namespace, "name": name},
                "spec": {"template": {"spec": {"containers": [{"image": image, "args": args}]}}}}
    found = control_plane.operator_arguments({"items": [
        deployment("monitoring", "grafana", "docker.io/grafana/grafana:13.2.0", ["--x"]),
        deployment("monitoring", "kps-operator", "quay.io/prometheus-operator/prometheus-operator:v0.93.1@sha256:00",
                   ["--kubelet-service=kube-system/kps-kubelet", "--web.cert-file=/cert/cert", "--web.listen-address=:10250",
                    "--kubeconfig=/in/pod", "--log-level=info"]),
    ]})
    assert found == ["--kubelet-service=kube-system/kps-kubelet", "--log-level=info"]
    assert control_plane.operator_arguments({"items": [deployment("a", "b", "quay.io/prometheus-operator/prometheus-config-reloader:v1", [])]}) is None
