"""Email services' webhooks, through django-anymail (mounted at /anymail/): anymail checks each request (Mailgun's
HMAC signature with MAILGUN_WEBHOOK_SIGNING_KEY, and the ANYMAIL_WEBHOOK_SECRET basic auth) and sends its `tracking`
or `inbound` signal. The tracking receiver finds our message and records the event (one for a message we do not know
is logged and answered 200, so the service does not retry it for days); the inbound receiver hands the raw email to
the reply service, as the IMAP poller does."""

from __future__ import annotations

import logging

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent, EventType
from anymail.utils import get_anymail_setting
from anymail.webhooks.mailgun import MailgunInboundWebhookView, MailgunTrackingWebhookView
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from leadflow.audit import webhook_refused
from outreach.events import event_record
from outreach.machines import machine_verdict
from outreach.models import Message, MessageEvent
from outreach.replies import email_received

logger = logging.getLogger(__name__)

Kind = MessageEvent.Kind
KINDS = {
    EventType.DELIVERED: Kind.DELIVERED,
    EventType.OPENED: Kind.OPENED,
    EventType.CLICKED: Kind.CLICKED,
    EventType.BOUNCED: Kind.BOUNCED,
    EventType.DEFERRED: Kind.DEFERRED,
    EventType.COMPLAINED: Kind.COMPLAINED,
    EventType.UNSUBSCRIBED: Kind.UNSUBSCRIBED,
    EventType.REJECTED: Kind.FAILED,
}
# Services whose webhooks anymail checks by a signature of their own; the others rely on the basic auth alone.
SIGNED_SERVICES = {"Mailgun"}
_mailgun_tracking = MailgunTrackingWebhookView.as_view()
_mailgun_inbound = MailgunInboundWebhookView.as_view()
UNSIGNED = "Mailgun webhooks are refused: MAILGUN_WEBHOOK_SIGNING_KEY is not set."


def _mailgun_signing_key() -> str | None:
    return get_anymail_setting("webhook_signing_key", esp_name="Mailgun", default=None)


# Anymail's views would fail with a server error while no signing key is set, and Mailgun would retry for hours:
# these refuse plainly instead.
@csrf_exempt
@login_not_required
def mailgun_tracking(request: HttpRequest) -> HttpResponse:
    """Mailgun's tracking webhook: anymail's view, once a signing key is set."""
    if not _mailgun_signing_key():
        return webhook_refused(request, provider="mailgun", reason=UNSIGNED)
    try:
        return _mailgun_tracking(request)
    except AnymailWebhookValidationFailure as exc:
        return webhook_refused(request, provider="mailgun", reason=str(exc), status=400)


@csrf_exempt
@login_not_required
def mailgun_inbound(request: HttpRequest, *args) -> HttpResponse:
    """Mailgun's inbound route (forward() to /anymail/mailgun/inbound/ or, raw MIME, /anymail/mailgun/inbound_mime/):
    anymail's view, once a signing key is set."""
    if not _mailgun_signing_key():
        return webhook_refused(request, provider="mailgun", reason=UNSIGNED)
    try:
        return _mailgun_inbound(request, *args)
    except AnymailWebhookValidationFailure as exc:
        return webhook_refused(request, provider="mailgun", reason=str(exc), status=400)


def _message_ids(message_id: str) -> list[str]:
    """A Message-ID as it may be stored: with and without its angle brackets."""
    bare = message_id.strip().strip("<>")
    return [bare, f"<{bare}>"]


def message_for_event(event: AnymailTrackingEvent) -> Message | None:
    """Our message for a service's event: by the id the service gave it, else by our own Message-ID header."""
    if not event.message_id:
        return None
    ids = _message_ids(event.message_id)
    return (
        Message.objects.filter(provider_message_id__in=ids).first()
        or Message.objects.filter(message_id__in=ids).first()
    )


def _event_data(event: AnymailTrackingEvent) -> dict:
    """What the event says that we keep: the server's reply and codes, the user agent and address of a hit."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    details = raw.get("event-data", {}) if isinstance(raw.get("event-data"), dict) else {}
    status = details.get("delivery-status") if isinstance(details.get("delivery-status"), dict) else {}
    data = {
        "recipient": event.recipient or "",
        "reply": (event.mta_response or event.description or "")[:500],
        "code": status.get("code"),
        "severity": details.get("severity", ""),
        "reason": details.get("reason", "") or (event.reject_reason or ""),
        "user_agent": (event.user_agent or "")[:300],
        "ip": details.get("ip", ""),
    }
    return {key: value for key, value in data.items() if value not in ("", None)}


def _require_authenticated(esp_name: str) -> None:
    if esp_name not in SIGNED_SERVICES and not get_anymail_setting("webhook_secret", default=None):
        # Unsigned and without the shared secret, anyone could post "unsubscribed", "bounced" or a reply for anyone.
        raise AnymailWebhookValidationFailure(f"{esp_name} webhooks are refused: ANYMAIL_WEBHOOK_SECRET is not set.")


def tracking_received(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """anymail's tracking signal: one service event, recorded on our message once (the service's event id)."""
    _require_authenticated(esp_name)
    kind = KINDS.get(event.event_type)
    if kind is None:
        return
    message = message_for_event(event)
    if message is None:
        logger.info("%s %s event for a message we do not know: ignored", esp_name, event.event_type)
        return
    at = event.timestamp or timezone.now()
    data = _event_data(event)
    machine, reason = False, ""
    if kind in {Kind.OPENED, Kind.CLICKED}:
        machine, reason = machine_verdict(
            message, kind, at=at, user_agent=event.user_agent, ip=data.get("ip", ""), url=event.click_url or ""
        )
    event_record(
        message,
        kind,
        occurred_at=at,
        machine=machine,
        machine_reason=reason,
        url=event.click_url or "",
        provider_event_id=f"{esp_name.lower()}:{event.event_id}" if event.event_id else "",
        via=esp_name.lower(),
        data=data,
    )


def inbound_received(sender, event: AnymailInboundEvent, esp_name: str, **kwargs) -> None:
    """anymail's inbound signal: the email as the service received it, kept once (the service's id for the delivery,
    and the email's own Message-ID, which also catches a copy read over IMAP)."""
    _require_authenticated(esp_name)
    request = event.esp_event
    posted_mime = request.POST.get("body-mime") if isinstance(request, HttpRequest) else None
    # The raw MIME as posted when the service sends it; otherwise the message anymail rebuilt from its fields.
    raw = posted_mime.encode("utf-8") if posted_mime else event.message.as_bytes()
    service = esp_name.lower()
    email_received(raw, via=service, provider_id=f"{service}:{event.event_id}" if event.event_id else "")
