"""The lead page: a note lands on the timeline and facts are edited in place, both without a page load."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from crm.models import Activity, Note
from tests.factories import LeadFactory

pytestmark = pytest.mark.browser


def _open_lead_from_table(page: Page, name: str) -> None:
    page.get_by_role("link", name="Leads", exact=True).click()
    page.locator("#lead-table").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    # A marker on the window survives htmx swaps but not a full page load.
    page.evaluate("window.sameDocument = true")


def test_it_adds_a_note_with_tags_to_the_timeline(page: Page, log_in, rep_alice):
    lead = LeadFactory(first_name="Odalys", last_name="Ferreira", owner=rep_alice)
    log_in(rep_alice)
    _open_lead_from_table(page, "Odalys Ferreira")
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))

    page.get_by_label("Note").fill("Asked for a demo after the Lisbon trade fair.")
    page.get_by_label("Tags").fill("demo, trade fair")
    page.get_by_role("button", name="Add note").click()

    timeline = page.locator("#timeline")
    note = timeline.locator("li.activity.kind-note").first
    expect(note).to_contain_text("Asked for a demo after the Lisbon trade fair.")
    expect(note.locator(".tag")).to_have_text(["demo", "trade fair"])
    expect(note).to_contain_text("Alice Example")
    expect(page.get_by_label("Note")).to_have_value("")
    assert page.evaluate("window.sameDocument") is True

    saved = Note.objects.get(lead=lead)
    assert saved.body == "Asked for a demo after the Lisbon trade fair."
    assert sorted(tag.name for tag in saved.tags.all()) == ["demo", "trade fair"]
    assert saved.author == rep_alice


def _fact(page: Page, name: str) -> Locator:
    """The value shown next to a fact's name in the facts panel."""
    return page.locator("#facts dl.facts dt", has_text=name).locator("xpath=following-sibling::dd[1]")


def test_it_edits_facts_in_place(page: Page, log_in, rep_alice):
    lead = LeadFactory(first_name="Odalys", last_name="Ferreira", title="Buyer", location="Porto", owner=rep_alice)
    log_in(rep_alice)
    _open_lead_from_table(page, "Odalys Ferreira")
    facts = page.locator("#facts")

    # Cancel leaves everything as it was.
    facts.get_by_role("link", name="Edit").click()
    expect(facts.get_by_label("Job title")).to_have_value("Buyer")
    facts.get_by_role("link", name="Cancel").click()
    expect(_fact(page, "Location")).to_have_text("Porto")

    facts.get_by_role("link", name="Edit").click()
    facts.get_by_label("Job title").fill("Head of Procurement")
    facts.get_by_label("Location").fill("Lisbon")
    facts.get_by_role("button", name="Save").click()

    expect(facts.get_by_role("button", name="Save")).to_have_count(0)
    expect(_fact(page, "Job title")).to_have_text("Head of Procurement")
    expect(_fact(page, "Location")).to_have_text("Lisbon")
    expect(page.locator("#timeline li.activity").first).to_contain_text("Updated job title, location")
    assert page.evaluate("window.sameDocument") is True

    lead.refresh_from_db()
    assert (lead.title, lead.location) == ("Head of Procurement", "Lisbon")
    assert Activity.objects.filter(lead=lead, kind=Activity.Kind.UPDATED).count() == 1

    page.reload()
    expect(page.locator(".lead-head")).to_contain_text("Head of Procurement at")
    expect(_fact(page, "Job title")).to_have_text("Head of Procurement")


def test_a_rep_claims_an_unassigned_lead(page: Page, log_in, rep_alice):
    lead = LeadFactory(first_name="Una", last_name="Free", owner=None)
    log_in(rep_alice)
    _open_lead_from_table(page, "Una Free")
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#messages")).to_contain_text("Una Free is yours now.")
    expect(page.get_by_label("Owner").locator("option:checked")).to_have_text("Alice Example")
    expect(page.get_by_role("button", name="Claim")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.owner == rep_alice
