"""Email services' tracking webhooks, through django-anymail (mounted at /anymail/): anymail checks each request
(Mailgun's HMAC signature with MAILGUN_WEBHOOK_SIGNING_KEY, and the ANYMAIL_WEBHOOK_SECRET basic auth) and sends its
`tracking` signal; the receiver here finds our message and records the event. An event for a message we do not know
is logged and answered 200, so the service does not retry it for days."""

from __future__ import annotations

import logging

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, EventType
from anymail.utils import get_anymail_setting
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from outreach.events import event_record
from outreach.machines import machine_verdict
from outreach.models import Message, MessageEvent

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


def _mailgun_signing_key() -> str | None:
    return get_anymail_setting("webhook_signing_key", esp_name="Mailgun", default=None)


@csrf_exempt
@login_not_required
def mailgun_tracking(request: HttpRequest) -> HttpResponse:
    """Mailgun's tracking webhook: anymail's view, refused plainly while no signing key is set (anymail's view would
    fail with a server error, and Mailgun would retry for hours)."""
    if not _mailgun_signing_key():
        return HttpResponseForbidden("Mailgun webhooks are refused: MAILGUN_WEBHOOK_SIGNING_KEY is not set.")
    return _mailgun_tracking(request)


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


def tracking_received(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """anymail's tracking signal: one service event, recorded on our message once (the service's event id)."""
    if esp_name not in SIGNED_SERVICES and not get_anymail_setting("webhook_secret", default=None):
        # Unsigned and without the shared secret, anyone could post "unsubscribed" or "bounced" for any message.
        raise AnymailWebhookValidationFailure(f"{esp_name} webhooks are refused: ANYMAIL_WEBHOOK_SECRET is not set.")
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
