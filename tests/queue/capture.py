"""A capture run of the local trades directory (tests/fakes/directory_site.py), made and not yet queued."""

from __future__ import annotations

from crm.models import User
from scraping.models import Campaign, ScrapeRun, Source
from scraping.runs import scrape_run_start
from tests.fakes.directory_site import DirectorySite

CAPTURED = 7  # the listings of the directory site's three Leeds pages, each a lead tagged "directory-leeds"


def capture_run_queued(site: DirectorySite, actor: User, *, start_path: str = "plumbers/leeds/") -> ScrapeRun:
    """A run of the directory's Leeds pages (CAPTURED leads), or of those at `start_path`; its leads are tagged
    "directory-leeds" either way."""
    campaign = Campaign.objects.create(
        name="Plumbers in Leeds",
        source=Source.objects.create(kind="website", name="Directories"),
        source_tag="directory-leeds",
        target={
            "start_urls": [site.url(start_path)],
            "item": "div.listing",
            "region": "GB",
            "fields": {"company": "h2", "phone": ".tel"},
            "next_page": "a.next@href",
        },
        created_by=actor,
    )
    return scrape_run_start(campaign=campaign, actor=actor, queue=False)
