"""Bulk actions on the leads table: add the selected leads to a list, delete after confirming."""

import pytest
from playwright.sync_api import Dialog, Page, expect

from crm.models import Lead, ListMembership
from tests.factories import LeadFactory, LeadListFactory, default_stage

pytestmark = pytest.mark.browser


def test_it_adds_selected_leads_to_a_list_then_deletes_one(page: Page, log_in, manager_mia):
    hedda = LeadFactory(first_name="Hedda", last_name="Lindqvist")
    yusuf = LeadFactory(first_name="Yusuf", last_name="Demir")
    LeadFactory(first_name="Paloma", last_name="Reyes")
    LeadListFactory(name="Trade fair 2025")
    log_in(manager_mia)
    page.get_by_role("link", name="Leads", exact=True).click()
    table = page.locator("#lead-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    page.evaluate("window.sameDocument = true")

    table.get_by_label("Select Hedda Lindqvist").check()
    table.get_by_label("Select Yusuf Demir").check()
    table.get_by_role("combobox", name="Add to list").select_option(label="Trade fair 2025")
    table.get_by_role("button", name="Add to list").click()

    expect(table.locator(".message.success")).to_have_text("Added 2 lead(s) to Trade fair 2025.")
    assert page.evaluate("window.sameDocument") is True
    members = ListMembership.objects.filter(lead_list__name="Trade fair 2025")
    assert sorted(members.values_list("lead_id", flat=True)) == sorted([hedda.pk, yusuf.pk])

    # Deleting asks first; accepting the browser's confirm deletes.
    dialogs: list[str] = []

    def accept(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    table.get_by_label("Select Yusuf Demir").check()
    table.get_by_role("button", name="Delete…").click()

    expect(table.locator(".message.success")).to_have_text("Deleted 1 lead(s).")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody")).not_to_contain_text("Yusuf Demir")
    expect(table.locator(".bulk-bar")).to_contain_text("2 leads")
    assert dialogs == ["Delete the selected leads and their history? This cannot be undone."]
    assert not Lead.objects.filter(pk=yusuf.pk).exists()
    assert Lead.objects.count() == 2

    # The list opens as a filtered table with the one member left.
    page.get_by_role("link", name="Lists").click()
    page.get_by_role("link", name="Trade fair 2025").click()
    expect(page.locator("#lead-table tbody tr")).to_have_count(1)
    expect(page.locator("#lead-table tbody")).to_contain_text("Hedda Lindqvist")


def test_it_keeps_the_leads_when_the_delete_is_not_confirmed(page: Page, log_in, manager_mia):
    LeadFactory(first_name="Hedda", last_name="Lindqvist")
    log_in(manager_mia)
    page.goto("/leads/")
    bulk_posts: list[str] = []
    page.on("request", lambda request: bulk_posts.append(request.url) if request.method == "POST" else None)
    page.on("dialog", lambda dialog: dialog.dismiss())

    page.get_by_label("Select Hedda Lindqvist").check()
    page.get_by_role("button", name="Delete…").click()

    # Nothing was sent, so the table was not swapped and the box is still ticked.
    expect(page.get_by_label("Select Hedda Lindqvist")).to_be_checked()
    assert bulk_posts == []
    assert Lead.objects.count() == 1


def test_a_bulk_move_keeps_the_table_filtered_as_it_was(page: Page, log_in, manager_mia):
    new, contacted = default_stage(0), default_stage(1)
    hedda = LeadFactory(first_name="Hedda", last_name="Lindqvist", stage=new)
    LeadFactory(first_name="Paloma", last_name="Reyes", stage=new)
    LeadFactory(first_name="Yusuf", last_name="Demir", stage=contacted)
    log_in(manager_mia)
    page.get_by_role("link", name="Leads", exact=True).click()
    page.wait_for_load_state()  # htmx has bound the filters (it does once the page's scripts have run)
    page.locator("#lead-filters").get_by_label("Stage").select_option(label="New")
    table = page.locator("#lead-table")
    expect(table.locator("tbody tr")).to_have_count(2)

    table.get_by_label("Select Hedda Lindqvist").check()
    table.get_by_role("combobox", name="Move to stage").select_option(label="Contacted")
    table.get_by_role("button", name="Move", exact=True).click()

    expect(table.locator(".message.success")).to_have_text("Moved 1 lead(s) to Contacted.")
    hedda.refresh_from_db()
    assert hedda.stage == contacted
    # The filter still says "New", so the table shows the leads still in New: Paloma only.
    expect(page.locator("#lead-filters").get_by_label("Stage")).to_have_value(str(new.pk))
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody")).to_contain_text("Paloma Reyes")


def test_removing_leads_from_a_list_keeps_the_page_around_the_table(page: Page, log_in, manager_mia):
    fair = LeadListFactory(name="Trade fair 2025")
    hedda = LeadFactory(first_name="Hedda", last_name="Lindqvist")
    yusuf = LeadFactory(first_name="Yusuf", last_name="Demir")
    for lead in (hedda, yusuf):
        ListMembership.objects.create(lead_list=fair, lead=lead)
    log_in(manager_mia)
    page.goto(f"/leads/?list={fair.pk}")
    table = page.locator("#lead-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    page.evaluate("window.sameDocument = true")

    table.get_by_label("Select Hedda Lindqvist").check()
    table.get_by_role("button", name="Remove from list").click()

    expect(table.locator(".message.success")).to_have_text("Removed 1 lead(s) from Trade fair 2025.")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody")).to_contain_text("Yusuf Demir")
    # The page around the table is still there: navigation, the list's title, the filters.
    expect(page.get_by_role("heading", name="List: Trade fair 2025", level=1)).to_be_visible()
    expect(page.locator("#lead-filters")).to_be_visible()
    expect(page.get_by_role("link", name="Pipeline")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
    assert list(fair.members.all()) == [yusuf]


def test_delete_with_nothing_selected_says_so_without_asking_first(page: Page, log_in, manager_mia):
    LeadFactory(first_name="Hedda", last_name="Lindqvist")
    log_in(manager_mia)
    page.get_by_role("link", name="Leads", exact=True).click()
    table = page.locator("#lead-table")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    table.get_by_role("button", name="Delete…").click()
    expect(table.locator(".message.error")).to_have_text("Select leads first.")
    assert dialogs == []
    expect(table.locator("tbody tr")).to_have_count(1)


def test_select_all_matching_reaches_every_page_of_the_filter(page: Page, log_in, manager_mia, settings):
    settings.LEADS_PAGE_SIZE = 2
    new, contacted = default_stage(0), default_stage(1)
    fair_leads = [
        LeadFactory(first_name="Guest", last_name=f"Fairgoer{index}", source="trade_fair", stage=new)
        for index in range(5)
    ]
    walk_in = LeadFactory(last_name="Walkin", source="manual", stage=new)
    log_in(manager_mia)
    page.get_by_role("link", name="Leads", exact=True).click()
    page.wait_for_load_state()  # htmx has bound the filters (it does once the page's scripts have run)
    page.locator("#lead-filters").get_by_label("Source").select_option(label="Trade fair")
    table = page.locator("#lead-table")
    expect(table.locator(".bulk-bar")).to_contain_text("5 leads")
    expect(table.locator("tbody tr")).to_have_count(2)
    all_matching = table.get_by_label("Select all 5 leads matching this filter")
    expect(all_matching).to_be_hidden()

    # Offered once the page is ticked; unticking one lead takes it back.
    table.get_by_label("Select all on this page").check()
    all_matching.check()
    table.get_by_label("Select Guest Fairgoer4").uncheck()
    expect(all_matching).to_be_hidden()
    expect(all_matching).not_to_be_checked()
    table.get_by_label("Select all on this page").check()
    all_matching.check()
    table.get_by_role("combobox", name="Move to stage").select_option(label="Contacted")
    table.get_by_role("button", name="Move", exact=True).click()

    expect(table.locator(".message.success")).to_have_text("Moved 5 lead(s) to Contacted.")
    assert set(Lead.objects.filter(stage=contacted)) == set(fair_leads)
    walk_in.refresh_from_db()
    assert walk_in.stage == new

    # Deleting them all asks first, naming how many.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    table.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("Page 2 of 3")).to_be_visible()
    table.get_by_label("Select all on this page").check()
    all_matching.check()
    table.get_by_role("button", name="Delete…").click()

    expect(table.locator(".message.success")).to_have_text("Deleted 5 lead(s).")
    assert dialogs == ["Delete all 5 leads matching this filter and their history? This cannot be undone."]
    assert list(Lead.objects.all()) == [walk_in]
    expect(table.locator("tbody")).not_to_contain_text("Fairgoer")


def test_removing_from_a_list_steps_aside_while_all_matching_are_chosen(page: Page, log_in, manager_mia, settings):
    # Removal from a list takes the ticked rows only, so it must not look as if it reached every page.
    settings.LEADS_PAGE_SIZE = 2
    fair = LeadListFactory(name="Trade fair 2025")
    for index in range(3):
        ListMembership.objects.create(lead_list=fair, lead=LeadFactory(first_name="Guest", last_name=f"Fair{index}"))
    log_in(manager_mia)
    page.goto(f"/leads/?list={fair.pk}")
    table = page.locator("#lead-table")
    remove = table.get_by_role("button", name="Remove from list")

    table.get_by_label("Select all on this page").check()
    expect(remove).to_be_visible()
    table.get_by_label("Select all 3 leads matching this filter").check()
    expect(remove).to_be_hidden()
    table.get_by_label("Select Guest Fair2").uncheck()
    expect(remove).to_be_visible()
