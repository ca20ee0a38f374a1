"""Marking leads for rescoring and queueing the one task that rescores them (crm.rescoring.leads_rescore_stale)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django_q.tasks import async_task

from crm.models import Lead

RESCORE_TASK = "crm.rescoring.leads_rescore_stale"


def stale_task_queue(*args) -> None:
    """Queue the task now (its arguments: crm.rescoring.leads_rescore_stale's)."""
    async_task(RESCORE_TASK, *args, group="scoring")


def rescore_queue() -> None:
    """Queue the rescore after the current transaction commits, once however many leads it marked."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func is stale_task_queue for _ids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(stale_task_queue)


def leads_mark_stale(lead_ids: Iterable[int]) -> None:
    """Mark leads for rescoring (one UPDATE whatever their number) and queue the rescore."""
    ids = [pk for pk in lead_ids if pk is not None]
    if not ids:
        return
    Lead.objects.filter(pk__in=ids, score_stale=False).update(score_stale=True)
    rescore_queue()
