"""Draft jobs: drafts written for a list or a selection, run by the job cluster under a lease, each lead in its own
transaction; a lead that fails is recorded with why and the job goes on; cancelled, or resumed after a crash."""

from __future__ import annotations

import logging
import time
from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from crm.models import Lead, User
from crm.selectors import leads_visible_to
from leadflow.ai import ai_job_stall_seconds
from leadflow.leases import lease_claim, lease_end, leases_requeue_stalled
from leadflow.roles import can_edit_lead, can_reassign, require_write
from outreach.drafts import Composed, choices_check, draft_compose, draft_save
from outreach.models import DraftItem, DraftJob, Length, Tone
from outreach.writer import WriterFailed

logger = logging.getLogger(__name__)

# A task hands over to a fresh one after this long, well inside the cluster's timeout (Q_CLUSTER["timeout"]).
TASK_SECONDS = 240
# A runner silent this long lost the job (raised to outlast the slowest AI answer: ai_job_stall_seconds).
STALL_SECONDS = 300
TASK = "outreach.jobs.draft_job_run"


@transaction.atomic
def draft_job_create(
    *, actor: User, leads: QuerySet[Lead], channel: str, tone: str = Tone.FRIENDLY, length: str = Length.MEDIUM,
    description: str = "",
) -> DraftJob:  # fmt: skip
    """A job writing drafts for the given leads that the actor may change, queued once the transaction commits."""
    require_write(actor)
    choices_check(channel, tone, length)
    visible = leads_visible_to(actor).filter(pk__in=leads.values("pk")).order_by("pk")
    lead_ids = [lead.pk for lead in visible.only("pk", "owner_id") if can_edit_lead(actor, lead)]
    job = DraftJob.objects.create(
        created_by=actor, description=description[:200], channel=channel, tone=tone, length=length,
        progress_total=len(lead_ids),
    )  # fmt: skip
    DraftItem.objects.bulk_create([DraftItem(job=job, lead_id=pk) for pk in lead_ids], batch_size=2000)
    transaction.on_commit(lambda: async_task(TASK, job.pk))
    return job


def draft_job_cancel(*, job: DraftJob, actor: User) -> bool:
    """Ask a queued or running job to stop after the lead in hand; True if it was still going."""
    require_write(actor)
    if job.created_by_id != actor.pk and not can_reassign(actor):
        raise PermissionDenied("Only who started a job, managers and admins may cancel it.")
    queued = DraftJob.objects.filter(pk=job.pk, status=DraftJob.Status.QUEUED, lease_owner="")
    if queued.update(status=DraftJob.Status.CANCELLED, cancel_requested=True, finished_at=timezone.now()):
        return True
    return bool(DraftJob.objects.filter(pk=job.pk, status=DraftJob.Status.RUNNING).update(cancel_requested=True))


def draft_job_run(job_id: int, seconds: float = TASK_SECONDS) -> str:
    """The task: claim the job (one runner at a time), write its pending drafts, hand over to a new task when the
    time is up. A duplicate task finds the lease held and leaves the job alone."""
    runner = lease_claim(
        DraftJob.objects.filter(status__in=[DraftJob.Status.QUEUED, DraftJob.Status.RUNNING]),
        job_id=job_id,
        running=DraftJob.Status.RUNNING,
        stall_seconds=ai_job_stall_seconds(STALL_SECONDS),
    )
    if runner is None:
        return "nothing to do"
    job = DraftJob.objects.select_related("created_by").get(pk=job_id)
    mine = DraftJob.objects.filter(pk=job_id, lease_owner=runner)
    try:
        outcome = _run_items(job, runner, seconds)
    except Exception as exc:
        logger.exception("Draft job %s failed", job_id)
        mine.update(status=DraftJob.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}", lease_owner="",
                    finished_at=timezone.now())  # fmt: skip
        raise
    if outcome == "paused":
        # Let go with a lease that has run out, so the next task, or the reconciler if that task is lost, takes it.
        if mine.update(lease_owner="", lease_expires_at=timezone.now()) == 1:
            async_task(TASK, job_id)
        return "continues in a new task"
    if outcome == "lost":
        return "another worker took over"
    status = DraftJob.Status.CANCELLED if outcome == "cancelled" else DraftJob.Status.DONE
    mine.update(status=status, finished_at=timezone.now(), lease_owner="", lease_expires_at=None)
    return str(status)


def _run_items(job: DraftJob, runner: str, seconds: float) -> str:
    started = time.monotonic()
    while True:
        if DraftJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            return "cancelled"
        item = DraftItem.objects.filter(job=job, status=DraftItem.Status.PENDING).order_by("id").first()
        if item is None:
            return "finished"
        if not _item_write(job, runner, item.pk):
            return "lost"
        if time.monotonic() - started > seconds:
            return "paused"


def _item_write(job: DraftJob, runner: str, item_id: int) -> bool:
    """Write one lead's draft and count it, if this runner still holds the job; False if it does not. The message
    is written outside any transaction (an AI answer takes seconds); a lead whose draft fails is recorded as failed,
    with why, and the job goes on with the next."""
    item = DraftItem.objects.select_related("lead__company").filter(pk=item_id).first()
    if item is None:
        return True  # deleted with its lead
    try:
        composed: Composed | str = draft_compose(
            lead=item.lead, actor=job.created_by, channel=job.channel, tone=job.tone, length=job.length
        )
    except (PermissionDenied, ValidationError, WriterFailed) as exc:
        composed = _reason(exc)
    except Exception as exc:  # one lead's surprise must not stop the list: it is recorded and the job goes on
        logger.exception("Draft for lead %s failed", item.lead_id)
        composed = f"{exc.__class__.__name__}: {exc}"
    return _item_finish(job, runner, item, composed)


@transaction.atomic
def _item_finish(job: DraftJob, runner: str, item: DraftItem, composed: Composed | str) -> bool:
    locked = DraftJob.objects.select_for_update().get(pk=job.pk)
    if locked.lease_owner != runner:
        return False
    if not DraftItem.objects.filter(pk=item.pk, status=DraftItem.Status.PENDING).exists():
        return True  # written by a runner before this one, or deleted with its lead meanwhile
    counts: Counter = Counter()
    if isinstance(composed, str):
        item.status, item.outcome = DraftItem.Status.FAILED, composed[:500]
        counts["failed"] += 1
    else:
        draft = draft_save(composed=composed, actor=job.created_by, job=job)
        item.status, item.draft = DraftItem.Status.DONE, draft
        checks = f"; {len(draft.findings)} check finding(s)" if draft.findings else ""
        item.outcome = ((draft.note or f"written by {draft.get_source_display().lower()}") + checks)[:500]
        counts[draft.source] += 1
        counts["flagged"] += int(bool(draft.findings))
    item.finished_at = timezone.now()
    item.save(update_fields=["status", "outcome", "draft", "finished_at"])
    now = timezone.now()
    DraftJob.objects.filter(pk=job.pk).update(
        progress_done=F("progress_done") + 1,
        breakdown=dict(Counter(locked.breakdown) + counts),
        heartbeat_at=now,
        lease_expires_at=lease_end(now, ai_job_stall_seconds(STALL_SECONDS)),
    )
    return True


def _reason(exc: Exception) -> str:
    messages = getattr(exc, "messages", None) or [str(exc)]
    return " ".join(messages)[:500]


def draft_jobs_requeue_stalled() -> int:
    """The periodic reconciler: jobs whose runner died or whose task was lost are queued again."""
    return leases_requeue_stalled(DraftJob.objects.all(), task=TASK, stall_seconds=ai_job_stall_seconds(STALL_SECONDS))
