"""Browser fixtures: one headless Chromium per test module, a fresh context per test, and signing in by the form."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect, sync_playwright

from crm.models import User
from leadflow.rendering import CHROMIUM_ARGS  # the flags the app's own renderer starts it with

# Playwright's sync API runs an event loop in this thread, so Django thinks the ORM is used from async code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"  # tests.factories.UserFactory
TIMEOUT_MS = 5_000

expect.set_options(timeout=TIMEOUT_MS)


# One per module, not per session: while a sync Playwright is open, its event loop counts as running in this thread,
# and the app's own renderer (leadflow/rendering.py), started by a later test of another folder on the same worker,
# refuses to start inside it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Browser tests need Chromium at {CHROMIUM}: run `make browser` (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    """A new browser tab with its own cookies, pointed at the live server."""
    # The cache's table outlives the flush between live-server tests: no test sees counts another one kept.
    cache.clear()
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    in_flight: set = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    yield page
    _wait_for_answers(page, in_flight)
    context.close()


def _wait_for_answers(page: Page, in_flight: set) -> None:
    """Let the live server finish what the page still asked (an htmx panel loading after the test's last check):
    a request still querying while the test database is flushed deadlocks the flush's TRUNCATE on PostgreSQL."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while in_flight and time.monotonic() < deadline:
        page.wait_for_timeout(25)


@pytest.fixture
def log_in(page: Page) -> Callable[[User], Page]:
    """Sign in through the login form, as a person would, and land on the dashboard."""

    def log_in(user: User) -> Page:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        return page

    return log_in
