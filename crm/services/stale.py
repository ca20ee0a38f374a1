"""Marking leads for rescoring and queueing the one task that rescores them (crm.rescoring.leads_rescore_stale)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from crm.models import Lead
from leadflow.queue_once import queue_once

RESCORE_TASK = "crm.rescoring.leads_rescore_stale"


def stale_task_queue(*args) -> None:
    """Queue the task now (its arguments: crm.rescoring.leads_rescore_stale's), unless a run is queued and has not
    started: it will find these leads too (a webhook a second each marking a lead queues one run, not one each)."""
    queue_once(RESCORE_TASK, *args, group="scoring")


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
