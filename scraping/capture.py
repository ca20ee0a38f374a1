"""Turning what a source fetched into leads, through the CSV import's own pipeline (DESIGN.md: one pipeline for every
source): the table is written as a CSV file and imported, so capture normalises, matches duplicates, reports bad rows
with their line and can be undone exactly like an upload. Sources differ only in how they read."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from crm.importing.jobs import import_job_for_table, import_job_run
from crm.models import Activity, ImportJob, Lead, LeadList, Stage, User
from crm.services.timeline import activities_record_bulk


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


def _csv_write(headers: list[str], rows: Iterable[list[str]], folder: Path) -> tuple[Path, int]:
    """The table as a UTF-8 CSV file (rows streamed: a 50,000-item dataset is never held twice); its row count."""
    path = folder / "capture.csv"
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([("" if cell is None else str(cell)) for cell in row][: len(headers)])
            count += 1
    return path, count


def table_capture(
    headers: list[str], rows: Iterable[list[str]], *, columns: dict[str, str] | None, to: Destination
) -> ImportJob | None:
    """Import a fetched table here and now; None when it has no rows. A table the import refuses (ValidationError)
    is the caller's to report."""
    with tempfile.TemporaryDirectory(prefix="leadflow-capture-") as folder:
        path, count = _csv_write(headers, rows, Path(folder))
        if not count:
            return None
        job = import_job_for_table(
            path=path,
            original_name=f"{to.name}.csv",
            columns=columns,
            source=to.source_tag,
            owner=to.owner,
            lead_list=to.lead_list,
            stage=to.stage,
            lifecycle=to.lifecycle,
            actor=to.actor,
            region=to.region,
        )
    # Run in this task, which already holds its own run's lease: the import's lease makes sure of the rest.
    while import_job_run(job.pk, seconds=3600) == "continues in a new task":
        pass
    job.refresh_from_db()
    return job


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
