"""Cards moved at the same moment by two people (PostgreSQL, two connections): a move locks its own lead only, so
two cards crossing between two stages neither wait on each other nor deadlock (under load, two such moves once
deadlocked: each had locked its lead's stage, which the other's new stage check then waited on)."""

import threading

import pytest
from django.db import connection, connections, transaction

from crm.services.leads import lead_move_stage
from crm.services.pipelines import pipeline_default
from tests.factories import LeadFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two writers at the same moment (PostgreSQL)"),
]


def test_two_cards_crossing_between_two_stages_at_once_neither_wait_nor_deadlock(manager_mia):
    first_stage, second_stage = list(pipeline_default().stages.all())[:2]
    one = LeadFactory(stage=first_stage, owner=manager_mia)
    two = LeadFactory(stage=second_stage, owner=manager_mia)
    moved, release, problems = threading.Event(), threading.Event(), []

    def the_other_person() -> None:
        try:
            with transaction.atomic():
                lead_move_stage(lead=one, stage=second_stage, actor=manager_mia)
                moved.set()
                release.wait(30)  # the move is not committed yet while the main thread moves its card
        except Exception as exc:  # noqa: BLE001 (reported below, in the test's own thread)
            problems.append(exc)
        finally:
            moved.set()
            connections.close_all()

    other = threading.Thread(target=the_other_person)
    other.start()
    try:
        assert moved.wait(30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")  # waiting on the other move fails the test
            lead_move_stage(lead=two, stage=first_stage, actor=manager_mia)
    finally:
        release.set()
        other.join(30)
    assert not problems
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.stage, two.stage) == (second_stage, first_stage)
