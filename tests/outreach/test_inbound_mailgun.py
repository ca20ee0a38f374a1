"""Mailgun's inbound route through django-anymail: forward() posts either the raw MIME (`body-mime`, at
/anymail/mailgun/inbound_mime/) or Mailgun's parsed fields (`body-plain`, `message-headers` JSON, files as
`attachment-N`, at /anymail/mailgun/inbound/), signed with timestamp, token and an HMAC of both. The real MIME
fixtures go through it; a forged signature writes nothing; a replay is kept once."""

import hashlib
import hmac
import json
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Notification
from outreach.models import ConversationMessage, Enrollment, MessageEvent, Suppression, UnmatchedEmail
from tests.outreach.reply_world import fixture_mail

SIGNING_KEY = "key-mailgun-inbound-signing-test"
MIME_URL = "/anymail/mailgun/inbound_mime/"
PARSED_URL = "/anymail/mailgun/inbound/"


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": None}
    return settings


def _signed(fields: dict, *, key: str = SIGNING_KEY, token: str = "") -> dict:
    timestamp = str(int(time.time()))
    token = token or hashlib.sha256(f"{time.monotonic_ns()}".encode()).hexdigest()[:50]
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {**fields, "timestamp": timestamp, "token": token, "signature": signature}


def _mime_post(name: str, **signing) -> dict:
    """What Mailgun posts for a route forwarding to a URL ending in "mime": the envelope and the whole message."""
    return _signed(
        {
            "recipient": "sam@acme.example",
            "sender": "bounce+priya.shah=northwind.example@northwind.example",
            "from": "Priya Shah <priya.shah@northwind.example>",
            "subject": "Re: Quick question, Priya",
            "body-mime": fixture_mail(name).decode("utf-8"),
        },
        **signing,
    )


def test_the_webhooks_are_where_anymails_documentation_puts_them(client, mailgun, world):
    assert client.post(MIME_URL, _mime_post("gmail_reply.eml")).status_code == 200
    assert client.post(PARSED_URL, _parsed_outlook_post()).status_code == 200


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("gmail_reply.eml", "message"),
        ("outlook_reply.eml", "message"),
        ("out_of_office.eml", "auto_reply"),
        ("dsn_hard_bounce.eml", "bounce"),
        ("dsn_soft_bounce.eml", "bounce"),
        ("unsubscribe_request.eml", "unsubscribe"),
        ("html_with_script.eml", "message"),
    ],
)
def test_each_real_message_posted_as_raw_mime_is_kept_as_its_kind(client, mailgun, world, name, kind):
    payload = _mime_post(name)
    assert client.post(MIME_URL, payload).status_code == 200
    message = ConversationMessage.objects.get()
    assert message.kind == kind
    assert message.provider_id == f"mailgun:{payload['token']}"
    assert message.raw.read() == fixture_mail(name)


def test_a_reply_through_the_webhook_does_everything_a_reply_does(client, mailgun, world, rep_alice):
    client.post(MIME_URL, _mime_post("gmail_reply.eml"))
    priya = world.priya.refresh()
    assert priya.enrollment.stop_reason == "replied"
    assert priya.message.replied_at is not None
    assert Notification.objects.filter(user=rep_alice, lead=priya.lead).count() == 1


def test_a_hard_bounce_through_the_webhook_is_recorded_and_suppresses(client, mailgun, world):
    client.post(MIME_URL, _mime_post("dsn_hard_bounce.eml"))
    oliver = world.oliver.refresh()
    assert oliver.message.events.get().kind == MessageEvent.Kind.BOUNCED
    assert oliver.message.events.get().via == "mailgun"
    assert Suppression.objects.filter(email="old.contact@northwind.example", reason="hard_bounce").exists()


def test_a_forged_signature_is_refused_and_nothing_is_written(client, mailgun, world):
    for payload in (_mime_post("gmail_reply.eml", key="not-the-key"), _mime_post("unsubscribe_request.eml",
                                                                                 key="not-the-key")):  # fmt: skip
        assert client.post(MIME_URL, payload).status_code == 400
    unsigned = {key: value for key, value in _mime_post("gmail_reply.eml").items() if key != "signature"}
    assert client.post(MIME_URL, unsigned).status_code == 400
    assert not ConversationMessage.objects.exists() and not UnmatchedEmail.objects.exists()
    assert not Suppression.objects.exists() and not Notification.objects.exists()
    assert world.priya.refresh().enrollment.status == Enrollment.Status.ACTIVE


def test_without_a_signing_key_every_post_is_refused(client, settings, world):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": None}
    assert client.post(MIME_URL, _mime_post("gmail_reply.eml")).status_code == 403
    assert not ConversationMessage.objects.exists()


def test_a_replayed_post_is_kept_once(client, mailgun, world, rep_alice):
    payload = _mime_post("gmail_reply.eml")
    assert client.post(MIME_URL, payload).status_code == 200
    assert client.post(MIME_URL, payload).status_code == 200
    # Mailgun retrying with a fresh token: the same Message-ID.
    assert client.post(MIME_URL, _mime_post("gmail_reply.eml")).status_code == 200
    assert ConversationMessage.objects.count() == 1
    assert Notification.objects.filter(user=rep_alice).count() == 1


def _parsed_outlook_post(attachment: SimpleUploadedFile | None = None) -> dict:
    """Mailgun's fully parsed form of the Outlook reply: the headers as JSON pairs, the bodies, the files."""
    headers = [
        ["Received", "from EUR04-DB3-obe.outbound.protection.outlook.example by mxa.mailgun.org with ESMTP"],
        ["From", "Jonas Weber <Jonas.Weber@contoso.example>"],
        ["To", "Sam Seller <sam@acme.example>"],
        ["Subject", "RE: Freight costs at Contoso"],
        ["Thread-Topic", "Freight costs at Contoso"],
        ["Date", "Wed, 2 Dec 2026 11:02:38 +0000"],
        ["Message-Id", "<AM9PR04MB8467C2D1E0F3A1B2C3D4E5F6A7B8@AM9PR04MB8467.eurprd04.prod.outlook.example>"],
        ["Mime-Version", "1.0"],
        ["Content-Type", 'multipart/mixed; boundary="_004_AM9PR04MB8467C2D1E0F3A1B2_"'],
    ]
    body = (
        "Hello Sam,\r\n\r\nCould you quote for the Hamburg – Rotterdam lane?\r\n\r\nKind regards\r\nJonas Weber\r\n\r\n"
        "From: Sam Seller <sam@acme.example>\r\nSent: Tuesday, December 1, 2026 10:30 AM\r\n"
        "To: Jonas Weber <jonas.weber@contoso.example>\r\nSubject: Freight costs at Contoso\r\n\r\n"
        "Hi Jonas, I saw Contoso is hiring.\r\n"
    )
    fields = {
        "recipient": "sam@acme.example",
        "sender": "Jonas.Weber@contoso.example",
        "from": "Jonas Weber <Jonas.Weber@contoso.example>",
        "subject": "RE: Freight costs at Contoso",
        "body-plain": body,
        "stripped-text": "Hello Sam,\r\n\r\nCould you quote for the Hamburg – Rotterdam lane?",
        "stripped-signature": "Kind regards\r\nJonas Weber",
        "body-html": "<html><body><p>Hello Sam,</p><p>Could you quote?</p></body></html>",
        "message-headers": json.dumps(headers),
        "attachment-count": "1" if attachment else "0",
    }
    if attachment:
        fields["attachment-1"] = attachment
    return _signed(fields)


def test_mailguns_parsed_fields_are_read_too(client, mailgun, world):
    pdf = SimpleUploadedFile("Contoso rate sheet Q1.pdf", b"%PDF-1.4 rates", content_type="application/pdf")
    assert client.post(PARSED_URL, _parsed_outlook_post(pdf)).status_code == 200

    message = ConversationMessage.objects.get()
    jonas = world.jonas.refresh()
    assert message.conversation.lead == jonas.lead and message.sequence_message == jonas.message
    assert message.text == "Hello Sam,\n\nCould you quote for the Hamburg – Rotterdam lane?"
    assert message.quoted.startswith("From: Sam Seller <sam@acme.example>")
    [kept] = message.attachments
    with default_storage.open(kept["path"]) as file:
        assert file.read() == b"%PDF-1.4 rates"
    assert jonas.enrollment.stop_reason == "replied"


def test_a_20_mb_attachment_through_the_webhook_is_listed_not_kept(client, mailgun, world):
    big = SimpleUploadedFile("catalogue.pdf", b"%PDF" + b"x" * (20 * 1024 * 1024), content_type="application/pdf")
    assert client.post(PARSED_URL, _parsed_outlook_post(big)).status_code == 200
    [listed] = ConversationMessage.objects.get().attachments
    assert listed == {"name": "catalogue.pdf", "size": 20 * 1024 * 1024 + 4, "content_type": "application/pdf",
                      "note": "too large, not kept"}  # fmt: skip
