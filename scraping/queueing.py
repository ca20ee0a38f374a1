"""Keeping what a webhook delivered and queueing the task that works on it, in as few round trips to the database as
a webhook can afford: the platforms want their answer at once, and a busy ad campaign sends hundreds a second."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django_q.conf import Conf

from leadflow.queue_once import queue_once
from scraping.models import AdDelivery


def deliveries_keep(deliveries: list[AdDelivery], func: str | None, source_id: int) -> list[AdDelivery]:
    """Keep the deliveries not kept yet (one per source and platform lead id) and queue `func(source_id)` (unless
    None) when any is new, unless a run of it for the source is queued and not started (it will take these too); the
    ones kept now. Deliveries and task go in one commit: the delivery is durably kept before the platform hears 200,
    the task with it, and a replay writes and queues nothing. The task calls leadflow.queue_once.queued_run_started
    first."""
    if not deliveries:
        return []
    source = deliveries[0].source
    known = set(
        AdDelivery.objects.filter(
            source=source, platform_lead_id__in=[delivery.platform_lead_id for delivery in deliveries]
        ).values_list("platform_lead_id", flat=True)
    )
    new = list({d.platform_lead_id: d for d in deliveries if d.platform_lead_id not in known}.values())
    if not new:
        return []
    try:
        with transaction.atomic():
            AdDelivery.objects.bulk_create(new)
            _queue(func, source_id)
        return new
    except IntegrityError:
        # The same lead delivered twice at once (a platform's retry racing its original): one by one, each once.
        return _deliveries_keep_each(new, func, source_id)


def _deliveries_keep_each(deliveries: list[AdDelivery], func: str | None, source_id: int) -> list[AdDelivery]:
    kept = []
    with transaction.atomic():
        for delivery in deliveries:
            stored, created = AdDelivery.objects.get_or_create(
                source=delivery.source,
                platform_lead_id=delivery.platform_lead_id,
                defaults={field: getattr(delivery, field) for field in ("status", "payload", "fields", "origin")},
            )
            if created:
                kept.append(stored)
        if kept:
            _queue(func, source_id)
    return kept


def _queue(func: str | None, source_id: int) -> None:
    if func is None:
        return
    if Conf.SYNC:
        # django-q2's sync mode (tests, debugging) runs the task here and now: after the commit, as a worker would.
        transaction.on_commit(lambda: queue_once(func, source_id, work=source_id))
    else:
        queue_once(func, source_id, work=source_id)
