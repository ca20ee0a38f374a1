"""Twilio's webhooks with the documented form parameters of inbound messages and status callbacks, signed with a
valid or an invalid X-Twilio-Signature: a message from a lead is a reply (kept once), STOP puts the number on the
do-not-call list, media become links, and delivery and read states only move forwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crm.models import DoNotCallNumber, Lead, Notification
from outreach.conversations import conversation_open, message_sent
from outreach.models import Conversation, ConversationChannel, ConversationMessage, Enrollment
from tests.factories import LeadFactory
from tests.fakes.twilio_server import signed
from tests.outreach.sending import enrolled, sequence_create
from tests.outreach.twilio import PRIYA_NUMBER, inbound_form, status_form, webhook_post

Status = ConversationMessage.Status
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response />'


def test_a_message_from_a_lead_is_kept_as_a_reply(twilio, priya_wa, client, rep_alice, mailbox):
    enrollment = enrolled(sequence_create(mailbox), priya_wa)

    answer = webhook_post(client, inbound_form("Yes, call me tomorrow"))

    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/xml"
    assert answer.content == EMPTY_TWIML
    conversation = Conversation.objects.get(lead=priya_wa, channel=ConversationChannel.WHATSAPP)
    assert (conversation.peer, conversation.unread, conversation.assigned_to) == (PRIYA_NUMBER, 1, rep_alice)
    (message,) = conversation.messages.all()
    assert (message.direction, message.kind, message.text) == ("in", "message", "Yes, call me tomorrow")
    assert message.sender == PRIYA_NUMBER
    # What a reply does: the sequence stops, the contact becomes a lead, "Replied", the owner told.
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.stop_reason) == (Enrollment.Status.STOPPED, Enrollment.StopReason.REPLIED)
    priya_wa.refresh_from_db()
    assert priya_wa.lifecycle == Lead.Lifecycle.LEAD
    assert priya_wa.stage.name == "Replied"
    assert Notification.objects.get(user=rep_alice).text == "Priya Shah replied (WhatsApp)"


def test_a_bad_signature_is_refused_and_writes_nothing(twilio, priya_wa, client, settings):
    form = inbound_form("Hello")
    forged = signed(settings.SITE_URL + "/hooks/twilio/whatsapp/", form, token="not-our-token")

    assert webhook_post(client, form, signature=forged).status_code == 403
    assert webhook_post(client, form, signature="").status_code == 403
    tampered = signed(settings.SITE_URL + "/hooks/twilio/whatsapp/", form)
    assert webhook_post(client, form | {"Body": "Changed"}, signature=tampered).status_code == 403
    assert not ConversationMessage.objects.exists()
    assert not Conversation.objects.exists()


def test_a_replayed_webhook_is_kept_once(twilio, priya_wa, client, rep_alice):
    form = inbound_form("Only once please")

    assert webhook_post(client, form).status_code == 200
    assert webhook_post(client, form).status_code == 200

    assert ConversationMessage.objects.filter(text="Only once please").count() == 1
    assert Conversation.objects.get(lead=priya_wa).unread == 1
    assert Notification.objects.filter(user=rep_alice).count() == 1


def test_an_unknown_number_becomes_a_new_unassigned_contact(twilio, client, db):
    webhook_post(client, inbound_form("Saw your ad, what does it cost?", number="+447400123456", ProfileName="Tom Wu"))

    lead = Lead.objects.get(phone="+447400123456")
    assert (lead.first_name, lead.last_name, lead.source, lead.owner) == ("Tom", "Wu", "whatsapp", None)
    conversation = lead.conversations.get()
    assert conversation.assigned_to is None
    assert conversation.messages.get().text == "Saw your ad, what does it cost?"


def test_media_are_kept_as_links(twilio, priya_wa, client):
    media = "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM1/Media/ME1"
    hostile = "javascript:alert(1)"
    form = inbound_form("", NumMedia="2", MediaUrl0=media, MediaContentType0="image/jpeg", MediaUrl1=hostile,
                        MediaContentType1="text/html", MessageType="image")  # fmt: skip

    webhook_post(client, form)

    message = ConversationMessage.objects.get()
    assert message.attachments == [{"name": "Attachment 1", "url": media, "content_type": "image/jpeg"}]


@pytest.mark.parametrize("words", ["STOP", "stop ", "Unsubscribe", "QUIT"])
def test_stop_puts_the_number_on_the_do_not_call_list(twilio, priya_wa, client, mailbox, words):
    enrollment = enrolled(sequence_create(mailbox), priya_wa)

    assert webhook_post(client, inbound_form(words)).status_code == 200

    assert DoNotCallNumber.objects.get(number=PRIYA_NUMBER).origin == "WhatsApp opt-out (STOP)"
    message = ConversationMessage.objects.get()
    assert message.kind == ConversationMessage.Kind.UNSUBSCRIBE
    enrollment.refresh_from_db()
    assert enrollment.stop_reason == Enrollment.StopReason.UNSUBSCRIBED
    priya_wa.refresh_from_db()
    assert priya_wa.stage.name != "Replied"  # an opt-out is no reply
    assert priya_wa.activities.filter(kind="unsubscribed").exists()


def test_twilio_opt_out_type_counts_as_stop(twilio, priya_wa, client):
    webhook_post(client, inbound_form("Please stop messaging me", OptOutType="STOP"))
    assert DoNotCallNumber.objects.filter(number=PRIYA_NUMBER).exists()


def test_sms_in_and_stop(twilio, priya_wa, client, rep_alice):
    webhook_post(client, inbound_form("Got your text", channel="sms"), channel="sms")
    webhook_post(client, inbound_form("STOP", channel="sms"), channel="sms")

    conversation = Conversation.objects.get(lead=priya_wa, channel=ConversationChannel.SMS)
    assert [m.text for m in conversation.messages.all()] == ["Got your text", "STOP"]
    assert DoNotCallNumber.objects.get(number=PRIYA_NUMBER).origin == "SMS opt-out (STOP)"


def _sent_line(lead, sid: str, *, channel=ConversationChannel.WHATSAPP) -> ConversationMessage:
    conversation = conversation_open(lead, channel, peer=lead.phone)
    return message_sent(conversation, status=Status.QUEUED, provider_id=sid, text="Hi")


def test_status_callbacks_move_the_status_forwards_only(twilio, priya_wa, client):
    line = _sent_line(priya_wa, "SM" + "1" * 32)

    for status, expected in [("sent", "sent"), ("read", "read"), ("delivered", "read"), ("sent", "read")]:
        assert webhook_post(client, status_form(line.provider_id, status)).content == EMPTY_TWIML
        line.refresh_from_db()
        assert line.status == expected


def test_a_failed_status_keeps_twilios_error_code(twilio, priya_wa, client):
    line = _sent_line(priya_wa, "SM" + "2" * 32)

    webhook_post(client, status_form(line.provider_id, "undelivered", ErrorCode="63024"))

    line.refresh_from_db()
    assert line.status == Status.FAILED
    assert "63024" in line.error


def test_a_late_failure_never_undoes_a_delivery(twilio, priya_wa, client):
    line = _sent_line(priya_wa, "SM" + "3" * 32)
    webhook_post(client, status_form(line.provider_id, "delivered"))
    webhook_post(client, status_form(line.provider_id, "failed", ErrorCode="30008"))
    line.refresh_from_db()
    assert (line.status, line.error) == (Status.DELIVERED, "")


def test_a_status_callback_with_a_bad_signature_changes_nothing(twilio, priya_wa, client):
    line = _sent_line(priya_wa, "SM" + "4" * 32)
    assert webhook_post(client, status_form(line.provider_id, "read"), signature="bm9wZQ==").status_code == 403
    line.refresh_from_db()
    assert line.status == Status.QUEUED


def test_a_status_for_an_unknown_message_is_answered_and_ignored(twilio, client, db):
    assert webhook_post(client, status_form("SM" + "9" * 32, "delivered")).status_code == 200


def test_an_old_window_is_no_window(twilio, priya_wa, client):
    webhook_post(client, inbound_form("Hi"))
    conversation = Conversation.objects.get(lead=priya_wa)
    assert timezone.now() - conversation.last_inbound_at < dt.timedelta(minutes=1)


def test_a_lead_matched_by_phone_among_many(twilio, client, rep_alice):
    other = LeadFactory(phone="+447911000000")
    priya = LeadFactory(first_name="Priya", phone=PRIYA_NUMBER, owner=rep_alice)
    webhook_post(client, inbound_form("Hello"))
    assert Conversation.objects.get().lead == priya
    assert not other.conversations.exists()


def test_start_after_stop_takes_only_the_opt_out_off_the_list(twilio, priya_wa, client):
    webhook_post(client, inbound_form("STOP"))
    webhook_post(client, inbound_form("START", OptOutType="START"))
    assert not DoNotCallNumber.objects.filter(number=PRIYA_NUMBER).exists()

    DoNotCallNumber.objects.create(number=PRIYA_NUMBER, origin="national-list.csv")
    webhook_post(client, inbound_form("START"))
    assert DoNotCallNumber.objects.get(number=PRIYA_NUMBER).origin == "national-list.csv"
