"""Sync runs as jobs: started by hand, by the schedule sweep, or when a lead qualifies; run by the job cluster under a
lease (one runner at a time), ending done or failed with the CRM's own words."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from crm.models import CrmConnection, SyncRun, User
from crm.sync.base import SyncError
from crm.sync.clients import client_for
from crm.sync.engine import SyncEngine
from leadflow.leases import lease_claim, leases_requeue_stalled

logger = logging.getLogger(__name__)

RUN_TASK = "crm.sync.jobs.sync_run_execute"
SCHEDULE_PERIODS = {
    CrmConnection.Schedule.HOURLY: timedelta(hours=1),
    CrmConnection.Schedule.DAILY: timedelta(days=1),
}


def sync_run_start(
    *,
    connection: CrmConnection,
    actor: User | None,
    direction: str | None = None,
    trigger: str = SyncRun.Trigger.MANUAL,
    lead_ids: list[int] | None = None,
    enqueue: bool = True,
) -> SyncRun:
    """A new run of the connection (in its own direction unless told), queued once the transaction commits. A
    connection already running a whole sync is not started twice: that run is answered instead."""
    direction = direction or connection.direction
    active = None if lead_ids else sync_run_active(connection)
    if active is not None:
        return active
    run = SyncRun.objects.create(
        connection=connection, direction=direction, trigger=trigger, lead_ids=lead_ids or [], created_by=actor
    )
    if enqueue:
        transaction.on_commit(lambda: async_task(RUN_TASK, run.pk))
    return run


def sync_run_active(connection: CrmConnection) -> SyncRun | None:
    """The connection's whole sync that is queued or running, if any."""
    active = SyncRun.objects.filter(connection=connection, status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING])
    return next((run for run in active if not run.lead_ids), None)


def sync_run_execute(run_id: int) -> str:
    """The task: claim the run (a duplicate task finds the lease held and leaves it alone), sync, and record how it
    ended. A failure (rate limits outlasting the retries, a refused token, an outage) fails this run cleanly; the
    next run starts where the links and the pull's watermark say, so nothing is done twice."""
    connection_id = SyncRun.objects.filter(pk=run_id).values_list("connection_id", flat=True).first()
    # The check and the claim under the connection's row lock: two runs of one connection claimed by two workers at
    # the same moment would otherwise both find the other not running yet.
    with transaction.atomic():
        CrmConnection.objects.select_for_update().filter(pk=connection_id).exists()
        others = SyncRun.objects.filter(connection_id=connection_id, status=SyncRun.Status.RUNNING).exclude(pk=run_id)
        if others.filter(lease_expires_at__gt=timezone.now()).exists():
            # One sync per connection at a time (two would both create the same new people); this one stays queued
            # and the reconciler (sync_runs_requeue_stalled) offers it again.
            return "waiting for the connection's running sync"
        runner = lease_claim(
            SyncRun.objects.filter(status__in=[SyncRun.Status.QUEUED, SyncRun.Status.RUNNING]),
            job_id=run_id,
            running=SyncRun.Status.RUNNING,
            stall_seconds=settings.SYNC_STALL_SECONDS,
        )
    if runner is None:
        return "nothing to do"
    run = SyncRun.objects.select_related("connection__acting_user").get(pk=run_id)
    mine = SyncRun.objects.filter(pk=run_id, lease_owner=runner)
    try:
        SyncEngine(run, client_for(run.connection)).execute()
    except SyncError as exc:
        mine.update(status=SyncRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now(), lease_owner="")
        return f"failed: {exc}"
    except Exception as exc:
        logger.exception("Sync run %s failed", run_id)
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        mine.update(status=SyncRun.Status.FAILED, error=error, finished_at=timezone.now(), lease_owner="")
        raise
    finally:
        CrmConnection.objects.filter(pk=run.connection_id).update(last_run_at=timezone.now())
    mine.update(status=SyncRun.Status.DONE, finished_at=timezone.now(), lease_owner="", lease_expires_at=None)
    return "done"


def connections_sync_due(now=None) -> int:
    """The schedule sweep: start a run of each scheduled connection whose period has passed since its last run."""
    now = now or timezone.now()
    started = 0
    for connection in CrmConnection.objects.exclude(schedule=CrmConnection.Schedule.OFF):
        period = SCHEDULE_PERIODS.get(connection.schedule)
        due = period and (connection.last_run_at is None or connection.last_run_at <= now - period)
        if due and sync_run_active(connection) is None:
            with transaction.atomic():
                sync_run_start(connection=connection, actor=None, trigger=SyncRun.Trigger.SCHEDULE)
            started += 1
    return started


def sync_runs_requeue_stalled() -> int:
    """The periodic reconciler: runs whose runner died, whose task was lost, or that waited for the connection's
    running sync, are queued again."""
    return leases_requeue_stalled(SyncRun.objects.all(), task=RUN_TASK, stall_seconds=settings.SYNC_STALL_SECONDS)


def leads_qualified_push(lead_ids: list[int]) -> int:
    """Leads whose score just crossed MQL or SQL go to every connection that pushes on qualify (one run each, for
    just those leads), once the scores are saved."""
    if not lead_ids:
        return 0
    connections = list(
        CrmConnection.objects.filter(push_on_qualify=True).exclude(direction=CrmConnection.Direction.PULL)
    )
    for connection in connections:
        sync_run_start(
            connection=connection,
            actor=None,
            direction=CrmConnection.Direction.PUSH,
            trigger=SyncRun.Trigger.QUALIFIED,
            lead_ids=sorted(set(lead_ids)),
        )
    return len(connections)
