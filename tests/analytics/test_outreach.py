"""The Outreach report: counts per sequence, step, variant, mailbox and rep; people's opens apart from machines';
reply rate by the hour and weekday in the lead's zone; A/B significance; every filter and the rep's own scope."""

from datetime import UTC, date, datetime

import pytest

from analytics.outreach import outreach_report
from analytics.reports import Scope
from crm.models import ListMembership
from outreach.models import Enrollment, MessageEvent, StepVariant
from tests.factories import (
    EnrollmentFactory,
    LeadFactory,
    LeadListFactory,
    MailboxFactory,
    MessageFactory,
    SequenceFactory,
    SequenceStepFactory,
)

pytestmark = pytest.mark.django_db
# Tuesday 3 November 2026, 14:00 UTC.
SENT = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
NOVEMBER = {"start": date(2026, 11, 1), "end": date(2026, 11, 30)}


def tables(user, **filters):
    return {table.slug: table for table in outreach_report(Scope.for_user(user, **{**NOVEMBER, **filters}))}


def row(table, name):
    return next(r for r in table.rows if r.get("name", r.get("step")) == name)


def send(step, lead, *, variant=None, mailbox=None, sent_at=SENT, **times):
    enrollment = Enrollment.objects.filter(sequence=step.sequence, lead=lead).first()
    enrollment = enrollment or EnrollmentFactory(sequence=step.sequence, lead=lead)
    return MessageFactory(
        enrollment=enrollment,
        step=step,
        variant=variant,
        mailbox=mailbox or step.sequence.mailbox,
        sent_at=sent_at,
        **times,
    )


@pytest.fixture
def world(rep_alice, rep_bob):
    sequence = SequenceFactory(name="Fintech intro")
    step = SequenceStepFactory(sequence=sequence, position=1)
    alice_leads = [LeadFactory(owner=rep_alice, source="webinar") for _ in range(4)]
    bob_lead = LeadFactory(owner=rep_bob, source="import", time_zone="America/New_York")
    first = send(step, alice_leads[0], delivered_at=SENT, opened_at=SENT, clicked_at=SENT, replied_at=SENT)
    send(step, alice_leads[1], delivered_at=SENT, bounced_at=SENT)
    machine = send(step, alice_leads[2], delivered_at=SENT)
    MessageEvent.objects.create(message=machine, kind="opened", machine=True, machine_reason="Apple Mail Privacy")
    # A machine open of a message a person opened too counts once, as the person's.
    MessageEvent.objects.create(message=first, kind="opened", machine=True)
    send(step, alice_leads[3], unsubscribed_at=SENT)
    send(step, bob_lead, delivered_at=SENT, replied_at=SENT)
    # Sent in October: outside the range.
    send(SequenceStepFactory(sequence=sequence, position=2), alice_leads[0], sent_at=datetime(2026, 10, 20, tzinfo=UTC))
    return {"sequence": sequence, "step": step, "alice_leads": alice_leads, "bob_lead": bob_lead}


def test_counts_per_sequence_step_mailbox_and_rep(manager_mia, rep_alice, world):
    report = tables(manager_mia)
    sequence = row(report["by_sequence"], "Fintech intro")
    assert {k: sequence[k] for k in ("sent", "delivered", "opened", "machine_opened", "clicked", "replied", "bounced",
                                     "unsubscribed")} == {
        "sent": 5, "delivered": 4, "opened": 1, "machine_opened": 1, "clicked": 1, "replied": 2, "bounced": 1,
        "unsubscribed": 1,
    }  # fmt: skip
    assert sequence["reply_rate"] == pytest.approx(2 / 5)
    assert sequence["open_rate"] == pytest.approx(1 / 5)
    assert row(report["by_step"], "Fintech intro · step 1")["sent"] == 5
    assert [r["sent"] for r in report["by_mailbox"].rows] == [5]
    reps = {r["name"]: (r["sent"], r["replied"]) for r in report["by_rep"].rows}
    assert reps == {str(rep_alice): (4, 1), "Bob Example": (1, 1)}


def test_a_rep_sees_only_their_own_leads_messages(rep_alice, world):
    report = tables(rep_alice, owner_id=None)
    assert row(report["by_sequence"], "Fintech intro")["sent"] == 4
    assert [r["name"] for r in report["by_rep"].rows] == [str(rep_alice)]


def test_every_filter_narrows_the_cohort(manager_mia, rep_bob, world):
    assert row(tables(manager_mia, source="import")["by_sequence"], "Fintech intro")["sent"] == 1
    assert row(tables(manager_mia, owner_id=rep_bob.pk)["by_sequence"], "Fintech intro")["sent"] == 1
    chosen = LeadListFactory()
    ListMembership.objects.create(lead_list=chosen, lead=world["alice_leads"][0])
    ListMembership.objects.create(lead_list=chosen, lead=world["alice_leads"][1])
    assert row(tables(manager_mia, list_id=chosen.pk)["by_sequence"], "Fintech intro")["sent"] == 2
    other = SequenceFactory(name="Other")
    send(SequenceStepFactory(sequence=other, position=1), world["bob_lead"])
    assert row(tables(manager_mia, sequence_id=other.pk)["by_sequence"], "Other")["sent"] == 1
    assert [r["name"] for r in tables(manager_mia, sequence_id=other.pk)["by_sequence"].rows] == ["Other"]
    # A campaign that brought no lead: nothing.
    assert tables(manager_mia, campaign_id=999)["by_sequence"].rows == []


def test_reply_rate_by_hour_and_weekday_in_the_leads_zone(manager_mia, world):
    report = tables(manager_mia)
    hours = {r["hour"]: (r["sent"], r["replied"]) for r in report["reply_by_hour"].rows}
    # Four leads without a zone: the site's (UTC), 14:00; the New York lead got it at 09:00 its time.
    assert hours["14:00"] == (4, 1)
    assert hours["09:00"] == (1, 1)
    assert sum(sent for sent, _ in hours.values()) == 5
    days = {r["weekday"]: r["reply_rate"] for r in report["reply_by_weekday"].rows}
    assert days["Tuesday"] == pytest.approx(2 / 5)
    assert days["Monday"] is None


def test_a_late_evening_send_falls_on_the_leads_previous_day(manager_mia, rep_bob):
    step = SequenceStepFactory(sequence=SequenceFactory(), position=1)
    lead = LeadFactory(owner=rep_bob, time_zone="America/Los_Angeles")
    send(step, lead, sent_at=datetime(2026, 11, 3, 3, 30, tzinfo=UTC), replied_at=SENT)
    report = tables(manager_mia)
    assert {r["weekday"]: r["sent"] for r in report["reply_by_weekday"].rows}["Monday"] == 1
    assert {r["hour"]: r["sent"] for r in report["reply_by_hour"].rows}["19:00"] == 1


def test_ab_test_verdict_with_p_value(manager_mia, rep_alice):
    step = SequenceStepFactory(sequence=SequenceFactory(name="AB"), position=1)
    control = StepVariant.objects.create(step=step, label="A")
    challenger = StepVariant.objects.create(step=step, label="B")
    mailbox = MailboxFactory()
    for index in range(40):
        send(
            step, LeadFactory(owner=rep_alice), variant=control, mailbox=mailbox, replied_at=SENT if index < 2 else None
        )
    for index in range(40):
        send(step, LeadFactory(owner=rep_alice), variant=challenger, mailbox=mailbox,
             replied_at=SENT if index < 14 else None)  # fmt: skip
    ab = {r["variant"]: r for r in tables(manager_mia)["ab_tests"].rows}
    assert ab["A"]["verdict"] == "control"
    assert ab["B"]["rate"] == pytest.approx(14 / 40)
    assert ab["B"]["control_rate"] == pytest.approx(2 / 40)
    # Pooled z-test: p = erfc(|z| / sqrt 2), z = (0.35 - 0.05) / sqrt(0.2 * 0.8 * (2 / 40)) = 3.354.
    assert ab["B"]["p_value"] == pytest.approx(0.0008, abs=0.0001)
    assert ab["B"]["verdict"] == "yes"
    variants = {r["name"]: r["sent"] for r in tables(manager_mia)["by_variant"].rows}
    assert variants == {"AB · step 1 · A": 40, "AB · step 1 · B": 40}


def test_small_ab_test_gives_no_verdict(manager_mia, rep_alice):
    step = SequenceStepFactory(sequence=SequenceFactory(), position=1)
    for label in "AB":
        variant = StepVariant.objects.create(step=step, label=label)
        send(step, LeadFactory(owner=rep_alice), variant=variant, replied_at=SENT)
    ab = {r["variant"]: r for r in tables(manager_mia)["ab_tests"].rows}
    assert ab["B"]["verdict"] == "not enough data"
    assert ab["B"]["p_value"] is None


def test_empty_range_gives_empty_tables(manager_mia, world):
    report = tables(manager_mia, start=date(2025, 1, 1), end=date(2025, 1, 31))
    assert report["by_sequence"].rows == []
    assert all(r["sent"] == 0 and r["reply_rate"] is None for r in report["reply_by_hour"].rows)


def test_the_page_shows_the_figures_and_each_table_downloads(client, manager_mia, world):
    client.force_login(manager_mia)
    query = "?preset=custom&start=2026-11-01&end=2026-11-30"
    page = client.get(f"/analytics/outreach/{query}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Fintech intro" in text
    assert "Reply rate by send hour" in text
    assert "40.0%" in text  # the sequence's reply rate, 2 of 5
    download = client.get(f"/analytics/outreach/by_sequence.csv{query}")
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Sequence,Sent,Delivered,Opened (people),Machine opens only")
    assert lines[1].startswith("Fintech intro,5,4,1,1,1,2,1,1,20.0,40.0,20.0")
