"""A local web server holding several company websites, one under each path: http://localhost:PORT/acme/ serves
tests/data/sites/acme/index.html, /acme/team serves team.html, and so on. A few paths misbehave on purpose:

- /redirecting-co/ redirects to http://127.0.0.1:PORT/acme/ (a private address the guard must refuse)
- /huge-co/ streams a 20 MB page with no Content-Length (the size cap must stop it)
- /missing-co/ answers 404, /down-co/ 503; /robots.txt disallows /private-co/

Served as "localhost", the one host name tests allow to resolve to loopback (HTTP_ALLOW_PRIVATE_HOSTS).
"""

from __future__ import annotations

from pathlib import Path

from werkzeug import Request, Response

from tests.fakes.local_site import LocalSite, huge_page

SITES_DIR = Path(__file__).resolve().parent.parent / "data" / "sites"
# Extra response headers per path: what a site's server and analytics would set.
SITE_HEADERS: dict[str, list[tuple[str, str]]] = {
    "/acme/": [("Server", "nginx/1.25"), ("Set-Cookie", "_ga=GA1.1.123.456; Path=/")],
    "/shop/": [("Server", "cloudflare"), ("CF-RAY", "8a1b2c3d4e5f-LHR"), ("Set-Cookie", "_shopify_y=abc; Path=/")],
}


class CompanySites(LocalSite):
    """The server: start(), url(path), requested_paths(), stop()."""

    def __init__(self, root: Path = SITES_DIR):
        super().__init__(root)

    def _headers(self, path: str) -> list[tuple[str, str]]:
        return SITE_HEADERS.get(path, [])

    def _special(self, request: Request) -> Response | None:
        path = request.path
        if path == "/redirecting-co/":
            return Response(status=302, headers={"Location": f"http://127.0.0.1:{self.port}/acme/"})
        if path == "/huge-co/":
            chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>"
            page = huge_page(b"<html><head><title>Huge</title></head><body>", chunk)
            return Response(page, content_type="text/html; charset=utf-8", direct_passthrough=True)
        if path == "/down-co/":
            return Response("Down for maintenance", status=503, content_type="text/plain")
        return None
