"""Writing a message on a lead's page: generate a draft, see a check hold approval back, edit it, approve it."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import CompanyFactory, LeadFactory

pytestmark = pytest.mark.browser


def test_a_rep_generates_edits_and_approves_a_draft(page: Page, log_in, rep_alice):
    company = CompanyFactory(name="Acme Logistics", industry="Logistics")
    lead = LeadFactory(first_name="Priya", last_name="Shah", title="Head of Operations", company=company,
                       owner=rep_alice)  # fmt: skip
    log_in(rep_alice)
    page.goto(f"/leads/{lead.pk}/")
    panel = page.locator("#lead-drafts")
    panel.get_by_label("Channel").select_option("email")
    panel.get_by_label("Tone").select_option("formal")
    panel.get_by_role("button", name="Write a draft").click()

    draft = panel.locator("article.draft").first
    expect(draft).to_contain_text("Priya")
    expect(draft).to_contain_text("All checks pass.")

    draft.get_by_role("link", name="Edit").click()
    body = panel.get_by_label("Body")
    body.fill(body.input_value() + "\nAct now: we worked with Initech.")
    panel.get_by_role("button", name="Save draft").click()
    expect(draft.locator(".draft-findings")).to_contain_text("Spam-trigger phrase 'act now'")
    expect(draft.locator(".draft-findings")).to_contain_text("Initech")
    draft.get_by_role("button", name="Approve").click()
    expect(panel.locator("#drafts-error")).to_contain_text("Fix what the checks found")
    expect(draft.locator(".draft-status")).to_have_text("Draft")

    draft.get_by_role("link", name="Edit").click()
    body = panel.get_by_label("Body")
    body.fill(body.input_value().replace("\nAct now: we worked with Initech.", ""))
    panel.get_by_role("button", name="Save draft").click()
    expect(draft).to_contain_text("All checks pass.")
    draft.get_by_role("button", name="Approve").click()
    expect(draft.locator(".draft-status")).to_have_text("Approved")
    expect(draft).to_contain_text("approved by Alice Example")
