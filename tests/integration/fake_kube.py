# -*- coding: utf-8 -*-
"""A minimal Kubernetes API server on 127.0.0.1 for kubernetes.core's k8s and k8s_info modules, for the tests.

It answers discovery for core v1 (namespaces, secrets), serves what was applied, takes server-side apply PATCHes,
and records every request. API groups it does not know are absent, as on a cluster without them. Plain HTTP: a
kubeconfig points at it with `server: http://127.0.0.1:<port>`.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import yaml

from e2e_helpers import LocalServer

RESOURCES = {"namespaces": ("Namespace", False), "secrets": ("Secret", True)}


class FakeKube(LocalServer):
    def __init__(self):
        self.requests = []  # (method, path, content type, body text)
        self.objects = {}  # (resource, namespace, name) -> object
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length).decode("utf-8") if length else ""

            def do_GET(self):  # noqa: N802 - http.server's naming
                owner.requests.append(("GET", self.path, "", ""))
                self._send(*owner.get(self.path.split("?", 1)[0]))

            def do_PATCH(self):  # noqa: N802
                body = self._body()
                owner.requests.append(("PATCH", self.path, self.headers.get("Content-Type", ""), body))
                self._send(*owner.apply(self.path.split("?", 1)[0], body))

            def do_POST(self):  # noqa: N802
                owner.requests.append(("POST", self.path, self.headers.get("Content-Type", ""), self._body()))
                self._send(405, {"kind": "Status", "status": "Failure", "code": 405})

        self._serve(Handler)
        self.url = "http://127.0.0.1:%d" % self.port

    def get(self, path):
        if path == "/version":
            return 200, {"major": "1", "minor": "33", "gitVersion": "v1.33.1", "platform": "linux/amd64"}
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if path == "/apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
        if path == "/api/v1":
            return 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind,
                 "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                for name, (kind, namespaced) in RESOURCES.items()]}
        key = self._key(path)
        if key and key in self.objects:
            return 200, self.objects[key]
        return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}

    def apply(self, path, body):
        key = self._key(path)
        if key is None:
            return 404, {"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404}
        obj = yaml.safe_load(body) if body else {}
        obj.setdefault("metadata", {}).setdefault("uid", "uid-%s-%s" % (key[0], key[2]))
        self.objects[key] = obj
        return 200, obj

    @staticmethod
    def _key(path):
        parts = path.strip("/").split("/")
        if parts[:2] != ["api", "v1"]:
            return None
        rest = parts[2:]
        if len(rest) == 2 and rest[0] == "namespaces":
            return ("namespaces", "", rest[1])
        if len(rest) == 4 and rest[0] == "namespaces" and rest[2] in RESOURCES:
            return (rest[2], rest[1], rest[3])
        return None

    def applied(self, resource):
        return {key[1:]: obj for key, obj in self.objects.items() if key[0] == resource}


def kubeconfig(server, context="fake"):
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": server}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "users": [{"name": context, "user": {"token": "fake-token"}}],
    })
