"""Turning what a source fetched into leads, through the CSV import's own pipeline (DESIGN.md: one pipeline for every
source): the table is written as a CSV file and imported, so capture normalises, matches duplicates, reports bad rows
with their line and can be undone exactly like an upload. Sources differ only in how they read."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.importing.jobs import import_job_for_table, import_job_run
from crm.models import ImportJob, ImportRejection, Lead, LeadList, ListMembership, Stage, Task, User
from crm.normalize import name_split
from crm.services.leads import lead_create, lead_promote, leads_bulk_assign
from crm.services.pipelines import pipeline_default
from crm.services.work import task_create
from scraping.models import AdDelivery, Source

# The column that carries a delivery's platform lead id through the import, so that each delivery finds its lead.
PLATFORM_ID_COLUMN = "Platform lead id"


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


def leads_round_robin(job: ImportJob, reps: list[User], start: int, actor: User | None) -> int:
    """Share the leads an import created among reps in turn, from `start`; the position to start from next time."""
    if not reps:
        return start
    created = list(Lead.objects.filter(import_job=job).order_by("pk"))
    by_rep: dict[int, list[Lead]] = {}
    for offset, lead in enumerate(created):
        by_rep.setdefault((start + offset) % len(reps), []).append(lead)
    assigner = actor or reps[0]
    for index, leads in by_rep.items():
        leads_bulk_assign(leads=leads, owner=reps[index], actor=assigner)
    return (start + len(created)) % len(reps)


def _delivery_leads(job: ImportJob, deliveries: list[AdDelivery], header_line: int) -> dict[int, int]:
    """Each delivery's lead: the one carrying its platform id (created, or filled in), else the existing lead its
    row was skipped as a duplicate of."""
    ids = {delivery.platform_lead_id: delivery.pk for delivery in deliveries}
    found: dict[int, int] = {}
    carrying = Lead.objects.filter(
        Q(import_job=job) | Q(import_changes__job=job), custom_fields__has_key=PLATFORM_ID_COLUMN
    ).values_list("pk", "custom_fields")
    for lead_id, custom in carrying:
        delivery_id = ids.get(str(custom.get(PLATFORM_ID_COLUMN, "")))
        if delivery_id is not None:
            found.setdefault(delivery_id, lead_id)
    lines = {header_line + 1 + index: delivery.pk for index, delivery in enumerate(deliveries)}
    skipped = ImportRejection.objects.filter(job=job, lead__isnull=False).values_list("line", "lead_id")
    for line, lead_id in skipped:
        if lines.get(line) is not None:
            found.setdefault(lines[line], lead_id)
    return found


def deliveries_save(source_id: int, *, columns: dict[str, str] | None = None) -> int:
    """The task: turn a source's received deliveries (their fields known) into leads in one import, entering as
    leads in the source's stage, owner and list, and link each delivery to its lead. Returns how many were saved."""
    source = Source.objects.select_related("owner", "stage", "lead_list").get(pk=source_id)
    with transaction.atomic():
        pending = list(
            AdDelivery.objects.select_for_update(skip_locked=True)
            .filter(source=source, status=AdDelivery.Status.RECEIVED)
            .exclude(fields={})
            .order_by("pk")[:2000]
        )
        if not pending:
            return 0
        # Claimed: a second task finds them no longer RECEIVED.
        AdDelivery.objects.filter(pk__in=[d.pk for d in pending]).update(status=AdDelivery.Status.SAVED)
    headers = list(dict.fromkeys(name for delivery in pending for name in delivery.fields))
    table = [
        [str(delivery.fields.get(name, "")) for name in headers] + [delivery.platform_lead_id] for delivery in pending
    ]
    to = Destination(
        name=f"{source.name} deliveries",
        source_tag=source.kind,
        owner=source.owner,
        lead_list=source.lead_list,
        stage=source.stage or pipeline_default().stages.first(),
        lifecycle=Lead.Lifecycle.LEAD,
    )
    known = {**(columns or _delivery_columns(source.kind)), PLATFORM_ID_COLUMN: ""}
    job = table_capture([*headers, PLATFORM_ID_COLUMN], table, columns=known, to=to)
    leads = _delivery_leads(job, pending, job.header_line) if job else {}
    now = timezone.now()
    for delivery in pending:
        delivery.lead_id = leads.get(delivery.pk)
        delivery.saved_at = now
        delivery.status = AdDelivery.Status.SAVED
        if delivery.lead_id is None:
            delivery.lead_id, delivery.error = _lead_kept_as_given(delivery, to, job)
            if delivery.lead_id is None:
                delivery.status = AdDelivery.Status.FAILED
    AdDelivery.objects.bulk_update(pending, ["lead", "saved_at", "status", "error"])
    saved = [delivery for delivery in pending if delivery.lead_id]
    owners_notify(source, Lead.objects.filter(pk__in={delivery.lead_id for delivery in saved}).select_related("owner"))
    return len(saved)


def _lead_kept_as_given(delivery: AdDelivery, to: Destination, job: ImportJob | None) -> tuple[int | None, str]:
    """A person who filled in an ad form asked to be contacted: when the import refuses the row (a placeholder phone,
    a name and nothing else), the lead is kept all the same with what they gave as custom fields, and the refusal on
    the delivery, so that a rep sees it and nobody is lost. (None, why) when even that is impossible."""
    rejection = (
        ImportRejection.objects.filter(job=job).order_by("line").values_list("reason", flat=True).first() if job else ""
    )
    name = next((str(value) for key, value in delivery.fields.items() if "name" in key.lower() and value), "")
    first, last = name_split(name) if name else ("", "")
    try:
        lead = lead_create(
            actor=None,
            stage=to.stage or pipeline_default().stages.first(),
            first_name=first,
            last_name=last,
            owner=to.owner,
            source=to.source_tag,
            lifecycle=to.lifecycle,
            custom_fields={f"{key} (as given)": str(value) for key, value in delivery.fields.items()},
        )
    except ValidationError as exc:
        return None, f"not saved: {'; '.join(exc.messages)}"
    if to.lead_list is not None:
        ListMembership.objects.get_or_create(lead_list=to.lead_list, lead=lead)
    return lead.pk, f"kept as given; the import said: {rejection or 'not enough to identify the person'}"


def owners_notify(source: Source, leads) -> None:
    """An ad-form lead must reach a rep within minutes: it becomes a lead if it was a contact, and its owner gets a
    task due within the hour (their My tasks page), and an email when CAPTURE_NOTIFY_BY_EMAIL is on."""
    due = timezone.now() + timedelta(hours=1)
    for lead in leads:
        lead_promote(lead=lead, actor=None, reason="ad_form")
        if lead.owner is None:
            continue
        task_create(
            lead=lead,
            actor=lead.owner,
            title=f"New lead from {source.name}: get in touch",
            kind=Task.Kind.CALL,
            due_at=due,
        )
        if settings.CAPTURE_NOTIFY_BY_EMAIL and lead.owner.email:
            send_mail(
                subject=f"New lead: {lead.full_name} ({source.name})",
                message=f"{lead.full_name} just came in from {source.name}. Get in touch within the hour.",
                from_email=None,
                recipient_list=[lead.owner.email],
                fail_silently=True,
            )


def _delivery_columns(kind: str) -> dict[str, str]:
    """Each platform's own field names mapped to lead fields (known headers first, the import's guesses after)."""
    if kind == Source.Kind.META:
        from scraping.ads import META_FIELD_MAPPING

        return META_FIELD_MAPPING
    if kind == Source.Kind.GOOGLE_ADS:
        from scraping.ads import GOOGLE_FIELD_MAPPING

        return GOOGLE_FIELD_MAPPING
    if kind == Source.Kind.INDIAMART:
        from scraping.sources.indiamart import INDIAMART_DELIVERY_MAPPING

        return INDIAMART_DELIVERY_MAPPING
    return {}
