"""With SENTRY_DSN set, a server error reaches Sentry (here a local HTTP server standing in for its ingest endpoint)
with the request id and without any email address or phone number."""

import gzip
import json
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.queue.test_cluster import ROOT, manage_environment

pytestmark = pytest.mark.django_db(transaction=True)

# A view fails naming a person, on a request whose query names another; then the process exits (flushing Sentry).
SCRIPT = """
import types
import django
django.setup()
from django.contrib.auth.decorators import login_not_required
from django.test import Client, override_settings
from django.urls import path

def send_failed(request):
    raise RuntimeError("no mailbox answers for ada.lovelace@engines.example (phone +44 20 7946 0958)")

failing = types.ModuleType("failing_urls")
failing.urlpatterns = [path("send/", login_not_required(send_failed))]
with override_settings(ROOT_URLCONF=failing):
    answer = Client(raise_request_exception=False).get("/send/?to=grace.hopper@navy.example", HTTP_X_REQUEST_ID="err-1")
assert answer.status_code == 500, answer.status_code
import sentry_sdk
sentry_sdk.flush(timeout=10)
"""


class SentryIngest(BaseHTTPRequestHandler):
    """Sentry's envelope endpoint: keeps each envelope's items, answers 200."""

    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli

            body = brotli.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        self.received.append({"path": self.path, "body": body.decode()})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_ingest():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SentryIngest)
    SentryIngest.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_a_server_error_reaches_sentry_without_personal_data(sentry_ingest, tmp_path):
    dsn = f"http://publickey@127.0.0.1:{sentry_ingest.server_address[1]}/42"
    env = manage_environment(media_root=tmp_path, SENTRY_DSN=dsn, ALLOWED_HOSTS="testserver")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    envelopes = [envelope for envelope in SentryIngest.received if envelope["path"] == "/api/42/envelope/"]
    events = [
        json.loads(line)
        for envelope in envelopes
        for line in envelope["body"].splitlines()
        if line.startswith("{") and '"exception"' in line
    ]
    (event,) = events
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == "no mailbox answers for a***@engines.example (phone ***58)"
    assert event["tags"]["request_id"] == "err-1"
    everything = "".join(envelope["body"] for envelope in envelopes)
    assert "ada.lovelace" not in everything and "grace.hopper" not in everything and "7946" not in everything
    # send_default_pii is off: no address, no cookies.
    assert "ip_address" not in event.get("user", {}) and "cookies" not in event.get("request", {})
