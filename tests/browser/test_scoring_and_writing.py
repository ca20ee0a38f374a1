"""Issue 12's round trip in a real browser: a manager sharpens the ideal-customer profile and rescores, opens a lead
to see its score explained and drawn over time, then has a message written from the new pitch, edits and approves
it."""

import pytest
from playwright.sync_api import Page, expect

from crm.rescoring import leads_rescore
from tests.factories import CompanyFactory, LeadFactory

pytestmark = pytest.mark.browser


def test_a_manager_tunes_the_profile_reads_the_score_and_approves_a_message(page: Page, log_in, manager_mia):
    company = CompanyFactory(name="Acme Freight", industry="Logistics")
    lead = LeadFactory(first_name="Priya", last_name="Shah", title="Head of Operations", company=company,
                       owner=manager_mia)  # fmt: skip
    leads_rescore([lead.pk])  # its first score, against a profile that names nothing yet
    log_in(manager_mia)

    page.goto("/settings/scoring/")
    page.get_by_label("Industries").fill("Logistics\nShipping")
    page.get_by_label("Title keywords").fill("operations")
    page.get_by_label("Value proposition").fill("We cut freight quoting from days to minutes")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_role("button", name="Rescore all leads").click()

    page.goto(f"/leads/{lead.pk}/")
    score = page.locator("#lead-score")
    expect(score.locator("table.score-parts")).to_contain_text("Matches industry, title")
    expect(score.locator("table.score-parts")).to_contain_text("Completeness")
    expect(score.locator("svg.score-chart polyline.score-line")).to_have_count(1)  # two scores: a line to draw

    panel = page.locator("#lead-drafts")
    panel.get_by_label("Channel").select_option("email")
    panel.get_by_label("Tone").select_option("direct")
    panel.get_by_role("button", name="Write a draft").click()
    draft = panel.locator("article.draft").first
    expect(draft).to_contain_text("freight quoting")  # grounded in the profile just saved
    draft.get_by_role("link", name="Edit").click()
    body = panel.get_by_label("Body")
    body.fill(body.input_value() + "\nHappy to show you on a short call.")
    panel.get_by_role("button", name="Save draft").click()
    expect(draft).to_contain_text("Happy to show you on a short call.")
    draft.get_by_role("button", name="Approve").click()
    expect(draft.locator(".draft-status")).to_have_text("Approved")
    expect(draft).to_contain_text("approved by Mia")
