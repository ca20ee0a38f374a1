"""Pages that draw themselves with JavaScript, rendered in Chromium through Playwright's sync API.

The browser must not become a way around leadflow/http.py's guard, so it has no network of its own: every request
the page makes is intercepted (`page.route`) and either refused or fetched through the guarded session, which checks
the host's addresses at connect time (no DNS rebinding, since the browser never resolves the name itself), caps the
size and times out. Images, fonts, media and stylesheets are refused outright: text extraction needs none of them.
WebSockets are never connected and service workers (which requests could bypass the route through) are blocked.

Playwright's sync API cannot run inside an asyncio loop: call it from a worker thread or a plain process.
"""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import urlsplit

import requests
from django.conf import settings

from leadflow.http import BlockedAddress, ResponseTooLarge, checked_addresses, http_session

logger = logging.getLogger(__name__)

# Debian's Chromium, headless, with nothing of its own reaching the network (also what the browser tests use).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Longest wait for one page to load, in milliseconds; then for its scripts' requests to settle.
RENDER_TIMEOUT_MS = 15_000
SETTLE_TIMEOUT_MS = 3_000
SKIPPED_RESOURCES = frozenset({"image", "media", "font", "stylesheet"})
# Headers that described the body as it was on the wire: requests has already decoded and measured it.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


class RenderFailed(Exception):
    """The page could not be rendered (no browser, a crash, a timeout)."""


class PageRenderer:
    """A headless Chromium started on first use and closed on exit; `render(url)` gives the page's HTML after its
    scripts ran. Use it as a context manager."""

    def __init__(self, *, timeout_ms: int = RENDER_TIMEOUT_MS):
        self.timeout_ms = timeout_ms
        self.refused: list[str] = []  # URLs the page asked for that the guard refused (for logs and tests)
        self._playwright = None
        self._browser = None
        self._session = None

    def __enter__(self) -> PageRenderer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=settings.CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
        )
        self._session = http_session()

    def close(self) -> None:
        """Close the browser and Playwright, whatever state they are in."""
        for closer in (
            self._browser and self._browser.close,
            self._playwright and self._playwright.stop,
            self._session and self._session.close,
        ):
            if closer:
                try:
                    closer()
                except Exception:  # closing a crashed browser may fail in any way; the rest must still close
                    logger.info("closing the renderer failed", exc_info=True)
        self._browser = self._playwright = self._session = None

    def _refuse(self, route, url: str) -> None:
        self.refused.append(url)
        route.abort("blockedbyclient")

    def _guarded_fetch(self, route, request) -> None:
        """Fulfil one request of the page through the guarded session, or refuse it."""
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or request.resource_type in SKIPPED_RESOURCES:
            route.abort("blockedbyclient")
            return
        try:
            # Checked here as well so that a refused host fails fast without a connection attempt.
            checked_addresses(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
            headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "cookie")}
            response = self._session.request(
                request.method, request.url, headers=headers, data=request.post_data_buffer
            )
        except (BlockedAddress, ResponseTooLarge, OSError, requests.RequestException):
            self._refuse(route, request.url)
            return
        headers = {k: v for k, v in response.headers.items() if k.lower() not in _WIRE_HEADERS}
        route.fulfill(status=response.status_code, headers=headers, body=response.content)

    def render(self, url: str) -> str:
        """The HTML of `url` once its scripts ran (and its requests settled, or SETTLE_TIMEOUT_MS passed)."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            if self._browser is None:
                self._start()
            context = self._browser.new_context(service_workers="block", java_script_enabled=True)
            try:
                page = context.new_page()
                page.route("**/*", self._guarded_fetch)
                page.route_web_socket("**/*", lambda socket: socket.close())
                page.goto(url, timeout=self.timeout_ms, wait_until="load")
                # A page that keeps polling never settles: it is read as it stands.
                with contextlib.suppress(PlaywrightError):
                    page.wait_for_load_state("networkidle", timeout=SETTLE_TIMEOUT_MS)
                return page.content()
            finally:
                context.close()
        except PlaywrightError as error:
            raise RenderFailed(f"rendering {url} failed: {error.message.splitlines()[0]}") from error
