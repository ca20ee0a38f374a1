"""A local web server holding several company websites, one under each path: http://localhost:PORT/acme/ serves
tests/data/sites/acme/index.html, /acme/team serves team.html, and so on. A few paths misbehave on purpose:

- /redirecting-co/ redirects to http://127.0.0.1:PORT/acme/ (a private address the guard must refuse)
- /huge-co/ streams a 20 MB page with no Content-Length (the size cap must stop it)
- /missing-co/ answers 404, /down-co/ 503; /robots.txt disallows /private-co/

Served as "localhost", the one host name tests allow to resolve to loopback (HTTP_ALLOW_PRIVATE_HOSTS).
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SITES_DIR = Path(__file__).resolve().parent.parent / "data" / "sites"
HUGE_PAGE_BYTES = 20 * 1024 * 1024
# Extra response headers per path: what a site's server and analytics would set.
SITE_HEADERS: dict[str, list[tuple[str, str]]] = {
    "/acme/": [("Server", "nginx/1.25"), ("Set-Cookie", "_ga=GA1.1.123.456; Path=/")],
    "/shop/": [("Server", "cloudflare"), ("CF-RAY", "8a1b2c3d4e5f-LHR"), ("Set-Cookie", "_shopify_y=abc; Path=/")],
}


def _huge_page():
    yield b"<html><head><title>Huge</title></head><body>"
    chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
    for _ in range(HUGE_PAGE_BYTES // len(chunk)):
        yield chunk


class CompanySites:
    """The server: start(), url(path), requested_paths(), stop()."""

    def __init__(self, root: Path = SITES_DIR):
        self.root = root
        self.server = HTTPServer(host="localhost", port=0, threaded=True)

    def start(self) -> CompanySites:
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

    def _respond(self, request: Request) -> Response:
        path = request.path
        if path == "/redirecting-co/":
            return Response(status=302, headers={"Location": f"http://127.0.0.1:{self.port}/acme/"})
        if path == "/huge-co/":
            return Response(_huge_page(), content_type="text/html; charset=utf-8", direct_passthrough=True)
        if path == "/down-co/":
            return Response("Down for maintenance", status=503, content_type="text/plain")
        file = self._file(path)
        if file is None:
            return Response("Not found", status=404, content_type="text/plain")
        body = file.read_bytes().replace(b"{PORT}", str(self.port).encode())
        content_type = mimetypes.guess_type(file.name)[0] or "text/plain"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        response = Response(body, content_type=content_type)
        for name, value in SITE_HEADERS.get(path, []):
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
