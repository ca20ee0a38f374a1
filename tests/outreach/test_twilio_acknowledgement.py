"""Seeds' workflow: an ad-form lead is acknowledged at once by WhatsApp (an approved template through the Twilio
stand-in) or by email (a local SMTP server) when its source says so, and its conversation opens with the form's
answers; a delivery saved twice is acknowledged once."""

from __future__ import annotations

import json

import pytest

from outreach.acknowledgements import ad_lead_acknowledge
from outreach.channels.whatsapp import window_open
from outreach.models import Conversation, ConversationChannel, ConversationMessage, Template, WhatsAppTemplate
from scraping.deliveries import deliveries_save
from scraping.models import AdDelivery, Source
from tests.outreach.twilio import PRIYA_NUMBER

ANSWERS = {
    "FULL_NAME": "Priya Shah",
    "PHONE_NUMBER": PRIYA_NUMBER,
    "EMAIL": "priya@shahfleet.example",
    "How many vans do you run?": "12",
}


@pytest.fixture
def thanks_template(db):
    return WhatsAppTemplate.objects.create(
        name="ad_thanks", content_sid="HX" + "d" * 32, variables=["{{ first_name|default:'there' }}"],
        body_preview="Thanks {{1}}! We got your request and will call you today.",
    )  # fmt: skip


def ad_source(rep_alice, **acknowledge) -> Source:
    return Source.objects.create(kind=Source.Kind.GOOGLE_ADS, name="Van fleet form", owner=rep_alice, **acknowledge)


def delivered(source: Source, fields: dict = ANSWERS, platform_id: str = "lead-1") -> AdDelivery:
    return AdDelivery.objects.create(source=source, platform_lead_id=platform_id, fields=fields)


def test_a_whatsapp_acknowledgement_goes_and_the_thread_opens_with_the_answers(twilio, rep_alice, thanks_template):
    source = ad_source(rep_alice, acknowledge_by="whatsapp", acknowledge_template="ad_thanks")
    delivery = delivered(source)

    assert deliveries_save(source.pk) == 1

    (call,) = twilio.calls
    assert call["To"] == f"whatsapp:{PRIYA_NUMBER}"
    assert call["ContentSid"] == thanks_template.content_sid
    assert json.loads(call["ContentVariables"]) == {"1": "Priya"}
    delivery.refresh_from_db()
    conversation = Conversation.objects.get(lead=delivery.lead, channel=ConversationChannel.WHATSAPP)
    assert conversation.assigned_to == rep_alice
    answers, thanks = conversation.messages.all()
    assert answers.kind == ConversationMessage.Kind.FORM
    heading, *lines = answers.text.splitlines()
    assert heading == "Answers to the form of Van fleet form:"
    # In the form's order where the database keeps it (PostgreSQL's jsonb does not).
    assert sorted(lines) == [
        "EMAIL: priya@shahfleet.example",
        "FULL_NAME: Priya Shah",
        "How many vans do you run?: 12",
        f"PHONE_NUMBER: {PRIYA_NUMBER}",
    ]
    assert (thanks.direction, thanks.text) == ("out", "Thanks Priya! We got your request and will call you today.")
    # Filling in a form is no WhatsApp message: free text still needs the lead to write first.
    assert not window_open(conversation)


def test_a_delivery_is_acknowledged_once(twilio, rep_alice, thanks_template):
    source = ad_source(rep_alice, acknowledge_by="whatsapp", acknowledge_template="ad_thanks")
    delivery = delivered(source)
    deliveries_save(source.pk)
    delivery.refresh_from_db()

    ad_lead_acknowledge(delivery.lead, source=source, delivery=delivery)

    assert len(twilio.calls) == 1
    assert ConversationMessage.objects.filter(kind=ConversationMessage.Kind.FORM).count() == 1


def test_an_email_acknowledgement_goes_from_the_sources_mailbox(rep_alice, mailbox, mail_sink):
    Template.objects.create(name="Ad thanks", subject="Thanks, {{ first_name }}", body="We will call you today.")
    source = ad_source(rep_alice, acknowledge_by="email", acknowledge_template="Ad thanks",
                       acknowledge_from=mailbox.address)  # fmt: skip
    delivered(source)

    deliveries_save(source.pk)

    (email,) = mail_sink.received_by("priya@shahfleet.example")
    assert email["Subject"] == "Thanks, Priya"
    line = ConversationMessage.objects.get(direction="out")
    assert (line.status, line.message_id) == ("sent", email["Message-ID"])
    assert line.conversation.messages.first().kind == ConversationMessage.Kind.FORM


def test_a_missing_template_is_said_on_the_timeline(twilio, rep_alice):
    source = ad_source(rep_alice, acknowledge_by="whatsapp", acknowledge_template="gone")
    delivery = delivered(source)

    deliveries_save(source.pk)

    assert twilio.calls == []
    delivery.refresh_from_db()
    note = delivery.lead.activities.get(summary__startswith="Ad form not acknowledged")
    assert "no active WhatsApp template named 'gone'" in note.summary


def test_a_source_that_asks_for_nothing_sends_nothing(twilio, rep_alice):
    source = ad_source(rep_alice)
    delivered(source)
    deliveries_save(source.pk)
    assert twilio.calls == []
    assert not Conversation.objects.exists()
