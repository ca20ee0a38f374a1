"""Audit: incoming webhooks refused for a bad signature or key (Meta, Google Ads, IndiaMART, Twilio, Mailgun), one
event per sender a minute however often it retries."""

import json

import pytest
from django.urls import reverse

from leadflow.audit import AuditEvent
from scraping.models import Source

pytestmark = pytest.mark.django_db


def assert_refused(provider: str, path: str) -> AuditEvent:
    (event,) = AuditEvent.objects.filter(action="webhook.refused")
    assert (event.actor, event.channel, event.ip, event.details["provider"], event.details["path"]) == (
        None,
        "web",
        "127.0.0.1",
        provider,
        path,
    )
    return event


def test_a_meta_notification_with_a_bad_signature(client):
    body = json.dumps({"object": "page", "entry": []}).encode()
    for _ in range(3):  # Meta retries: one event
        answer = client.post(
            "/hooks/meta/leadgen/", body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256="sha256=00"
        )
        assert answer.status_code == 403

    assert assert_refused("meta", "/hooks/meta/leadgen/").details["reason"] == "Bad or missing signature."


def test_a_meta_handshake_with_a_wrong_verify_token(client):
    answer = client.get(
        "/hooks/meta/leadgen/", {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )

    assert answer.status_code == 403
    assert_refused("meta", "/hooks/meta/leadgen/")


def test_a_google_ads_lead_with_a_wrong_key(client):
    Source.objects.create(kind=Source.Kind.GOOGLE_ADS, name="Google", credentials=json.dumps({"webhook_key": "right"}))
    body = {"lead_id": "1", "form_id": "2", "user_column_data": [], "google_key": "wrong"}
    answer = client.post("/hooks/google-ads/leadform/", json.dumps(body), content_type="application/json")

    assert answer.status_code == 403
    assert "wrong" not in str(assert_refused("google_ads", "/hooks/google-ads/leadform/").details)


def test_an_indiamart_push_with_a_wrong_key(client):
    source = Source.objects.create(kind=Source.Kind.INDIAMART, name="IM", credentials=json.dumps({"webhook_key": "k"}))
    path = reverse("hooks:indiamart", args=[source.pk])
    assert client.post(f"{path}?key=nope", "{}", content_type="application/json").status_code == 403

    assert_refused("indiamart", path)


def test_a_twilio_message_with_a_bad_signature(client, settings):
    settings.TWILIO_AUTH_TOKEN = "twilio-token"
    answer = client.post(
        "/hooks/twilio/whatsapp/", {"MessageSid": "SM1", "From": "whatsapp:+1"}, HTTP_X_TWILIO_SIGNATURE="forged"
    )

    assert answer.status_code == 403
    assert_refused("twilio", "/hooks/twilio/whatsapp/")


def test_a_mailgun_event_with_a_bad_signature(client, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": "signing-key", "WEBHOOK_SECRET": None}
    payload = {"signature": {"timestamp": "1", "token": "t", "signature": "forged"}, "event-data": {"event": "opened"}}
    answer = client.post("/anymail/mailgun/tracking/", json.dumps(payload), content_type="application/json")

    assert answer.status_code == 400
    assert_refused("mailgun", "/anymail/mailgun/tracking/")


def test_mailgun_refused_while_no_signing_key_is_set(client, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": None}
    answer = client.post("/anymail/mailgun/inbound/", {"recipient": "x@y.example"})

    assert answer.status_code == 403
    assert "MAILGUN_WEBHOOK_SIGNING_KEY" in assert_refused("mailgun", "/anymail/mailgun/inbound/").details["reason"]
