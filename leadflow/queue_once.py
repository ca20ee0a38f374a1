"""Queueing a task once for a burst of triggers: while a run queued for the same work has not started, a new trigger
queues nothing, since that run will see the new work too (it reads what to do after it starts).

A webhook that marks a lead for rescoring, or keeps an ad-form lead to fetch and save, used to queue a task each:
at 20 webhooks a second the job cluster spent its time starting tasks that each found one lead, or none, to do.

Protocol: triggers call `queue_once(func, *args, work=...)`, where `work` names what the run takes up (a source's
deliveries: its id; "" for all of it); the task calls `queued_run_started(func, work)` first, before it reads its
work, so a trigger after that queues a new run. The mark lives in the cache with a time limit: a queued
run lost with its broker only delays triggers until the mark expires, and the periodic jobs take up what it left.
"""

from __future__ import annotations

from django.core.cache import cache
from django_q.tasks import async_task

# How long a queued run may wait for a worker before a trigger queues another one (longer than a busy queue's wait,
# far shorter than the periodic jobs that take up what a lost run left).
PENDING_SECONDS = 120


def _mark(func: str, work: object) -> str:
    return f"queued:{func}:{work}"


def queue_once(func: str, *args, work: object = "", **options) -> bool:
    """Queue `func(*args)` unless a run of it for this work is queued and not started; True if queued. `options` go
    to django-q2's async_task (group=...)."""
    mark = _mark(func, work)
    if not cache.add(mark, 1, PENDING_SECONDS):
        return False
    try:
        async_task(func, *args, **options)
    except BaseException:
        cache.delete(mark)  # not queued after all: the next trigger tries again
        raise
    return True


def queued_run_started(func: str, work: object = "") -> None:
    """Called by the task before it reads its work: a trigger from now on queues a new run."""
    cache.delete(_mark(func, work))
