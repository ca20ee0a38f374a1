"""Campaign runs: started by a person, a schedule or a command; run by the job cluster under a lease; never two at
once for one campaign; a failure that may pass is tried again with backoff, then shown as failed with its reason."""

from __future__ import annotations

import importlib
import logging
import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from crm.locale import site_settings
from crm.models import Lead, User
from leadflow.leases import lease_claim, lease_end, lease_renew_every
from leadflow.roles import require_write
from scraping.capture import Destination, leads_round_robin, table_capture
from scraping.models import Campaign, ScrapeRun, Source
from scraping.sources.base import Fetched, SourceFailed, SourceSettings
from scraping.timing import schedule_next

logger = logging.getLogger(__name__)

# Tries of a run whose failure may pass (a timeout, a throttle), the first wait, and how it grows.
MAX_ATTEMPTS = 3
FIRST_RETRY_SECONDS = 60
LEASE_RENEW_SECONDS = 60
# The client of each source kind that fetches tables (ad platforms deliver by webhook instead).
CLIENTS = {
    Source.Kind.PHANTOMBUSTER: "scraping.sources.phantombuster",
    Source.Kind.APIFY: "scraping.sources.apify",
    Source.Kind.INDIAMART: "scraping.sources.indiamart",
    Source.Kind.WEBSITE: "scraping.sources.directory",
}
SECRETS = ("api_key", "token", "crm_key")


class RunRefused(ValidationError):
    """A run that cannot start now (one is already running, the campaign is paused, its source cannot be fetched)."""


def source_settings(source: Source) -> SourceSettings:
    return SourceSettings(
        kind=source.kind,
        base_url=source.api_base_url,
        credentials={name: source.credential(name) for name in SECRETS if source.credential(name)},
    )


@transaction.atomic
def scrape_run_start(
    *, campaign: Campaign, actor: User | None, trigger: str = "manual", queue: bool = True
) -> ScrapeRun:
    """Open a run and queue it (after the transaction commits) unless the caller runs it; refused while another run
    of the campaign is queued or running, so two never overlap."""
    if actor is not None:
        require_write(actor)
    campaign = Campaign.objects.select_for_update().select_related("source").get(pk=campaign.pk)
    if campaign.source.kind not in CLIENTS:
        raise RunRefused(
            f"{campaign.source.get_kind_display()} delivers its leads by webhook; there is nothing to run."
        )
    active = campaign.runs.filter(status__in=[ScrapeRun.Status.QUEUED, ScrapeRun.Status.RUNNING]).first()
    if active is not None:
        raise RunRefused(f"{campaign} is already running (run #{active.pk}).")
    run = ScrapeRun.objects.create(campaign=campaign, trigger=trigger, heartbeat_at=timezone.now())
    if queue:
        transaction.on_commit(lambda: async_task("scraping.runs.scrape_run_execute", run.pk))
    return run


def scrape_run_execute(run_id: int) -> str:
    """The task: claim the run, fetch, import what came, record the counts. A duplicate task finds the lease held
    and leaves the run alone."""
    runner = lease_claim(
        ScrapeRun.objects.filter(status__in=[ScrapeRun.Status.QUEUED, ScrapeRun.Status.RUNNING]),
        job_id=run_id,
        running=ScrapeRun.Status.RUNNING,
        stall_seconds=settings.CAPTURE_STALL_SECONDS,
    )
    if runner is None:
        return "nothing to do"
    run = ScrapeRun.objects.select_related("campaign__source", "campaign__lead_list", "campaign__owner").get(pk=run_id)
    mine = ScrapeRun.objects.filter(pk=run_id, lease_owner=runner)
    if run.attempts >= MAX_ATTEMPTS:
        # A run requeued past its tries (its worker died each time) ends here rather than fetching for ever.
        return _failed(run, mine, run.error or "its worker stopped every time it ran", retry=False)
    ScrapeRun.objects.filter(pk=run_id).update(attempts=run.attempts + 1, retry_at=None)
    with _lease_kept(run_id, runner):
        try:
            return _keep(run, mine, _fetch(run))
        except SourceFailed as exc:  # rows are read lazily: a source may fail while its table is being imported
            if exc.pending:
                mine.update(cursor={f"pending_{key}": value for key, value in exc.pending.items()})
            return _failed(run, mine, str(exc), retry=exc.retry, wait=getattr(exc, "retry_after", 0))
        except ValidationError as exc:
            return _failed(run, mine, "; ".join(exc.messages), retry=False)
        except Exception as exc:  # a client's bug must not leave the run "running" for ever
            logger.exception("Capture run %s failed", run_id)
            return _failed(run, mine, f"{exc.__class__.__name__}: {exc}", retry=False)


@contextmanager
def _lease_kept(run_id: int, runner: str):
    """Renew the run's lease while it works (a fetch may wait minutes for an actor), from a thread of its own."""
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(lease_renew_every(settings.CAPTURE_STALL_SECONDS, most=LEASE_RENEW_SECONDS)):
                now = timezone.now()
                ScrapeRun.objects.filter(pk=run_id, lease_owner=runner).update(
                    heartbeat_at=now, lease_expires_at=lease_end(now, settings.CAPTURE_STALL_SECONDS)
                )
        finally:
            connections.close_all()

    renewer = threading.Thread(target=renew, name=f"capture-lease-{run_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()


def _fetch(run: ScrapeRun) -> Fetched:
    campaign = run.campaign
    client = importlib.import_module(CLIENTS[campaign.source.kind])
    # What an earlier try of this run left going (an agent's container, an actor's run) is picked up, not relaunched.
    pending = {key: value for key, value in run.cursor.items() if key.startswith("pending_")}
    cursor = {**_last_cursor(campaign), **pending}
    return client.fetch(source_settings(campaign.source), dict(campaign.target), cursor)


def _last_cursor(campaign: Campaign) -> dict:
    """Where the last successful run stopped: the next one fetches what came since."""
    last = campaign.runs.filter(status=ScrapeRun.Status.DONE).exclude(cursor={}).order_by("-finished_at").first()
    return dict(last.cursor) if last else {}


def _destination(run: ScrapeRun) -> Destination:
    campaign = run.campaign
    lifecycle = Lead.Lifecycle.LEAD if campaign.enter_as == Campaign.EnterAs.LEAD else Lead.Lifecycle.CONTACT
    return Destination(
        name=f"{campaign.name} run #{run.pk}",
        source_tag=campaign.source_tag or campaign.source.kind,
        owner=campaign.owner,
        lead_list=campaign.lead_list,
        lifecycle=lifecycle,
        actor=campaign.created_by,
        region=str(campaign.target.get("region", "")),
    )


def _keep(run: ScrapeRun, mine, fetched: Fetched) -> str:
    """Import the table, then record the run's counts and cursor; flagged when an empty result is suspicious."""
    jobs = table_capture(fetched.headers, fetched.rows, columns=fetched.mapping, to=_destination(run))
    campaign = run.campaign
    reps = list(campaign.round_robin.filter(is_active=True).order_by("pk"))
    for job in jobs if reps else []:
        campaign.round_robin_next = leads_round_robin(job, reps, campaign.round_robin_next)
    if reps:
        Campaign.objects.filter(pk=campaign.pk).update(round_robin_next=campaign.round_robin_next)
    run.import_jobs.add(*jobs)
    # Zero items where a listing was expected flags the run, even when another start page gave rows.
    flagged = fetched.empty_is_suspicious
    now = timezone.now()
    counts = {
        "rows_fetched": sum(job.rows_read for job in jobs),
        "leads_created": sum(job.rows_imported for job in jobs),
        "leads_updated": sum(job.rows_updated for job in jobs),
        "leads_skipped": sum(job.rows_skipped for job in jobs),
        "leads_rejected": sum(job.rows_rejected for job in jobs),
    }
    mine.update(
        status=ScrapeRun.Status.FLAGGED if flagged else ScrapeRun.Status.DONE,
        finished_at=now,
        cursor=fetched.cursor,
        notes=fetched.notes,
        raw=fetched.raw,
        raw_expires_at=now + timedelta(days=settings.CAPTURE_RAW_DAYS),
        error="" if not flagged else "; ".join(fetched.notes) or "the source gave nothing",
        lease_owner="",
        lease_expires_at=None,
        **counts,
    )
    return "flagged" if flagged else "done"


def _failed(run: ScrapeRun, mine, reason: str, *, retry: bool, wait: float = 0) -> str:
    """Try again later with a longer wait each time (at least what the source asked for: IndiaMART's throttle), or
    give up and say why."""
    attempts = run.attempts + 1
    if retry and attempts < MAX_ATTEMPTS:
        backoff = max(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), wait)
        retry_at = timezone.now() + timedelta(seconds=backoff)
        if mine.update(status=ScrapeRun.Status.QUEUED, retry_at=retry_at, error=reason, lease_owner="") == 1:
            schedule(
                "scraping.runs.scrape_run_execute",
                run.pk,
                name=f"capture run {run.pk} retry {attempts}",
                schedule_type=Schedule.ONCE,
                next_run=retry_at,
            )
        return "retries later"
    mine.update(status=ScrapeRun.Status.FAILED, error=reason, finished_at=timezone.now(), lease_owner="")
    return "failed"


def campaigns_run_due() -> int:
    """The periodic job: start every scheduled campaign whose time has come (once, however many times were missed)
    and set its next time. Returns how many started."""
    now = timezone.now()
    zone = site_settings().time_zone
    started = 0
    due = Campaign.objects.filter(paused=False, source__paused=False, next_run_at__lte=now).exclude(schedule="manual")
    for campaign in due.select_related("source"):
        Campaign.objects.filter(pk=campaign.pk).update(next_run_at=schedule_next(campaign.schedule, now, zone))
        try:
            scrape_run_start(campaign=campaign, actor=None, trigger="schedule")
        except RunRefused as exc:
            logger.info("Scheduled run of %s skipped: %s", campaign, exc.messages[0])
            continue
        started += 1
    return started


def campaign_next_run_set(campaign: Campaign) -> None:
    """Set when a campaign runs next from its schedule (None for manual)."""
    campaign.next_run_at = schedule_next(campaign.schedule, timezone.now(), site_settings().time_zone)
    Campaign.objects.filter(pk=campaign.pk).update(next_run_at=campaign.next_run_at)


def runs_requeue_stalled() -> int:
    """Queue again the runs whose runner went silent past its lease (a worker that died), and those whose retry
    was due long ago (its task, queued by a one-off schedule, was lost with the Redis broker's queue)."""
    silent_since = timezone.now() - timedelta(seconds=settings.CAPTURE_STALL_SECONDS)
    stalled = ScrapeRun.objects.filter(
        Q(retry_at__isnull=True) | Q(retry_at__lt=silent_since),
        status__in=[ScrapeRun.Status.QUEUED, ScrapeRun.Status.RUNNING],
        heartbeat_at__lt=silent_since,
    )
    ids = list(stalled.values_list("pk", flat=True))
    for run_id in ids:
        async_task("scraping.runs.scrape_run_execute", run_id)
    return len(ids)


def runs_raw_forget() -> int:
    """Forget the raw answers kept on runs past their time (CAPTURE_RAW_DAYS): the counts and the leads stay."""
    expired = ScrapeRun.objects.filter(raw_expires_at__lt=timezone.now())
    return expired.update(raw={}, raw_expires_at=None)
