"""A local trades directory: http://localhost:PORT/plumbers/leeds/ serves
tests/data/directory/plumbers/leeds/index.html, /plumbers/leeds/page-2/ serves page-2.html, and so on. What it holds:

- /plumbers/leeds/: three listing pages (div.listing items) linked by "a.next", the last one linking back to the first
- /plumbers/bradford/: the directory's new layout, where "div.listing" finds nothing
- /plumbers/york/: a page whose listings a script served from the same site draws (only a browser sees them)
- /private/: disallowed by /robots.txt
- /moved/ redirects to http://127.0.0.1:PORT/plumbers/leeds/ (a private address the guard must refuse)
- /huge/ streams 20 MB with no Content-Length; /down/ answers 503; /slow/ answers only after the client gave up

Served as "localhost", the one host name tests allow to resolve to loopback (HTTP_ALLOW_PRIVATE_HOSTS).
"""

from __future__ import annotations

import mimetypes
import re
import threading
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

DIRECTORY_DIR = Path(__file__).resolve().parent.parent / "data" / "directory"
HUGE_PAGE_BYTES = 20 * 1024 * 1024


def _huge_page():
    yield b"<html><body>"
    chunk = b'<div class="listing">' + b"x" * (64 * 1024 - 27) + b"</div>"
    for _ in range(HUGE_PAGE_BYTES // len(chunk)):
        yield chunk


class DirectorySite:
    """The server: start(), url(path), requested_paths(), stop()."""

    def __init__(self, root: Path = DIRECTORY_DIR):
        self.root = root
        self.server = HTTPServer(host="localhost", port=0, threaded=True)
        # /slow/ holds its answer until this is set (at stop), so no test waits on a sleeping server.
        self._release_slow = threading.Event()

    def start(self) -> DirectorySite:
        self.server.start()
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._respond)
        return self

    def stop(self) -> None:
        self._release_slow.set()
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

    def _respond(self, request: Request) -> Response:
        path = request.path
        if path == "/moved/":
            return Response(status=302, headers={"Location": f"http://127.0.0.1:{self.port}/plumbers/leeds/"})
        if path == "/huge/":
            return Response(_huge_page(), content_type="text/html; charset=utf-8", direct_passthrough=True)
        if path == "/down/":
            return Response("Down for maintenance", status=503, content_type="text/plain")
        if path == "/slow/":
            self._release_slow.wait(timeout=30)
            return Response("<html><body>Too late</body></html>", content_type="text/html")
        file = self._file(path)
        if file is None:
            return Response("Not found", status=404, content_type="text/plain")
        content_type = mimetypes.guess_type(file.name)[0] or "text/plain"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        return Response(file.read_bytes(), content_type=content_type)

    def _file(self, path: str) -> Path | None:
        """/plumbers/leeds/ -> plumbers/leeds/index.html, /plumbers/leeds/page-2/ -> plumbers/leeds/page-2.html."""
        relative = path.strip("/")
        candidates = [f"{relative}/index.html", f"{relative}.html", relative] if relative else []
        for candidate in candidates:
            file = (self.root / candidate).resolve()
            if file.is_file() and self.root in file.parents:
                return file
        return None
