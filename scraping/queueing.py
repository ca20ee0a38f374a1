"""Queueing the tasks webhooks start, without making the platform wait for the disk twice."""

from __future__ import annotations

from django.db import connection, transaction
from django_q.tasks import async_task


def task_queue_quickly(func: str, *args) -> None:
    """Queue a task without waiting for the disk to confirm it (PostgreSQL's synchronous_commit off for this one
    commit). Only for tasks whose loss a periodic job repairs: the delivery a webhook queues work for is already
    durably kept, and a lost task's work is done by the minutely job that fetches and saves received deliveries."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        async_task(func, *args)
