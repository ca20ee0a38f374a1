"""A local stand-in for Mailgun's sending API (https://documentation.mailgun.com/docs/mailgun/api-reference/send/):
`POST /v3/<domain>/messages`, HTTP basic auth `api:<KEY>`, a multipart or url-encoded form (from, to, cc, bcc,
subject, text, html, `h:<Header>`, `o:<option>`, `v:<variable>`).

It answers as Mailgun does: 200 `{"id": "<…@domain>", "message": "Queued. Thank you."}`; 401 with the bare body
`Forbidden` for a wrong key; 404 `{"message": "Domain not found: <domain>"}` for a domain it does not serve; 400
`{"message": "'to' parameter is missing"}` without a recipient. Accepted messages are kept in `.sent` (the form's
fields, lists where a field repeats), so tests can check what the API was given.

`stand_in = MailgunStandIn.started(domain="mg.acme.example", api_key="key-123")`; point a mailbox's base URL (or
MAILGUN_BASE_URL) at `stand_in.base_url`; `stand_in.stop()`.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import re
import threading
import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

MESSAGES_PATH = re.compile(r"^/v3/(?P<domain>[^/]+)/messages$")


class MailgunStandIn:
    def __init__(self, server: HTTPServer, *, domain: str, api_key: str) -> None:
        self.server = server
        self.domain = domain
        self.api_key = api_key
        self.sent: list[dict[str, str | list[str]]] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)
        # Seconds to wait before answering a send (longer than the client's timeout: no answer comes back).
        self.delay = 0.0
        server.expect_request(MESSAGES_PATH, method="POST").respond_with_handler(self._messages)

    @classmethod
    def started(cls, *, domain: str, api_key: str) -> MailgunStandIn:
        # "localhost", which tests may allow through leadflow/http.py's guard (127.0.0.1 stays refused).
        server = HTTPServer(host="localhost", port=0)
        server.start()
        return cls(server, domain=domain, api_key=api_key)

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def base_url(self) -> str:
        """What a mailbox's API base URL (or MAILGUN_BASE_URL) is set to: http://localhost:<port>/v3."""
        return self.server.url_for("/v3")

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"api:{self.api_key}".encode()).decode()
        return hmac.compare_digest(header.encode(), expected.encode())

    def _messages(self, request: Request) -> Response:
        time.sleep(self.delay)
        if not self._authorised(request):
            return Response("Forbidden", status=401, content_type="text/plain")
        domain = MESSAGES_PATH.match(request.path)["domain"]
        if domain != self.domain:
            return _json({"message": f"Domain not found: {domain}"}, 404)
        form = {key: values if len(values) > 1 else values[0] for key, values in request.form.lists()}
        if not form.get("to"):
            return _json({"message": "'to' parameter is missing"}, 400)
        if not form.get("from"):
            return _json({"message": "'from' parameter is missing"}, 400)
        message_id = f"20261203035500.{next(self._ids)}.0@{domain}"
        with self.lock:
            self.sent.append({**form, "id": message_id})
        return _json({"id": f"<{message_id}>", "message": "Queued. Thank you."}, 200)


def _json(body: dict, status: int) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")
