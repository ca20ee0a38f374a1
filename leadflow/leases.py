"""One runner per job: a job row is claimed with a lease (runner id, heartbeat, expiry), renewed as work is saved;
a runner that falls silent past its lease loses the job to the next task (DESIGN.md)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone


def lease_end(now: datetime, stall_seconds: int) -> datetime:
    """Until when a claim holds without a sign of life."""
    return now + timedelta(seconds=stall_seconds)


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
