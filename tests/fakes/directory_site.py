"""A local trades directory: http://localhost:PORT/plumbers/leeds/ serves
tests/data/directory/plumbers/leeds/index.html, /plumbers/leeds/page-2/ serves page-2.html, and so on. What it holds:

- /plumbers/leeds/: three listing pages (div.listing items) linked by "a.next", the last one linking back to the first
- /plumbers/all-leeds/: three generated listing pages of LONG_PAGE_LISTINGS each (0113 496 0000 onwards): a capture
  longer than the first rows an import is made from, so its import runs while the last page is fetched
- /plumbers/bradford/: the directory's new layout, where "div.listing" finds nothing
- /plumbers/york/: a page whose listings a script served from the same site draws (only a browser sees them)
- /private/: disallowed by /robots.txt
- /moved/ redirects to http://127.0.0.1:PORT/plumbers/leeds/ (a private address the guard must refuse)
- /huge/ streams 20 MB with no Content-Length; /down/ answers 503; /slow/ answers only after the client gave up

Served as "localhost", the one host name tests allow to resolve to loopback (HTTP_ALLOW_PRIVATE_HOSTS).
"""

from __future__ import annotations

import threading
from pathlib import Path

from werkzeug import Request, Response

from tests.fakes.local_site import LocalSite, huge_page

DIRECTORY_DIR = Path(__file__).resolve().parent.parent / "data" / "directory"
LONG_PAGES, LONG_PAGE_LISTINGS = 3, 300
LONG_LISTINGS = LONG_PAGES * LONG_PAGE_LISTINGS


class DirectorySite(LocalSite):
    """The server: start(), url(path), requested_paths(), stop()."""

    def __init__(self, root: Path = DIRECTORY_DIR):
        super().__init__(root)
        # /slow/ holds its answer until this is set (at stop), so no test waits on a sleeping server.
        self._release_slow = threading.Event()

    def stop(self) -> None:
        self._release_slow.set()
        super().stop()

    def _special(self, request: Request) -> Response | None:
        path = request.path
        if path == "/moved/":
            return Response(status=302, headers={"Location": f"http://127.0.0.1:{self.port}/plumbers/leeds/"})
        if path == "/huge/":
            chunk = b'<div class="listing">' + b"x" * (64 * 1024 - 27) + b"</div>"
            page = huge_page(b"<html><body>", chunk)
            return Response(page, content_type="text/html; charset=utf-8", direct_passthrough=True)
        if path == "/down/":
            return Response("Down for maintenance", status=503, content_type="text/plain")
        if path.startswith("/plumbers/all-leeds/"):
            return self._long_listing_page(path)
        if path == "/slow/":
            self._release_slow.wait(timeout=30)
            return Response("<html><body>Too late</body></html>", content_type="text/html")
        return None

    @staticmethod
    def _long_listing_page(path: str) -> Response:
        page = int(path.rstrip("/").rpartition("page-")[2]) if "/page-" in path else 1
        first = (page - 1) * LONG_PAGE_LISTINGS
        listings = "".join(
            f'<div class="listing"><h2>Leeds Plumber {n}</h2><span class="tel">0113 496 {n:04d}</span></div>'
            for n in range(first, first + LONG_PAGE_LISTINGS)
        )
        following = f'<a class="next" href="/plumbers/all-leeds/page-{page + 1}/">Next</a>' if page < LONG_PAGES else ""
        html = f"<!doctype html><html><body><main>{listings}<nav>{following}</nav></main></body></html>"
        return Response(html, content_type="text/html; charset=utf-8")
