"""A local web server that serves a folder of HTML files as sites, one under each path: /acme/ serves acme/index.html,
/acme/team serves acme/team.html (or team/index.html). Served as "localhost", the one host name tests allow to resolve
to loopback (HTTP_ALLOW_PRIVATE_HOSTS). Subclasses add the paths that misbehave on purpose (`_special`)."""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Iterator
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

HUGE_PAGE_BYTES = 20 * 1024 * 1024


def huge_page(head: bytes, chunk: bytes) -> Iterator[bytes]:
    """A 20 MB HTML page, streamed with no Content-Length: only a size cap that counts as it reads stops it."""
    yield head
    for _ in range(HUGE_PAGE_BYTES // len(chunk)):
        yield chunk


class LocalSite:
    """The server: start(), url(path), requested_paths(), stop()."""

    def __init__(self, root: Path):
        self.root = root
        self.server = HTTPServer(host="localhost", port=0, threaded=True)
        self.delay = 0.0  # seconds before each answer: a slow site, so that a worker can be killed mid-fetch

    def start(self):
        self.server.start()
        self.server.no_handler_status_code = 404
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._respond)
        return self

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def port(self) -> int:
        return self.server.port

    def url(self, path: str = "") -> str:
        """http://localhost:PORT/<path>"""
        return self.server.url_for("/" + path.lstrip("/"))

    def requested_paths(self) -> list[str]:
        return [request.path for request, _ in self.server.log]

    def _special(self, request: Request) -> Response | None:
        """The answer of a path that misbehaves on purpose, or None for a file."""
        return None

    def _headers(self, path: str) -> list[tuple[str, str]]:
        """Extra response headers for a file's path."""
        return []

    def _respond(self, request: Request) -> Response:
        if self.delay:  # tests that record time.sleep (the `slept` fixture) see only the client's own waits
            time.sleep(self.delay)
        special = self._special(request)
        if special is not None:
            return special
        file = self._file(request.path)
        if file is None:
            return Response("Not found", status=404, content_type="text/plain")
        # Pages may link back to this server: {PORT} in a file is its port.
        body = file.read_bytes().replace(b"{PORT}", str(self.port).encode())
        content_type = mimetypes.guess_type(file.name)[0] or "text/plain"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        response = Response(body, content_type=content_type)
        for name, value in self._headers(request.path):
            response.headers.add(name, value)
        return response

    def _file(self, path: str) -> Path | None:
        """/acme/ -> acme/index.html, /acme/team -> acme/team.html, /jsonly/app.js -> jsonly/app.js."""
        relative = path.strip("/")
        candidates = [f"{relative}/index.html", f"{relative}.html", relative] if relative else []
        for candidate in candidates:
            file = (self.root / candidate).resolve()
            if file.is_file() and self.root in file.parents:
                return file
        return None
