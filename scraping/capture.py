"""Turning what a source fetched into leads, through the CSV import's own pipeline (DESIGN.md: one pipeline for every
source): the table is written as a CSV file and imported, so capture normalises, matches duplicates, reports bad rows
with their line and can be undone exactly like an upload. Sources differ only in how they read."""

from __future__ import annotations

import csv
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from crm.importing.jobs import import_job_for_table, import_job_run
from crm.models import Activity, ImportJob, Lead, LeadList, Stage, User
from crm.services.timeline import activities_record_bulk

# Rows per import. A very large fetch is imported in chunks, each its own import in the history (its progress, its
# undo), the next chunk fetched while one is imported. Not smaller: on two cores the import keeps both busy, so
# smaller chunks only add each import's start-up (measured: 10,000-row chunks took 10.1 s for 50,000 items, one
# import 9.5 s).
CHUNK_ROWS = 100_000


@dataclass
class Destination:
    """Where captured leads go and how they enter."""

    name: str  # the import's name in the history ("Campaign X run #5")
    source_tag: str
    owner: User | None = None
    lead_list: LeadList | None = None
    stage: Stage | None = None
    lifecycle: str = Lead.Lifecycle.CONTACT
    actor: User | None = None
    # The country of phone numbers written without +code (a campaign's `region: GB`); "": PHONE_DEFAULT_REGION.
    region: str = ""


def _csv_chunks(headers: list[str], rows: Iterable[list[str]], folder: Path) -> Iterator[Path]:
    """The table as UTF-8 CSV files of at most CHUNK_ROWS rows, each yielded once written. Rows are pulled from the
    source as the files are written, so a large dataset is never held in memory, nor twice."""
    rows = iter(rows)
    for index in itertools.count():
        chunk = list(itertools.islice(rows, CHUNK_ROWS))
        if not chunk:
            return
        path = folder / f"capture-{index + 1}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerows([("" if cell is None else str(cell)) for cell in row][: len(headers)] for row in chunk)
        yield path


def _import(path: Path, part: int, columns: dict[str, str] | None, to: Destination) -> ImportJob:
    """One chunk through the import pipeline, run here and now (the task already holds its run's lease; the
    import's own lease makes sure of the rest)."""
    name = f"{to.name} (part {part})" if part > 1 else to.name
    job = import_job_for_table(
        path=path,
        original_name=f"{name}.csv",
        columns=columns,
        source=to.source_tag,
        owner=to.owner,
        lead_list=to.lead_list,
        stage=to.stage,
        lifecycle=to.lifecycle,
        actor=to.actor,
        region=to.region,
    )
    while import_job_run(job.pk, seconds=3600) == "continues in a new task":
        pass
    job.refresh_from_db()
    if job.status != ImportJob.Status.DONE:
        raise ValidationError(f"The import of {name} ended {job.get_status_display().lower()}: {job.error}")
    return job


def _import_in_thread(path: Path, part: int, columns: dict[str, str] | None, to: Destination) -> ImportJob:
    try:
        return _import(path, part, columns, to)
    finally:
        connections.close_all()  # this thread's own connection


def table_capture(
    headers: list[str], rows: Iterable[list[str]], *, columns: dict[str, str] | None, to: Destination
) -> list[ImportJob]:
    """Import a fetched table here and now, in chunks; no imports when it has no rows. While one chunk is imported
    (in a second thread, outside a transaction), the source is read on for the next, so a large dataset arrives
    about as fast as the import takes it. A table the import refuses (ValidationError) is the caller's to report."""
    overlap = not connection.in_atomic_block  # inside one (tests) another connection could not see what it holds
    # The importer exits first (waiting for its imports), then the folder of chunk files goes.
    with (
        tempfile.TemporaryDirectory(prefix="leadflow-capture-") as folder,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="capture-import") as importer,
    ):
        imports = []
        for part, path in enumerate(_csv_chunks(headers, rows, Path(folder)), start=1):
            if overlap:
                imports.append(importer.submit(_import_in_thread, path, part, columns, to))
            else:
                imports.append(_import(path, part, columns, to))
        return [job.result() if isinstance(job, Future) else job for job in imports]


def leads_round_robin(job: ImportJob, reps: list[User], start: int) -> int:
    """Share the leads an import created among reps in turn, from `start` (the campaign's own rule, whoever set it
    up), each change on the lead's timeline; the position to start from next time."""
    if not reps:
        return start
    created = list(Lead.objects.filter(import_job=job).order_by("pk"))
    by_rep: dict[int, list[Lead]] = {}
    for offset, lead in enumerate(created):
        by_rep.setdefault((start + offset) % len(reps), []).append(lead)
    for index, leads in by_rep.items():
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).update(owner=reps[index], updated_at=timezone.now())
        summary = f"Assigned to {reps[index]} (the campaign's reps in turn)"
        activities_record_bulk(leads=leads, actor=None, kind=Activity.Kind.OWNER, summary=summary, data={})
    return (start + len(created)) % len(reps)
