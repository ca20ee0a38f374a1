"""The WhatsApp step of a sequence, sent through Twilio's API (a local stand-in) by the sending tick: a template while
the lead's 24-hour window is closed, the step's text while it is open, claimed before the call and so sent exactly
once however often the tick runs; do-not-call numbers skipped with the reason; loaded from and written to YAML."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection
from django.urls import reverse

from crm.models import DoNotCallNumber
from outreach.conversations import conversation_open
from outreach.models import ConversationChannel, ConversationMessage, Enrollment, Message, Sequence, WhatsAppTemplate
from outreach.scheduler import tick
from outreach.sequence_files import sequence_dump, sequence_load
from outreach.sequences import SequenceSpec, StepSpec, VariantSpec, sequence_save
from tests.factories import LeadFactory
from tests.outreach.sending import EVERY_DAY, MIDNIGHT, NOW, enrolled
from tests.outreach.twilio import PRIYA_NUMBER, status_form, webhook_post


@pytest.fixture
def intro_template(db):
    return WhatsAppTemplate.objects.create(
        name="intro", content_sid="HX" + "c" * 32, variables=["{{ first_name|default:'there' }}"],
        body_preview="Hi {{1}}, thanks for getting in touch. Shall we set up a call?",
    )  # fmt: skip


def whatsapp_sequence(*, template: WhatsAppTemplate | None, text: str = "Hi {{ first_name }}, any questions?"):
    step = StepSpec(kind="whatsapp", whatsapp_template=template.name if template else "",
                    variants=[VariantSpec(body=text)] if text else [])  # fmt: skip
    spec = SequenceSpec(name="WhatsApp intro", steps=[step], window_days=EVERY_DAY, window_start=MIDNIGHT,
                        window_end=dt.time(23, 59))  # fmt: skip
    sequence = sequence_save(spec=spec, actor=None)
    Sequence.objects.filter(pk=sequence.pk).update(status=Sequence.Status.ACTIVE)
    return sequence


def lead_wrote(lead, *, at: dt.datetime) -> None:
    conversation = conversation_open(lead, ConversationChannel.WHATSAPP, peer=lead.phone)
    conversation.last_inbound_at = at
    conversation.save(update_fields=["last_inbound_at"])


def test_the_template_goes_when_the_window_is_closed_and_exactly_once(twilio, priya_wa, intro_template):
    enrollment = enrolled(whatsapp_sequence(template=intro_template), priya_wa)

    first = tick(now=NOW)
    second = tick(now=NOW)

    (call,) = twilio.calls
    assert call["To"] == f"whatsapp:{PRIYA_NUMBER}"
    assert call["ContentSid"] == intro_template.content_sid
    assert json.loads(call["ContentVariables"]) == {"1": "Priya"}
    assert (first.sent, second.sent) == (1, 0)
    message = Message.objects.get(enrollment=enrollment)
    assert message.status == Message.Status.SENT
    assert message.provider_message_id == call_sid(message)
    line = ConversationMessage.objects.get(sequence_message=message)
    assert line.text == "Hi Priya, thanks for getting in touch. Shall we set up a call?"
    assert line.status == ConversationMessage.Status.QUEUED
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.FINISHED
    assert priya_wa.activities.filter(summary__startswith="WhatsApp message sent").exists()


def call_sid(message: Message) -> str:
    return ConversationMessage.objects.get(sequence_message=message).provider_id


def test_free_text_goes_when_the_lead_wrote_within_a_day(twilio, priya_wa, intro_template):
    lead_wrote(priya_wa, at=NOW - dt.timedelta(hours=5))
    enrolled(whatsapp_sequence(template=intro_template), priya_wa)

    tick(now=NOW)

    (call,) = twilio.calls
    assert call["Body"] == "Hi Priya, any questions?"
    assert "ContentSid" not in call


def test_a_closed_window_without_a_template_is_skipped_with_the_reason(twilio, priya_wa):
    lead_wrote(priya_wa, at=NOW - dt.timedelta(hours=30))
    enrollment = enrolled(whatsapp_sequence(template=None), priya_wa)

    report = tick(now=NOW)

    assert twilio.calls == []
    assert report.skipped_reasons == {"the lead's 24-hour WhatsApp window is closed and the step has no template": 1}
    message = Message.objects.get(enrollment=enrollment)
    assert message.status == Message.Status.SKIPPED


def test_a_do_not_call_number_is_skipped(twilio, priya_wa, intro_template):
    DoNotCallNumber.objects.create(number=PRIYA_NUMBER, origin="national list")
    enrollment = enrolled(whatsapp_sequence(template=intro_template), priya_wa)

    report = tick(now=NOW)

    assert twilio.calls == []
    assert report.skipped_reasons == {"the number is on the do-not-call list": 1}
    assert Message.objects.get(enrollment=enrollment).error == "the number is on the do-not-call list"


def test_a_lead_without_a_number_is_skipped(twilio, priya_wa, intro_template):
    priya_wa.phone = ""
    priya_wa.save()
    enrolled(whatsapp_sequence(template=intro_template), priya_wa)
    assert tick(now=NOW).skipped_reasons == {"no phone number": 1}
    assert twilio.calls == []


def test_a_number_twilio_refuses_fails_the_step(twilio, priya_wa, intro_template):
    enrollment = enrolled(whatsapp_sequence(template=intro_template), priya_wa)
    twilio.refuse(21211)

    report = tick(now=NOW)

    assert report.failed == 1
    message = Message.objects.get(enrollment=enrollment)
    assert message.status == Message.Status.FAILED
    assert "21211" in message.error
    assert ConversationMessage.objects.get(sequence_message=message).status == ConversationMessage.Status.FAILED
    enrollment.refresh_from_db()
    assert enrollment.stop_reason == Enrollment.StopReason.FAILED


def test_a_busy_twilio_is_asked_again_later(twilio, priya_wa, intro_template):
    enrollment = enrolled(whatsapp_sequence(template=intro_template), priya_wa)
    twilio.refuse(20429)

    assert tick(now=NOW).retrying == 1
    message = Message.objects.get(enrollment=enrollment)
    assert message.status == Message.Status.QUEUED
    tick(now=message.next_attempt_at)

    assert len(twilio.calls) == 2
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_delivery_reports_reach_the_sequence_message(twilio, priya_wa, intro_template, client):
    enrollment = enrolled(whatsapp_sequence(template=intro_template), priya_wa)
    tick(now=NOW)
    message = Message.objects.get(enrollment=enrollment)

    webhook_post(client, status_form(message.provider_message_id, "delivered"))

    message.refresh_from_db()
    assert message.delivered_at is not None
    assert ConversationMessage.objects.get(sequence_message=message).status == ConversationMessage.Status.DELIVERED


def test_a_whatsapp_step_loads_from_yaml_and_writes_back(db, intro_template):
    text = """
name: Ad follow-up
window: {days: [mon, tue, wed, thu, fri], from: "08:00", to: "20:00"}
steps:
  - {kind: whatsapp, template: intro, body: "Hi {{ first_name }}, did you get our brochure?"}
  - {kind: whatsapp, delay_days: 2, template: intro}
"""
    sequence, _created = sequence_load(text, actor=None)

    first, second = sequence.steps.order_by("position")
    assert (first.kind, first.whatsapp_template, first.variants.get().body) == (
        "whatsapp",
        intro_template,
        "Hi {{ first_name }}, did you get our brochure?",
    )
    assert (second.whatsapp_template, second.variants.count()) == (intro_template, 0)
    dumped = sequence_dump(sequence)
    assert "template: intro" in dumped
    assert sequence_load(dumped, actor=None) == (sequence, False)


def test_an_unknown_template_in_yaml_is_refused_with_its_line(db):
    text = "name: Bad\nsteps:\n  - {kind: whatsapp, template: nope}\n"
    with pytest.raises(ValueError, match="line 3: Step 1: no WhatsApp template named 'nope'"):
        sequence_load(text, actor=None)


def test_a_manager_adds_a_whatsapp_step_in_the_builder(client, manager_mia, intro_template):
    client.force_login(manager_mia)
    page = client.get(reverse("outreach:sequence_new"))
    assert '<option value="intro"' in page.content.decode()

    form = {
        "name": "Ad replies", "window_days": ["mon"], "window_start": "09:00", "window_end": "17:00",
        "daily_cap": "50", "step_count": "1", "steps-0-kind": "whatsapp", "steps-0-delay_days": "0",
        "steps-0-a_subject": "", "steps-0-a_body": "", "steps-0-whatsapp_template": "intro", "action": "save",
    }  # fmt: skip
    assert client.post(reverse("outreach:sequence_new"), form).status_code == 302

    step = Sequence.objects.get(name="Ad replies").steps.get()
    assert (step.kind, step.whatsapp_template, step.variants.count()) == ("whatsapp", intro_template, 0)


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_send_the_step_once(twilio, intro_template):
    lead = LeadFactory(first_name="Priya", phone=PRIYA_NUMBER)
    enrollment = enrolled(whatsapp_sequence(template=intro_template), lead)
    barrier = threading.Barrier(2)

    def worker(name: str) -> None:
        barrier.wait()
        try:
            tick(now=NOW, worker=name)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"worker-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(twilio.calls) == 1
    assert Message.objects.get(enrollment=enrollment).status == Message.Status.SENT
    assert ConversationMessage.objects.filter(direction="out").count() == 1
