"""Managing subscriptions (Admins only): create, edit, delete, rotate the secret, enable again, send a test event."""

from __future__ import annotations

import base64
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.models import User, WebhookSubscription
from crm.webhooks.events import EventType
from crm.webhooks.publish import event_publish
from leadflow.audit import SECRET_CHANGED, audit_changes, audit_snapshot, record
from leadflow.roles import require_admin

SECRET_BYTES = 32
# Events a subscription may choose (the test event is sent only when asked for).
CHOOSABLE_EVENTS = [event for event in EventType if event != EventType.TEST]


def secret_generate() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _events_check(events: list[str]) -> list[str]:
    unknown = set(events) - set(CHOOSABLE_EVENTS)
    if unknown:
        raise ValidationError(f"Unknown events: {', '.join(sorted(unknown))}")
    if not events:
        raise ValidationError("Choose at least one event.")
    return [event.value for event in CHOOSABLE_EVENTS if event in events]


@transaction.atomic
def subscription_create(
    *, actor: User | None, name: str, url: str, events: list[str], format: str
) -> WebhookSubscription:
    if actor is not None:
        require_admin(actor)
    subscription = WebhookSubscription(
        name=name, url=url, events=_events_check(events), format=format, secret=secret_generate(), created_by=actor
    )
    subscription.full_clean()
    subscription.save()
    record("webhook.created", actor=actor, target=subscription, details=_audited(subscription))
    return subscription


def _audited(subscription: WebhookSubscription) -> dict:
    """What the log keeps of a subscription: where it sends what (its secret never)."""
    return {"url": subscription.url, "events": subscription.events, "format": subscription.format}


@transaction.atomic
def subscription_update(
    *, subscription: WebhookSubscription, actor: User, name: str, url: str, events: list[str], format: str
) -> WebhookSubscription:
    require_admin(actor)
    before = audit_snapshot(subscription)
    subscription.name, subscription.url, subscription.format = name, url, format
    subscription.events = _events_check(events)
    subscription.full_clean()
    subscription.save()
    record("webhook.changed", actor=actor, target=subscription, changes=audit_changes(before, subscription))
    return subscription


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription, actor: User) -> None:
    """Delete it with its delivery log (its events stay for other subscriptions' logs)."""
    require_admin(actor)
    record("webhook.deleted", actor=actor, target=subscription, details=_audited(subscription))
    subscription.delete()


@transaction.atomic
def subscription_secret_rotate(*, subscription: WebhookSubscription, actor: User) -> str:
    """A new secret at once; the receiver must switch to it (deliveries from now on are signed with it only)."""
    require_admin(actor)
    subscription.secret = secret_generate()
    subscription.save(update_fields=["secret", "updated_at"])
    record("webhook.secret_rotated", actor=actor, target=subscription, changes={"secret": SECRET_CHANGED})
    return subscription.secret


@transaction.atomic
def subscription_set_active(*, subscription: WebhookSubscription, actor: User, active: bool) -> None:
    """Turn it off, or on again (the run of failures starts over; waiting deliveries go out at the next sweep)."""
    require_admin(actor)
    before = audit_snapshot(subscription)
    subscription.active = active
    subscription.disabled_at = None if active else timezone.now()
    subscription.disabled_reason = "" if active else f"Disabled by {actor.email}."
    if active:
        subscription.consecutive_failures, subscription.failing_since = 0, None
    subscription.save()
    record("webhook.changed", actor=actor, target=subscription, changes=audit_changes(before, subscription))


def subscription_test_send(*, subscription: WebhookSubscription, actor: User) -> int:
    """Publish a test event to this subscription only (sent once this transaction commits)."""
    require_admin(actor)
    if not subscription.active:
        raise ValidationError("Enable the webhook before sending it a test event.")
    data = {"message": "A test event from Leadflow.", "sent_by": actor.email}
    return event_publish(EventType.TEST, data, subscription_ids=[subscription.pk])
