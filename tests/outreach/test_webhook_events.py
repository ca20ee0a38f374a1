"""The outreach side of outgoing webhooks: a reply read from a real email, an email asking to be removed, and a
WhatsApp STOP each publish their event (lead.replied, lead.unsubscribed) to a local endpoint."""

from __future__ import annotations

from standardwebhooks import Webhook

from crm.webhooks.events import EventType
from outreach.replies import email_received
from tests.outreach.reply_world import fixture_mail
from tests.outreach.twilio import PRIYA_NUMBER, inbound_form, webhook_post


def _events(receiver, subscription) -> list[dict]:
    return [Webhook(subscription.secret).verify(request.body, request.headers) for request in receiver.received]


def test_a_reply_by_email_is_published(world, receiver, subscribe, on_commit):
    subscription = subscribe(EventType.LEAD_REPLIED, EventType.LEAD_UNSUBSCRIBED)
    with on_commit():
        email_received(fixture_mail("gmail_reply.eml"), via="imap")
    [event] = _events(receiver, subscription)
    assert event["type"] == "lead.replied" and event["data"]["lead"]["id"] == world.priya.lead.pk
    assert event["data"]["channel"] == "email" and event["data"]["text"]


def test_an_email_asking_to_be_removed_is_an_unsubscribe_not_a_reply(world, receiver, subscribe, on_commit):
    subscription = subscribe(EventType.LEAD_REPLIED, EventType.LEAD_UNSUBSCRIBED)
    with on_commit():
        email_received(fixture_mail("unsubscribe_request.eml"), via="imap")
    [event] = _events(receiver, subscription)
    assert event["type"] == "lead.unsubscribed" and event["data"]["lead"]["id"] == world.marc.lead.pk
    assert (event["data"]["channel"], event["data"]["via"]) == ("email", "reply")


def test_whatsapp_stop_is_an_unsubscribe(twilio, priya_wa, client, receiver, subscribe, on_commit):
    subscription = subscribe(EventType.LEAD_UNSUBSCRIBED)
    with on_commit():
        assert webhook_post(client, inbound_form("STOP")).status_code == 200
    [event] = _events(receiver, subscription)
    assert event["data"]["lead"]["id"] == priya_wa.pk and event["data"]["lead"]["phone"] == PRIYA_NUMBER
    assert (event["data"]["channel"], event["data"]["via"]) == ("whatsapp", "STOP")
