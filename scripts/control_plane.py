#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""A real Kubernetes control plane per simulated cluster on 127.0.0.1, for the tests and for trying apply mode.

Usage: python scripts/control_plane.py start [--dir .cache/control-plane] [--clusters prod-eu,prod-us]
                                              [--groups payments,...] [--tools DIR]
       python scripts/control_plane.py stop  [--dir .cache/control-plane]

Per cluster: etcd (its own data directory, --unsafe-no-fsync), kube-apiserver (RBAC, generated serving
certificates, a service-account signing key, a client CA), kube-controller-manager (the namespace controller finishes
deletions) and the Prometheus Operator, each on free ports of 127.0.0.1, started the way controller-runtime's envtest
starts them. The operator starts once a chart installed its Deployment and CRDs, with that Deployment's arguments.
Binaries come from scripts/build-tools.sh's cache. `start` waits until every API server is ready and
writes `<dir>/kubeconfig` with a context `<cluster>-admin` per cluster (system:masters) and `<cluster>-<group>` per
team RBAC group (a client certificate whose organization is the group, signed by that cluster's CA); `<dir>/state.json`
records the PIDs, so that `stop` ends exactly the processes `start` started.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO / ".cache" / "control-plane"
DEFAULT_TOOLS = Path(os.environ.get("VIGIL_TOOLS_CACHE", Path.home() / ".cache" / "vigil-observability" / "tools"))
READY_TIMEOUT = 180
SERVICE_RANGE = "10.0.0.0/24"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(common, organization=None):
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common)]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(parts)


def _certificate(subject, key, issuer, issuer_key, ca=False, server_names=(), client=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=7))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                                      key_encipherment=False, data_encipherment=False, key_agreement=False,
                                                      encipher_only=False, decipher_only=False), critical=True)
    else:
        usages = [x509.ExtendedKeyUsageOID.CLIENT_AUTH] if client else [x509.ExtendedKeyUsageOID.SERVER_AUTH]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if server_names:
        alt = [x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n) for n in server_names]
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class Pki:
    """One cluster's certificates: a CA, the API server's serving pair, a service-account key, client pairs."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.ca_key = _key()
        self.ca_name = _name("vigil-test-ca")
        self.ca = _certificate(self.ca_name, self.ca_key, self.ca_name, self.ca_key, ca=True)
        self.write("ca.crt", _pem_cert(self.ca))
        self.write("ca.key", _pem_key(self.ca_key))
        server_key = _key()
        server = _certificate(_name("kube-apiserver"), server_key, self.ca_name, self.ca_key,
                              server_names=("127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                                            "10.0.0.1"))
        self.write("apiserver.crt", _pem_cert(server))
        self.write("apiserver.key", _pem_key(server_key))
        sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.write("sa.key", _pem_key(sa_key))
        self.write("sa.pub", sa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    def write(self, name, data):
        path = self.root / name
        path.write_bytes(data)
        os.chmod(path, 0o600)
        return str(path)

    def client(self, user, group):
        key = _key()
        cert = _certificate(_name(user, group), key, self.ca_name, self.ca_key, client=True)
        return _pem_cert(cert).decode(), _pem_key(key).decode()

    def path(self, name):
        return str(self.root / name)


def tool(tools, name):
    """The newest cached build of `name` (scripts/build-tools.sh writes <tools>/<tool>-<version>/<binary>)."""
    homes = {"etcd": "etcd", "kube-apiserver": "kube-apiserver", "kube-controller-manager": "kube-controller-manager",
             "operator": "prometheus-operator"}
    found = sorted(Path(tools).glob("%s-v*/%s" % (homes[name], name)))
    if not found:
        sys.exit("%s is not built: run scripts/build-tools.sh (looked in %s)" % (name, tools))
    return str(found[-1])


def spawn(args, log, env=None):
    # Without the machine's HTTP proxy: the API server calls admission webhooks (and the operator the API server) on
    # this machine, never through a proxy that answers for every host with a certificate of its own. Without the
    # caller's KUBECONFIG: the operator's client reads it besides its flags, and its current context (another cluster's
    # admin) then won over --apiserver, so both operators reconciled one cluster.
    env = {k: v for k, v in (env or os.environ).items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy") and k != "KUBECONFIG"}
    with open(log, "ab") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                env=env)


def wait_ready(url, ca, cert, key, proc, what, timeout=READY_TIMEOUT):
    context = ssl.create_default_context(cafile=ca) if ca else None
    if context is not None and cert:
        context.load_cert_chain(cert, key)
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s before it was ready" % (what, proc.returncode))
        try:
            with urllib.request.urlopen(url, context=context, timeout=5) as response:
                if response.status == 200:
                    return
        except Exception as exc:  # pylint: disable=broad-except
            last = str(exc)
        time.sleep(0.5)
    raise RuntimeError("%s not ready at %s after %ds: %s" % (what, url, timeout, last))


def _b64(text):
    import base64  # pylint: disable=import-outside-toplevel
    return base64.b64encode(text.encode()).decode()


def start_cluster(name, root, tools, groups, procs):
    directory = root / name
    # Every start is a new, empty cluster: etcd data, PKI and logs of an earlier one go.
    shutil.rmtree(directory, ignore_errors=True)
    pki = Pki(directory / "pki")
    logs = directory / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
    etcd = spawn([tool(tools, "etcd"), "--name", name, "--data-dir", str(directory / "etcd"),
                  "--listen-client-urls", "http://127.0.0.1:%d" % etcd_port, "--advertise-client-urls", "http://127.0.0.1:%d" % etcd_port,
                  "--listen-peer-urls", "http://127.0.0.1:%d" % peer_port, "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer_port,
                  "--initial-cluster", "%s=http://127.0.0.1:%d" % (name, peer_port), "--unsafe-no-fsync",
                  "--listen-metrics-urls", "http://127.0.0.1:%d" % free_port()], logs / "etcd.log")
    procs.append({"cluster": name, "what": "etcd", "pid": etcd.pid})
    wait_ready("http://127.0.0.1:%d/health" % etcd_port, None, None, None, etcd, "%s etcd" % name, timeout=60)
    apiserver = spawn([
        tool(tools, "kube-apiserver"), "--etcd-servers", "http://127.0.0.1:%d" % etcd_port,
        "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", str(api_port),
        "--tls-cert-file", pki.path("apiserver.crt"), "--tls-private-key-file", pki.path("apiserver.key"),
        "--client-ca-file", pki.path("ca.crt"), "--authorization-mode", "RBAC",
        "--service-account-key-file", pki.path("sa.pub"), "--service-account-signing-key-file", pki.path("sa.key"),
        "--service-account-issuer", "https://kubernetes.default.svc", "--service-cluster-ip-range", SERVICE_RANGE,
        "--allow-privileged=true", "--disable-admission-plugins", "ServiceAccount",
        # One API server on loopback: the kubernetes Service endpoints would be refused (127.0.0.0/8) and retried.
        "--endpoint-reconciler-type", "none",
        # Webhooks and aggregated APIs reached through their Service's endpoints, not its ClusterIP (nothing routes
        # ClusterIPs here): a webhook no pod serves fails at once, and its failurePolicy decides.
        "--enable-aggregator-routing=true",
    ], logs / "kube-apiserver.log")
    procs.append({"cluster": name, "what": "kube-apiserver", "pid": apiserver.pid})
    server = "https://127.0.0.1:%d" % api_port
    admin_cert, admin_key = pki.client("vigil-admin", "system:masters")
    admin_crt, admin_keyfile = pki.write("admin.crt", admin_cert.encode()), pki.write("admin.key", admin_key.encode())
    wait_ready(server + "/readyz", pki.path("ca.crt"), admin_crt, admin_keyfile, apiserver, "%s kube-apiserver" % name)
    admin_kubeconfig = directory / "admin.kubeconfig"
    admin_kubeconfig.write_text(yaml.safe_dump(_kubeconfig({"%s-admin" % name: (server, pki, admin_cert, admin_key)}, "%s-admin" % name)))
    manager = spawn([
        tool(tools, "kube-controller-manager"), "--kubeconfig", str(admin_kubeconfig), "--leader-elect=false",
        "--bind-address", "127.0.0.1", "--secure-port", str(free_port()),
        "--service-account-private-key-file", pki.path("sa.key"), "--root-ca-file", pki.path("ca.crt"),
        "--use-service-account-credentials=false", "--controllers", "*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route",
    ], logs / "kube-controller-manager.log")
    procs.append({"cluster": name, "what": "kube-controller-manager", "pid": manager.pid})
    contexts = {"%s-admin" % name: (server, pki, admin_cert, admin_key)}
    for group in groups:
        cert, key = pki.client("%s-user" % group, group)
        contexts["%s-%s" % (name, group)] = (server, pki, cert, key)
    return {"server": server, "admin_kubeconfig": str(admin_kubeconfig), "contexts": contexts, "pki": pki}


# The operator's image, as kube-prometheus-stack (and the operator's own manifests) name it: its Deployment, in any
# namespace and under any release name, is the one whose container runs this image.
OPERATOR_IMAGE = "prometheus-operator/prometheus-operator"
# Flags that only make sense inside the operator's pod (its TLS files, its listen address): replaced by ours.
_POD_ONLY_FLAGS = ("--web.", "--apiserver", "--kubeconfig", "--ca-file", "--cert-file", "--key-file")


def start_operator(name, root, tools, cluster, procs):
    """The Prometheus Operator of the cluster, run here as its pod would run it in a cluster with nodes: it starts once
    a chart has installed the operator's Deployment and the CRDs it reconciles (started earlier, the operator would
    leave its Prometheus and Alertmanager controllers off), with that Deployment's own arguments, pointed at the API
    server with the admin certificate. The launcher becomes the operator (exec), so the recorded PID stays its PID.
    Its admission webhook is not registered: the API server has no route to it."""
    port = free_port()
    pki = cluster["pki"]
    launcher = spawn([sys.executable, str(Path(__file__).resolve()), "_operator", "--server", cluster["server"],
                      "--ca", pki.path("ca.crt"), "--cert", pki.path("admin.crt"), "--key", pki.path("admin.key"),
                      "--port", str(port), "--binary", tool(tools, "operator")],
                     root / name / "logs" / "prometheus-operator.log")
    procs.append({"cluster": name, "what": "prometheus-operator", "pid": launcher.pid})
    return "http://127.0.0.1:%d" % port


def _get(server, path, context):
    try:
        with urllib.request.urlopen(server + path, context=context, timeout=10) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def operator_deployment(deployments):
    """(the Deployment, its container's arguments less the pod-only flags) of the first Deployment among `deployments`
    (a DeploymentList) running the operator's image; None when none does."""
    for item in sorted(deployments.get("items") or [], key=lambda d: (d["metadata"]["namespace"], d["metadata"]["name"])):
        for container in item["spec"]["template"]["spec"].get("containers") or []:
            if OPERATOR_IMAGE in container.get("image", "").split("@")[0].rsplit(":", 1)[0]:
                return item, [a for a in container.get("args") or [] if not a.startswith(_POD_ONLY_FLAGS)]
    return None


def operator_arguments(deployments):
    found = operator_deployment(deployments)
    return None if found is None else found[1]


def _installed(server, deployment, context):
    """Whether the Helm release that made `deployment` (if Helm made it) has finished installing: in a cluster with
    nodes, the operator's pod starts after the install, not while Helm is still creating the Prometheus it reconciles
    (started in between, operator v0.93.1 was seen never to reconcile it)."""
    annotations = deployment["metadata"].get("annotations") or {}
    release, namespace = annotations.get("meta.helm.sh/release-name"), annotations.get("meta.helm.sh/release-namespace")
    if not release:
        return True
    found = _get(server, "/api/v1/namespaces/%s/secrets?labelSelector=owner%%3Dhelm,name%%3D%s,status%%3Ddeployed"
                 % (namespace, release), context)
    return bool(found and found.get("items"))


def run_operator(args):
    """`_operator`: wait for the operator's Deployment and CRDs, then exec the operator."""
    context = ssl.create_default_context(cafile=args.ca)
    context.load_cert_chain(args.cert, args.key)
    crds = ("prometheuses.monitoring.coreos.com", "alertmanagers.monitoring.coreos.com")
    print("control plane: the operator waits for its Deployment (image %s), its Helm release installed, and its CRDs"
          % OPERATOR_IMAGE, flush=True)
    while True:
        found = operator_deployment(_get(args.server, "/apis/apps/v1/deployments", context) or {})
        if found is not None and _installed(args.server, found[0], context) and all(
                _get(args.server, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + crd, context) for crd in crds):
            chart_args = found[1]
            break
        time.sleep(1)
    argv = [args.binary, "--apiserver", args.server, "--ca-file", args.ca, "--cert-file", args.cert, "--key-file", args.key,
            "--web.listen-address", "127.0.0.1:%d" % args.port, "--web.enable-tls=false", *chart_args]
    print("control plane: starting %s" % " ".join(argv), flush=True)
    os.execv(args.binary, argv)


def _kubeconfig(contexts, current):
    clusters, users, entries = [], [], []
    for context, (server, pki, cert, key) in sorted(contexts.items()):
        clusters.append({"name": context, "cluster": {"server": server, "certificate-authority-data": _b64(Path(pki.path("ca.crt")).read_text())}})
        users.append({"name": context, "user": {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}})
        entries.append({"name": context, "context": {"cluster": context, "user": context}})
    return {"apiVersion": "v1", "kind": "Config", "clusters": clusters, "users": users, "contexts": entries, "current-context": current}


def alive(pid):
    """Whether `pid` still runs: an exited process that nobody reaped yet (a zombie: the started processes outlive
    `start`, so they are reaped by init, which some sandboxes' init never does) has ended."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _end(pid, grace=20):
    """SIGTERM the process group of `pid`, SIGKILL it after `grace` seconds, and wait until it has ended."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.05)
        if not alive(pid):
            return


def stop(root):
    state_path = Path(root) / "state.json"
    if not state_path.exists():
        print("control plane: nothing to stop (%s missing)" % state_path)
        return 0
    state = json.loads(state_path.read_text())
    # Reverse start order, one at a time: the API server's shutdown talks to etcd, so etcd must outlive it (stopped
    # together, the API server waited 20 s per shutdown step for an etcd that was gone).
    for proc in reversed(state.get("processes", [])):
        _end(proc["pid"])
    left = [proc["pid"] for proc in state.get("processes", []) if alive(proc["pid"])]
    if left:
        print("control plane: processes %s did not end" % left, file=sys.stderr)
        return 1
    state_path.unlink()
    print("control plane: stopped %d processes" % len(state.get("processes", [])))
    return 0


def start(root, clusters, groups, tools):
    root = Path(root)
    if (root / "state.json").exists():
        stop(root)
    procs = []
    contexts = {}
    try:
        for name in clusters:
            cluster = start_cluster(name, root, tools, groups, procs)
            cluster["operator"] = start_operator(name, root, tools, cluster, procs)
            contexts.update(cluster["contexts"])
            print("control plane: %s at %s (operator %s)" % (name, cluster["server"], cluster["operator"]))
    except BaseException:
        (root / "state.json").write_text(json.dumps({"processes": procs}))
        stop(root)
        raise
    (root / "state.json").write_text(json.dumps({"processes": procs}, indent=1))
    path = root / "kubeconfig"
    path.write_text(yaml.safe_dump(_kubeconfig(contexts, "%s-admin" % clusters[0])))
    os.chmod(path, 0o600)
    print("control plane: kubeconfig %s (contexts: %s)" % (path, ", ".join(sorted(contexts))))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_operator"]:
        internal = argparse.ArgumentParser(prog="control_plane.py _operator")
        for flag in ("--server", "--ca", "--cert", "--key", "--binary"):
            internal.add_argument(flag, required=True)
        internal.add_argument("--port", type=int, required=True)
        return run_operator(internal.parse_args(argv[1:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("--dir", default=str(DEFAULT_DIR))
    parser.add_argument("--clusters", default="prod-eu,prod-us")
    parser.add_argument("--groups", default="payments", help="team RBAC groups to make users for, comma-separated")
    parser.add_argument("--tools", default=str(DEFAULT_TOOLS))
    args = parser.parse_args(argv)
    if args.action == "stop":
        return stop(args.dir)
    return start(args.dir, [c for c in args.clusters.split(",") if c], [g for g in args.groups.split(",") if g], args.tools)


if __name__ == "__main__":
    sys.exit(main())
