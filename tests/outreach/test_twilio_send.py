"""Sending WhatsApp and SMS through Twilio (a local stand-in speaking its REST API): free text only inside the
24-hour window, templates with their variables at any time, never to a do-not-call number, and Twilio's refusals
kept on the thread."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crm.models import DoNotCallNumber
from outreach.channels.whatsapp import SendRefused, sms_send, whatsapp_send, window_open
from outreach.claims import stale_claims_mark_uncertain
from outreach.conversations import conversation_open
from outreach.models import ConversationChannel, ConversationMessage, WhatsAppTemplate
from tests.fakes.twilio_server import SMS_FROM, WHATSAPP_FROM
from tests.outreach.twilio import PRIYA_NUMBER, inbound_form, webhook_post

Status = ConversationMessage.Status


@pytest.fixture
def intro_template(db):
    return WhatsAppTemplate.objects.create(
        name="intro",
        content_sid="HX" + "b" * 32,
        variables=["{{ first_name|default:'there' }}", "{{ company }}"],
        body_preview="Hi {{1}}, thanks for your interest in {{2}}. Can we talk?",
    )


def whatsapp_with(lead, *, wrote_ago: dt.timedelta | None = None):
    conversation = conversation_open(lead, ConversationChannel.WHATSAPP, peer=lead.phone)
    if wrote_ago is not None:
        conversation.last_inbound_at = timezone.now() - wrote_ago
        conversation.save(update_fields=["last_inbound_at"])
    return conversation


def test_free_text_goes_inside_the_window(twilio, priya_wa, rep_alice):
    conversation = whatsapp_with(priya_wa, wrote_ago=dt.timedelta(hours=23))
    assert window_open(conversation)

    line = whatsapp_send(conversation, author=rep_alice, text="Happy to help, Priya!")

    (call,) = twilio.calls
    assert call["To"] == f"whatsapp:{PRIYA_NUMBER}"
    assert call["From"] == WHATSAPP_FROM
    assert call["Body"] == "Happy to help, Priya!"
    assert call["StatusCallback"].endswith("/hooks/twilio/whatsapp/")
    line.refresh_from_db()
    assert (line.status, line.direction, line.author) == (Status.QUEUED, "out", rep_alice)
    assert line.provider_id.startswith("SM")
    assert line.text == "Happy to help, Priya!"


def test_free_text_is_refused_outside_the_window_and_templates_are_offered(twilio, priya_wa, rep_alice,
                                                                           intro_template):  # fmt: skip
    conversation = whatsapp_with(priya_wa, wrote_ago=dt.timedelta(hours=25))

    with pytest.raises(SendRefused) as refused:
        whatsapp_send(conversation, author=rep_alice, text="Are you there?")

    assert "24-hour window is closed" in refused.value.messages[0]
    assert refused.value.templates == [intro_template]
    assert twilio.calls == []
    assert not conversation.messages.exists()


def test_a_conversation_never_written_in_has_no_window(twilio, priya_wa, rep_alice):
    conversation = whatsapp_with(priya_wa)
    assert not window_open(conversation)
    with pytest.raises(SendRefused):
        whatsapp_send(conversation, author=rep_alice, text="Hello")


def test_an_inbound_message_opens_the_window_again(twilio, priya_wa, rep_alice, client):
    conversation = whatsapp_with(priya_wa, wrote_ago=dt.timedelta(days=3))
    assert webhook_post(client, inbound_form("Hi, back from holiday")).status_code == 200

    conversation.refresh_from_db()
    assert window_open(conversation)
    whatsapp_send(conversation, author=rep_alice, text="Welcome back!")
    assert twilio.calls[-1]["Body"] == "Welcome back!"


def test_a_template_goes_with_its_variables_from_merge_fields(twilio, priya_wa, rep_alice, intro_template):
    conversation = whatsapp_with(priya_wa)

    line = whatsapp_send(conversation, author=rep_alice, template=intro_template)

    (call,) = twilio.calls
    assert call["ContentSid"] == intro_template.content_sid
    assert json.loads(call["ContentVariables"]) == {"1": "Priya", "2": priya_wa.company.name}
    assert "Body" not in call
    assert line.text == f"Hi Priya, thanks for your interest in {priya_wa.company.name}. Can we talk?"


def test_a_refusal_by_twilio_is_kept_on_the_line(twilio, priya_wa, rep_alice):
    conversation = whatsapp_with(priya_wa, wrote_ago=dt.timedelta(hours=1))
    twilio.refuse(63016)

    line = whatsapp_send(conversation, author=rep_alice, text="Hello again")

    assert line.status == Status.FAILED
    assert "63016" in line.error and "outside the allowed window" in line.error
    line.refresh_from_db()
    assert line.status == Status.FAILED


def test_a_do_not_call_number_is_never_messaged(twilio, priya_wa, rep_alice, intro_template):
    DoNotCallNumber.objects.create(number=PRIYA_NUMBER, origin="typed")
    conversation = whatsapp_with(priya_wa, wrote_ago=dt.timedelta(hours=1))

    with pytest.raises(SendRefused, match="do-not-call"):
        whatsapp_send(conversation, author=rep_alice, text="Hello")
    with pytest.raises(SendRefused, match="do-not-call"):
        whatsapp_send(conversation, author=rep_alice, template=intro_template)
    assert twilio.calls == []


def test_a_rep_cannot_send_in_another_reps_conversation(twilio, priya_wa, rep_bob):
    conversation = whatsapp_with(priya_wa, wrote_ago=dt.timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        whatsapp_send(conversation, author=rep_bob, text="Hi")
    assert twilio.calls == []


def test_sms_has_no_window(twilio, priya_wa, rep_alice):
    conversation = conversation_open(priya_wa, ConversationChannel.SMS, peer=PRIYA_NUMBER)

    line = sms_send(conversation, author=rep_alice, text="Hi Priya, it's Alice from Acme.")

    (call,) = twilio.calls
    assert (call["To"], call["From"]) == (PRIYA_NUMBER, SMS_FROM)
    assert call["StatusCallback"].endswith("/hooks/twilio/sms/")
    assert line.status == Status.QUEUED


def test_twilio_not_set_up_is_a_clear_refusal(settings, priya_wa, rep_alice):
    settings.TWILIO_ACCOUNT_SID = ""
    conversation = whatsapp_with(priya_wa, wrote_ago=dt.timedelta(hours=1))
    with pytest.raises(SendRefused, match="not set up"):
        whatsapp_send(conversation, author=rep_alice, text="Hi")


def test_twilio_is_reached_through_the_guarded_session(twilio, settings, priya_wa, rep_alice):
    settings.TWILIO_BASE_URL = twilio.base_url.replace("localhost", "127.0.0.1")  # not a host tests may reach
    conversation = whatsapp_with(priya_wa, wrote_ago=dt.timedelta(hours=1))

    line = whatsapp_send(conversation, author=rep_alice, text="Hi")

    assert line.status == Status.FAILED
    assert "private address" in line.error
    assert twilio.calls == []


def test_a_send_whose_worker_died_becomes_uncertain(priya_wa):
    conversation = whatsapp_with(priya_wa)
    line = ConversationMessage.objects.create(
        conversation=conversation, direction="out", status=Status.SENDING,
        created_at=timezone.now() - dt.timedelta(hours=1), text="Hi",
    )  # fmt: skip

    stale_claims_mark_uncertain(now=timezone.now())

    line.refresh_from_db()
    assert line.status == Status.UNCERTAIN
