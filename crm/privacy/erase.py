"""Erasing a person everywhere their data lives, keeping only a keyed hash of their email and phone on the
suppression list (crm.privacy.suppression) so that nothing brings them back.

crm erases its own stores here; outreach, enrichment and scraping erase theirs as receivers of `person_erasing`.
The test tests/crm/privacy/test_erase_scan.py searches every text column of every table and every stored file
afterwards, so a store added later that keeps personal data fails it until it is erased here or by a receiver."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import pluralize

from crm.models import DoNotCallNumber, Lead, MergeRecord, SyncChange, WebhookEvent
from crm.privacy.import_files import person_import_jobs, person_import_problems, person_rows_remove
from crm.privacy.person import Person, person_find
from crm.privacy.signals import person_erasing
from crm.privacy.suppression import person_digests, person_suppress
from leadflow import audit
from leadflow.backups.archive import backup_folders
from leadflow.models import AiCall

NOT_ERASED_GENERAL = (
    "Copies in backups, and in anything exported or sent out of Leadflow before now (files people downloaded, other "
    "CRMs synced to, email providers' logs), are not reached by this erasure."
)


@dataclass
class EraseReport:
    found: bool
    counts: dict[str, int] = field(default_factory=dict)
    not_erased: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)

    @property
    def suppressed(self) -> bool:
        return bool(self.digests)


def _texts(person: Person) -> list[str]:
    """What identifies the person in free text and payloads: addresses, numbers, full names."""
    return [*person.emails, *person.phones, *person.names]


def _containing(lookup: str, texts: list[str]) -> Q:
    query = Q(pk__in=[])
    for text in texts:
        query |= Q(**{lookup: text})
    return query


def _crm_erase(person: Person) -> dict[str, int]:
    counts: dict[str, int] = {}
    texts = _texts(person)
    counts["import_rows"] = sum(person_rows_remove(job, person) for job in person_import_jobs(person))
    counts["import_problems"] = person_import_problems(person).delete()[0]
    counts["sync_changes"] = SyncChange.objects.filter(lead_id__in=person.lead_ids).delete()[0]
    merges = Q(survivor_id__in=person.lead_ids) | _containing("merged_snapshot__icontains", texts)
    counts["merge_records"] = MergeRecord.objects.filter(merges).delete()[0]
    counts["webhook_events"] = WebhookEvent.objects.filter(_containing("payload__icontains", texts)).delete()[0]
    ai_calls = Q(subject__in=[f"lead:{pk}" for pk in person.lead_ids]) | _containing("answer__icontains", texts)
    counts["ai_calls"] = AiCall.objects.filter(ai_calls).delete()[0]
    counts["do_not_call_numbers"] = DoNotCallNumber.objects.filter(number__in=person.phones).delete()[0]
    # The leads last: their notes, tasks, timeline, lists, scores, links and the other apps' rows go with them.
    _, deleted = Lead.objects.filter(pk__in=person.lead_ids).delete()
    counts["leads"] = deleted.get("crm.Lead", 0)
    counts["lead_rows_with_them"] = sum(deleted.values()) - counts["leads"]
    return counts


def not_erased_lines() -> list[str]:
    """What an erasure cannot reach, said plainly."""
    if not settings.BACKUP_DIR:
        return [NOT_ERASED_GENERAL]
    backups = len(backup_folders(Path(settings.BACKUP_DIR)))
    return [
        f"Copies inside backups made before this erasure: {backups} backup{pluralize(backups)} in "
        f"{settings.BACKUP_DIR} (each is deleted once {settings.BACKUP_KEEP} newer ones are kept).",
        NOT_ERASED_GENERAL,
    ]


def person_erase(
    *,
    email: str = "",
    phone: str = "",
    lead_ids: Iterable[int] = (),
    suppress: bool = True,
    actor=None,
    request=None,
    channel: str = "",
) -> EraseReport:
    """Erase everything held on the person. A person nobody holds anything on changes nothing, except that their
    hash is still added to the suppression list when `suppress` says so."""
    person = person_find(email=email, phone=phone, lead_ids=lead_ids)
    with transaction.atomic():
        counts = {}
        for _receiver, erased in person_erasing.send(sender=Person, person=person):
            counts.update(erased)
        counts.update(_crm_erase(person))
        counts = {what: count for what, count in counts.items() if count}
        found = bool(counts)
        digests = person_suppress(person.identity) if found or suppress else []
        report = EraseReport(found=found, counts=counts, digests=digests)
        if found:
            report.not_erased = not_erased_lines()
        audit.record(
            "person.erased",
            request=request,
            actor=actor,
            channel=channel,
            details={"found": found, "rows": counts, "digests": digests or person_digests(person)},
        )
    return report
