"""Retention: contacts never engaged are erased PRIVACY_RETENTION_MONTHS after they came in (0: never).

The first run after the setting is turned on (or changed) only reports; a later run erases, so that the team sees
what will go before anything goes. Every run is kept as a RetentionReport."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, Min, OuterRef, QuerySet
from django.utils import timezone

from crm.models import Activity, Lead, Note, RetentionReport, Stage
from crm.privacy.erase import person_erase
from crm.privacy.person import person_find

# An average month: the period needs no calendar precision.
DAYS_PER_MONTH = 30.44
# Timeline lines that mean the person answered or met us.
ENGAGED_KINDS = [Activity.Kind.REPLIED, Activity.Kind.MEETING_BOOKED, Activity.Kind.PROMOTED]


def first_stage_ids() -> list[int]:
    """The first stage of each pipeline."""
    firsts: dict[int, int] = {}
    for stage_id, pipeline_id in Stage.objects.order_by("pipeline_id", "position", "id").values_list("pk", "pipeline"):
        firsts.setdefault(pipeline_id, stage_id)
    return list(firsts.values())


def never_engaged(cutoff: datetime) -> QuerySet[Lead]:
    """Contacts that came in before `cutoff` and never engaged: still a contact (a reply, an inbound message, an ad
    form or a person makes them a lead), in their pipeline's first stage, no reply or meeting on the timeline, no
    message received from them, and no note written by a person."""
    return (
        Lead.objects.filter(created_at__lt=cutoff, lifecycle=Lead.Lifecycle.CONTACT, stage_id__in=first_stage_ids())
        .exclude(Exists(Activity.objects.filter(lead=OuterRef("pk"), kind__in=ENGAGED_KINDS)))
        .exclude(Exists(Note.objects.filter(lead=OuterRef("pk"), author__isnull=False)))
        # outreach's threads, read through their relation's name (crm imports no outreach code).
        .exclude(conversations__last_inbound_at__isnull=False)
    )


@dataclass
class RetentionResult:
    months: int
    report: RetentionReport | None = None
    # Leads kept although never engaged: the same person has another lead that did engage.
    kept: int = 0
    reasons: list[str] = field(default_factory=list)


def retention_run(*, dry_run: bool = False) -> RetentionResult:
    """Find (and, unless dry or the first run for this setting, erase) the contacts never engaged."""
    months = settings.PRIVACY_RETENTION_MONTHS
    result = RetentionResult(months=months)
    if months <= 0:
        return result
    leads = never_engaged(timezone.now() - timedelta(days=round(months * DAYS_PER_MONTH)))
    stats = leads.aggregate(oldest=Min("created_at"))
    found = leads.count()
    reported_before = RetentionReport.objects.filter(months=months).exists()
    only_report = dry_run or not reported_before
    erased = 0
    if not only_report:
        due = set(leads.values_list("pk", flat=True))
        for lead in Lead.objects.filter(pk__in=due).only("pk", "email", "phone").iterator(chunk_size=500):
            if lead.pk not in due:
                continue  # erased already with an earlier lead of the same person
            person = person_find(email=lead.email, phone=lead.phone, lead_ids=[lead.pk])
            if not due.issuperset(person.lead_ids):
                result.kept += 1
                continue
            person_erase(lead_ids=person.lead_ids, email=lead.email, phone=lead.phone, channel="job")
            erased += len(person.lead_ids)
            due -= set(person.lead_ids)
    result.report = RetentionReport.objects.create(
        months=months, dry_run=only_report, found=found, erased=erased, oldest=stats["oldest"]
    )
    if not dry_run and not reported_before:
        result.reasons.append("First run since the setting was turned on: reported only; a later run erases.")
    return result


def retention_scheduled() -> str:
    """The daily job: a run, and its report as a line for the job's result."""
    result = retention_run()
    if result.report is None:
        return "Retention is off (PRIVACY_RETENTION_MONTHS=0)."
    report = result.report
    return f"{report.found} never-engaged contacts older than {result.months} months; {report.erased} erased."
