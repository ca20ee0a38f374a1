"""Money in the site currency and times in each person's own zone, set through the pages people use."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LeadFactory, TaskFactory, default_stage

pytestmark = pytest.mark.browser


def test_an_admin_picks_the_currency_and_the_dashboard_follows(page: Page, log_in, admin_ada):
    LeadFactory(stage=default_stage(0), deal_value=Decimal("12500"))
    log_in(admin_ada)
    pipeline = page.locator("table").filter(has_text="Deal value")
    expect(pipeline.get_by_role("cell", name="$12,500")).to_be_visible()

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="General").click()
    page.get_by_label("Currency").select_option("EUR")
    page.get_by_role("button", name="Save money and time").click()
    expect(page.get_by_text("Saved. Deal values now read like €12,500.")).to_be_visible()

    page.get_by_role("link", name="Dashboard").click()
    expect(pipeline.get_by_role("cell", name="€12,500")).to_be_visible()


def test_a_rep_chooses_kolkata_and_sees_task_times_there(page: Page, log_in, rep_alice):
    lead = LeadFactory(owner=rep_alice)
    TaskFactory(lead=lead, assignee=rep_alice, title="Call Noor", due_at=datetime(2030, 1, 15, 12, 0, tzinfo=UTC))
    log_in(rep_alice)
    page.get_by_role("link", name="My tasks").click()
    task = page.locator("li.task").filter(has_text="Call Noor")
    expect(task).to_contain_text("due Tue 15 Jan, 12:00")
    expect(page.locator("#time-zone-note")).to_contain_text("Times in UTC (UTC)")

    page.get_by_role("link", name="Alice Example").click()
    page.get_by_label("My time zone").select_option("Asia/Kolkata")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#time-zone-note")).to_contain_text("Times in Asia/Kolkata (IST)")

    page.get_by_role("link", name="My tasks").click()
    expect(task).to_contain_text("due Tue 15 Jan, 17:30")
    expect(page.locator("#time-zone-note")).to_contain_text("Times in Asia/Kolkata (IST)")
