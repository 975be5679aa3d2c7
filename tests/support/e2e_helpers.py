# -*- coding: utf-8 -*-
"""Processes and HTTP plumbing of the end-to-end test: free ports on 127.0.0.1, started processes that are always
stopped, a webhook receiver that records what Alertmanager delivers, and the Prometheus configuration the
Prometheus Operator would derive from the rendered objects."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

EXPORTER = Path(__file__).resolve().parent / "e2e_exporter.py"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Started processes, stopped (terminate, then kill) by `stop_all`, whatever happened in between."""

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self.started = []

    def start(self, name, args, capture_stdout=False):
        log = open(self.log_dir / ("%s.log" % name), "w", encoding="utf-8")  # pylint: disable=consider-using-with
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            args, stdout=subprocess.PIPE if capture_stdout else log, stderr=log, stdin=subprocess.DEVNULL, text=True)
        self.started.append((name, proc, log))
        return proc

    def log(self, name):
        path = self.log_dir / ("%s.log" % name)
        return path.read_text(encoding="utf-8")[-3000:] if path.exists() else ""

    def check_running(self):
        for name, proc, _log in self.started:
            if proc.poll() is not None:
                raise AssertionError("%s exited with %s:\n%s" % (name, proc.returncode, self.log(name)))

    def stop_all(self):
        for _name, proc, _log in reversed(self.started):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc, log in reversed(self.started):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()
            log.close()
        self.started = []


def start_exporter(processes, name):
    """An exporter process for one test service; returns (process, port)."""
    proc = processes.start(name, [sys.executable, str(EXPORTER)], capture_stdout=True)
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        processes.check_running()
        raise AssertionError("exporter %s did not report its port: %r" % (name, line))
    return proc, int(line)


def http(url, data=None, timeout=5):
    """(status, body text); a refused connection is status 0."""
    req = urllib.request.Request(url, data=data.encode("utf-8") if data is not None else None, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # nosec - 127.0.0.1 only
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def api(url):
    status, body = http(url)
    if status != 200:
        raise AssertionError("GET %s: %s %s" % (url, status, body[:500]))
    return json.loads(body)


def wait_until(what, probe, timeout, processes=None, interval=0.5):
    """Poll `probe` until it returns something truthy; fail naming `what` (and any process that died)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if processes is not None:
            processes.check_running()
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


class LocalServer:
    """An HTTP server on a free port of 127.0.0.1, serving `handler` from a thread while the `with` block runs."""

    def _serve(self, handler):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class WebhookSink(LocalServer):
    """Alertmanager webhook receiver on 127.0.0.1: records every delivered payload with its path and arrival time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []  # (path, payload, monotonic time)
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with sink.lock:
                    sink.received.append((self.path, json.loads(body), time.monotonic()))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                pass

        self._serve(Handler)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def payloads(self, path=None):
        with self.lock:
            return [(p, body) for p, body, _t in self.received if path is None or p == path]


def _relabel(relabeling, where):
    """A ServiceMonitor relabeling as a Prometheus relabel_config: the operator copies the fields, snake_cased."""
    names = {"sourceLabels": "source_labels", "targetLabel": "target_label", "action": "action", "regex": "regex",
             "replacement": "replacement", "separator": "separator", "modulus": "modulus"}
    unknown = sorted(set(relabeling) - set(names))
    if unknown:
        raise AssertionError("%s: relabeling fields %s are not translated by this test" % (where, unknown))
    return {names[k]: v for k, v in relabeling.items()}


def _discovered(meta, pod_labels):
    labels = {"namespace": meta["namespace"], "__meta_kubernetes_namespace": meta["namespace"],
              "__meta_kubernetes_service_name": meta["name"]}
    labels.update({"__meta_kubernetes_pod_label_%s" % k: v for k, v in pod_labels.items()})
    return labels


def scrape_configs(monitors, ports, pod_labels=None):
    """The scrape jobs the operator would generate for these ServiceMonitors, each pointed at a local exporter.

    Kubernetes service discovery is replaced by one static target labelled with the object's namespace, which is
    what the operator's generated relabelings give a target, and with the discovery labels the rendered relabelings
    read (`__meta_kubernetes_namespace`, `__meta_kubernetes_service_name` as the monitor's name, and the pod labels
    `pod_labels[(namespace, name)]`); everything else comes from the rendered endpoint. The operator's own
    enforcement of the namespace label is left out, so that the rendered relabelings are seen to hold alone.
    """
    jobs = []
    for monitor in monitors:
        meta = monitor["metadata"]
        for index, endpoint in enumerate(monitor["spec"]["endpoints"]):
            where = "ServiceMonitor %s/%s endpoints[%d]" % (meta["namespace"], meta["name"], index)
            unsupported = sorted(set(endpoint) - {"interval", "path", "port", "relabelings", "scrapeTimeout"})
            if unsupported:
                raise AssertionError("%s: fields %s are not translated by this test" % (where, unsupported))
            job = {
                "job_name": "serviceMonitor/%s/%s/%d" % (meta["namespace"], meta["name"], index),
                "scrape_interval": endpoint.get("interval", "30s"),
                "metrics_path": endpoint.get("path", "/metrics"),
                "static_configs": [{"targets": ["127.0.0.1:%d" % ports[(meta["namespace"], meta["name"])]],
                                    "labels": _discovered(meta, (pod_labels or {}).get((meta["namespace"], meta["name"]), {}))}],
                "relabel_configs": [_relabel(r, where) for r in endpoint.get("relabelings", [])],
            }
            if "scrapeTimeout" in endpoint:
                job["scrape_timeout"] = endpoint["scrapeTimeout"]
            jobs.append(job)
    return jobs
