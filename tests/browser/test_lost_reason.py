"""Choosing a lost stage on the lead page asks why before the move is saved."""

import pytest
from playwright.sync_api import Page, expect

from crm.models import StageChange
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.browser


def test_the_lead_page_asks_why_before_moving_to_lost(page: Page, log_in, rep_alice):
    lead = LeadFactory(first_name="Dagny", last_name="Haugen", owner=rep_alice, stage=default_stage(5))
    log_in(rep_alice)
    page.goto(f"/leads/{lead.pk}/")
    page.wait_for_load_state("load")  # deferred scripts have run
    reason = page.get_by_label("Why was it lost?")
    expect(reason).to_be_hidden()

    page.get_by_label("Stage").select_option("Lost")
    # Picking Lost does not submit: the reason field appears and takes the focus.
    expect(reason).to_be_focused()
    reason.fill("Went quiet after the proposal")
    page.get_by_role("button", name="Move", exact=True).click()

    expect(page.locator("#timeline")).to_contain_text("Moved from Negotiation to Lost: Went quiet after the proposal")
    assert StageChange.objects.get(lead=lead, to_stage=default_stage(7)).lost_reason == "Went quiet after the proposal"

    # Another stage is saved at once, with no reason asked.
    page.get_by_label("Stage").select_option("Won")
    expect(page.locator("#timeline")).to_contain_text("Moved from Lost to Won")
