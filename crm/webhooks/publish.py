"""Publishing an event: in the caller's transaction, an event row and a delivery for each active subscription that
listens to its type; sending starts once that transaction commits. It costs no query while no subscription listens
(the list of listeners is kept in memory for LISTENERS_SECONDS) and never breaks the action that published it."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from crm.models import Lead, WebhookDelivery, WebhookEvent, WebhookSubscription
from crm.selectors import lead_table_rows
from crm.webhooks.events import lead_payload

logger = logging.getLogger(__name__)

# How long this process trusts its list of listening subscriptions; a change made in this process clears it at
# once, one made in another process is seen within this time.
LISTENERS_SECONDS = 30.0
# Deliveries of one publish sent by a task of their own at once; more are left to the sweep (deliver_webhooks).
SEND_AT_ONCE_MAX = 50

_listeners_lock = threading.Lock()
_listeners: tuple[float, list[tuple[int, frozenset[str]]]] | None = None


def listeners_forget() -> None:
    global _listeners
    with _listeners_lock:
        _listeners = None


def _listening(event_type: str) -> list[int]:
    """Ids of the active subscriptions to this type, as last read (at most LISTENERS_SECONDS ago)."""
    global _listeners
    with _listeners_lock:
        cached = _listeners
    if cached is None or cached[0] < time.monotonic():
        rows = WebhookSubscription.objects.filter(active=True).values_list("pk", "events")
        cached = (time.monotonic() + LISTENERS_SECONDS, [(pk, frozenset(events)) for pk, events in rows])
        with _listeners_lock:
            _listeners = cached
    return [pk for pk, events in cached[1] if event_type in events]


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def event_publish(event_type: str, data: dict, *, subscription_ids: Iterable[int] | None = None) -> int:
    """Publish one event; how many deliveries it made. `subscription_ids`: only to these (a test event)."""
    return events_publish(event_type, [data], subscription_ids=subscription_ids)


def events_publish(
    event_type: str,
    items: list[dict] | Callable[[], list[dict]],
    *,
    subscription_ids: Iterable[int] | None = None,
) -> int:
    """Publish an event for each of `items` (the events' data, or a function making them, called only when someone
    listens) in a few queries however many; how many deliveries. Any error is logged and swallowed (inside a
    savepoint, so the caller's transaction goes on)."""
    listening = list(subscription_ids) if subscription_ids is not None else _listening(event_type)
    if not listening:
        return 0
    try:
        with transaction.atomic():
            items = items() if callable(items) else items
            return _publish(event_type, items, listening) if items else 0
    except Exception:
        logger.exception("Could not publish %s webhook events", event_type)
        return 0


def _publish(event_type: str, items: list[dict], listening: list[int]) -> int:
    # Read again: the in-memory list may name a subscription another process has since disabled or deleted.
    subscription_ids = list(
        WebhookSubscription.objects.filter(pk__in=listening, active=True).values_list("pk", flat=True)
    )
    if not subscription_ids:
        return 0
    now = timezone.now()
    events = [
        WebhookEvent(
            message_id=(message_id := new_message_id()),
            type=event_type,
            created_at=now,
            payload={"id": message_id, "type": event_type, "created_at": now.isoformat(), "data": data},
        )
        for data in items
    ]
    WebhookEvent.objects.bulk_create(events)
    # bulk_create sets primary keys on PostgreSQL and SQLite 3.35+; read them back by message id to be sure.
    event_ids = dict(
        WebhookEvent.objects.filter(message_id__in=[event.message_id for event in events]).values_list(
            "message_id", "pk"
        )
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription_id=subscription_id,
            event_id=event_ids[event.message_id],
            next_attempt_at=now,
            created_at=now,
        )
        for event in events
        for subscription_id in subscription_ids
    )
    delivery_ids = [delivery.pk for delivery in deliveries if delivery.pk is not None]
    if delivery_ids and len(delivery_ids) <= SEND_AT_ONCE_MAX:
        transaction.on_commit(lambda: async_task("crm.webhooks.deliver.deliveries_send", delivery_ids))
    return len(deliveries)


def lead_event_publish(event_type: str, lead: Lead, **data) -> int:
    """Publish an event about one lead: {"lead": lead_payload(lead), **data}."""
    return events_publish(event_type, lambda: [{"lead": lead_payload(_fresh(lead)), **data}])


def leads_event_publish(event_type: str, lead_ids: list[int], data_by_lead: dict[int, dict] | None = None) -> int:
    """Publish an event for each of these leads (read in one query, only when someone listens)."""

    def items() -> list[dict]:
        leads = lead_table_rows(Lead.objects.filter(pk__in=lead_ids)).order_by("pk")
        return [{"lead": lead_payload(lead), **(data_by_lead or {}).get(lead.pk, {})} for lead in leads]

    return events_publish(event_type, items)


def _fresh(lead: Lead) -> Lead:
    # The caller's object may be a bare Lead(pk=...) or hold stale relations: read it as saved, with its tags.
    return lead_table_rows(Lead.objects.filter(pk=lead.pk)).get()
