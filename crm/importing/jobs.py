"""Import jobs: created from an uploaded file, mapped, run in batches by the job cluster, resumed, undone."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django_q.tasks import async_task

from crm.importing.drafting import Record, collector_relaxed, draft_batches
from crm.importing.drafts import LeadDraft
from crm.importing.mapping import CUSTOM, FIELDS, IGNORE, REPEATABLE, mapping_suggest
from crm.importing.reading import FileRefused, TableInfo, table_inspect, table_sample
from crm.importing.rows import draft_from_row
from crm.importing.storing import file_keep
from crm.importing.writer import BatchPlan, BatchResult, BatchWriter
from crm.models import Company, ImportJob, Lead, LeadList, SavedMapping, Stage, User
from crm.services.pipelines import pipeline_default
from crm.services.stale import rescore_queue
from crm.signals import import_enrichment_requested
from crm.webhooks.events import EventType, import_payload
from crm.webhooks.publish import events_publish
from leadflow.audit import record
from leadflow.leases import lease_claim, lease_end
from leadflow.roles import can_reassign, require_write

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# A task hands over to a fresh one after this long, well inside the cluster's timeout (Q_CLUSTER["timeout"]).
TASK_SECONDS = 240
# PostgreSQL: how much of the trigram indexes' new entries an import lets wait before merging them (_batch_commit).
TRIGRAM_PENDING_MB = 32


def _info(job: ImportJob) -> TableInfo:
    return TableInfo(
        format=job.file_format,
        encoding=job.encoding,
        delimiter=job.delimiter,
        header_line=job.header_line,
        headers=job.headers,
        duplicate_headers=[],
        size=job.progress_total,
    )


@transaction.atomic
def import_job_create(*, actor: User, path: Path, original_name: str) -> ImportJob:
    """Check a file and open a job for it with a suggested mapping; a file that is not a usable table is refused."""
    require_write(actor)
    info, samples = _table_read(path)
    if not samples:
        raise ValidationError("This file has a header row but no data rows.")
    job = _job_for_table(
        path,
        info,
        original_name,
        mapping=mapping_suggest(info.headers, samples),
        created_by=actor,
        owner=actor if not can_reassign(actor) else None,
    )
    file_keep(job.file, path, original_name)
    job.save()
    return job


def _table_read(path: Path) -> tuple[TableInfo, list[list[str]]]:
    """The file's shape and its first rows, or ValidationError saying why it is no table."""
    try:
        info = table_inspect(path, max_bytes=settings.IMPORT_MAX_BYTES, max_columns=settings.IMPORT_MAX_COLUMNS)
        # The sample reads past what inspecting looked at: it can meet a line too long to be a row.
        return info, [row.values for row in table_sample(path, info, count=20)]
    except FileRefused as exc:
        raise ValidationError(str(exc)) from exc


def _job_for_table(path: Path, info: TableInfo, original_name: str, **fields) -> ImportJob:
    return ImportJob(
        original_name=original_name[:255],
        file_size=path.stat().st_size,
        file_format=info.format,
        encoding=info.encoding,
        delimiter=info.delimiter,
        header_line=info.header_line,
        headers=info.headers,
        progress_total=info.size,
        **fields,
    )


@transaction.atomic
def import_job_for_table(
    *,
    path: Path,
    original_name: str,
    columns: dict[str, str] | None = None,
    source: str,
    owner: User | None = None,
    lead_list: LeadList | None = None,
    stage: Stage | None = None,
    lifecycle: str = Lead.Lifecycle.CONTACT,
    on_duplicate: str = ImportJob.OnDuplicate.FILL,
    actor: User | None = None,
    region: str = "",
    lawful_basis_source: str = "",
) -> ImportJob:
    """An import of a table that a capture source fetched rather than a person uploaded: mapped by the source's known
    columns ({header: field}) and the import's suggestions for the rest, queued for the caller to run. Same reading,
    normalising, matching and undo as any import; ValidationError when the table cannot be imported."""
    info, samples = _table_read(path)
    suggested = mapping_suggest(info.headers, samples)
    mapping = mapping_from_saved(info.headers, columns, suggested) if columns else suggested
    job = _job_for_table(
        path,
        info,
        original_name,
        mapping=mapping_clean(info.headers, mapping),
        created_by=actor,
        owner=owner,
        lead_list=lead_list,
        source=source[:60],
        fed_by_caller=True,
        stage=stage,
        lifecycle=lifecycle,
        on_duplicate=on_duplicate,
        lawful_basis_source=lawful_basis_source,
        region=region.upper() if region.upper() in phonenumbers.SUPPORTED_REGIONS else "",
        status=ImportJob.Status.QUEUED,
        heartbeat_at=timezone.now(),
    )
    file_keep(job.file, path, original_name)
    job.save()
    return job


def mapping_clean(headers: list[str], mapping: list[str]) -> list[str]:
    """Check a mapping from a form or file: one known target per column, each lead field used once (the other
    emails and phones by as many columns as hold them)."""
    if len(mapping) != len(headers):
        raise ValidationError("The mapping does not match the file's columns.")
    allowed = {*FIELDS, *REPEATABLE, CUSTOM, IGNORE}
    used: dict[str, str] = {}
    for header, target in zip(headers, mapping, strict=True):
        if target not in allowed:
            raise ValidationError(f"Unknown field {target!r} for column {header!r}.")
        if target in FIELDS and target in used:
            raise ValidationError(f"Columns {used[target]!r} and {header!r} both map to {FIELDS[target]}.")
        used[target] = header
    return mapping


def mapping_from_saved(headers: list[str], columns: dict[str, str], fallback: list[str]) -> list[str]:
    """A saved mapping ({header: field}) applied by header name; the other columns keep their suggestion
    unless it names a field the saved mapping gives to another column (then they stay custom fields)."""
    claimed = {columns[header] for header in headers if columns.get(header) in FIELDS}
    return [
        columns.get(header, CUSTOM if suggestion in claimed else suggestion)
        for header, suggestion in zip(headers, fallback, strict=True)
    ]


def mapping_save(*, actor: User, name: str, headers: list[str], mapping: list[str]) -> SavedMapping:
    saved, _ = SavedMapping.objects.update_or_create(
        name=name.strip()[:100], defaults={"columns": dict(zip(headers, mapping, strict=True)), "created_by": actor}
    )
    return saved


def import_preview(job: ImportJob, count: int = 5) -> list[LeadDraft]:
    """The first rows as the import would store them, with their problems."""
    rows = table_sample(Path(job.file.path), _info(job), count=count)
    return [draft_from_row(row, job.headers, job.mapping, region=job_region(job)) for row in rows]


def job_region(job: ImportJob) -> str:
    """The country of phone numbers written without +code, for rows that do not say theirs."""
    return job.region or settings.PHONE_DEFAULT_REGION


@transaction.atomic
def import_job_start(
    *,
    job: ImportJob,
    actor: User,
    mapping: list[str],
    on_duplicate: str,
    lead_list: LeadList | None = None,
    owner: User | None = None,
    region: str = "",
    enrich_after: bool = False,
    queue: bool = True,
    channel: str = "",
) -> ImportJob:
    """Fix the mapping and options, and queue the job (after the transaction commits) unless the caller runs it;
    `enrich_after`: enrich the leads it creates or changes once it is done."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.created_by_id != actor.pk and not can_reassign(actor):
        raise PermissionDenied("This import belongs to someone else.")
    if job.status != ImportJob.Status.MAPPING:
        raise ValidationError("This import has already started.")
    job.mapping = mapping_clean(job.headers, mapping)
    job.on_duplicate = on_duplicate
    if region and region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"Unknown phone region {region!r}; use a two-letter country code such as GB.")
    job.region = region.upper()
    job.lead_list = lead_list
    if owner is not None and owner != actor and not can_reassign(actor):
        raise PermissionDenied("Only managers and admins can import leads for someone else.")
    job.owner = owner if owner is not None else job.owner
    job.enrich_after = enrich_after
    job.status = ImportJob.Status.QUEUED
    job.heartbeat_at = timezone.now()
    job.save()
    details = {"file": job.original_name, "rows": job.progress_total, "on_duplicate": on_duplicate}
    record("import.started", actor=actor, channel=channel, target=job, details=details)
    if queue:
        transaction.on_commit(lambda: async_task("crm.importing.jobs.import_job_run", job.pk))
    return job


def import_job_run(
    job_id: int, *, seconds: float = TASK_SECONDS, feed: Callable[[int], list[Record]] | None = None
) -> str:
    """The cluster task: import batches from where the job stopped, for a while, then hand over to a new task.

    1. Claim a lease: a queued job, or a running one whose runner fell silent (its lease expired), gets this task
       as its one runner. A job whose lease is held by a live runner is left alone: status, counters, everything.
    2. Each batch is written in one transaction together with the job's counters, `last_line` and a renewed
       lease, so a crash repeats at most the batch that was in flight, and that batch's rows then match the leads
       it wrote.
    3. Before each batch the job row is locked and the lease checked: a runner that lost its lease (it stalled
       and another took over) stops without writing, and never marks the job done or failed.

    `feed` is for a caller still writing the job's file (scraping.capture): see draft_batches. Such a run takes
    the time it needs, as no other task could go on from a file not yet whole.
    """
    runner = lease_claim(
        ImportJob.objects.filter(status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]),
        job_id=job_id,
        running=ImportJob.Status.RUNNING,
        stall_seconds=settings.IMPORT_STALL_SECONDS,
    )
    if runner is None:
        return "nothing to do"
    job = ImportJob.objects.get(pk=job_id)
    mine = ImportJob.objects.filter(pk=job_id, lease_owner=runner)
    try:
        outcome = _run_batches(job, runner, seconds if feed is None else math.inf, feed)
    except Exception as exc:
        logger.exception("Import %s failed", job_id)
        failed = mine.update(
            status=ImportJob.Status.FAILED,
            error=f"{exc.__class__.__name__}: {exc}",
            finished_at=timezone.now(),
            lease_owner="",
        )
        if failed:
            _finished_announce(job_id)
        raise
    if outcome == _Outcome.LOST:
        return "another worker took over"
    if outcome == _Outcome.PAUSED:
        # Let go first, so that the next task can claim the job at once.
        if mine.update(lease_owner="", lease_expires_at=None) == 1:
            async_task("crm.importing.jobs.import_job_run", job_id)
        return "continues in a new task"
    done = mine.update(
        status=ImportJob.Status.DONE,
        finished_at=timezone.now(),
        progress_done=F("progress_total"),
        lease_owner="",
        lease_expires_at=None,
    )
    _trigram_pending_merge()
    rescore_queue()  # the leads it wrote were marked stale as they were written
    if done:
        _finished_announce(job_id)
        _enrichment_request(job_id)
    return "done"


def _trigram_pending_merge() -> None:
    """Merge what the import left pending in the trigram indexes (see _batch_commit), so that searches read no long
    pending list and the next person to add a lead does not pay for the merge."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT gin_clean_pending_list(index.indexrelid::regclass) FROM pg_index AS index "
            "JOIN pg_class AS relation ON relation.oid = index.indexrelid JOIN pg_am AS method ON method.oid = "
            "relation.relam WHERE method.amname = 'gin' AND index.indrelid IN (%s::regclass, %s::regclass)",
            [Lead._meta.db_table, Company._meta.db_table],
        )


def _finished_announce(job_id: int) -> None:
    """One import.finished webhook event with the counts (not a lead.created per row: an import may bring a
    million), and its line in the audit log."""
    events_publish(
        EventType.IMPORT_FINISHED,
        lambda: [{"import": import_payload(ImportJob.objects.select_related("created_by").get(pk=job_id))}],
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    counts = {name: getattr(job, f"rows_{name}") for name in ("read", "imported", "updated", "skipped", "rejected")}
    details = {"status": job.status, "source": job.source, **counts}
    record("import.finished", actor=job.created_by, channel="job", target=job, details=details)


def _enrichment_request(job_id: int) -> None:
    """Ask enrichment (a receiver of import_enrichment_requested) to enrich the leads the import created or changed,
    when it was started with that option: once, since the request is recorded in the same transaction."""
    with transaction.atomic():
        asked = ImportJob.objects.filter(pk=job_id, enrich_after=True, enrichment_requested_at__isnull=True).update(
            enrichment_requested_at=timezone.now()
        )
        if not asked:
            return
        job = ImportJob.objects.select_related("created_by").get(pk=job_id)
        leads = Lead.objects.filter(Q(import_job=job) | Q(pk__in=job.changes.values("lead_id")))
        import_enrichment_requested.send(sender=ImportJob, job=job, leads=leads)


def _lease_end(now: datetime) -> datetime:
    """Until when a runner's claim holds without a sign of life (renewed with every batch)."""
    return lease_end(now, settings.IMPORT_STALL_SECONDS)


class _Outcome(StrEnum):
    FINISHED = "finished"  # the file ended
    PAUSED = "paused"  # the task's time is up; a new task goes on
    LOST = "lost"  # another runner holds the job now


def _run_batches(job: ImportJob, runner: str, seconds: float, feed: Callable[[int], list[Record]] | None) -> _Outcome:
    """Write batches until the file ends, the time is up, or the lease is lost."""
    started = time.monotonic()
    writer = BatchWriter(job, job.stage or pipeline_default().stages.first())
    batches = draft_batches(
        Path(job.file.path),
        _info(job),
        after_line=job.last_line,
        mapping=job.mapping,
        region=job_region(job),
        size=BATCH_SIZE,
        feed=feed,
    )
    steps = _writes_planned_ahead(writer, batches) if _plans_ahead() else _writes(writer, batches)
    # Both closed here, whatever happens: the normalising process ends now, not when the collector finds it.
    with collector_relaxed(), closing(batches), closing(steps):
        for write, batch, position in steps:
            if not _batch_commit(job, runner, write, batch, position):
                return _Outcome.LOST
            if time.monotonic() - started > seconds:
                return _Outcome.PAUSED
    return _Outcome.FINISHED


# One batch's write (run inside its transaction), the batch, and the progress after it.
_Step = tuple[Callable[[], BatchResult], list[LeadDraft], int]


def _plans_ahead() -> bool:
    """Whether the next batch is planned on a second connection while one is written: on PostgreSQL, and only
    outside a transaction (inside one, as in tests, another connection could not see what it holds). SQLite
    allows one writer, and plans each batch inside the transaction that writes it."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _writes(writer: BatchWriter, batches: Iterator[tuple[list[LeadDraft], int]]) -> Iterator[_Step]:
    """Each batch planned and written in its transaction, one after another."""
    for batch, position in batches:
        yield (lambda batch=batch: writer.save(writer.plan(batch))), batch, position


def _writes_planned_ahead(writer: BatchWriter, batches: Iterator[tuple[list[LeadDraft], int]]) -> Iterator[_Step]:
    """Each batch planned on a second connection, in a thread, while the batch before it is written on this one.

    The plan's Python work (matching, building every row) and the lookups then run while the database server
    writes the batch before, instead of after it. A plan sees what is committed, which is every batch but the one
    being written; that one it is handed (BatchWriter.plan's in_flight). Each batch is still written in its own
    transaction with the job's bookmark, so a crash loses at most the plan in hand, and resumes as before.
    """
    planner: ThreadPoolExecutor | None = None

    def plan_of(batch: list[LeadDraft], in_flight: BatchPlan | None) -> Future[BatchPlan]:
        """The batch's plan: by the planner thread while `in_flight` is written, or here when nothing is."""
        nonlocal planner
        if in_flight is None:
            done: Future[BatchPlan] = Future()
            done.set_result(writer.plan(batch, None))
            return done
        planner = planner or ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-planner")
        return planner.submit(writer.plan, batch, in_flight)

    in_hand: tuple[Future[BatchPlan], list[LeadDraft], int] | None = None
    damage: Exception | None = None
    try:
        while True:
            try:
                upcoming = next(batches, None)
            except Exception as exc:  # noqa: BLE001 (raised again below): damage found part-way by the normalising process
                upcoming, damage = None, exc
            plan = None
            if in_hand is not None:
                planned, batch, position = in_hand
                plan = planned.result()
            # The next batch is planned now, while `plan` is written: the batch before `plan` has committed. The
            # first one is planned here: nothing is being written yet, and an import of one batch (an ad-form
            # burst) then opens no second connection.
            in_hand = (plan_of(upcoming[0], plan), *upcoming) if upcoming else None
            if plan is not None:
                yield (lambda plan=plan: writer.save(plan)), batch, position
            if upcoming is None:
                break
        if damage is not None:
            # Raised only once the batch planned before it is written: every batch before the damage is kept,
            # as when batches are written one after another.
            raise damage
    finally:
        if in_hand is not None:
            in_hand[0].cancel()  # stopped early (time up, an error): a plan not yet begun is not needed
        if planner is not None:
            planner.submit(connections.close_all)  # the planner thread's own connection, once it is done
            planner.shutdown()


@transaction.atomic
def _batch_commit(
    job: ImportJob, runner: str, write: Callable[[], BatchResult], batch: list[LeadDraft], position: int
) -> bool:
    """Write one batch and move the job's bookmark past it, renewing the lease; False if the lease is lost."""
    if connection.vendor == "postgresql":
        # No waiting for the disk at each batch's commit. A crash of the database server may then lose the last
        # batches committed, but each takes its bookmark with it, so the import resumes before them: nothing lost,
        # nothing twice.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            # The trigram (search) indexes take a batch's entries into a pending list, merged into the index when
            # the list outgrows this limit, in the memory work_mem gives. A merge visits each trigram's pages once
            # for all the rows pending: at the 4 MB default that was every other batch, and at a million leads
            # most of those pages had to be read back first. Merged once more when the import ends.
            cursor.execute(f"SET LOCAL gin_pending_list_limit TO '{TRIGRAM_PENDING_MB}MB'")
            cursor.execute(f"SET LOCAL work_mem TO '{TRIGRAM_PENDING_MB * 2}MB'")
    locked = ImportJob.objects.select_for_update().get(pk=job.pk)
    if locked.lease_owner != runner or locked.status != ImportJob.Status.RUNNING or locked.last_line != job.last_line:
        return False
    result = write()
    job.last_line = batch[-1].line
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        last_line=job.last_line,
        heartbeat_at=now,
        lease_expires_at=_lease_end(now),
        progress_done=position,
        # A file still being written (a capture's) grows past the size it had when the import was made.
        progress_total=Greatest(F("progress_total"), position),
        rows_read=F("rows_read") + len(batch),
        rows_imported=F("rows_imported") + result.imported,
        rows_updated=F("rows_updated") + result.updated,
        rows_skipped=F("rows_skipped") + result.skipped,
        rows_rejected=F("rows_rejected") + result.rejected,
    )
    return True


def imports_requeue_stalled() -> int:
    """Queue again every queued or running import silent for IMPORT_STALL_SECONDS: its task was lost (a Redis
    broker drops the task of a worker that died; the database broker hands it out again by itself), and its
    lease expired with the silence. Harmless if the task was only slow: a runner whose lease was taken over
    stops at its next batch. An import its caller fed (a capture's) is failed instead: the capture runs again."""
    stalled_before = timezone.now() - timedelta(seconds=settings.IMPORT_STALL_SECONDS)
    stalled = ImportJob.objects.filter(
        status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING], heartbeat_at__lt=stalled_before
    )
    orphans = list(stalled.filter(fed_by_caller=True).values_list("pk", flat=True))
    for job_id in orphans:
        failed = stalled.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED,
            error="Its capture stopped before the table was whole; the capture imports it again.",
            finished_at=timezone.now(),
            lease_owner="",
            lease_expires_at=None,
        )
        if failed:
            logger.warning("Import %s lost the capture feeding it; failed", job_id)
            _finished_announce(job_id)
    resumed = list(stalled.filter(fed_by_caller=False).values_list("pk", flat=True))
    # Their leases end here (they had run out with the silence): the task queued now claims the job at once.
    ImportJob.objects.filter(pk__in=resumed).update(heartbeat_at=timezone.now(), lease_owner="", lease_expires_at=None)
    for job_id in resumed:
        logger.warning("Import %s stalled; queued again", job_id)
        async_task("crm.importing.jobs.import_job_run", job_id)
    return len(resumed)
