# -*- coding: utf-8 -*-
"""The kind scenario's in-cluster webhook receiver, and its HTTP client for verify.

`serve`: listen on 0.0.0.0:8080, keep every POSTed JSON body with its path, return them on `GET /received`.
`get URL` / `post URL BODY`: print the response body; verify runs these in the receiver's pod (kubernetes.core.k8s_exec)
to reach Prometheus, Alertmanager, Grafana and the demo service by their Service names. Basic auth for `get` comes
from the environment (BASIC_AUTH_USER, BASIC_AUTH_PASSWORD), so that no password appears in a command line.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECEIVED = []
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with LOCK:
            RECEIVED.append({"path": self.path, "body": json.loads(body)})
        self.send_response(200)
        self.end_headers()

    def do_GET(self):  # noqa: N802
        if self.path != "/received":
            self.send_error(404)
            return
        with LOCK:
            body = json.dumps(RECEIVED).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def request(url, data=None):
    req = urllib.request.Request(url, data=data.encode("utf-8") if data is not None else None)
    user, password = os.environ.get("BASIC_AUTH_USER"), os.environ.get("BASIC_AUTH_PASSWORD")
    if user and password:
        token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
        req.add_header("Authorization", "Basic " + token)
    with urllib.request.urlopen(req, timeout=20) as resp:  # nosec - cluster-internal test URLs
        return resp.read().decode("utf-8")


def main(argv):
    if argv[:1] == ["serve"]:
        ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()  # nosec - a pod's own address
    elif argv[:1] == ["get"] and len(argv) == 2:
        sys.stdout.write(request(argv[1]))
    elif argv[:1] == ["post"] and len(argv) == 3:
        sys.stdout.write(request(argv[1], argv[2]))
    else:
        sys.stderr.write("usage: webhook_receiver.py serve | get URL | post URL BODY\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
