"""Mailgun's tracking webhooks through django-anymail at /anymail/mailgun/tracking/, with payloads in Mailgun's
documented shape: {"signature": {timestamp, token, signature}, "event-data": {...}}. A bad signature changes nothing;
a replay is counted once; an event for a message we do not know is answered 200 and ignored."""

import hashlib
import hmac
import json
import logging
import time

import pytest
from django.urls import reverse

from crm.models import Activity
from outreach.models import Enrollment, MessageEvent, Suppression
from outreach.suppression import suppression_reason
from tests.factories import EnrollmentFactory, MessageFactory

SIGNING_KEY = "key-mailgun-webhook-signing-test"
URL = "/anymail/mailgun/tracking/"
PERSON = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": None}
    return settings


@pytest.fixture
def message(db):
    """A message sent through Mailgun, which gave it its own id; our Message-ID header is another."""
    return MessageFactory(
        to_email="priya@prospect.example",
        message_id="<1.sequence@acme.example>",
        provider_message_id="<20260203192638.000be97f99f8cea1@mg.acme.example>",
    )


def _signed(event_data: dict, *, key: str = SIGNING_KEY, token: str | None = None) -> dict:
    timestamp = str(int(event_data.get("timestamp", time.time())))
    token = token or hashlib.sha256(json.dumps(event_data, sort_keys=True).encode()).hexdigest()[:50]
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": event_data}


def _event(kind: str, message_id: str = "20260203192638.000be97f99f8cea1@mg.acme.example", **extra) -> dict:
    """An event's data as Mailgun posts it (the message-id header without its angle brackets)."""
    return {
        "event": kind,
        "id": f"{kind}-{time.monotonic_ns()}",
        "timestamp": time.time(),
        "log-level": "info",
        "recipient": "priya@prospect.example",
        "recipient-domain": "prospect.example",
        "message": {"headers": {"message-id": message_id}},
        "user-variables": {},
        "tags": [],
        **extra,
    }


def _post(client, payload: dict):
    return client.post(URL, json.dumps(payload), content_type="application/json")


def test_the_webhook_is_where_anymails_documentation_puts_it():
    assert reverse("anymail:mailgun_tracking_webhook") == URL


def test_a_delivered_event_marks_the_message_delivered(client, mailgun, message):
    data = _event(
        "delivered",
        **{
            "envelope": {"sender": "sales@mg.acme.example", "transport": "smtp", "targets": "priya@prospect.example"},
            "flags": {"is-authenticated": True, "is-test-mode": False},
            "delivery-status": {"tls": True, "mx-host": "mx.prospect.example", "code": 250, "message": "OK"},
        },
    )
    payload = _signed(data)

    assert _post(client, payload).status_code == 200

    message.refresh_from_db()
    assert message.delivered_at is not None
    event = MessageEvent.objects.get()
    assert (event.kind, event.via) == ("delivered", "mailgun")
    assert event.provider_event_id == "mailgun:" + payload["signature"]["token"]


def test_a_persons_open_and_click_count(client, mailgun, message):
    client_info = {"client-type": "browser", "client-name": "Safari", "user-agent": PERSON}
    _post(client, _signed(_event("opened", ip="81.2.69.160", **{"client-info": client_info})))
    _post(client, _signed(_event("clicked", url="https://acme.example/rates", **{"client-info": client_info})))

    message.refresh_from_db()
    assert message.opened_at is not None and message.clicked_at is not None
    assert Activity.objects.filter(lead=message.lead, kind=Activity.Kind.EMAIL_OPENED).count() == 1
    clicked = Activity.objects.get(lead=message.lead, kind=Activity.Kind.EMAIL_CLICKED)
    assert "acme.example/rates" in clicked.summary


@pytest.mark.parametrize(
    ("kind", "user_agent", "ip", "reason"),
    [
        (
            "opened",
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
            "",
            "Gmail",
        ),
        ("opened", "Mozilla/5.0", "17.58.1.10", "Apple Mail Privacy Protection"),
        ("clicked", PERSON, "104.47.58.10", "Microsoft Defender"),
        ("clicked", "Mozilla/5.0 (compatible; Barracuda Sentinel (EE))", "", "Barracuda"),
        ("clicked", PERSON, "148.163.150.5", "Proofpoint"),
    ],
)
def test_scanner_shaped_opens_and_clicks_are_kept_as_machines(client, mailgun, message, kind, user_agent, ip, reason):
    extra = {"client-info": {"client-type": "browser", "user-agent": user_agent}, "ip": ip}
    if kind == "clicked":
        extra["url"] = "https://acme.example/rates"

    assert _post(client, _signed(_event(kind, **extra))).status_code == 200

    event = MessageEvent.objects.get()
    assert event.machine and reason in event.machine_reason
    message.refresh_from_db()
    assert (message.opened_at, message.clicked_at) == (None, None)
    assert not Activity.objects.filter(lead=message.lead, kind__in=["email_opened", "email_clicked"]).exists()


def test_an_open_seconds_after_mailgun_delivered_is_a_machines(client, mailgun, message):
    now = time.time()
    _post(client, _signed(_event("delivered", timestamp=now - 2)))
    _post(client, _signed(_event("opened", timestamp=now, **{"client-info": {"user-agent": PERSON}})))

    opened = MessageEvent.objects.get(kind="opened")
    assert opened.machine and "of delivery" in opened.machine_reason


def test_a_permanent_failure_is_a_hard_bounce_that_suppresses_and_stops_the_leads_sequences(client, mailgun, message):
    other = EnrollmentFactory(lead=message.lead)
    data = _event(
        "failed",
        severity="permanent",
        reason="bounce",
        **{
            "log-level": "error",
            "delivery-status": {
                "attempt-no": 1,
                "code": 550,
                "description": "",
                "message": "5.1.1 The email account that you tried to reach does not exist.",
            },
        },
    )

    assert _post(client, _signed(data)).status_code == 200

    message.refresh_from_db()
    assert message.bounced_at is not None and message.bounce_kind == "hard"
    assert MessageEvent.objects.get().kind == "bounced"
    assert suppression_reason("priya@prospect.example") == Suppression.Reason.HARD_BOUNCE
    for enrollment in (message.enrollment, other):
        enrollment.refresh_from_db()
        assert (enrollment.status, enrollment.stop_reason) == (Enrollment.Status.STOPPED, "bounced")
    line = Activity.objects.get(lead=message.lead, kind=Activity.Kind.EMAIL_BOUNCED)
    assert "does not exist" in line.summary


def _temporary_failure(message_id: str) -> dict:
    return _event(
        "failed",
        message_id=message_id,
        severity="temporary",
        reason="generic",
        **{"delivery-status": {"attempt-no": 1, "code": 452, "message": "4.2.2 Mailbox full", "retry-seconds": 600}},
    )


def test_soft_bounces_only_suppress_once_repeated_on_several_messages(client, mailgun, message, settings):
    settings.OUTREACH_SOFT_BOUNCES_TO_SUPPRESS = 2
    later = MessageFactory(
        lead=message.lead, enrollment=EnrollmentFactory(lead=message.lead), to_email=message.to_email
    )

    _post(client, _signed(_temporary_failure(message.provider_message_id.strip("<>"))))
    _post(client, _signed(_temporary_failure(message.provider_message_id.strip("<>"))))  # Mailgun's retry
    message.refresh_from_db()
    assert (message.bounced_at, message.bounce_kind) == (None, "soft")
    assert suppression_reason(message.to_email) is None
    message.enrollment.refresh_from_db()
    assert message.enrollment.status == Enrollment.Status.ACTIVE

    _post(client, _signed(_temporary_failure(later.message_id.strip("<>"))))

    assert suppression_reason(message.to_email) == Suppression.Reason.SOFT_BOUNCES
    message.enrollment.refresh_from_db()
    assert message.enrollment.stop_reason == "bounced"
    assert MessageEvent.objects.filter(kind="deferred").count() == 3


def test_a_complaint_suppresses_and_stops(client, mailgun, message):
    assert _post(client, _signed(_event("complained", **{"log-level": "warn"}))).status_code == 200

    message.refresh_from_db()
    assert message.complained_at is not None
    assert suppression_reason(message.to_email) == Suppression.Reason.COMPLAINT
    message.enrollment.refresh_from_db()
    assert message.enrollment.stop_reason == "complained"


def test_an_unsubscribe_at_mailgun_suppresses_and_stops(client, mailgun, message):
    assert _post(client, _signed(_event("unsubscribed"))).status_code == 200

    message.refresh_from_db()
    assert message.unsubscribed_at is not None
    assert suppression_reason(message.to_email) == Suppression.Reason.UNSUBSCRIBED
    message.enrollment.refresh_from_db()
    assert message.enrollment.stop_reason == "unsubscribed"


def test_an_smtp_sent_message_is_found_by_our_own_message_id(client, mailgun, db):
    sent_by_smtp = MessageFactory(message_id="<77.sequence@acme.example>", provider_message_id="")

    _post(client, _signed(_event("delivered", message_id="77.sequence@acme.example")))

    sent_by_smtp.refresh_from_db()
    assert sent_by_smtp.delivered_at is not None


@pytest.mark.parametrize("key", ["wrong-signing-key", None])
def test_a_bad_or_missing_signature_is_refused_and_changes_nothing(client, mailgun, message, key):
    payload = _signed(_event("unsubscribed"), key=key or SIGNING_KEY)
    if key is None:
        del payload["signature"]

    response = _post(client, payload)

    assert response.status_code == 400
    assert not MessageEvent.objects.exists()
    assert not Suppression.objects.exists()
    message.refresh_from_db()
    assert message.unsubscribed_at is None


def test_without_a_signing_key_the_webhook_refuses_plainly(client, settings, message):
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": None}

    response = _post(client, _signed(_event("unsubscribed")))

    assert response.status_code == 403
    assert b"MAILGUN_WEBHOOK_SIGNING_KEY" in response.content
    assert not MessageEvent.objects.exists()


def test_with_a_webhook_secret_a_request_without_its_basic_auth_is_refused(client, mailgun, message):
    mailgun.ANYMAIL = {**mailgun.ANYMAIL, "WEBHOOK_SECRET": "mailgun:s3cret-pass"}
    payload = _signed(_event("unsubscribed"))

    assert _post(client, payload).status_code == 400
    assert not MessageEvent.objects.exists()

    response = client.post(
        URL,
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic bWFpbGd1bjpzM2NyZXQtcGFzcw==",
    )
    assert response.status_code == 200
    assert MessageEvent.objects.count() == 1


def test_a_replayed_webhook_is_counted_once(client, mailgun, message):
    payload = _signed(_event("opened", **{"client-info": {"user-agent": PERSON}}))

    assert _post(client, payload).status_code == 200
    assert _post(client, payload).status_code == 200

    assert MessageEvent.objects.count() == 1
    assert Activity.objects.filter(lead=message.lead, kind=Activity.Kind.EMAIL_OPENED).count() == 1


def test_an_event_for_a_message_we_do_not_know_is_ignored_with_a_200(client, mailgun, message, caplog):
    caplog.set_level(logging.INFO, logger="outreach.provider_events")

    response = _post(client, _signed(_event("failed", message_id="elsewhere@mg.other.example", severity="permanent")))

    assert response.status_code == 200
    assert not MessageEvent.objects.exists()
    assert not Suppression.objects.exists()
    assert "do not know" in caplog.text
    assert "priya" not in caplog.text  # logs hold no addresses
