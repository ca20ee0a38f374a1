"""AI analysis of many leads: a job made from a list or a selection, run by the job cluster under a lease, lead by
lead (each kept at once, so progress is live and a crash loses at most the lead in hand); one lead's failure is
recorded on its item and the job goes on."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from crm.models import Lead, User
from crm.selectors import leads_visible_to
from enrichment.analysis import lead_analyze
from enrichment.models import AnalysisItem, AnalysisJob, LeadAnalysis
from leadflow.ai import ai_job_stall_seconds
from leadflow.leases import lease_claim, lease_end, leases_requeue_stalled
from leadflow.roles import can_edit_lead, require_write

logger = logging.getLogger(__name__)

# A task hands over to a fresh one after this long, well inside the cluster's timeout (Q_CLUSTER["timeout"]).
TASK_SECONDS = 240
TASK = "enrichment.analysis_jobs.analysis_job_run"


@transaction.atomic
def analysis_job_create(*, actor: User, leads: QuerySet[Lead], description: str = "") -> AnalysisJob:
    """A job for those of `leads` the actor may change, queued once the transaction commits."""
    require_write(actor)
    visible = leads_visible_to(actor).filter(pk__in=leads.values("pk"))
    lead_ids = [lead.pk for lead in visible.only("pk", "owner_id").order_by("pk") if can_edit_lead(actor, lead)]
    job = AnalysisJob.objects.create(created_by=actor, description=description[:200], progress_total=len(lead_ids))
    AnalysisItem.objects.bulk_create([AnalysisItem(job=job, lead_id=pk) for pk in lead_ids], batch_size=2000)
    transaction.on_commit(lambda: async_task(TASK, job.pk))
    return job


def analysis_job_cancel(*, job: AnalysisJob, actor: User) -> bool:
    """Ask a queued or running job to stop after the lead in hand; True if it was still going."""
    require_write(actor)
    queued = AnalysisJob.objects.filter(pk=job.pk, status=AnalysisJob.Status.QUEUED, lease_owner="")
    if queued.update(status=AnalysisJob.Status.CANCELLED, cancel_requested=True, finished_at=timezone.now()):
        return True
    running = AnalysisJob.objects.filter(pk=job.pk, status=AnalysisJob.Status.RUNNING)
    return bool(running.update(cancel_requested=True))


def analysis_job_run(job_id: int, seconds: float = TASK_SECONDS) -> str:
    """The task: claim the job (one runner at a time), analyse its pending leads, hand over to a new task when the
    time is up. A duplicate task finds the lease held and leaves the job alone."""
    runner = lease_claim(
        AnalysisJob.objects.filter(status__in=[AnalysisJob.Status.QUEUED, AnalysisJob.Status.RUNNING]),
        job_id=job_id,
        running=AnalysisJob.Status.RUNNING,
        stall_seconds=ai_job_stall_seconds(settings.ENRICHMENT_STALL_SECONDS),
    )
    if runner is None:
        return "nothing to do"
    mine = AnalysisJob.objects.filter(pk=job_id, lease_owner=runner)
    try:
        outcome = _run_items(job_id, runner, seconds)
    except Exception as exc:
        logger.exception("Analysis job %s failed", job_id)
        error = f"{exc.__class__.__name__}: {exc}"
        mine.update(status=AnalysisJob.Status.FAILED, error=error, finished_at=timezone.now(), lease_owner="")
        raise
    if outcome == "paused":
        # Let go with a lease that has run out, so the next task, or the reconciler if that task is lost, takes it.
        if mine.update(lease_owner="", lease_expires_at=timezone.now()) == 1:
            async_task(TASK, job_id)
        return "continues in a new task"
    if outcome == "lost":
        return "another worker took over"
    status = AnalysisJob.Status.CANCELLED if outcome == "cancelled" else AnalysisJob.Status.DONE
    mine.update(status=status, finished_at=timezone.now(), lease_owner="", lease_expires_at=None)
    return str(status)


def _run_items(job_id: int, runner: str, seconds: float) -> str:
    started = time.monotonic()
    job = AnalysisJob.objects.select_related("created_by").get(pk=job_id)
    while True:
        if AnalysisJob.objects.filter(pk=job_id, cancel_requested=True).exists():
            return "cancelled"
        item = (
            AnalysisItem.objects.filter(job_id=job_id, status=AnalysisItem.Status.PENDING)
            .select_related("lead__company", "lead__stage")
            .order_by("id")
            .first()
        )
        if item is None:
            return "finished"
        # The model is asked outside any transaction; the outcome is then kept if this runner still holds the job.
        analysis = _analyse(item, job)
        if not _item_finish(job_id, runner, item, analysis):
            return "lost"
        if time.monotonic() - started > seconds:
            return "paused"


def _analyse(item: AnalysisItem, job: AnalysisJob) -> LeadAnalysis | str:
    """The lead's analysis, or why there is none (the lead is no longer the job creator's to change)."""
    actor = job.created_by
    if actor is None or not can_edit_lead(actor, item.lead):
        return "No longer yours to change: skipped."
    return lead_analyze(lead=item.lead, actor=actor, job=job)


def analysis_outcome(analysis: LeadAnalysis) -> str:
    if analysis.status == LeadAnalysis.Status.FAILED:
        return analysis.failure[:500]
    if analysis.thin:
        return "Too few facts to analyse."
    label = "AI" if analysis.source == LeadAnalysis.Source.AI else "built-in"
    return f"{label}: fit {analysis.fit}/100, urgency {analysis.urgency}, {analysis.authority}"


@transaction.atomic
def _item_finish(job_id: int, runner: str, item: AnalysisItem, analysis: LeadAnalysis | str) -> bool:
    """Count one lead's outcome, if this runner still holds the job; False if it does not."""
    locked = AnalysisJob.objects.select_for_update().get(pk=job_id)
    if locked.lease_owner != runner:
        return False
    failed = isinstance(analysis, str) or analysis.status == LeadAnalysis.Status.FAILED
    kept = AnalysisItem.objects.filter(pk=item.pk, status=AnalysisItem.Status.PENDING).update(
        status=AnalysisItem.Status.FAILED if failed else AnalysisItem.Status.DONE,
        outcome=analysis if isinstance(analysis, str) else analysis_outcome(analysis),
        finished_at=timezone.now(),
    )
    if not kept:
        # The lead was deleted meanwhile, and its item with it: one lead fewer to do.
        AnalysisJob.objects.filter(pk=job_id).update(progress_total=F("progress_total") - 1)
        return True
    built_in = not isinstance(analysis, str) and analysis.source == LeadAnalysis.Source.BUILT_IN
    now = timezone.now()
    AnalysisJob.objects.filter(pk=job_id).update(
        progress_done=F("progress_done") + 1,
        failed_count=F("failed_count") + int(failed),
        built_in_count=F("built_in_count") + int(built_in),
        cost_usd=F("cost_usd") + (0 if isinstance(analysis, str) else analysis.cost_usd),
        heartbeat_at=now,
        lease_expires_at=lease_end(now, ai_job_stall_seconds(settings.ENRICHMENT_STALL_SECONDS)),
    )
    return True


def analysis_jobs_requeue_stalled() -> int:
    """The periodic reconciler: jobs whose runner died or whose task was lost are queued again."""
    stall_seconds = ai_job_stall_seconds(settings.ENRICHMENT_STALL_SECONDS)
    return leases_requeue_stalled(AnalysisJob.objects.all(), task=TASK, stall_seconds=stall_seconds)
