"""Pipeline settings: an admin puts a new stage in its place by keyboard or by dragging, and the board follows."""

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser

ORDER_WITH_QUALIFIED = [
    "New",
    "Contacted",
    "Qualified",
    "Replied",
    "Meeting booked",
    "Proposal sent",
    "Negotiation",
    "Won",
    "Lost",
]


def _stage_names(page: Page) -> Locator:
    return page.locator("#stages tbody tr td:nth-child(2) input[name=name]")


def _add_qualified(page: Page) -> None:
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Name:", exact=True).fill("Qualified")
    page.get_by_role("button", name="Add stage").click()
    expect(_stage_names(page)).to_have_count(9)
    expect(_stage_names(page).last).to_have_value("Qualified")
    # The table's scripts are deferred: wait until SortableJS holds its rows.
    expect(page.locator("#stages tbody")).to_have_attribute("data-sortable", "1")


def _table_shows_the_new_order(page: Page) -> None:
    names = _stage_names(page)
    expect(names).to_have_count(len(ORDER_WITH_QUALIFIED))
    for index, name in enumerate(ORDER_WITH_QUALIFIED):
        expect(names.nth(index)).to_have_value(name)


def _board_shows_the_new_order(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Pipeline", exact=True).click()
    expect(page.locator("#board .column h2")).to_have_text(ORDER_WITH_QUALIFIED)


def test_an_admin_moves_a_new_stage_up_with_the_keyboard(page: Page, log_in, admin_ada):
    log_in(admin_ada)
    _add_qualified(page)

    page.get_by_role("button", name="Move Qualified up").focus()
    for moved in range(1, 7):
        page.keyboard.press("Enter")
        # The table is redrawn from what was saved, and the arrow keeps the focus for the next press.
        expect(_stage_names(page).nth(8 - moved)).to_have_value("Qualified")
        expect(page.get_by_role("button", name="Move Qualified up")).to_be_focused()
    expect(page.locator("#stages-panel")).to_contain_text("Saved the order of stages.")
    _table_shows_the_new_order(page)

    page.reload()
    _table_shows_the_new_order(page)
    _board_shows_the_new_order(page)


def test_an_admin_drags_a_new_stage_into_place(page: Page, log_in, admin_ada):
    # Tall enough that the table sits away from the window's edges, where SortableJS would scroll the page mid-drag.
    page.set_viewport_size({"width": 1280, "height": 1100})
    log_in(admin_ada)
    _add_qualified(page)

    rows, names = page.locator("#stages tbody tr"), _stage_names(page)
    handle = rows.last.locator(".drag-handle").bounding_box()
    target = rows.nth(2).bounding_box()  # Replied's row: Qualified goes before it
    x, y = handle["x"] + handle["width"] / 2, target["y"] + target["height"] / 2
    page.mouse.move(x, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, handle["y"] - 10, steps=5)
    page.mouse.move(x, y, steps=40)
    # SortableJS ignores the pointer for a moment after each swap (and while a row slides), as a hand's drag would
    # never notice: keep hovering over Replied's row until Qualified's takes its place, then drop.
    for wiggle in range(200):
        if names.nth(2).input_value() == "Qualified":
            break
        page.mouse.move(x + wiggle % 2, y)
    page.mouse.up()

    expect(page.locator("#stages-panel")).to_contain_text("Saved the order of stages.")
    _table_shows_the_new_order(page)
    page.reload()
    _table_shows_the_new_order(page)
    _board_shows_the_new_order(page)
