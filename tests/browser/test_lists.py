"""Lists: a rep changes the lists they own and only uses the others."""

import pytest
from playwright.sync_api import Page, expect

from crm.models import LeadList
from tests.factories import LeadListFactory

pytestmark = pytest.mark.browser


def test_a_rep_renames_their_own_list_and_is_offered_nothing_on_anothers(page: Page, log_in, rep_alice, rep_bob):
    LeadListFactory(name="Alice's booth scans", created_by=rep_alice)
    bobs = LeadListFactory(name="Bob's follow-ups", created_by=rep_bob)
    log_in(rep_bob)

    page.get_by_role("link", name="Lists", exact=True).click()
    alices_row = page.get_by_role("row", name="Alice's booth scans")
    expect(alices_row.locator(".list-owner")).to_have_text("Alice Example")
    expect(alices_row.get_by_role("link", name="Rename")).to_have_count(0)
    expect(alices_row.get_by_role("button", name="Archive")).to_have_count(0)

    bobs_row = page.get_by_role("row", name="Bob's follow-ups")
    expect(bobs_row.locator(".list-owner")).to_have_text("Bob Example")
    bobs_row.get_by_role("link", name="Rename").click()
    page.get_by_label("Name").fill("Bob's Q4 follow-ups")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved list Bob's Q4 follow-ups.")).to_be_visible()

    page.get_by_role("row", name="Bob's Q4 follow-ups").get_by_role("button", name="Archive").click()
    expect(page.get_by_text("Archived list Bob's Q4 follow-ups.")).to_be_visible()
    bobs.refresh_from_db()
    assert (bobs.name, bobs.archived) == ("Bob's Q4 follow-ups", True)
    assert LeadList.objects.get(name="Alice's booth scans").archived is False


def test_a_rep_who_opens_anothers_list_edit_page_is_told_why_not(page: Page, log_in, rep_alice, rep_bob):
    alices = LeadListFactory(name="Alice's booth scans", created_by=rep_alice)
    log_in(rep_bob)

    response = page.goto(f"/lists/{alices.pk}/edit/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot do that")).to_be_visible()
    expect(page.get_by_text("Only the list's owner (Alice Example), managers and admins can change")).to_be_visible()
