"""The demo's webhook: a signed subscription to a local URL (nothing listens there offline), with a delivery log
that shows each outcome: delivered, retried then delivered, refused, and given up after a day of timeouts. It is
disabled, so that the sweep leaves it alone."""

from __future__ import annotations

import random
from datetime import timedelta

from django.dispatch import receiver
from django.utils import timezone

from crm.models import Lead, User, WebhookAttempt, WebhookDelivery, WebhookSubscription
from crm.signals import demo_seeding
from crm.webhooks.events import EventType, lead_payload
from crm.webhooks.publish import events_publish
from crm.webhooks.subscriptions import subscription_create

DEMO_URL = "http://localhost:9/leadflow-demo-webhook"
Status = WebhookDelivery.Status
# Each demo delivery's attempts: (status code or None, error, answer, milliseconds).
OK = (200, "", '{"received": true}', 84)
BUSY = (503, "", "Service Unavailable", 31)
TIMEOUT = (None, "Timed out after 10 s", "", 10_000)
REFUSED = (None, "Refused: 10.0.0.7 resolves to a private address (10.0.0.7).", "", 2)
STORIES = [[OK], [OK], [BUSY, BUSY, OK], [OK], [REFUSED], [TIMEOUT] * 13]


@receiver(demo_seeding, dispatch_uid="crm.webhooks.demo")
def webhooks_demo(sender, *, manager: User, rng: random.Random, **kwargs) -> list[str]:
    admin = User.objects.filter(is_superuser=True).order_by("pk").first() or manager
    subscription = subscription_create(
        actor=None,
        name="Demo: data warehouse sync",
        url=DEMO_URL,
        events=[EventType.LEAD_CREATED, EventType.LEAD_STAGE_CHANGED, EventType.LEAD_REPLIED],
        format=WebhookSubscription.Format.STANDARD,
    )
    subscription.created_by = admin
    subscription.save(update_fields=["created_by"])
    leads = list(Lead.objects.select_related("stage", "company", "owner").order_by("pk")[: len(STORIES)])
    events_publish(
        EventType.LEAD_CREATED, [{"lead": lead_payload(lead)} for lead in leads], subscription_ids=[subscription.pk]
    )
    now = timezone.now()
    deliveries = list(subscription.deliveries.select_related("event").order_by("pk"))
    for index, (delivery, story) in enumerate(zip(deliveries, STORIES, strict=False)):
        _story_write(delivery, story, start=now - timedelta(days=2) + timedelta(hours=5 * index), rng=rng)
    subscription.active = False
    subscription.disabled_at = now
    subscription.disabled_reason = "Demo webhook: nothing listens at its URL offline. Point it at your endpoint."
    subscription.save()
    return [f"webhooks: 1 demo subscription with {len(deliveries)} logged deliveries (see Settings, Webhooks)"]


def _story_write(delivery: WebhookDelivery, story: list[tuple], *, start, rng: random.Random) -> None:
    at, wait = start, 60
    for code, error, answer, milliseconds in story:
        WebhookAttempt.objects.create(
            delivery=delivery, started_at=at, duration_ms=milliseconds, status_code=code, error=error,
            response_excerpt=answer, succeeded=code == 200,
        )  # fmt: skip
        at += timedelta(seconds=wait * rng.uniform(0.8, 1.2))
        wait = min(wait * 2, 4 * 3600)
    code, error = story[-1][0], story[-1][1]
    delivered = code == 200
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.DELIVERED if delivered else Status.FAILED,
        attempts=len(story),
        last_status_code=code,
        last_error=error,
        delivered_at=at if delivered else None,
        created_at=start,
    )
