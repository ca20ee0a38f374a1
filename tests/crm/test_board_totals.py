"""The board's column totals, kept per stage by the database: right after every kind of write, for every viewer."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Lead, StageTotal
from crm.selectors import board_columns, dashboard, leads_visible_to
from crm.services.leads import lead_update, leads_bulk_assign, leads_bulk_move_stage, leads_delete
from crm.services.pipelines import pipeline_default
from crm.stage_totals import stage_totals_compact
from tests.factories import LeadFactory, default_stage

pytestmark = pytest.mark.django_db


def _board(user, owner_id=None) -> dict[str, tuple[int, Decimal]]:
    return {
        column.stage.name: (column.count, column.total_value)
        for column in board_columns(pipeline_default(), user, owner_id)
    }


def _counted(user, owner_id=None) -> dict[str, tuple[int, Decimal]]:
    """The same totals counted lead by lead, the slow way."""
    totals: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    leads = leads_visible_to(user).select_related("stage")
    for lead in leads.filter(owner_id=owner_id) if owner_id else leads:
        totals[lead.stage.name][0] += 1
        totals[lead.stage.name][1] += lead.deal_value or Decimal(0)
    return {stage.name: tuple(totals[stage.name]) for stage in pipeline_default().stages.all()}


def _assert_right_for(*users) -> None:
    for user in users:
        assert _board(user) == _counted(user), user
        shown = dashboard(user)
        visible = leads_visible_to(user)
        assert (shown.contacts, shown.leads) == (
            visible.filter(lifecycle=Lead.Lifecycle.CONTACT).count(),
            visible.filter(lifecycle=Lead.Lifecycle.LEAD).count(),
        ), user
    assert _board(users[0], owner_id=users[-1].pk) == _counted(users[0], owner_id=users[-1].pk)


def test_totals_follow_creates_moves_reassignments_value_changes_and_deletes(client, manager_mia, rep_alice, rep_bob):
    alices = [LeadFactory(owner=rep_alice, deal_value=Decimal("1000.50"), lifecycle="contact") for _ in range(3)]
    bobs = [LeadFactory(owner=rep_bob, deal_value=Decimal("250"), stage=default_stage(1)) for _ in range(2)]
    unassigned = LeadFactory(owner=None, deal_value=None, stage=default_stage(2))
    _assert_right_for(manager_mia, rep_alice, rep_bob)

    # A rep drags her card on the board: the answer and the board agree with the leads.
    client.force_login(rep_alice)
    moved = client.post(
        reverse("crm:board_move"),
        {"lead": alices[0].pk, "stage": default_stage(3).pk, "from_stage": default_stage(0).pk},
    ).json()
    assert moved["ok"]
    assert moved["columns"][str(default_stage(0).pk)]["count"] == 2
    assert moved["columns"][str(default_stage(3).pk)] == {"count": 1, "total": "$1,000.50"}
    _assert_right_for(manager_mia, rep_alice, rep_bob)

    leads_bulk_move_stage(leads=[*bobs, unassigned], stage=default_stage(4), actor=manager_mia)
    _assert_right_for(manager_mia, rep_alice, rep_bob)
    leads_bulk_assign(leads=[alices[1], unassigned], owner=rep_bob, actor=manager_mia)
    _assert_right_for(manager_mia, rep_alice, rep_bob)
    lead_update(lead=alices[2], actor=rep_alice, deal_value=Decimal("99.99"))
    _assert_right_for(manager_mia, rep_alice, rep_bob)
    # A contact who answered becomes a lead; one goes back to being a contact.
    Lead.objects.filter(pk=alices[1].pk).update(lifecycle=Lead.Lifecycle.LEAD)
    Lead.objects.filter(pk=bobs[1].pk).update(lifecycle=Lead.Lifecycle.CONTACT)
    _assert_right_for(manager_mia, rep_alice, rep_bob)
    leads_delete(leads=[bobs[0]], actor=manager_mia)
    _assert_right_for(manager_mia, rep_alice, rep_bob)
    # Bulk writes that bypass the services (as an import's batches do) count too.
    Lead.objects.bulk_create(
        [Lead(first_name="Bulk", stage=default_stage(5), deal_value=Decimal(7), lifecycle=lifecycle)
         for lifecycle in ("contact", "lead", "contact", "lead")]
    )  # fmt: skip
    Lead.objects.filter(first_name="Bulk").update(owner=rep_alice)
    _assert_right_for(manager_mia, rep_alice, rep_bob)


def test_folding_the_changes_keeps_the_totals(manager_mia, rep_alice, rep_bob):
    leads = [LeadFactory(owner=owner, deal_value=Decimal(100)) for owner in (rep_alice, rep_bob, None) * 3]
    leads_bulk_move_stage(leads=leads[:4], stage=default_stage(2), actor=manager_mia)
    leads_delete(leads=leads[4:6], actor=manager_mia)
    before = {user.pk: _board(user) for user in (manager_mia, rep_alice, rep_bob)}
    rows_before = StageTotal.objects.count()

    assert stage_totals_compact() == rows_before

    assert {user.pk: _board(user) for user in (manager_mia, rep_alice, rep_bob)} == before
    # One row per stage and owner still holding leads or value.
    places = set(Lead.objects.values_list("stage_id", "owner_id"))
    assert StageTotal.objects.count() == len(places) < rows_before


def test_folding_drops_the_rows_of_a_deleted_stage(manager_mia):
    LeadFactory(owner=manager_mia, stage=default_stage(1), deal_value=Decimal(5))
    # What a stage deleted after its leads left behind (its id is never given again).
    gone = default_stage(1).pk + 1000
    StageTotal.objects.create(stage_id=gone, owner_key=manager_mia.pk, leads=-2, cents=-700)

    stage_totals_compact()

    assert list(StageTotal.objects.values_list("stage_id", "owner_key", "leads", "cents")) == [
        (default_stage(1).pk, manager_mia.pk, 1, 500)
    ]


def test_show_more_counts_only_the_cards_a_rep_sees(client, rep_alice, rep_bob, settings):
    settings.BOARD_COLUMN_SIZE = 2
    for _ in range(4):
        LeadFactory(owner=rep_alice)
    for _ in range(5):
        LeadFactory(owner=rep_bob)
    client.force_login(rep_alice)
    url = reverse("crm:board_cards", args=[default_stage(0).pk])
    assert "Show more" in client.get(url, {"offset": 0}, HTTP_HX_REQUEST="true").content.decode()
    # A full page, and Bob's five leads in the stage: still nothing more that Alice may see.
    assert "Show more" not in client.get(url, {"offset": 2}, HTTP_HX_REQUEST="true").content.decode()


def test_leads_deleted_after_their_emptied_totals_leave_no_rows(manager_mia, rep_alice):
    """What a flush does when it empties the totals before the leads (SQLite's order is not fixed)."""
    LeadFactory.create_batch(3, owner=rep_alice, stage=default_stage(1), deal_value=Decimal(5))
    StageTotal.objects.all().delete()

    Lead.objects.all().delete()

    assert not StageTotal.objects.exists()
    LeadFactory(owner=rep_alice, stage=default_stage(1), deal_value=Decimal(5))
    assert _board(manager_mia) == _counted(manager_mia)
