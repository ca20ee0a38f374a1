"""A person's rows in the stored import files: found to export them, and taken out of the files to erase them."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

from django.db.models import Q, QuerySet

from crm.importing.reading.csv_rows import csv_records
from crm.models import ImportChange, ImportJob, ImportRejection
from crm.privacy.person import Person

# Digits a number must end with in a cell for the row to be the person's: a formatted number ("+44 20 7946 0958")
# still matches, a short code does not.
PHONE_TAIL = 8


def person_import_jobs(person: Person) -> QuerySet[ImportJob]:
    """The imports that created, changed, skipped or refused one of the person's rows."""
    rows = Q(lead_id__in=person.lead_ids)
    for address in person.emails:
        rows |= Q(values__icontains=address)
    return ImportJob.objects.filter(
        Q(created_leads__in=person.lead_ids)
        | Q(pk__in=ImportChange.objects.filter(lead_id__in=person.lead_ids).values("job_id"))
        | Q(pk__in=ImportRejection.objects.filter(rows).values("job_id"))
    ).distinct()


def person_import_problems(person: Person) -> QuerySet[ImportRejection]:
    """The problem rows (rejected, skipped, cells not used) that hold the person's row."""
    rows = Q(lead_id__in=person.lead_ids)
    for address in person.emails:
        rows |= Q(values__icontains=address)
    for number in person.phones:
        rows |= Q(values__icontains=number)
    return ImportRejection.objects.filter(rows)


def is_persons_row(cells: list[str], person: Person) -> bool:
    text = "\t".join(cells).lower()
    if any(address in text for address in person.emails):
        return True
    tails = [number[-PHONE_TAIL:] for number in person.phones if len(number) > PHONE_TAIL]
    return any(any("".join(ch for ch in cell if ch.isdigit()).endswith(tail) for cell in cells) for tail in tails)


def _stored_csv(job: ImportJob) -> Path | None:
    """The job's file when it is a CSV we can read again; None for XLSX or a file gone."""
    if not job.file or job.file_format not in ("", "csv"):
        return None
    path = Path(job.file.path)
    return path if path.exists() else None


def person_rows(job: ImportJob, person: Person) -> Iterator[dict]:
    """The person's rows of one stored import file, with their line; an XLSX file is named but not read."""
    path = _stored_csv(job)
    if path is None:
        if job.file:
            yield {"import_id": job.pk, "file": job.original_name, "line": None, "cells": "(not a CSV file: not read)"}
        return
    for line, cells, _size in csv_records(path, job.encoding or "utf-8-sig", job.delimiter or ","):
        if is_persons_row(cells, person):
            yield {"import_id": job.pk, "file": job.original_name, "line": line, "cells": cells}


def person_rows_remove(job: ImportJob, person: Person) -> int:
    """Take the person's rows out of the stored file (each becomes an empty line, so the later lines keep about
    their numbers); a file that cannot be rewritten (XLSX) is deleted whole. Returns the rows or files removed."""
    if not job.file:
        return 0
    path = _stored_csv(job)
    if path is None:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        return 1
    removed = 0
    encoding = job.encoding or "utf-8-sig"
    temporary = path.with_name(path.name + ".privacy")
    with open(temporary, "w", encoding=encoding, errors="replace", newline="") as out:
        writer = csv.writer(out, delimiter=job.delimiter or ",")
        for _line, cells, _size in csv_records(path, encoding, job.delimiter or ","):
            if is_persons_row(cells, person):
                removed += 1
                cells = []
            writer.writerow(cells)
    os.replace(temporary, path)
    return removed
