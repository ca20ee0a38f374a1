"""When a message cannot go: a server that is down (retried with a growing wait, then failed), a refusal for good
(failed with the server's answer, on the timeline; the rest of the sequence goes on for everyone else), a field
that cannot be filled, an address suppressed since enrolment, a lead without an address; and a message whose worker
died mid-send, which a person reviews."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from crm.models import Activity
from outreach.models import Enrollment, Message, StepVariant, Suppression
from outreach.outcomes import message_reviewed
from outreach.scheduler import tick
from tests.fakes.smtp_server import free_port
from tests.outreach.sending import NOW, enrolled


def test_a_server_that_is_down_is_retried_with_a_growing_wait_then_the_message_fails(mailbox, sequence, settings):
    settings.OUTREACH_SEND_ATTEMPTS = 3
    mailbox.smtp_port = free_port()  # nothing listens there
    mailbox.save()
    enrollment = enrolled(sequence, email="ana@northwind.example")

    report = tick(now=NOW)

    message = Message.objects.get()
    assert (report.sent, report.retrying) == (0, 1)
    assert (message.status, message.attempts) == (Message.Status.QUEUED, 1)
    assert message.next_attempt_at == NOW + dt.timedelta(minutes=5)
    assert "Connection refused" in message.error
    assert tick(now=NOW + dt.timedelta(minutes=4)).retrying == 0  # not yet

    assert tick(now=NOW + dt.timedelta(minutes=5)).retrying == 1
    message.refresh_from_db()
    assert (message.attempts, message.next_attempt_at) == (2, NOW + dt.timedelta(minutes=15))  # waited 10 more

    assert tick(now=NOW + dt.timedelta(minutes=15)).failed == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.error.startswith("gave up after 3 attempts")
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == (Enrollment.Status.STOPPED, "failed")
    assert Activity.objects.filter(lead=enrollment.lead, kind=Activity.Kind.EMAIL_NOT_SENT).exists()


def test_a_temporary_refusal_is_retried_and_then_delivered_once(mail_sink, sequence):
    mail_sink.refusals["ana@northwind.example"] = "451 4.7.1 Greylisted, try again later"
    enrolled(sequence, email="ana@northwind.example")

    assert tick(now=NOW).retrying == 1
    del mail_sink.refusals["ana@northwind.example"]
    assert tick(now=NOW + dt.timedelta(minutes=5)).sent == 1

    assert len(mail_sink.received_by("ana@northwind.example")) == 1
    message = Message.objects.get()
    assert (message.status, message.attempts) == (Message.Status.SENT, 2)


def test_a_permanent_refusal_fails_that_message_only_and_suppresses_the_address(mail_sink, sequence):
    mail_sink.refusals["gone@northwind.example"] = "550 5.1.1 No such user here"
    refused = enrolled(sequence, email="gone@northwind.example")
    other = enrolled(sequence, email="ana@northwind.example")

    report = tick(now=NOW)

    assert (report.sent, report.failed) == (1, 1)
    message = Message.objects.get(enrollment=refused)
    assert message.status == Message.Status.FAILED
    assert "550 5.1.1 No such user here" in message.error
    refused.refresh_from_db()
    assert (refused.status, refused.stop_reason) == (Enrollment.Status.STOPPED, "failed")
    line = Activity.objects.get(lead=refused.lead, kind=Activity.Kind.EMAIL_NOT_SENT)
    assert "550 5.1.1" in line.summary
    assert Suppression.objects.get(email="gone@northwind.example").reason == Suppression.Reason.HARD_BOUNCE
    other.refresh_from_db()
    assert other.status == Enrollment.Status.FINISHED
    assert len(mail_sink.received_by("ana@northwind.example")) == 1
    sequence.refresh_from_db()
    assert sequence.status == "active"


def test_a_message_refused_at_data_fails_without_suppressing_the_address(mail_sink, sequence):
    mail_sink.data_answer = "554 5.7.1 Message rejected as spam"
    enrolled(sequence, email="ana@northwind.example")

    assert tick(now=NOW).failed == 1

    assert "554 5.7.1" in Message.objects.get().error
    assert not Suppression.objects.exists()


def test_a_field_that_cannot_be_filled_skips_the_message_and_says_which(mail_sink, sequence):
    StepVariant.objects.filter(step__sequence=sequence).update(subject="About {{ nickname }}")
    enrollment = enrolled(sequence, email="ana@northwind.example")

    report = tick(now=NOW)

    assert (report.sent, report.skipped_reasons) == (0, {"unresolved merge fields: nickname": 1})
    assert mail_sink.messages == []
    message = Message.objects.get(enrollment=enrollment)
    assert (message.status, message.error) == (Message.Status.SKIPPED, "unresolved merge fields: nickname")
    assert Activity.objects.filter(lead=enrollment.lead, kind=Activity.Kind.EMAIL_NOT_SENT).exists()


@pytest.mark.parametrize("entry", ["ana@northwind.example", "@northwind.example"])
def test_an_address_suppressed_after_enrolment_is_skipped_at_send_time(mail_sink, sequence, entry):
    enrollment = enrolled(sequence, email="ana@northwind.example")
    Suppression.objects.create(email=entry, reason=Suppression.Reason.UNSUBSCRIBED)

    report = tick(now=NOW)

    assert report.skipped_reasons == {"suppressed (unsubscribed)": 1}
    assert mail_sink.messages == []
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == (Enrollment.Status.STOPPED, "suppressed")


def test_a_lead_without_an_email_is_skipped_with_the_reason(mail_sink, sequence):
    enrollment = enrolled(sequence, email="")

    assert tick(now=NOW).skipped_reasons == {"no email address": 1}

    assert Message.objects.get(enrollment=enrollment).error == "no email address"
    enrollment.refresh_from_db()
    assert enrollment.stop_reason == "no_email"


def test_a_lead_marked_do_not_contact_gets_nothing(mail_sink, sequence):
    enrolled(sequence, email="ana@northwind.example", do_not_contact=True)

    assert tick(now=NOW).skipped_reasons == {"the lead is marked do not contact": 1}
    assert mail_sink.messages == []


def test_a_paused_sequence_sends_nothing(mail_sink, sequence):
    sequence.status = "paused"
    sequence.save()
    enrolled(sequence, email="ana@northwind.example")

    assert tick(now=NOW).sent == 0
    assert mail_sink.messages == []


def _died_mid_send(sequence) -> Message:
    """A message its worker claimed ten minutes ago and never confirmed (the worker was killed)."""
    enrollment = enrolled(sequence, email="ana@northwind.example", due_at=None)
    return Message.objects.create(
        enrollment=enrollment, step=sequence.steps.get(), lead=enrollment.lead, mailbox=sequence.mailbox,
        to_email="ana@northwind.example", subject="Quick question", body="Hi", message_id="<died@acme.example>",
        status=Message.Status.SENDING, claimed_by="gone", claimed_at=NOW - dt.timedelta(minutes=10), attempts=1,
    )  # fmt: skip


def test_a_message_whose_worker_died_becomes_uncertain_and_is_not_resent(mail_sink, sequence):
    message = _died_mid_send(sequence)

    assert tick(now=NOW).uncertain == 1
    assert tick(now=NOW + dt.timedelta(days=1)).sent == 0

    message.refresh_from_db()
    assert message.status == Message.Status.UNCERTAIN
    assert mail_sink.messages == []


def test_an_uncertain_message_judged_unsent_is_sent_again_once(mail_sink, sequence, admin_ada):
    message = _died_mid_send(sequence)
    tick(now=NOW)
    message.refresh_from_db()

    message_reviewed(message, sent=False, actor=admin_ada, now=NOW)
    assert tick(now=NOW + dt.timedelta(minutes=1)).sent == 1

    assert [m["Message-ID"] for m in mail_sink.received_by("ana@northwind.example")] == ["<died@acme.example>"]
    with pytest.raises(ValidationError):
        message_reviewed(message, sent=False, actor=admin_ada)  # it is sent now: nothing to review


def test_an_uncertain_message_judged_sent_moves_the_enrollment_on(mail_sink, sequence, admin_ada):
    message = _died_mid_send(sequence)
    tick(now=NOW)

    message_reviewed(message, sent=True, actor=admin_ada, now=NOW)

    assert message.status == Message.Status.SENT
    assert Enrollment.objects.get(pk=message.enrollment_id).status == Enrollment.Status.FINISHED
    assert tick(now=NOW + dt.timedelta(minutes=1)).sent == 0
    assert mail_sink.messages == []
