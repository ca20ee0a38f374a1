"""Everything held on one person as a zip: person.json (every kind, as lists of rows) and one CSV per kind.

Streamed end to end: each kind is read CHUNK rows at a time, each row written at once to its CSV inside the zip and
to the JSON file being built in a temporary file, which is copied into the zip last. A person with 100,000 timeline
rows costs a few megabytes of memory (bench/privacy.py)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.models import (
    Activity,
    CrmLink,
    ImportChange,
    Lead,
    ListMembership,
    Note,
    ScoreSnapshot,
    StageChange,
    SyncChange,
    Task,
)
from crm.privacy.import_files import person_import_jobs, person_import_problems, person_rows
from crm.privacy.parts import CHUNK, ExportPart, queryset_part
from crm.privacy.person import Person, person_find
from crm.privacy.signals import person_exporting
from crm.privacy.suppression import person_digests
from crm.resources import FORMULA_TRIGGERS, formula_neutralise
from leadflow import audit

COPY_BUFFER = 1 << 20
# One encoder for every row (json.dumps would build one a row); dates as ISO 8601, decimals as text.
ENCODER = DjangoJSONEncoder(ensure_ascii=False)
# Fast deflate: the export is text that compresses well at any level, and level 1 costs a fraction of the time.
COMPRESS_LEVEL = 1


def _cell(value: object) -> object:
    """A CSV cell: text safe from spreadsheet formulas, lists and objects as JSON; numbers and times as they are."""
    kind = type(value)
    if kind is str:
        # formula_neutralise's own test, inlined: this runs for every cell of the export.
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    if kind is dict or kind is list:
        return formula_neutralise(ENCODER.encode(value))
    return "" if value is None else value


def _other_contacts(person: Person) -> Iterator[dict]:
    leads = Lead.objects.filter(pk__in=person.lead_ids).values("pk", "other_emails", "other_phones")
    for lead in leads.iterator(chunk_size=CHUNK):
        for kind, values in (("email", lead["other_emails"]), ("phone", lead["other_phones"])):
            yield from ({"lead_id": lead["pk"], "kind": kind, "value": value} for value in values)


def _custom_fields(person: Person) -> Iterator[dict]:
    leads = Lead.objects.filter(pk__in=person.lead_ids).values("pk", "custom_fields")
    for lead in leads.iterator(chunk_size=CHUNK):
        yield from ({"lead_id": lead["pk"], "name": k, "value": v} for k, v in lead["custom_fields"].items())


def _import_rows(person: Person) -> Iterator[dict]:
    for job in person_import_jobs(person).order_by("pk"):
        yield from person_rows(job, person)


def crm_parts(person: Person) -> list[ExportPart]:
    """The kinds crm holds: the leads and what hangs off them, and the import rows that brought them."""
    of_leads = Q(lead_id__in=person.lead_ids)
    leads = Lead.objects.filter(pk__in=person.lead_ids)
    return [
        queryset_part("leads", leads, extra=("company__name", "stage__name", "owner__email")),
        ExportPart("custom_fields", ["lead_id", "name", "value"], _custom_fields(person)),
        ExportPart("other_contacts", ["lead_id", "kind", "value"], _other_contacts(person)),
        queryset_part("tags", Lead.tags.through.objects.filter(of_leads), extra=("tag__name",)),
        queryset_part("notes", Note.objects.filter(of_leads)),
        queryset_part("tasks", Task.objects.filter(of_leads)),
        queryset_part("timeline", Activity.objects.filter(of_leads)),
        queryset_part("stage_changes", StageChange.objects.filter(of_leads)),
        queryset_part("list_memberships", ListMembership.objects.filter(of_leads), extra=("lead_list__name",)),
        queryset_part("scores", ScoreSnapshot.objects.filter(of_leads)),
        queryset_part("import_changes", ImportChange.objects.filter(of_leads)),
        queryset_part("import_problems", person_import_problems(person)),
        ExportPart("import_rows", ["import_id", "file", "line", "cells"], _import_rows(person)),
        queryset_part("crm_links", CrmLink.objects.filter(of_leads)),
        queryset_part("sync_changes", SyncChange.objects.filter(of_leads)),
    ]


def export_parts(person: Person) -> list[ExportPart]:
    parts = crm_parts(person)
    for _receiver, more in person_exporting.send(sender=Person, person=person):
        parts.extend(more)
    return parts


def _part_write(part: ExportPart, archive: zipfile.ZipFile, document: IO[bytes]) -> int:
    """One kind: its CSV into the zip and its JSON list onto the document, a row at a time."""
    document.write(json.dumps(part.name).encode() + b": [")
    count = 0
    with archive.open(f"{part.name}.csv", "w") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
        writer = csv.writer(text)
        writer.writerow(part.columns)
        for row in part.rows:
            writer.writerow([_cell(row.get(column)) for column in part.columns])
            document.write((b"," if count else b"") + ENCODER.encode(row).encode())
            count += 1
        text.flush()
        text.detach()
    document.write(b"]")
    return count


def person_export_write(person: Person, out: IO[bytes]) -> dict[str, int]:
    """Write the person's zip to `out` (a file or any writable stream; it need not seek). Returns rows per kind."""
    counts: dict[str, int] = {}
    # One transaction: the export is one moment's data, and PostgreSQL's server-side cursors need no WITH HOLD
    # (which makes the server copy each whole result before the first row).
    with transaction.atomic():
        _write(person, out, counts)
    return counts


def _write(person: Person, out: IO[bytes], counts: dict[str, int]) -> None:
    header = {"exported_at": timezone.now(), "emails": person.emails, "phones": person.phones}
    with (
        tempfile.TemporaryFile() as document,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as archive,
    ):
        document.write(json.dumps(header, cls=DjangoJSONEncoder)[:-1].encode() + b', "data": {')
        for position, part in enumerate(export_parts(person)):
            if position:
                document.write(b",")
            counts[part.name] = _part_write(part, archive, document)
        document.write(b"}}")
        document.seek(0)
        with archive.open("person.json", "w") as target:
            shutil.copyfileobj(document, target, COPY_BUFFER)


def person_export(
    *,
    email: str = "",
    phone: str = "",
    lead_ids: Iterable[int] = (),
    out: IO[bytes],
    actor=None,
    request=None,
    channel: str = "",
) -> tuple[Person, dict[str, int]]:
    """Find the person, write their zip to `out` and record who exported whom (by hash and counts only)."""
    person = person_find(email=email, phone=phone, lead_ids=lead_ids)
    counts = person_export_write(person, out)
    audit.record(
        "person.exported",
        request=request,
        actor=actor,
        channel=channel,
        details={"leads": len(person.lead_ids), "rows": counts, "digests": person_digests(person)},
    )
    return person, counts
