"""The Kanban board: dragging a card saves the move; a refused move puts the card back."""

import pytest
from playwright.sync_api import Locator, Page, expect

from crm.models import StageChange
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.browser


def _column(page: Page, stage_name: str) -> Locator:
    return page.get_by_role("region", name=stage_name, exact=True)


def _drag(page: Page, card: Locator, target: Locator) -> None:
    """Drag like a hand does: press, move in small steps so SortableJS sees a drag, release over the target."""
    # The board's scripts are deferred: drag only once SortableJS holds both columns.
    expect(card.locator("xpath=..")).to_have_attribute("data-sortable", "1")
    expect(target).to_have_attribute("data-sortable", "1")
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
    expect(contacted_column.locator(".total")).to_have_text("2,000")
    expect(contacted_column.locator(".card", has_text="Ines Albuquerque")).to_be_visible()

    lead.refresh_from_db()
    assert lead.stage == contacted
    assert StageChange.objects.filter(lead=lead, from_stage=new, to_stage=contacted, actor=rep_alice).exists()

    page.reload()
    expect(contacted_column.locator(".card", has_text="Ines Albuquerque")).to_be_visible()
    expect(new_column.locator(".card", has_text="Ines Albuquerque")).to_have_count(0)
    expect(contacted_column.locator(".count")).to_have_text("2")


def test_a_rep_cannot_move_an_unassigned_lead(page: Page, log_in, rep_alice):
    new = default_stage(0)
    lead = LeadFactory(first_name="Orla", last_name="Breathnach", owner=None, stage=new)
    LeadFactory(first_name="Kwame", last_name="Mensah", owner=rep_alice, stage=new)
    log_in(rep_alice)

    page.get_by_role("link", name="Pipeline").click()
    new_column, contacted_column = _column(page, "New"), _column(page, "Contacted")
    card = new_column.locator(".card", has_text="Orla Breathnach")
    expect(card.locator(".owner")).to_have_text("—")
    expect(new_column.locator(".count")).to_have_text("2")

    _drag(page, card, contacted_column.locator(".cards"))

    toast = page.locator("#board-status")
    expect(toast).to_be_visible()
    expect(toast).to_have_class("toast error")
    expect(toast).to_have_text("You can only change leads you own.")
    expect(new_column.locator(".card", has_text="Orla Breathnach")).to_be_visible()
    expect(contacted_column.locator(".card")).to_have_count(0)
    expect(new_column.locator(".count")).to_have_text("2")
    expect(contacted_column.locator(".count")).to_have_text("0")

    lead.refresh_from_db()
    assert lead.stage == new
    assert not StageChange.objects.filter(lead=lead).exists()
