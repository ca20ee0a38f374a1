"""Turning what a source fetched into leads, through the CSV import's own pipeline (DESIGN.md: one pipeline for every
source): the table is written as a CSV file as it is fetched, and imported as it is written, so capture normalises,
matches duplicates, reports bad rows with their line and can be undone exactly like an upload. Sources differ only in
how they read."""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.importing.drafting import Record
from crm.importing.jobs import import_job_for_table, import_job_run
from crm.models import Activity, ImportJob, Lead, LeadList, Stage, User
from crm.services.timeline import activities_record_bulk

# Rows per import: a very large fetch is imported in parts, each its own import in the history (its progress, its
# undo), so that no one import holds a day's work.
CHUNK_ROWS = 100_000
# Rows written before an import starts: what it reads to suggest the mapping of the columns no source names.
FIRST_ROWS = 500


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
    # Where a lawful basis the rows carry came from ("Meta lead form"); "": the import's file.
    basis_source: str = ""


class _CsvFeed:
    """Rows pulled from the source as the import asks for them (its `feed`): each written to the import's CSV file
    (its record, and what a resumed import reads) and handed on as the import's own reader would give it, so the
    normalising child drafts them without reading them back, and fetching the next rows overlaps normalising and
    writing those before. A large dataset is never held in memory."""

    def __init__(self, headers: list[str], rows: Iterator[list[str]], limit: int):
        self._width, self._rows, self._left = len(headers), rows, limit
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer)
        self._csv.writerow(headers)
        self._line = 2  # the header is line 1
        self._written = 0  # bytes in the file so far
        self._first: list[Record] = []
        self._file: BinaryIO | None = None

    def first_rows(self, path: Path) -> None:
        """Write the header and the first FIRST_ROWS rows as the file the import is made from (and keep them for
        its first batch)."""
        self._first = self._pull(FIRST_ROWS)
        path.write_bytes(self._taken())

    def write_to(self, path: Path) -> None:
        """Go on at the end of this file (the import's own copy of the first rows)."""
        self._file = path.open("ab")

    def __call__(self, count: int) -> list[Record]:
        given, self._first = self._first[:count], self._first[count:]
        rows = given + self._pull(count - len(given))
        if self._file is not None:
            self._file.write(self._taken())
            self._file.flush()
        return rows

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def _pull(self, count: int) -> list[Record]:
        records: list[Record] = []
        while len(records) < count and self._left > 0:
            cells = next(self._rows, None)
            if cells is None:
                self._left = 0
                break
            cells = [("" if cell is None else str(cell)) for cell in cells][: self._width]
            if not any(cell.strip() for cell in cells):
                continue  # blank records are not written: the import would skip them
            self._csv.writerow(cells)
            records.append((self._line, cells, self._written + self._buffer.tell()))
            self._left -= 1
            self._line += 1 + "".join(cells).count("\n")  # a cell's line breaks are lines of the file too
        return records

    def _taken(self) -> bytes:
        written = self._buffer.getvalue().encode()
        self._written += len(written)
        self._buffer.seek(0)
        self._buffer.truncate()
        return written


def _import(feed: _CsvFeed, folder: Path, part: int, columns: dict[str, str] | None, to: Destination) -> ImportJob:
    """One part through the import pipeline, run here and now while its rows are fetched (the task already holds
    its run's lease; the import's own lease makes sure of the rest)."""
    name = f"{to.name} (part {part})" if part > 1 else to.name
    path = folder / f"capture-{part}.csv"
    feed.first_rows(path)
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
        lawful_basis_source=to.basis_source,
    )
    feed.write_to(Path(job.file.path))
    try:
        import_job_run(job.pk, feed=feed)
    finally:
        feed.close()
    job.refresh_from_db()
    if job.status != ImportJob.Status.DONE:
        raise ValidationError(f"The import of {name} ended {job.get_status_display().lower()}: {job.error}")
    # The file grew after the import was made from its first rows: its size is the whole of it now.
    job.file_size = job.progress_total = job.progress_done = Path(job.file.path).stat().st_size
    job.save(update_fields=["file_size", "progress_total", "progress_done"])
    return job


def table_capture(
    headers: list[str], rows: Iterable[list[str]], *, columns: dict[str, str] | None, to: Destination
) -> list[ImportJob]:
    """Import a fetched table here and now, CHUNK_ROWS rows an import, each import reading its rows as the source
    gives them; no imports when it has no rows. A table the import refuses (ValidationError) is the caller's to
    report; a source failing part-way (SourceFailed) fails the import it was feeding, after the rows before."""
    rows = iter(rows)
    jobs: list[ImportJob] = []
    with tempfile.TemporaryDirectory(prefix="leadflow-capture-") as folder:
        for part in itertools.count(1):
            first = next(rows, None)
            if first is None:
                return jobs
            feed = _CsvFeed(headers, itertools.chain([first], rows), CHUNK_ROWS)
            jobs.append(_import(feed, Path(folder), part, columns, to))
    return jobs


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
