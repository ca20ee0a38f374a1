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
    expect(page.locator("#timeline li.activity").first).to_contain_text(
        "Updated job title: Buyer → Head of Procurement; location: Porto → Lisbon"
    )
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
    expect(page.locator("#lead-controls")).to_contain_text("Owner Alice Example")  # as text: not hers to reassign
    expect(page.get_by_role("button", name="Claim")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.owner == rep_alice


def test_an_inline_edit_error_shows_next_to_its_field_with_what_was_typed(page: Page, log_in, rep_alice):
    lead = LeadFactory(first_name="Odalys", last_name="Ferreira", phone="", owner=rep_alice)
    log_in(rep_alice)
    _open_lead_from_table(page, "Odalys Ferreira")
    facts = page.locator("#facts")
    facts.get_by_role("link", name="Edit").click()
    facts.get_by_label("Phone").fill("abc")
    facts.get_by_role("button", name="Save").click()

    phone_field = facts.locator(".field.has-error", has=page.get_by_label("Phone"))
    expect(phone_field.locator(".errorlist")).to_be_visible()
    expect(facts.get_by_label("Phone")).to_have_value("abc")
    expect(facts.get_by_role("heading", name="Facts")).to_be_visible()  # the panel as it was, not a bare form
    assert page.evaluate("window.sameDocument") is True
    lead.refresh_from_db()
    assert lead.phone == ""


def test_an_invalid_task_shows_its_error_and_keeps_what_was_typed(page: Page, log_in, rep_alice):
    lead = LeadFactory(first_name="Odalys", last_name="Ferreira", owner=rep_alice)
    log_in(rep_alice)
    _open_lead_from_table(page, "Odalys Ferreira")
    page.get_by_text("Add a task").click()
    page.get_by_label("Title").fill("   ")  # passes the browser's own check, not ours
    page.get_by_label("Due").fill("2030-01-02T10:00")
    page.get_by_role("button", name="Add task").click()

    task_form = page.locator("#work form", has=page.get_by_role("button", name="Add task"))
    expect(task_form.locator(".errorlist")).to_contain_text("This field is required.")
    expect(page.get_by_label("Due")).to_have_value("2030-01-02T10:00")
    assert page.evaluate("window.sameDocument") is True
    assert not lead.tasks.exists()


def test_a_save_made_in_a_tab_opened_before_another_tabs_save_is_refused(page: Page, log_in, rep_alice):
    lead = LeadFactory(first_name="Odalys", last_name="Ferreira", title="Buyer", location="Porto", owner=rep_alice)
    log_in(rep_alice)
    url = f"/leads/{lead.pk}/"
    tab_a = page
    tab_b = page.context.new_page()
    tab_a.goto(url)
    tab_b.goto(url)
    tab_b.locator("#facts").get_by_role("link", name="Edit").click()  # B starts editing first
    expect(tab_b.locator("#facts").get_by_label("Job title")).to_have_value("Buyer")

    facts_a = tab_a.locator("#facts")
    facts_a.get_by_role("link", name="Edit").click()
    facts_a.get_by_label("Location").fill("Lisbon")
    facts_a.get_by_role("button", name="Save").click()
    expect(_fact(tab_a, "Location")).to_have_text("Lisbon")

    facts_b = tab_b.locator("#facts")
    facts_b.get_by_label("Job title").fill("Head of Procurement")
    facts_b.get_by_role("button", name="Save").click()
    expect(facts_b).to_contain_text(re.compile(r"Changed by Alice Example at \d+ \w+, \d\d:\d\d"))
    expect(facts_b.get_by_label("Job title")).to_have_value("Head of Procurement")  # nothing typed is lost
    expect(facts_b.get_by_label("Location")).to_have_value("Lisbon")  # nor A's change, which B left alone
    lead.refresh_from_db()
    assert (lead.title, lead.location) == ("Buyer", "Lisbon")

    # B's stage select was drawn before A's save too: changing it is refused the same way.
    tab_b.get_by_label("Stage").select_option("Contacted")
    expect(tab_b.locator("#messages")).to_contain_text("Stage not changed. Changed by Alice Example at")
    lead.refresh_from_db()
    assert (lead.stage.name, lead.location) == ("New", "Lisbon")

    # A's own page keeps working after its save: its stage select carries the new version.
    tab_a.get_by_label("Stage").select_option("Contacted")
    expect(tab_a.get_by_label("Stage").locator("option:checked")).to_have_text("Contacted")
    lead.refresh_from_db()
    assert lead.stage.name == "Contacted"
