"""A local stand-in for Hunter's v2 API (https://hunter.io/api-documentation/v2): an HTTP server on localhost that
replays Hunter-shaped answers from tests/fakes/hunter/.

The success bodies (email-finder, email-verifier, domain-search, account) follow the documented example responses
and schemas; the error bodies use Hunter's documented error shape, {"errors": [{"id", "code", "details"}]}, with the
status codes and wording of its error table (401 no valid key, 403 rate limit, 429 usage limit, 451 claimed email).

Used with pytest-httpserver's `httpserver` fixture (`HunterStandIn(httpserver)`), or on its own:
`stand_in = HunterStandIn.started()` ... `stand_in.stop()`.
"""

from __future__ import annotations

import json
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request

BODIES = Path(__file__).resolve().parent / "hunter"


def hunter_body(name: str) -> dict:
    """One of the replayed bodies, by file name without ".json" ("email-finder", "error-401-authentication-failed")."""
    return json.loads((BODIES / f"{name}.json").read_text())


class HunterStandIn:
    """Hunter's endpoints under /v2 on a local server; each answer is told to it before the client asks."""

    def __init__(self, server: HTTPServer):
        self.server = server

    @classmethod
    def started(cls) -> HunterStandIn:
        server = HTTPServer(host="localhost", port=0)
        server.start()
        return cls(server)

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def base_url(self) -> str:
        """What HUNTER_BASE_URL is set to: http://localhost:<port>/v2."""
        return self.server.url_for("/v2")

    def answers(
        self,
        endpoint: str,
        body: str | dict | list,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        once: bool = False,
    ) -> None:
        """Answer GET /v2/<endpoint> with a stored body (by name) or this JSON; `once` answers only the next request
        (the permanent answer, if any, comes after it)."""
        payload = hunter_body(body) if isinstance(body, str) else body
        self.answers_raw(endpoint, json.dumps(payload), status=status, headers=headers, query=query, once=once)

    def answers_raw(
        self,
        endpoint: str,
        text: str,
        *,
        status: int = 200,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        once: bool = False,
    ) -> None:
        """Answer with any text at all (an HTML error page, a truncated body)."""
        expect = self.server.expect_oneshot_request if once else self.server.expect_request
        expect(f"/v2/{endpoint}", method="GET", query_string=query).respond_with_data(
            text, status=status, headers=headers, content_type=content_type
        )

    def requests(self, endpoint: str | None = None) -> list[Request]:
        """The requests the stand-in received, oldest first (only those to /v2/<endpoint> if given)."""
        return [request for request, _ in self.server.log if endpoint is None or request.path == f"/v2/{endpoint}"]
