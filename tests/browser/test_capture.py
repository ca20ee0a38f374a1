"""Capture in the browser: a manager sets up a campaign for a local trades directory, runs it, sees the run finish on
the sources page, and opens a captured lead that says where it came from."""

import pytest
from playwright.sync_api import Page, expect

from leadflow.http import RobotsCache
from scraping.models import Source
from tests.fakes.directory_site import DirectorySite

pytestmark = pytest.mark.browser


@pytest.fixture
def directory(settings, monkeypatch):
    settings.HTTP_ALLOW_PRIVATE_HOSTS = ["localhost"]
    settings.HTTP_RATE_PER_HOST = 0
    monkeypatch.setattr("leadflow.http._robots_cache", RobotsCache())
    site = DirectorySite().start()
    yield site
    site.stop()


def test_a_manager_creates_and_runs_a_campaign_and_finds_where_a_lead_came_from(
    page: Page, log_in, manager_mia, directory
):
    Source.objects.create(kind="website", name="Trades directories")
    log_in(manager_mia)
    page.get_by_role("link", name="Sources", exact=True).click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name").fill("Plumbers in Leeds")
    page.locator("#id_source").select_option(label="Trades directories")
    page.get_by_label("What to fetch").fill(
        f"start_urls: ['{directory.url('plumbers/leeds/')}']\n"
        "item: div.listing\n"
        "fields: {company: h2, phone: .tel, website: a.site@href, location: .addr}\n"
        "next_page: a.next@href\n"
        "max_pages: 5\n"
        "region: GB\n"
    )
    page.get_by_label("Source tag").fill("leeds_directory")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Plumbers in Leeds")).to_be_visible()

    page.get_by_role("button", name="Run now").click()
    expect(page.locator("#run-status")).to_have_text("Done")
    # Eight listings: seven businesses with a phone, and one with neither phone nor person, which the import rejects.
    expect(page.locator("#leads-created")).to_have_text("7")
    expect(page.locator("#leads-rejected")).to_have_text("1")

    page.get_by_role("link", name="All sources").click()
    row = page.locator("#campaigns tr", has_text="Plumbers in Leeds")
    expect(row).to_contain_text("Done")
    expect(row.locator("td.num").first).to_have_text("7")

    page.get_by_role("link", name="Leads", exact=True).click()
    page.locator("#lead-filters").get_by_label("Search").press_sequentially("Aire Valley", delay=20)
    rows = page.locator("#lead-table tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").first.click()
    origin = page.locator("#lead-origin")
    expect(origin).to_contain_text("Captured by Plumbers in Leeds")
    origin.get_by_role("link", name="Plumbers in Leeds").click()
    expect(page.get_by_role("heading", name="Plumbers in Leeds")).to_be_visible()
