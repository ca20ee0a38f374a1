"""The leads table: search and filters update the table in place through htmx."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.browser


def test_it_searches_and_filters_the_table_in_place(page: Page, log_in, manager_mia):
    LeadFactory(first_name="Zephyrine", last_name="Quillfeather", company__name="Aster Metals", stage=default_stage(0))
    LeadFactory(first_name="Bartholomew", last_name="Okafor", company__name="Birch Logistics", stage=default_stage(1))
    LeadFactory(first_name="Mirela", last_name="Vantongeren", company__name="Cobalt Farms", stage=default_stage(1))
    log_in(manager_mia)

    page.get_by_role("link", name="Leads", exact=True).click()
    rows = page.locator("#lead-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#lead-table .bulk-bar")).to_contain_text("3 leads")
    # A marker on the window survives htmx swaps but not a full page load.
    page.evaluate("window.sameDocument = true")

    filters = page.locator("#lead-filters")
    filters.get_by_label("Search").press_sequentially("quillfeather", delay=20)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zephyrine Quillfeather")
    expect(rows.first).to_contain_text("Aster Metals")
    expect(page.locator("#lead-table .bulk-bar")).to_contain_text("1 lead")
    expect(page).to_have_url(re.compile(r"[?&]q=quillfeather"))

    filters.get_by_label("Search").clear()
    expect(rows).to_have_count(3)
    filters.get_by_label("Stage").select_option(label="Contacted")
    expect(rows).to_have_count(2)
    expect(page.locator("#lead-table tbody")).to_contain_text("Bartholomew Okafor")
    expect(page.locator("#lead-table tbody")).to_contain_text("Mirela Vantongeren")
    expect(page.locator("#lead-table tbody")).not_to_contain_text("Quillfeather")
    for stage_cell in rows.locator(".stage").all():
        expect(stage_cell).to_have_text("Contacted")
    expect(page).to_have_url(re.compile(rf"[?&]stage={default_stage(1).pk}"))

    assert page.evaluate("window.sameDocument") is True


def test_a_column_header_sorts_the_table_and_paging_keeps_the_order(page: Page, log_in, manager_mia, settings):
    settings.LEADS_PAGE_SIZE = 2
    for score in (10, 30, 20):
        LeadFactory(first_name="Scored", last_name=f"Lead{score}", score=score, stage=default_stage(0))
    log_in(manager_mia)
    page.get_by_role("link", name="Leads", exact=True).click()
    page.wait_for_load_state()  # htmx has bound the filters (it does once the page's scripts have run)
    filters = page.locator("#lead-filters")
    filters.get_by_label("Stage").select_option(label="New")
    expect(page).to_have_url(re.compile(r"[?&]stage="))
    rows = page.locator("#lead-table tbody tr")
    expect(rows).to_have_count(2)

    page.locator("#lead-table thead").get_by_role("link", name="Score").click()
    expect(rows.first).to_contain_text("Scored Lead30")
    expect(rows.nth(1)).to_contain_text("Scored Lead20")
    expect(page).to_have_url(re.compile(r"[?&]sort=-score"))
    # Sorted again, and paged: every parameter once, the filter kept.
    page.locator("#lead-table thead").get_by_role("link", name="Score").click()
    page.get_by_role("link", name="Next →").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Scored Lead10")
    query = page.url.split("?", 1)[1]
    assert sorted(part.split("=")[0] for part in query.split("&")) == ["page", "sort", "stage"]
