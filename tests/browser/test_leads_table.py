"""The leads table: search and filters update the table in place through htmx."""

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.browser


def _held_first(page: Page, held: list, seconds: float = 10):
    """The first request held by a route: its handler is called from Playwright's event loop, which may come after
    the page already shows the request started (buttons disabled, indicator on), so wait for it."""
    for _ in range(int(seconds * 50)):
        if held:
            return held[0]
        page.wait_for_timeout(20)
    raise AssertionError(f"no request was held within {seconds} s")


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


def test_export_downloads_exactly_the_rows_the_filtered_table_holds(page: Page, log_in, manager_mia, settings):
    settings.LEADS_PAGE_SIZE = 2
    for name in ("Okafor", "Vantongeren", "Lindqvist"):
        LeadFactory(last_name=name, stage=default_stage(1), other_emails=[f"{name.lower()}@home.example"])
    LeadFactory(last_name="Quillfeather", stage=default_stage(0))
    log_in(manager_mia)
    page.get_by_role("link", name="Leads", exact=True).click()
    page.wait_for_load_state()  # htmx has bound the filters (it does once the page's scripts have run)
    page.locator("#lead-filters").get_by_label("Stage").select_option(label="Contacted")
    expect(page.locator("#lead-table .bulk-bar")).to_contain_text("3 leads")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export CSV").click()
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Export XLSX").click()

    assert csv_download.value.suggested_filename == f"leads-{date.today().isoformat()}.csv"
    with open(csv_download.value.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    # Every page of the filtered table (two rows a page here), and nothing else.
    assert sorted(row["last_name"] for row in rows) == ["Lindqvist", "Okafor", "Vantongeren"]
    assert {row["other_emails"] for row in rows} == {
        "lindqvist@home.example",
        "okafor@home.example",
        "vantongeren@home.example",
    }
    # The download keeps no file extension, which openpyxl reads names by: hand it the bytes.
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()), read_only=True).active
    header, *cells = sheet.iter_rows(values_only=True)
    column = header.index("last_name")
    assert sorted(row[column] for row in cells) == ["Lindqvist", "Okafor", "Vantongeren"]


def test_filtering_shows_the_loading_indicator_until_the_table_arrives(page: Page, log_in, manager_mia):
    LeadFactory(last_name="Okafor", stage=default_stage(1))
    log_in(manager_mia)
    page.get_by_role("link", name="Leads", exact=True).click()
    page.wait_for_load_state()
    indicator = page.locator("#leads-loading")
    expect(indicator).to_be_hidden()
    # The table's answer is held back until the indicator has been seen.
    held = []
    page.route(lambda url: "stage=" in url, lambda route: held.append(route))

    page.locator("#lead-filters").get_by_label("Stage").select_option(label="Contacted")

    expect(indicator).to_be_visible()
    expect(indicator).to_have_text("Loading…")
    _held_first(page, held).continue_()
    expect(indicator).to_be_hidden()
    expect(page.locator("#lead-table tbody tr")).to_have_count(1)


def test_a_bulk_action_disables_its_buttons_while_it_runs(page: Page, log_in, manager_mia):
    LeadFactory(first_name="Hedda", last_name="Lindqvist")
    log_in(manager_mia)
    page.get_by_role("link", name="Leads", exact=True).click()
    page.wait_for_load_state()
    table = page.locator("#lead-table")
    held = []
    page.route(lambda url: url.endswith("/leads/bulk/"), lambda route: held.append(route))

    table.get_by_label("Select Hedda Lindqvist").check()
    table.get_by_role("combobox", name="Move to stage").select_option(label="Contacted")
    table.get_by_role("button", name="Move", exact=True).click()

    expect(table.get_by_role("button", name="Move", exact=True)).to_be_disabled()
    expect(table.get_by_role("button", name="Delete…")).to_be_disabled()
    expect(page.locator("#leads-loading")).to_be_visible()
    _held_first(page, held).continue_()
    expect(table.locator(".message.success")).to_have_text("Moved 1 lead(s) to Contacted.")
    expect(table.get_by_role("button", name="Move", exact=True)).to_be_enabled()
    expect(page.locator("#leads-loading")).to_be_hidden()


def test_on_a_phone_the_menu_folds_and_the_table_scrolls_in_its_own_box(page: Page, log_in, manager_mia):
    for index in range(3):
        LeadFactory(
            last_name=f"Vantongeren{index}",
            title="Regional Vice-President Procurement",
            email=f"mirela.vantongeren.{index}@cobalt-farms-international.example",
            company__name="Cobalt Farms International",
        )
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(manager_mia)
    menu = page.get_by_role("button", name="Menu")
    pipeline_link = page.get_by_role("link", name="Pipeline")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(pipeline_link).to_be_hidden()

    menu.click()
    expect(pipeline_link).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.get_by_role("link", name="Leads", exact=True).click()
    expect(page.locator("#lead-table tbody tr")).to_have_count(3)

    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    box = page.locator("#lead-table .table-scroll")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")
    box.evaluate("box => { box.scrollLeft = 200; }")
    assert box.evaluate("box => box.scrollLeft") > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The filters wrap onto further lines rather than widen the page.
    filters = page.locator("#lead-filters")
    assert filters.evaluate("form => form.scrollWidth <= form.clientWidth")


def test_a_late_answer_never_overwrites_the_table_the_last_click_asked_for(page: Page, log_in, manager_mia, settings):
    settings.LEADS_PAGE_SIZE = 2
    for score in (10, 30, 20):
        LeadFactory(first_name="Scored", last_name=f"Lead{score}", score=score)
    log_in(manager_mia)
    page.goto("/leads/?sort=-score")
    page.wait_for_load_state()
    rows = page.locator("#lead-table tbody tr")
    expect(rows.first).to_contain_text("Scored Lead30")
    held = []
    page.route(lambda url: "sort=-score" in url and "page=" not in url, lambda route: held.append(route))

    # A sort whose answer is slow, then a click on the next page before it came.
    page.locator("#lead-table thead").get_by_role("link", name="Score").click()
    expect(page.locator("#leads-loading")).to_be_visible()
    page.get_by_role("link", name="Next →").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Scored Lead10")

    # The sort's answer, let through at last, was abandoned: the page the last click asked for stays.
    _held_first(page, held).continue_()
    expect(page.locator("#leads-loading")).to_be_hidden()
    expect(rows.first).to_contain_text("Scored Lead10")
    expect(page).to_have_url(re.compile(r"page=2"))
