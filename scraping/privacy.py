"""scraping's part of a privacy request (crm.privacy): ad-form deliveries, and the raw answers capture runs keep."""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver

from crm.privacy.parts import ExportPart, queryset_part
from crm.privacy.person import Person
from crm.privacy.signals import person_erasing, person_exporting
from scraping.models import AdDelivery, ScrapeRun


def _containing(person: Person, *lookups: str) -> Q:
    query = Q(pk__in=[])
    for text in [*person.emails, *person.phones, *person.names]:
        for lookup in lookups:
            query |= Q(**{lookup: text})
    return query


def _deliveries(person: Person):
    return AdDelivery.objects.filter(
        Q(lead_id__in=person.lead_ids) | _containing(person, "fields__icontains", "payload__icontains")
    )


@receiver(person_exporting, dispatch_uid="scraping.privacy.export")
def person_export_parts(sender, person: Person, **kwargs) -> list[ExportPart]:
    return [queryset_part("ad_form_deliveries", _deliveries(person))]


@receiver(person_erasing, dispatch_uid="scraping.privacy.erase")
def person_erase_part(sender, person: Person, **kwargs) -> dict[str, int]:
    # A run's raw answer is one document for all its rows, kept for debugging only: one that names the person is
    # forgotten whole, as runs_raw_forget does once CAPTURE_RAW_DAYS pass.
    runs = ScrapeRun.objects.filter(_containing(person, "raw__icontains"))
    return {
        "ad_form_deliveries": _deliveries(person).delete()[0],
        "capture_raw_answers": runs.update(raw={}, raw_expires_at=None),
    }
