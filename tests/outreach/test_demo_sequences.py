"""The demo shows email sequences: a console mailbox, the cloned cold intro sent by a real tick, the engagement on
its messages recorded by the real services, a suppressed address and a message left for review."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from outreach.models import Enrollment, Mailbox, Message, MessageEvent, Sequence, Suppression

Kind = MessageEvent.Kind


def test_the_demo_sends_a_sequence_and_records_what_happened(db, capsys):
    out = StringIO()
    call_command("seed_demo", "--allow-without-debug", stdout=out)
    assert "Subject:" not in capsys.readouterr().out  # the console mailbox's emails stay off the screen

    mailbox = Mailbox.objects.get(address="sales@leadflow.example")
    assert mailbox.transport == Mailbox.Transport.CONSOLE and mailbox.postal_address and mailbox.signature
    sequence = Sequence.objects.get(name="Demo: Cold intro")
    assert sequence.status == Sequence.Status.ACTIVE and sequence.mailbox == mailbox and not sequence.is_template
    assert sequence.steps.order_by("position").first().variants.count() == 2
    assert Sequence.objects.filter(name="Cold intro (3 steps)", is_template=True).exists()

    messages = Message.objects.filter(enrollment__sequence=sequence)
    sent = messages.filter(status=Message.Status.SENT)
    assert sent.count() >= 5 and not sent.filter(sent_at__isnull=True).exists()
    events = MessageEvent.objects.filter(message__enrollment__sequence=sequence)
    assert events.filter(kind=Kind.OPENED, machine=False, via="pixel").exists()
    assert events.filter(kind=Kind.CLICKED, machine=False, via="redirect").exists()
    assert events.filter(kind=Kind.OPENED, machine=True, machine_reason="Apple Mail Privacy Protection").exists()
    # One reply recorded by the sequences' part, one written into the inbox by its demo (outreach/demo_inbox.py).
    assert events.filter(kind=Kind.REPLIED).count() == 2
    unsubscribed = events.get(kind=Kind.UNSUBSCRIBED).message
    bounced = events.get(kind=Kind.BOUNCED, data__code=550).message
    assert bounced.bounced_at is not None and bounced.bounce_kind == "hard"

    reasons = dict(Suppression.objects.values_list("email", "reason"))
    assert reasons[unsubscribed.to_email.lower()] == Suppression.Reason.UNSUBSCRIBED
    assert reasons[bounced.to_email.lower()] == Suppression.Reason.HARD_BOUNCE
    stopped = dict(Enrollment.objects.filter(sequence=sequence).values_list("lead_id", "stop_reason"))
    assert stopped[unsubscribed.lead_id] == Enrollment.StopReason.UNSUBSCRIBED
    assert Enrollment.StopReason.REPLIED in stopped.values()

    assert messages.filter(status=Message.Status.UNCERTAIN).count() == 1
    text = out.getvalue()
    assert "sequence 'Demo: Cold intro'" in text and "1 uncertain for review at /outreach/messages/uncertain/" in text

    count = Message.objects.count()
    call_command("seed_demo", "--allow-without-debug", stdout=StringIO())  # a second run adds nothing
    assert Sequence.objects.filter(name="Demo: Cold intro").count() == 1 and Message.objects.count() == count
