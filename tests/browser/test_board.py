"""The Kanban board: dragging a card saves the move; a refused move puts the card back."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from crm.models import StageChange
from tests.factories import LeadFactory, TaskFactory, default_stage

pytestmark = pytest.mark.browser


def _column(page: Page, stage_name: str) -> Locator:
    return page.get_by_role("region", name=stage_name, exact=True)


def _drag(page: Page, card: Locator, target: Locator) -> None:
    """Drag like a hand does: press, move in small steps so SortableJS sees a drag, release over the target."""
    # The board's scripts are deferred: drag only once SortableJS holds both columns.
    expect(card.locator("xpath=..")).to_have_attribute("data-sortable", "1")
    expect(target).to_have_attribute("data-sortable", "1")
    # The board scrolls sideways inside its box: bring the target column into view, then the card.
    target.scroll_into_view_if_needed()
    card.scroll_into_view_if_needed()
    start = card.bounding_box()
    end = target.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 10, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] - 10, steps=15)
    page.mouse.up()


def test_it_moves_a_card_to_another_stage(page: Page, log_in, rep_alice):
    new, contacted = default_stage(0), default_stage(1)
    lead = LeadFactory(first_name="Ines", last_name="Albuquerque", owner=rep_alice, stage=new, deal_value=1200)
    LeadFactory(first_name="Kwame", last_name="Mensah", owner=rep_alice, stage=new)
    LeadFactory(first_name="Sunniva", last_name="Berg", owner=rep_alice, stage=contacted, deal_value=800)
    log_in(rep_alice)

    page.get_by_role("link", name="Pipeline").click()
    new_column, contacted_column = _column(page, "New"), _column(page, "Contacted")
    expect(new_column.locator(".count")).to_have_text("2")
    expect(contacted_column.locator(".count")).to_have_text("1")
    card = new_column.locator(".card", has_text="Ines Albuquerque")

    _drag(page, card, contacted_column.locator(".cards"))

    toast = page.locator("#board-status")
    expect(toast).to_be_visible()
    expect(toast).to_have_text("Ines Albuquerque moved to Contacted.")
    expect(toast).to_have_class("toast success")
    expect(new_column.locator(".count")).to_have_text("1")
    expect(contacted_column.locator(".count")).to_have_text("2")
    expect(contacted_column.locator(".total")).to_have_text("$2,000")
    expect(contacted_column.locator(".card", has_text="Ines Albuquerque")).to_be_visible()

    lead.refresh_from_db()
    assert lead.stage == contacted
    assert StageChange.objects.filter(lead=lead, from_stage=new, to_stage=contacted, actor=rep_alice).exists()

    page.reload()
    expect(contacted_column.locator(".card", has_text="Ines Albuquerque")).to_be_visible()
    expect(new_column.locator(".card", has_text="Ines Albuquerque")).to_have_count(0)
    expect(contacted_column.locator(".count")).to_have_text("2")


def test_a_rep_is_not_offered_moving_an_unassigned_lead(page: Page, log_in, rep_alice):
    """The server refuses it too (tests/crm/test_board.py::test_a_rep_cannot_move_an_unassigned_lead)."""
    new = default_stage(0)
    lead = LeadFactory(first_name="Orla", last_name="Breathnach", owner=None, stage=new)
    LeadFactory(first_name="Kwame", last_name="Mensah", owner=rep_alice, stage=new)
    log_in(rep_alice)

    page.get_by_role("link", name="Pipeline").click()
    new_column, contacted_column = _column(page, "New"), _column(page, "Contacted")
    card = new_column.locator(".card", has_text="Orla Breathnach")
    own_card = new_column.locator(".card", has_text="Kwame Mensah")
    expect(card.locator(".owner")).to_have_text("—")
    expect(own_card.get_by_role("button", name="Move Kwame Mensah to another stage")).to_be_visible()
    expect(card.get_by_role("button")).to_have_count(0)
    expect(card).not_to_have_attribute("data-movable", "")

    _drag(page, card, contacted_column.locator(".cards"))

    expect(new_column.locator(".card", has_text="Orla Breathnach")).to_be_visible()
    expect(contacted_column.locator(".card")).to_have_count(0)
    expect(page.locator("#board-status")).to_be_hidden()
    lead.refresh_from_db()
    assert lead.stage == new
    assert not StageChange.objects.filter(lead=lead).exists()


def test_a_viewer_gets_no_dragging_and_no_move_buttons(page: Page, log_in, viewer_vic, rep_alice):
    new = default_stage(0)
    lead = LeadFactory(first_name="Tove", last_name="Lindqvist", owner=rep_alice, stage=new)
    log_in(viewer_vic)

    page.get_by_role("link", name="Pipeline").click()
    new_column, contacted_column = _column(page, "New"), _column(page, "Contacted")
    card = new_column.locator(".card", has_text="Tove Lindqvist")
    expect(card).to_be_visible()
    expect(page.locator("#board").get_by_role("button")).to_have_count(0)
    # The board's deferred scripts have run (they all do before the load event), and they left the columns alone.
    # (No wait_for_function: the page's Content-Security-Policy forbids evaluating strings.)
    page.wait_for_load_state("load")
    expect(page.locator(".cards[data-sortable]")).to_have_count(0)

    card.hover()
    page.mouse.down()
    target = contacted_column.locator(".cards").bounding_box()
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 20, steps=15)
    page.mouse.up()

    expect(new_column.locator(".card", has_text="Tove Lindqvist")).to_be_visible()
    lead.refresh_from_db()
    assert lead.stage == new


def test_moving_a_card_to_lost_asks_why(page: Page, log_in, rep_alice):
    negotiation, lost = default_stage(5), default_stage(7)
    lead = LeadFactory(first_name="Dagny", last_name="Haugen", owner=rep_alice, stage=negotiation, deal_value=5000)
    log_in(rep_alice)

    page.get_by_role("link", name="Pipeline").click()
    negotiation_column, lost_column = _column(page, "Negotiation"), _column(page, "Lost")
    card = negotiation_column.locator(".card", has_text="Dagny Haugen")
    dialog = page.get_by_role("dialog", name="Move Dagny Haugen")

    # Cancelling puts the card back where it was.
    _drag(page, card, lost_column.locator(".cards"))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Why was it lost?")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(negotiation_column.locator(".card", has_text="Dagny Haugen")).to_be_visible()
    expect(lost_column.locator(".card")).to_have_count(0)

    _drag(page, negotiation_column.locator(".card", has_text="Dagny Haugen"), lost_column.locator(".cards"))
    dialog.get_by_label("Why was it lost?").fill("Chose a competitor on price")
    dialog.get_by_role("button", name="Move").click()

    expect(page.locator("#board-status")).to_have_text("Dagny Haugen moved to Lost.")
    expect(lost_column.locator(".card", has_text="Dagny Haugen")).to_be_visible()
    expect(lost_column.locator(".count")).to_have_text("1")
    change = StageChange.objects.get(lead=lead, to_stage=lost)
    assert change.lost_reason == "Chose a competitor on price"

    lost_column.get_by_role("link", name="Dagny Haugen").click()
    expect(page.locator("#timeline")).to_contain_text("Moved from Negotiation to Lost: Chose a competitor on price")


def test_a_keyboard_user_moves_a_card_with_move_to(page: Page, log_in, rep_alice):
    new, contacted, lost = default_stage(0), default_stage(1), default_stage(7)
    lead = LeadFactory(first_name="Ines", last_name="Albuquerque", owner=rep_alice, stage=new)
    log_in(rep_alice)

    page.get_by_role("link", name="Pipeline").click()
    new_column, contacted_column = _column(page, "New"), _column(page, "Contacted")
    expect(new_column.locator(".cards")).to_have_attribute("data-sortable", "1")
    # Start on the card's name and go on with keys only: Tab to "Move…", Enter, pick the stage, Tab to Move, Enter.
    new_column.get_by_role("link", name="Ines Albuquerque").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move Ines Albuquerque to another stage")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Move Ines Albuquerque")
    stage = dialog.get_by_label("To stage")
    expect(stage).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(stage).to_have_value(str(contacted.pk))
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Move")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#board-status")).to_have_text("Ines Albuquerque moved to Contacted.")
    expect(contacted_column.locator(".card", has_text="Ines Albuquerque")).to_be_visible()
    expect(new_column.locator(".count")).to_have_text("0")
    expect(contacted_column.locator(".count")).to_have_text("1")
    moved_button = contacted_column.get_by_role("button", name="Move Ines Albuquerque to another stage")
    expect(moved_button).to_be_focused()
    lead.refresh_from_db()
    assert lead.stage == contacted

    # On to Lost: the reason field appears and is required before the move is sent.
    page.keyboard.press("Enter")
    page.keyboard.press("End")
    expect(stage).to_have_value(str(lost.pk))
    reason = dialog.get_by_label("Why was it lost?")
    expect(reason).to_be_visible()
    page.keyboard.press("Tab")
    expect(reason).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.type("No budget this year")
    page.keyboard.press("Enter")

    expect(_column(page, "Lost").locator(".card", has_text="Ines Albuquerque")).to_be_visible()
    assert StageChange.objects.get(lead=lead, to_stage=lost).lost_reason == "No budget this year"


@pytest.mark.parametrize("width,height", [(1366, 768), (1280, 800)])
def test_the_board_fits_a_laptop_screen(page: Page, log_in, manager_mia, rep_alice, settings, width, height):
    settings.BOARD_COLUMN_SIZE = 20
    new = default_stage(0)
    leads = [LeadFactory(owner=rep_alice, stage=new, deal_value=1000 + index) for index in range(25)]
    TaskFactory(lead=leads[-1], title="Call about the pilot", due_at=timezone.now() + timedelta(days=2))
    page.set_viewport_size({"width": width, "height": height})
    log_in(manager_mia)

    page.get_by_role("link", name="Pipeline").click()
    board = page.locator("#board")
    new_column = _column(page, "New")
    expect(new_column.locator(".card")).to_have_count(20)
    # The page itself does not scroll: the board keeps to the window and scrolls sideways inside its own box.
    assert page.evaluate("document.documentElement.scrollHeight") <= height
    assert board.evaluate("el => el.scrollWidth > el.clientWidth")
    lost_header = _column(page, "Lost").get_by_role("heading", name="Lost")
    lost_header.scroll_into_view_if_needed()
    assert board.evaluate("el => el.scrollLeft") > 0
    expect(lost_header).to_be_in_viewport()

    # A card's figures are labelled, with its next task and its days in the stage.
    card = new_column.locator(".card").first
    expect(card).to_contain_text("Score")
    expect(card).to_contain_text("Value")
    expect(card).to_contain_text("Next: Call about the pilot")
    expect(card).to_contain_text("0 days in stage")

    # Scrolling a column's cards keeps its header in view; "Show more" still pages the column.
    new_column.get_by_role("button", name="Show more").scroll_into_view_if_needed()
    expect(new_column.get_by_role("heading", name="New")).to_be_in_viewport()
    new_column.get_by_role("button", name="Show more").click()
    expect(new_column.locator(".card")).to_have_count(25)
    assert page.evaluate("document.documentElement.scrollHeight") <= height
