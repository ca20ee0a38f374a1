"""What the Twilio tests share: the stand-in API with settings pointed at it, a lead with a WhatsApp number, and
webhooks posted the way Twilio posts them (form parameters, signed with X-Twilio-Signature)."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import LeadFactory
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, WHATSAPP_FROM, TwilioStandIn, signed

PRIYA_NUMBER = "+447911123456"
_inbound_sids = (f"SM{n:032x}" for n in itertools.count(0xA000))


@pytest.fixture
def twilio(httpserver, local_stand_ins) -> TwilioStandIn:
    stand_in = TwilioStandIn(httpserver)
    local_stand_ins.TWILIO_BASE_URL = stand_in.base_url
    local_stand_ins.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    local_stand_ins.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    local_stand_ins.TWILIO_WHATSAPP_FROM = WHATSAPP_FROM
    local_stand_ins.TWILIO_SMS_FROM = SMS_FROM
    return stand_in


@pytest.fixture
def priya_wa(db, rep_alice):
    """Alice's lead Priya, whose mobile is on WhatsApp."""
    return LeadFactory(first_name="Priya", last_name="Shah", phone=PRIYA_NUMBER, owner=rep_alice)


def inbound_form(body: str = "Yes, tell me more", *, number: str = PRIYA_NUMBER, channel: str = "whatsapp",
                 sid: str | None = None, **extra) -> dict[str, str]:  # fmt: skip
    """An incoming message as Twilio posts it to the channel's webhook."""
    sid = sid or next(_inbound_sids)
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    form = {
        "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received", "Body": body,
        "To": prefix + (WHATSAPP_FROM.removeprefix("whatsapp:") if prefix else SMS_FROM), "NumSegments": "1",
        "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": prefix + number, "ApiVersion": "2010-04-01",
        "ReferralNumMedia": "0", "MessageType": "text",
    }  # fmt: skip
    if channel == "whatsapp":
        form |= {"ProfileName": "Priya", "WaId": number.removeprefix("+")}
    return form | extra


def status_form(sid: str, status: str, *, channel: str = "whatsapp", **extra) -> dict[str, str]:
    """A status callback as Twilio posts it to a message's StatusCallback."""
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    form = {
        "SmsSid": sid, "SmsStatus": status, "MessageStatus": status, "To": prefix + PRIYA_NUMBER,
        "MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": WHATSAPP_FROM if prefix else SMS_FROM,
        "ApiVersion": "2010-04-01", "ChannelToAddress": PRIYA_NUMBER, "ChannelPrefix": channel,
    }  # fmt: skip
    return form | extra


def webhook_post(client, form: dict[str, str], *, channel: str = "whatsapp", signature: str | None = None):
    """Post the form to the channel's webhook as Twilio does, signed over SITE_URL plus the path."""
    path = reverse(f"twilio:{channel}")
    if signature is None:
        signature = signed(settings.SITE_URL + path, form)
    return client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)
