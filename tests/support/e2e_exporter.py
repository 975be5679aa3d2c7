# -*- coding: utf-8 -*-
"""A test service's metrics, switchable between healthy and failing: the exporter of the end-to-end test.

Run as `python e2e_exporter.py`: it binds 127.0.0.1 on a free port, writes the port on its first stdout line,
serves `/metrics` (Prometheus text format 0.0.4) and takes `POST /mode` with body `healthy` or `failing`.
The kind scenario (molecule/default) runs the same file in pods: `--host 0.0.0.0 --port 8080`, `--status-label`
for services whose status label is not `status`, `--tls-cert`/`--tls-key` for services scraped over HTTPS.
Traffic is simulated at RATE requests per second: healthy, every request succeeds (status 200) in 50 ms;
failing, every other request fails with 500. Latency stays the same, so only error alerts may fire.
"""

from __future__ import annotations

import argparse
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RATE = 100  # requests per second
TICK = 0.1
BUCKETS = ("0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")
DURATION = 0.05
MODES = ("healthy", "failing")


class Traffic:
    """Counters grown by a ticking thread, read under a lock."""

    def __init__(self, status_label="status"):
        self.status_label = status_label
        self.lock = threading.Lock()
        self.mode = "healthy"
        # Both status series exist from the start, as a client library that pre-initialises them would serve.
        self.requests = {"200": 0, "500": 0}
        self.count = 0
        self.duration_sum = 0.0

    def tick(self):
        per_tick = int(RATE * TICK)
        with self.lock:
            failed = per_tick // 2 if self.mode == "failing" else 0
            self.requests["500"] += failed
            self.requests["200"] += per_tick - failed
            self.count += per_tick
            self.duration_sum += per_tick * DURATION

    def exposition(self):
        with self.lock:
            lines = ["# HELP http_requests_total Requests served.", "# TYPE http_requests_total counter"]
            lines += ['http_requests_total{%s="%s"} %d' % (self.status_label, s, n) for s, n in sorted(self.requests.items())]
            lines += ["# HELP http_request_duration_seconds Request latency.", "# TYPE http_request_duration_seconds histogram"]
            for le in BUCKETS:
                inside = le == "+Inf" or DURATION <= float(le)
                lines.append('http_request_duration_seconds_bucket{le="%s"} %d' % (le, self.count if inside else 0))
            lines.append("http_request_duration_seconds_sum %s" % repr(round(self.duration_sum, 6)))
            lines.append("http_request_duration_seconds_count %d" % self.count)
        return "\n".join(lines) + "\n"


TRAFFIC = Traffic()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path != "/metrics":
            self.send_error(404)
            return
        body = TRAFFIC.exposition().encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        mode = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8").strip()
        if self.path != "/mode" or mode not in MODES:
            self.send_error(400)
            return
        with TRAFFIC.lock:
            TRAFFIC.mode = mode
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass  # quiet: scrapes every second would flood the test's captured output


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--status-label", default="status")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    TRAFFIC.status_label = args.status_label
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    sys.stdout.write("%d\n" % server.server_address[1])
    sys.stdout.flush()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while True:
        started = time.monotonic()
        TRAFFIC.tick()
        time.sleep(max(0.0, TICK - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
