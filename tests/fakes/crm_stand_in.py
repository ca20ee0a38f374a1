"""What the CRM stand-ins (hubspot_server.py, pipedrive_server.py) share: a local pytest-httpserver answering every
path through one handler, failures queued for the next requests to a path, and a log of what was asked."""

from __future__ import annotations

import json
import re
import threading
import time

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json; charset=utf-8")


class CrmStandIn:
    """A CRM's API on a local server, holding its people in memory."""

    def __init__(self, server: HTTPServer):
        self.server = server
        self._failures: list[tuple[str, Response]] = []
        self._lock = threading.Lock()
        self.delay = 0.0  # seconds before each answer: a slow CRM, so that a worker can be killed mid-sync
        server.expect_request(re.compile(r"^/.*$")).respond_with_handler(self._handle_locked)

    @classmethod
    def started(cls, **kwargs):
        server = HTTPServer(host="localhost", port=0)
        server.start()
        return cls(server, **kwargs)

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def fails(self, path_prefix: str, response: Response, *, times: int = 1) -> None:
        """The next `times` requests whose path starts with `path_prefix` get this answer instead."""
        for _ in range(times):
            self._failures.append((path_prefix, response))

    def requests(self, path: str | None = None, method: str | None = None) -> list[Request]:
        return [
            request
            for request, _ in self.server.log
            if (path is None or request.path == path) and (method is None or request.method == method)
        ]

    def _handle_locked(self, request: Request) -> Response:
        if self.delay:  # tests that record time.sleep (the `slept` fixture) see only the client's own waits
            time.sleep(self.delay)
        with self._lock:
            for index, (prefix, response) in enumerate(self._failures):
                if request.path.startswith(prefix):
                    del self._failures[index]
                    return response
            return self.handle(request)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError
