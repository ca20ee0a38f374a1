"""The Reps report: leads owned, tasks done and overdue, replies answered with the median first response, stage
moves and deals won, per rep; a rep sees only their own row."""

from datetime import UTC, date, datetime, timedelta

import pytest

from analytics.reports import Scope
from analytics.reps import reps_report
from crm.models import StageChange
from outreach.models import Conversation, ConversationMessage
from tests.factories import LeadFactory, TaskFactory, default_stage

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
NOVEMBER = {"start": date(2026, 11, 1), "end": date(2026, 11, 30)}


def rows(user, **filters):
    (table,) = reps_report(Scope.for_user(user, **{**NOVEMBER, **filters}))
    return {row["rep"]: row for row in table.rows}


def thread(lead, rep, *exchanges):
    """A conversation with (direction, minutes after AT, author) lines."""
    conversation = Conversation.objects.create(lead=lead, channel="email", assigned_to=rep)
    for direction, minutes, author in exchanges:
        ConversationMessage.objects.create(
            conversation=conversation, direction=direction, author=author, occurred_at=AT + timedelta(minutes=minutes)
        )


@pytest.fixture
def world(rep_alice, rep_bob):
    alice = [LeadFactory(owner=rep_alice, source="webinar") for _ in range(3)]
    bob = [LeadFactory(owner=rep_bob, source="import") for _ in range(2)]
    # Tasks: Alice did two in November (one in October), has one overdue and one due later.
    TaskFactory(lead=alice[0], assignee=rep_alice, done=True, done_at=AT)
    TaskFactory(lead=alice[1], assignee=rep_alice, done=True, done_at=AT)
    TaskFactory(lead=alice[1], assignee=rep_alice, done=True, done_at=datetime(2026, 10, 1, tzinfo=UTC))
    TaskFactory(lead=alice[2], assignee=rep_alice, due_at=datetime(2020, 1, 1, tzinfo=UTC))
    TaskFactory(lead=alice[2], assignee=rep_alice, due_at=datetime(2099, 1, 1, tzinfo=UTC))
    TaskFactory(lead=bob[0], assignee=rep_bob, due_at=datetime(2020, 1, 1, tzinfo=UTC))
    # Replies: Alice answered after 10 and 30 minutes, and one 60 minutes later; one unanswered.
    thread(alice[0], rep_alice, ("in", 0, None), ("out", 10, rep_alice))
    thread(alice[1], rep_alice, ("out", -60, rep_alice), ("in", 0, None), ("out", 30, rep_alice), ("in", 40, None),
           ("out", 100, rep_alice))  # fmt: skip
    thread(alice[2], rep_alice, ("in", 0, None), ("out", 5, None))  # an automatic send is no person's answer
    # Stage moves: Alice moved two leads, one of them into Won; Bob one.
    stages = {stage.name: stage for stage in default_stage().pipeline.stages.all()}
    new, won = stages["New"], next(s for s in stages.values() if s.kind == "won")
    StageChange.objects.create(
        lead=alice[0], from_stage=new, to_stage=stages["Contacted"], actor=rep_alice, created_at=AT
    )
    StageChange.objects.create(lead=alice[1], from_stage=new, to_stage=won, actor=rep_alice, created_at=AT)
    StageChange.objects.create(lead=bob[0], from_stage=new, to_stage=stages["Contacted"], actor=rep_bob, created_at=AT)
    # The lead's creation into its first stage is no move.
    StageChange.objects.create(lead=bob[1], from_stage=None, to_stage=new, actor=rep_bob, created_at=AT)
    return {"alice": alice, "bob": bob}


def test_figures_per_rep(manager_mia, rep_alice, rep_bob, world):
    report = rows(manager_mia)
    alice = report[str(rep_alice)]
    assert {k: alice[k] for k in ("leads_owned", "tasks_done", "tasks_overdue", "replies", "replies_answered",
                                  "stage_moves", "won")} == {
        "leads_owned": 3, "tasks_done": 2, "tasks_overdue": 1, "replies": 4, "replies_answered": 3, "stage_moves": 2,
        "won": 1,
    }  # fmt: skip
    # First responses of 10, 30 and 60 minutes: the median is 30 minutes.
    assert alice["response_seconds"] == pytest.approx(1800)
    bob = report[str(rep_bob)]
    assert (bob["leads_owned"], bob["tasks_overdue"], bob["stage_moves"], bob["won"]) == (2, 1, 1, 0)
    assert bob["response_seconds"] is None


def test_a_rep_sees_only_their_own_row(rep_alice, world):
    assert list(rows(rep_alice)) == [str(rep_alice)]


def test_filters_and_date_range(manager_mia, rep_alice, rep_bob, world):
    assert rows(manager_mia, source="import")[str(rep_bob)]["leads_owned"] == 2
    assert str(rep_alice) not in rows(manager_mia, source="import")
    october = rows(manager_mia, start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert october[str(rep_alice)]["tasks_done"] == 1
    assert october[str(rep_alice)]["stage_moves"] == 0
