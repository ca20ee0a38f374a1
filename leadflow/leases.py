"""One runner per job: a job row is claimed with a lease (runner id, heartbeat, expiry), renewed as work is saved;
a runner that falls silent past its lease loses the job to the next task (DESIGN.md)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.tasks import async_task


def lease_end(now: datetime, stall_seconds: int) -> datetime:
    """Until when a claim holds without a sign of life."""
    return now + timedelta(seconds=stall_seconds)


def lease_renew_every(stall_seconds: float, most: float) -> float:
    """How often a runner that has nothing to save yet renews its lease: often enough that three renewals fit in
    one lease (a short lease set for tests or a fast failover included), and no more than every `most` seconds."""
    return max(0.5, min(most, stall_seconds / 3))


def lease_claim(jobs: QuerySet, *, job_id: int, running: str, stall_seconds: int) -> str | None:
    """Claim the job `job_id` among `jobs` (those in a state a runner may take) for a new runner, unless a live
    runner holds it: the job becomes `running`, with its start time kept, a heartbeat and a lease. The new runner's
    id, or None when the lease is held (the caller then leaves the job alone: status, counters, everything)."""
    runner = uuid.uuid4().hex
    now = timezone.now()
    claimed = (
        jobs.filter(pk=job_id)
        .filter(Q(lease_owner="") | Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True))
        .update(
            status=running,
            started_at=Coalesce(F("started_at"), Value(now)),
            heartbeat_at=now,
            lease_owner=runner,
            lease_expires_at=lease_end(now, stall_seconds),
        )
    )
    return runner if claimed == 1 else None


def leases_requeue_stalled(jobs: QuerySet, *, task: str, stall_seconds: float) -> int:
    """The periodic reconciler of a kind of job: queue `task` again for each job whose runner went silent past its
    lease (its worker died) or that waited queued longer than a lease (its task was lost: the Redis broker forgets
    the tasks a dead cluster had taken, and all of them if Redis restarts without its data). A job whose task was
    only slow is harmless to queue again: the second task finds the lease held and leaves it alone. How many."""
    now = timezone.now()
    stalled = jobs.filter(
        Q(status="running", lease_expires_at__lt=now)
        | Q(status="queued", created_at__lt=now - timedelta(seconds=stall_seconds))
    )
    ids = list(stalled.values_list("pk", flat=True))
    for job_id in ids:
        async_task(task, job_id)
    return len(ids)
