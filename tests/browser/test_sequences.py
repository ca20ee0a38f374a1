"""A manager builds a two-step sequence in the builder, starts it, enrolls a list, a scheduler tick runs, and the
messages and the funnel show on the sequence's page and the lead's."""

import datetime

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from crm.models import LeadList
from outreach.models import WEEKDAYS, Mailbox, Message
from tests.factories import CompanyFactory, LeadFactory

pytestmark = pytest.mark.browser


def test_a_manager_builds_a_sequence_enrolls_a_list_and_sees_the_tick(page: Page, log_in, manager_mia):
    acme = CompanyFactory(name="Acme Logistics")
    priya = LeadFactory(first_name="Priya", last_name="Shah", company=acme)
    lead_list = LeadList.objects.create(name="Trade fair")
    lead_list.members.add(
        priya, LeadFactory(first_name="Tom", company=acme), LeadFactory(first_name="Noemail", email="")
    )
    # A console mailbox (printed, never sent) with the postal address bulk mail needs, sending at any hour.
    Mailbox.objects.create(name="Mia", address="mia@sales.example", transport=Mailbox.Transport.CONSOLE,
                           postal_address="1 Harbour Road, Lisbon", window_days=list(WEEKDAYS),
                           window_start=datetime.time(0, 0), window_end=datetime.time(23, 59))  # fmt: skip
    log_in(manager_mia)

    page.get_by_role("link", name="Sequences").click()
    expect(page.locator("#ready-sequences")).to_contain_text("Cold intro (3 steps)")
    page.get_by_role("link", name="New sequence").click()
    page.get_by_label("Name", exact=True).fill("Trade fair follow-up")
    page.get_by_label("Mailbox").select_option(label="Mia <mia@sales.example>")
    # Any day, any hour: the tick below must find the leads inside the window whenever the test runs.
    for day in ("Sat", "Sun"):
        page.get_by_label(day).check()
    page.get_by_label("From", exact=True).fill("00:00")
    page.get_by_label("To", exact=True).fill("23:59")
    page.get_by_label("Step 1 subject A").fill("Good to meet you, {{ first_name }}")
    page.get_by_label("Step 1 body A").fill("Hi {{ first_name }}, thanks for visiting us.")
    page.get_by_role("button", name="Add a step").click()
    page.get_by_label("Step 2 delay (days)").fill("3")
    page.get_by_label("Step 2 subject A").fill("Any thoughts, {{ first_name }}?")
    page.get_by_label("Step 2 body A").fill("Following up on {{ company }}.")
    page.get_by_role("button", name="Save sequence").click()
    expect(page.get_by_role("heading", name="Trade fair follow-up", level=1)).to_be_visible()
    expect(page.locator("#sequence-status")).to_have_text("Draft")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Start sequence").click()
    expect(page.locator("#sequence-status")).to_have_text("Active")

    page.get_by_role("link", name="Enroll leads…").click()
    page.get_by_label("List").select_option(label="Trade fair")
    page.get_by_role("button", name="Enroll").click()
    result = page.locator("#enroll-result")
    expect(result).to_contain_text("Enrolled 2 leads in Trade fair follow-up")
    expect(result).to_contain_text("1 no email address")

    call_command("run_sequences", "--once")
    assert Message.objects.filter(status=Message.Status.SENT).count() == 2

    result.get_by_role("link", name="Open Trade fair follow-up").click()
    funnel = page.locator("#funnel tbody tr")
    expect(funnel.nth(0).locator("[data-column=sent]")).to_have_text("2")
    expect(funnel.nth(1).locator("[data-column=sent]")).to_have_text("0")
    expect(page.locator("#enrollments")).to_contain_text("Priya Shah")

    page.goto(f"/leads/{priya.pk}/")
    panel = page.locator("#lead-sequences")
    expect(panel).to_contain_text("Trade fair follow-up: Active, step 2 due")
    panel.get_by_role("link", name="Good to meet you, Priya").click()
    expect(page.locator("#message-status")).to_have_text("Sent")
    expect(page.locator("#message-body")).to_have_text("Hi Priya, thanks for visiting us.")
