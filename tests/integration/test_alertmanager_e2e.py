# -*- coding: utf-8 -*-
"""End to end with a real Alertmanager (Debian's 0.25) on 127.0.0.1: the rendered configuration, its secrets as
mounted files, receivers pointed at a local HTTP server standing in for PagerDuty, Opsgenie, Slack and a webhook.

Asserted from the contract: each team's alerts reach that team's endpoints and no other, grouped as configured; a
slow-burn alert is not delivered while the fast burn of the same SLO fires, nor a warning while the critical alert of
the same name and service fires; team-less alerts, alerts of a team without receivers and of an unknown team reach the
default receiver; Watchdog reaches nobody. The one rewrite 0.25 needs (webhook `url_file` -> `url`, read from the
secret file) is `for_alertmanager_0_25` (see alertmanager_helpers.py).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.alertmanager_helpers import assert_no_secret, digest, for_alertmanager_0_25
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.tests.support import team_plan as build

pytestmark = pytest.mark.slow

# Test secrets: unique strings, so that their appearance anywhere is detectable.
PD_KEY = "e2e-pagerduty-routing-key-5c1d"
OPSGENIE_KEY = "e2e-opsgenie-api-key-77ab"
TOKENS = {"payments": "e2e-payments-slack-token-19fe", "checkout": "e2e-checkout-slack-token-a3c0",
          "platform": "e2e-platform-slack-token-62b4"}
WEBHOOK_TOKEN = "e2e-payments-webhook-token-d40e"
SECRETS = {PD_KEY, OPSGENIE_KEY, WEBHOOK_TOKEN, *TOKENS.values()}
FAST = {"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder(BaseHTTPRequestHandler):
    """Stands in for every notification service: records each request, answers 202."""

    def do_POST(self):  # noqa: N802 - the http.server API
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        with self.server.lock:
            self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body or "null")})
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "success"}')

    def log_message(self, *args):
        pass


@pytest.fixture()
def receiver_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.lock = threading.Lock()
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def inventory(base):
    payments = {
        "alerting": {
            "receivers": {
                "pagerduty": {"routing_key": PD_KEY, "url": base + "/pagerduty/payments"},
                "slack": {"channel": "#payments-alerts", "api_url": "%s/slack/payments/%s" % (base, TOKENS["payments"])},
                "webhook": {"url": "%s/webhook/payments?token=%s" % (base, WEBHOOK_TOKEN)},
            },
            "routes": [
                {"matchers": ['severity="critical"'], "receiver": "pagerduty"},
                {"matchers": ['alertname=~"SLOErrorBudget.+"'], "receiver": "webhook"},
                {"receiver": "slack"},
            ],
            "group_by": ["alertname", "service", "slo"],
        },
    }
    payments["alerting"].update(FAST)
    checkout = {"alerting": {"receivers": {
        "opsgenie": {"api_key": OPSGENIE_KEY, "api_url": base + "/opsgenie/checkout/"},
        "slack": {"channel": "#checkout-alerts", "api_url": "%s/slack/checkout/%s" % (base, TOKENS["checkout"])},
    }}}
    team_vars = {"observability_team_payments": payments, "observability_team_checkout": checkout,
                 "observability_team_search": {}}
    alertmanager = dict(FAST, default_receiver="platform",
                        receivers={"slack": {"channel": "#platform", "api_url": "%s/slack/platform/%s" % (base, TOKENS["platform"])}})
    return team_vars, alertmanager


def write_rendered(tmp_path, result, expected_changes=("receivers[payments-webhook].webhook_configs.url_file",)):
    """The rendered configuration and its Secret as files, the way kube-prometheus-stack mounts them."""
    secrets_dir = tmp_path / "secrets"
    for objects in result["secrets"].values():
        for secret in objects:
            folder = secrets_dir / secret["metadata"]["name"]
            folder.mkdir(parents=True)
            for key, value in secret["stringData"].items():
                (folder / key).write_text(value, encoding="utf-8")
    config = yaml.safe_load(result["files"]["platform"]["alertmanager/alertmanager.yaml"])
    compatible, changes = for_alertmanager_0_25(config, secrets_root=secrets_dir)
    assert changes == list(expected_changes)
    text = yaml.safe_dump(compatible).replace(inventory_alerting.SECRETS_DIR + "/", str(secrets_dir) + "/")
    path = tmp_path / "alertmanager.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def http(method, url, payload=None):
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - 127.0.0.1 only
        return response.status


@pytest.fixture()
def alertmanager_process(tmp_path, alertmanager_binary):
    binary = alertmanager_binary
    processes = []

    def start(config_path):
        port = free_port()
        log = open(tmp_path / "alertmanager.log", "w", encoding="utf-8")  # noqa: SIM115 - closed in finally
        proc = subprocess.Popen(  # noqa: S603
            [binary, "--config.file=%s" % config_path, "--storage.path=%s" % (tmp_path / "data"),
             "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address=", "--log.level=info"],
            stdout=log, stderr=subprocess.STDOUT)
        processes.append((proc, log))
        url = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail("Alertmanager exited (%s):\n%s" % (proc.returncode, scrubbed_log(tmp_path)), pytrace=False)
            try:
                if http("GET", url + "/-/ready") == 200:
                    return url
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        pytest.fail("Alertmanager not ready in 20s:\n%s" % scrubbed_log(tmp_path), pytrace=False)
        return None

    try:
        yield start
    finally:
        for proc, log in processes:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            log.close()


def scrubbed_log(tmp_path):
    text = (tmp_path / "alertmanager.log").read_text(encoding="utf-8", errors="replace")[-4000:]
    for secret in SECRETS:
        text = text.replace(secret, "<secret>")
    return text


def alert(alertname, severity, team=None, **labels):
    labels = dict(labels, alertname=alertname, severity=severity)
    if team:
        labels["team"] = team
        labels.setdefault("namespace", team)
    return {"labels": labels, "annotations": {"summary": alertname}}


ALERTS = [
    # payments: a page and the slow burn it inhibits; another SLO's slow burn is not inhibited.
    alert("SLOErrorBudgetFastBurn", "critical", "payments", service="payment-service", slo="availability"),
    alert("SLOErrorBudgetSlowBurn", "warning", "payments", service="payment-service", slo="availability"),
    alert("SLOErrorBudgetSlowBurn", "warning", "payments", service="payment-service", slo="latency"),
    # The team groups by alertname, service and slo: two alerts of one service in one notification, another service
    # in its own (the root's grouping, by alertname, team and severity, would put all three in one).
    alert("HighErrorRate", "warning", "payments", service="payment-service", instance="a"),
    alert("HighErrorRate", "warning", "payments", service="payment-service", instance="b"),
    alert("HighErrorRate", "warning", "payments", service="ledger", instance="c"),
    # A critical alert silences the warning of the same alertname, team and service.
    alert("HighLatency", "critical", "payments", service="ledger"),
    alert("HighLatency", "warning", "payments", service="ledger"),
    # checkout has no routes: critical pages through Opsgenie, the rest goes to its first other receiver.
    alert("CheckoutDown", "critical", "checkout", service="checkout-api"),
    alert("CartSlow", "warning", "checkout", service="cart"),
    # The default receiver: no team, a team without receivers, a team nobody knows.
    alert("NodeFilesystemAlmostFull", "warning", namespace="kube-system"),
    alert("SearchDown", "critical", "search", service="query"),
    alert("GhostAlert", "warning", "ghost"),
    # Never delivered.
    alert("Watchdog", "none", namespace="monitoring"),
]

# (endpoint, alertname, number of alerts in the notification), from the contract and the alerts above.
EXPECTED = sorted([
    ("pagerduty/payments", "SLOErrorBudgetFastBurn", 1),
    ("pagerduty/payments", "HighLatency", 1),
    ("webhook/payments", "SLOErrorBudgetSlowBurn", 1),
    ("slack/payments", "HighErrorRate", 2),
    ("slack/payments", "HighErrorRate", 1),
    ("opsgenie/checkout", "CheckoutDown", 1),
    ("slack/checkout", "CartSlow", 1),
    ("slack/platform", "NodeFilesystemAlmostFull", 1),
    ("slack/platform", "SearchDown", 1),
    ("slack/platform", "GhostAlert", 1),
])
_SUBJECT = re.compile(r"^\[FIRING:(\d+)\] (\S+)")


def endpoint(request):
    """Which stand-in a request reached, checking that it carried the secret that endpoint needs."""
    url = urllib.parse.urlsplit(request["path"])
    parts = url.path.strip("/").split("/")
    if parts[0] == "slack":
        assert digest(parts[2]) == digest(TOKENS[parts[1]]), "slack URL of %s without its token" % parts[1]
    elif parts[0] == "pagerduty":
        assert digest(request["body"]["routing_key"]) == digest(PD_KEY), "PagerDuty event without the routing key"
    elif parts[0] == "opsgenie":
        assert digest(request["headers"].get("Authorization", "")) == digest("GenieKey " + OPSGENIE_KEY), "Opsgenie without key"
    elif parts[0] == "webhook":
        assert digest(urllib.parse.parse_qs(url.query)["token"][0]) == digest(WEBHOOK_TOKEN), "webhook URL without its token"
    return "%s/%s" % (parts[0], parts[1])


def delivered(request):
    """(endpoint, alertname, number of alerts) of one notification, read from what each service receives."""
    where = endpoint(request)
    body = request["body"]
    if where.startswith("webhook/"):
        names = {a["labels"]["alertname"] for a in body["alerts"]}
        assert len(names) == 1, names
        return where, names.pop(), len(body["alerts"])
    subject = {"slack": lambda: body["attachments"][0]["title"], "pagerduty": lambda: body["payload"]["summary"],
               "opsgenie": lambda: body["message"]}[where.split("/")[0]]()
    match = _SUBJECT.match(subject)
    assert match, subject
    return where, match.group(2), int(match.group(1))


def test_alerts_reach_their_team_only_grouped_and_inhibited(tmp_path, receiver_server, alertmanager_process):
    base = "http://127.0.0.1:%d" % receiver_server.server_address[1]
    team_vars, alertmanager = inventory(base)
    result = build.build("prod", team_vars, [], {}, promtool="skip", alertmanager=alertmanager, secret_values=True)
    assert_no_secret(result["files"]["platform"]["alertmanager/alertmanager.yaml"], SECRETS, "the rendered configuration")
    url = alertmanager_process(write_rendered(tmp_path, result))

    assert http("POST", url + "/api/v2/alerts", ALERTS) == 200
    # Wait for every expected notification, then as long again as group_wait + group_interval for any unexpected one.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with receiver_server.lock:
            count = len(receiver_server.requests)
        if count >= len(EXPECTED):
            break
        time.sleep(0.2)
    time.sleep(3)
    with receiver_server.lock:
        requests = list(receiver_server.requests)
    got = sorted(delivered(r) for r in requests)
    assert got == EXPECTED, "\n".join(["got:"] + [str(g) for g in got] + ["alertmanager log:", scrubbed_log(tmp_path)])

    # The webhook's payload names each alert: the inhibited slow burn (slo=availability) is not among them.
    (hook,) = [r for r in requests if r["path"].startswith("/webhook/")]
    assert [a["labels"]["slo"] for a in hook["body"]["alerts"]] == ["latency"]
    assert hook["body"]["groupLabels"] == {"alertname": "SLOErrorBudgetSlowBurn", "service": "payment-service", "slo": "latency"}

    # Alertmanager itself reports the inhibited alerts as suppressed.
    with urllib.request.urlopen(url + "/api/v2/alerts?inhibited=true&active=false&silenced=false", timeout=5) as response:  # noqa: S310
        suppressed = json.loads(response.read())
    assert sorted((a["labels"]["alertname"], a["labels"].get("slo", a["labels"].get("service"))) for a in suppressed) == [
        ("HighLatency", "ledger"), ("SLOErrorBudgetSlowBurn", "availability")]
    assert os.path.exists(tmp_path / "secrets" / "vigil-alertmanager-receivers" / "payments-pagerduty.pagerduty.routing_key")


class SmtpSink:
    """A minimal SMTP server on 127.0.0.1 that records each message's envelope and headers (no TLS, no auth)."""

    def __init__(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(5)
        self.port = self.server.getsockname()[1]
        self.messages = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            with conn:
                self._session(conn.makefile("rwb"))

    def _session(self, stream):
        def say(line):
            stream.write(line.encode("ascii") + b"\r\n")
            stream.flush()

        say("220 sink ESMTP")
        envelope = {"from": None, "to": [], "data": ""}
        while True:
            line = stream.readline().decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if not line or verb == "QUIT":
                say("221 bye")
                return
            if verb in ("EHLO", "HELO"):
                say("250 sink")
            elif verb == "MAIL":
                envelope["from"] = line.split(":", 1)[1].strip().split(" ")[0].strip("<>")
                say("250 ok")
            elif verb == "RCPT":
                envelope["to"].append(line.split(":", 1)[1].strip().strip("<>"))
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                lines = []
                while True:
                    data = stream.readline().decode("utf-8", "replace")
                    if data.rstrip("\r\n") == ".":
                        break
                    lines.append(data)
                envelope["data"] = "".join(lines)
                with self.lock:
                    self.messages.append(dict(envelope))
                envelope = {"from": None, "to": [], "data": ""}
                say("250 queued")
            else:
                say("250 ok")

    def close(self):
        self.server.close()


# Template code a team might paste into a channel or an address, by mistake or to read other teams' alerts.
CHANNEL = '#shop {{ template "slack.default.title" . }} {{ .CommonLabels }}'
TO = "ops+{{.Status}}@example.com"
FROM = "alerts+{{.Receiver}}@example.com"


def test_text_in_alertmanager_templated_fields_reaches_the_receiver_literally(tmp_path, receiver_server, alertmanager_process):
    """Slack's channel and e-mail's to and from are Go templates in Alertmanager: inventory text arrives as written."""
    smtp = SmtpSink()
    try:
        base = "http://127.0.0.1:%d" % receiver_server.server_address[1]
        team_vars = {"observability_team_shop": {"alerting": dict(FAST, receivers={
            "slack": {"channel": CHANNEL, "api_url": "%s/slack/shop/%s" % (base, TOKENS["payments"])},
            "email": {"to": TO, "from": FROM, "smarthost": "127.0.0.1:%d" % smtp.port, "require_tls": False}},
            routes=[{"receiver": "slack", "continue": True}, {"receiver": "email"}])}}
        alertmanager = dict(FAST, default_receiver="platform",
                            receivers={"slack": {"channel": "#platform", "api_url": "%s/slack/platform/%s" % (base, TOKENS["platform"])}})
        result = build.build("prod", team_vars, [], {}, promtool="skip", alertmanager=alertmanager, secret_values=True)
        url = alertmanager_process(write_rendered(tmp_path, result, expected_changes=()))

        # shop's alert, and one that names team shop from another namespace: the platform's default receiver gets that.
        sent = [alert("HighErrorRate", "warning", "shop", service="api"), alert("Forged", "warning", "shop", namespace="checkout")]
        assert http("POST", url + "/api/v2/alerts", sent) == 200
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with receiver_server.lock, smtp.lock:
                done = len(receiver_server.requests) >= 2 and smtp.messages
            if done:
                break
            time.sleep(0.2)
        time.sleep(2)
        with receiver_server.lock:
            requests = list(receiver_server.requests)
        with smtp.lock:
            messages = list(smtp.messages)
    finally:
        smtp.close()
    by_path = {r["path"].split("/")[2]: r for r in requests if r["path"].startswith("/slack/")}
    assert sorted(by_path) == ["platform", "shop"], scrubbed_log(tmp_path)
    assert by_path["shop"]["body"]["channel"] == CHANNEL
    assert "HighErrorRate" in by_path["shop"]["body"]["attachments"][0]["title"]
    # The forged alert reached the platform, not shop.
    assert "Forged" in by_path["platform"]["body"]["attachments"][0]["title"]
    assert "Forged" not in json.dumps(by_path["shop"]["body"])
    [message] = messages
    assert message["to"] == [TO] and message["from"] == FROM
    headers = message["data"].split("\r\n\r\n", 1)[0]
    assert "To: " + TO in headers and "From: " + FROM in headers
