"""Analytics in a browser: every registered report opens for a chosen date range with its charts and tables, each
table downloads as a CSV, and the dashboard loads its headline figures."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from analytics.costs import spend_save
from analytics.reports import reports_ordered, site_today
from crm.models import Activity, ImportJob, StageChange
from outreach.models import Message
from scraping.models import Campaign, ScrapeRun, Source
from tests.factories import LeadFactory, MessageFactory, default_stage

pytestmark = pytest.mark.browser


@pytest.fixture
def a_month_of_work(manager_mia, rep_alice):
    """Leads from two sources and a capture campaign over the last weeks, some replied, met and won."""
    campaign = Campaign.objects.create(name="Berlin dentists", source=Source.objects.create(kind="website", name="Web"))
    job = ImportJob.objects.create(original_name="run.csv")
    ScrapeRun.objects.create(campaign=campaign).import_jobs.add(job)
    now = timezone.now()
    for index in range(12):
        added = now - timedelta(days=2 + index * 2)
        lead = LeadFactory(
            source=("Webinar", "LinkedIn", "capture")[index % 3],
            import_job=job if index % 3 == 2 else None,
            lifecycle="lead" if index % 2 else "contact",
            owner=rep_alice if index % 4 == 0 else None,
            score=40 + index * 5,
            created_at=added,
            deal_value=Decimal(1000 + index * 100),
        )
        if index % 2:
            for position in range(1, 1 + index % 7):
                StageChange.objects.create(
                    lead=lead, to_stage=default_stage(position), created_at=added + timedelta(hours=10 * position)
                )
            lead.stage = default_stage(index % 7)
            lead.save()
            MessageFactory(enrollment__lead=lead, status=Message.Status.SENT, sent_at=added + timedelta(hours=1))
            Activity.objects.create(lead=lead, kind=Activity.Kind.EMAIL_SENT, summary="Sent", created_at=added)
            Activity.objects.create(
                lead=lead, kind=Activity.Kind.REPLIED, summary="Replied", created_at=added + timedelta(hours=5)
            )
    last_month = site_today().replace(day=1) - timedelta(days=1)  # wholly inside the last 90 days
    spend_save(actor=manager_mia, month=last_month, amount=Decimal("900"), source="Webinar")
    return campaign


def test_every_report_opens_for_a_date_range_with_charts_tables_and_csv_files(
    page: Page, log_in, manager_mia, a_month_of_work
):
    log_in(manager_mia)
    start, end = site_today() - timedelta(days=40), site_today()
    page.locator("#site-menu").get_by_role("link", name="Analytics", exact=True).click()
    expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible()
    for chosen in reports_ordered():
        page.get_by_role("navigation", name="Reports").get_by_role("link", name=chosen.title, exact=True).click()
        expect(page.get_by_role("heading", name=chosen.title, level=1)).to_be_visible()
        page.get_by_label("Period").select_option("custom")
        page.get_by_label("From").fill(start.isoformat())
        page.get_by_label("To").fill(end.isoformat())
        page.get_by_role("button", name="Show").click()
        expect(page.locator(".scope-line")).to_contain_text(f"{start:%-d %b %Y} – {end:%-d %b %Y}")
        sections = page.locator("section.analytics-table")
        expect(sections.first).to_be_visible()
        expect(page.locator("svg.chart").first).to_be_visible()
        for index in range(sections.count()):
            expect(sections.nth(index).locator("table")).to_be_visible()
        first = sections.first
        with page.expect_download() as download_info:
            first.get_by_role("link", name="Download CSV").click()
        download = download_info.value
        assert download.suggested_filename.startswith(f"{chosen.slug}-")
        assert download.suggested_filename.endswith(f"-{start.isoformat()}-{end.isoformat()}.csv")
        header = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()[0]
        headers_on_page = first.locator("thead th").all_inner_texts()
        assert header.split(",")[0] == headers_on_page[0]


def test_the_funnel_and_sources_show_the_seeded_figures(page: Page, log_in, manager_mia, a_month_of_work):
    log_in(manager_mia)
    page.goto("/analytics/funnel/?preset=90")
    funnel = page.locator("#table-funnel")
    expect(funnel.locator("tbody tr").first.locator("td").nth(1)).to_have_text("12")
    expect(funnel.locator("svg.chart-funnel")).to_be_visible()
    page.goto("/analytics/sources/?preset=90")
    webinar = page.locator("#table-sources").get_by_role("row").filter(has_text="Webinar")
    expect(webinar).to_contain_text("$900")  # last month's spend, entered on Costs
    expect(page.locator("#table-campaigns").get_by_role("row").filter(has_text="Berlin dentists")).to_contain_text("4")


def test_the_dashboard_shows_the_headline_figures_with_their_trends(page: Page, log_in, rep_alice, a_month_of_work):
    log_in(rep_alice)
    panel = page.locator("#headline")
    expect(panel.get_by_role("heading", name="Last 30 days, your leads")).to_be_visible()
    expect(panel.locator("[data-figure=new_leads] .stat-value")).to_have_text("3")
