"""Enrichment jobs: made from a selection of leads, run by the job cluster under a lease, a few leads asked at once,
each lead kept in its own transaction; cancelled, resumed after a crash without asking a paid source twice."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, connections, transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from crm.models import Lead, User
from crm.selectors import leads_visible_to
from crm.webhooks.events import EventType, absolute_url
from crm.webhooks.publish import events_publish
from enrichment.keeping import lead_keep
from enrichment.models import EnrichmentItem, EnrichmentJob
from enrichment.providers.base import WANTED_FIELDS
from enrichment.sources import SOURCES
from enrichment.waterfall import (
    Asked,
    WaterfallRun,
    credits_of,
    findings_counts,
    lead_ask,
    lead_facts,
    lead_has,
)
from leadflow.leases import lease_claim, lease_end, lease_renew_every, leases_requeue_stalled
from leadflow.roles import can_edit_lead, can_reassign, require_write, sees_all_leads

logger = logging.getLogger(__name__)

# A task hands over to a fresh one after this long, well inside the cluster's timeout (Q_CLUSTER["timeout"]).
TASK_SECONDS = 240
# While a batch is asked (nothing kept meanwhile), the lease is renewed this often at most.
LEASE_RENEW_SECONDS = 20


def enrichment_jobs_visible_to(user: User) -> QuerySet[EnrichmentJob]:
    """Job history: reps see their own jobs, everyone else all of them."""
    jobs = EnrichmentJob.objects.select_related("created_by")
    return jobs if sees_all_leads(user) else jobs.filter(created_by=user)


def leads_missing(leads: QuerySet[Lead], fields: Iterable[str]) -> QuerySet[Lead]:
    """The leads that lack at least one of these fields."""
    lacking = Q()
    for name in fields:
        if name == "company":
            lacking |= Q(company__isnull=False, company__description="")
        else:
            lacking |= Q(**{{"email": "email", "phone": "phone", "linkedin": "linkedin_url"}[name]: ""})
    return leads.filter(lacking)


def credits_estimate(leads: QuerySet[Lead], fields: list[str], sources: list[str]) -> Decimal:
    """The most the paid sources could cost for these leads (cached answers and earlier free finds cost less)."""
    run = WaterfallRun.plan(fields=fields, sources=sources)
    paid = [SOURCES[name] for name in run.sources if SOURCES[name].paid and SOURCES[name].available()]
    if not paid:
        return Decimal(0)
    with_email = leads.exclude(email="").count()
    without_email = leads.count() - with_email
    return sum(
        (
            source.credit_estimate(run.fields, has_email=True) * with_email
            + source.credit_estimate(run.fields, has_email=False) * without_email
            for source in paid
        ),
        Decimal(0),
    )


@transaction.atomic
def enrichment_job_create(
    *,
    actor: User,
    leads: QuerySet[Lead],
    fields: list[str] | None = None,
    sources: list[str] | None = None,
    overwrite: bool = False,
    description: str = "",
) -> EnrichmentJob:
    """A job for the given leads that the actor may change, queued once the transaction commits."""
    require_write(actor)
    if overwrite and not can_reassign(actor):
        raise PermissionDenied("Only managers and admins may replace values people typed.")
    fields = [name for name in (fields or WANTED_FIELDS) if name in WANTED_FIELDS]
    sources = [name for name in (sources or []) if name in SOURCES]
    # Leads another job is still enriching are left to it: two jobs would ask (and pay) twice.
    busy = EnrichmentItem.objects.filter(
        status=EnrichmentItem.Status.PENDING,
        job__status__in=[EnrichmentJob.Status.QUEUED, EnrichmentJob.Status.RUNNING],
    )
    visible = leads_visible_to(actor).filter(pk__in=leads.values("pk")).exclude(pk__in=busy.values("lead_id"))
    lead_ids = [lead.pk for lead in visible.only("pk", "owner_id") if can_edit_lead(actor, lead)]
    job = EnrichmentJob.objects.create(
        created_by=actor,
        description=description[:200],
        fields=fields,
        sources=sources,
        overwrite=overwrite,
        progress_total=len(lead_ids),
        credits_estimate=credits_estimate(Lead.objects.filter(pk__in=lead_ids), fields, sources),
    )
    EnrichmentItem.objects.bulk_create([EnrichmentItem(job=job, lead_id=pk) for pk in lead_ids], batch_size=2000)
    transaction.on_commit(lambda: async_task("enrichment.jobs.enrichment_job_run", job.pk))
    return job


def enrichment_job_cancel(*, job: EnrichmentJob, actor: User) -> bool:
    """Ask a queued or running job to stop after the leads in hand; True if it was still going."""
    require_write(actor)
    now = timezone.now()
    queued = EnrichmentJob.objects.filter(pk=job.pk, status=EnrichmentJob.Status.QUEUED, lease_owner="")
    if queued.update(status=EnrichmentJob.Status.CANCELLED, cancel_requested=True, finished_at=now):
        _finished_publish(job.pk)
        return True
    return bool(
        EnrichmentJob.objects.filter(pk=job.pk, status=EnrichmentJob.Status.RUNNING).update(cancel_requested=True)
    )


def _lease_end(now: datetime) -> datetime:
    return lease_end(now, settings.ENRICHMENT_STALL_SECONDS)


def enrichment_job_run(job_id: int, seconds: float = TASK_SECONDS) -> str:
    """The task: claim the job (one runner at a time), enrich its pending leads, hand over to a new task when the
    time is up. A duplicate task finds the lease held and leaves the job alone."""
    runner = lease_claim(
        EnrichmentJob.objects.filter(status__in=[EnrichmentJob.Status.QUEUED, EnrichmentJob.Status.RUNNING]),
        job_id=job_id,
        running=EnrichmentJob.Status.RUNNING,
        stall_seconds=settings.ENRICHMENT_STALL_SECONDS,
    )
    if runner is None:
        return "nothing to do"
    job = EnrichmentJob.objects.select_related("created_by").get(pk=job_id)
    mine = EnrichmentJob.objects.filter(pk=job_id, lease_owner=runner)
    try:
        outcome = _run_items(job, runner, seconds)
    except Exception as exc:
        logger.exception("Enrichment %s failed", job_id)
        error = f"{exc.__class__.__name__}: {exc}"
        if mine.update(status=EnrichmentJob.Status.FAILED, error=error, finished_at=timezone.now(), lease_owner=""):
            _finished_publish(job_id)
        raise
    if outcome == "paused":
        # Let go with a lease that has run out, so the next task, or the reconciler if that task is lost, takes it.
        if mine.update(lease_owner="", lease_expires_at=timezone.now()) == 1:
            async_task("enrichment.jobs.enrichment_job_run", job_id)
        return "continues in a new task"
    if outcome == "lost":
        return "another worker took over"
    status = EnrichmentJob.Status.CANCELLED if outcome == "cancelled" else EnrichmentJob.Status.DONE
    if mine.update(status=status, finished_at=timezone.now(), lease_owner="", lease_expires_at=None):
        _finished_publish(job_id)
    return str(status)


def _finished_publish(job_id: int) -> None:
    """The enrichment.finished webhook event: the job's counts (each lead it changed sent lead.updated already)."""

    def items() -> list[dict]:
        job = EnrichmentJob.objects.select_related("created_by").get(pk=job_id)
        data = {
            "id": job.pk,
            "status": job.status,
            "error": job.error,
            "description": job.description,
            "fields": job.fields,
            "sources": job.sources,
            "leads": job.items.count(),
            "failed": job.items.filter(status=EnrichmentItem.Status.FAILED).count(),
            "credits_used": str(job.credits_used),
            "breakdown": job.breakdown,
            "started_by": job.created_by.email if job.created_by_id else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "url": absolute_url(reverse("enrichment:job", args=[job.pk])),
        }
        return [{"enrichment": data}]

    events_publish(EventType.ENRICHMENT_FINISHED, items)


def _asks_in_parallel() -> bool:
    """Whether leads are asked in threads: not inside a transaction (as in tests), where other connections could not
    see what it holds."""
    return not connection.in_atomic_block and settings.ENRICHMENT_CONCURRENCY > 1


def _lease_renew(job_id: int, runner: str) -> bool:
    """A sign of life while the sources are asked (no lead is kept meanwhile); False once another runner holds it."""
    now = timezone.now()
    renewed = EnrichmentJob.objects.filter(pk=job_id, lease_owner=runner)
    return renewed.update(heartbeat_at=now, lease_expires_at=_lease_end(now)) == 1


def _ask_batch(
    items: list[EnrichmentItem], run: WaterfallRun, *, job_id: int, runner: str
) -> list[tuple[EnrichmentItem, Asked]]:
    """Ask the sources about a batch of leads, renewing the lease while they answer (a slow mail server or a
    throttled API may take minutes for a batch)."""
    replacing = run.fields if run.overwrite else frozenset()
    facts = [
        (item, lead_facts(item.lead, replacing=replacing), {name for name in run.fields if lead_has(item.lead, name)})
        for item in items
    ]
    if not _asks_in_parallel():
        asked = []
        for item, lead, has in facts:
            asked.append((item, lead_ask(lead, has=has, run=run)))
            _lease_renew(job_id, runner)
        return asked
    # One thread per company: its second lead finds the site, the mail route and the catch-all test cached by the
    # first, instead of fetching and probing them again at the same moment; different companies go side by side.
    by_company: dict[str, list] = {}
    for entry in facts:
        by_company.setdefault(entry[1].domain or f"lead {entry[0].pk}", []).append(entry)

    def ask_company(entries):
        try:
            return [(item, lead_ask(lead, has=has, run=run)) for item, lead, has in entries]
        finally:
            connections.close_all()  # this thread's own connection, opened by cache reads

    with ThreadPoolExecutor(max_workers=settings.ENRICHMENT_CONCURRENCY, thread_name_prefix="enrich") as pool:
        futures = [pool.submit(ask_company, entries) for entries in by_company.values()]
        renew_every = lease_renew_every(settings.ENRICHMENT_STALL_SECONDS, most=LEASE_RENEW_SECONDS)
        while wait(futures, timeout=renew_every).not_done:
            _lease_renew(job_id, runner)
        return [asked for future in futures for asked in future.result()]


def _run_items(job: EnrichmentJob, runner: str, seconds: float) -> str:
    started = time.monotonic()
    run = WaterfallRun.for_job(job)
    actor = job.created_by
    while True:
        if EnrichmentJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
            return "cancelled"
        items = list(
            EnrichmentItem.objects.filter(job=job, status=EnrichmentItem.Status.PENDING)
            .select_related("lead__company")
            .order_by("id")[: settings.ENRICHMENT_BATCH_SIZE]
        )
        if not items:
            return "finished"
        batch_started = timezone.now()
        for item, asked in _ask_batch(items, run, job_id=job.pk, runner=runner):
            if not _item_finish(job, runner, item, asked, run, actor, batch_started):
                return "lost"
        if time.monotonic() - started > seconds:
            return "paused"


def _outcome_text(asked: Asked, applied: set[str], people: int, note: str) -> str:
    parts = [note] if note else []
    if applied:
        parts.append("filled " + ", ".join(sorted(applied)))
    elif asked.findings:
        parts.append(f"{len(asked.findings)} value(s) found, none sure enough to fill")
    else:
        parts.append("nothing found")
    if people:
        parts.append(f"{people} new contact(s) from the team page")
    parts.extend(asked.problems)
    return "; ".join(parts)[:500]


@transaction.atomic
def _item_finish(
    job: EnrichmentJob, runner: str, item: EnrichmentItem, asked: Asked, run: WaterfallRun, actor, since
) -> bool:
    """Keep one lead's findings and count them, if this runner still holds the job; False if it does not."""
    locked = EnrichmentJob.objects.select_for_update().get(pk=job.pk)
    if locked.lease_owner != runner:
        return False
    current = EnrichmentItem.objects.filter(pk=item.pk).values_list("status", flat=True).first()
    if current is None:
        # The lead was deleted meanwhile, and its item with it: one lead fewer to do.
        EnrichmentJob.objects.filter(pk=job.pk).update(progress_total=F("progress_total") - 1)
        return True
    if current != EnrichmentItem.Status.PENDING:
        return True  # kept already (a runner before this one)
    kept = lead_keep(lead_id=item.lead_id, actor=actor, asked=asked, run=run, job=job)
    failed = not asked.findings and bool(asked.problems)
    item.status = EnrichmentItem.Status.FAILED if failed else EnrichmentItem.Status.DONE
    item.outcome = _outcome_text(asked, kept.applied, kept.people_added, kept.outcome)
    item.finished_at = timezone.now()
    item.save(update_fields=["status", "outcome", "finished_at"])
    counts = findings_counts(asked.findings, kept.applied) + Counter(
        {"people_added": kept.people_added, "failed": int(failed)}
    )
    breakdown = Counter(locked.breakdown) + counts
    now = timezone.now()
    EnrichmentJob.objects.filter(pk=job.pk).update(
        progress_done=F("progress_done") + 1,
        credits_used=F("credits_used") + credits_of(asked.findings, since, run.counted_answers),
        breakdown=dict(breakdown),
        heartbeat_at=now,
        lease_expires_at=_lease_end(now),
    )
    return True


def enrichment_jobs_requeue_stalled() -> int:
    """The periodic reconciler: jobs whose runner died or whose task was lost are queued again."""
    return leases_requeue_stalled(
        EnrichmentJob.objects.all(),
        task="enrichment.jobs.enrichment_job_run",
        stall_seconds=settings.ENRICHMENT_STALL_SECONDS,
    )
