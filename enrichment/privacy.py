"""enrichment's part of a privacy request (crm.privacy): values found with their sources, AI analyses, and the
cached provider answers that name the person."""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver

from crm.privacy.parts import ExportPart, queryset_part
from crm.privacy.person import Person
from crm.privacy.signals import person_erasing, person_exporting
from enrichment.models import AnalysisItem, EnrichmentItem, FieldSource, LeadAnalysis, ProviderAnswer


def _answers(person: Person):
    """Cached answers keyed by or holding the person's address, number or name (a verification, a finder's search,
    a team page that lists them): forgotten whole, as a cache may be."""
    query = Q(pk__in=[])
    for text in [*person.emails, *person.phones, *person.names]:
        query |= Q(key__icontains=text) | Q(body__icontains=text)
    return ProviderAnswer.objects.filter(query)


@receiver(person_exporting, dispatch_uid="enrichment.privacy.export")
def person_export_parts(sender, person: Person, **kwargs) -> list[ExportPart]:
    of_leads = Q(lead_id__in=person.lead_ids)
    return [
        queryset_part("enrichment_values", FieldSource.objects.filter(of_leads)),
        queryset_part("enrichment_items", EnrichmentItem.objects.filter(of_leads)),
        queryset_part("ai_analyses", LeadAnalysis.objects.filter(of_leads)),
    ]


@receiver(person_erasing, dispatch_uid="enrichment.privacy.erase")
def person_erase_part(sender, person: Person, **kwargs) -> dict[str, int]:
    return {
        "enrichment_values": FieldSource.objects.filter(lead_id__in=person.lead_ids).delete()[0],
        "analysis_items": AnalysisItem.objects.filter(lead_id__in=person.lead_ids).delete()[0],
        "enrichment_answers": _answers(person).delete()[0],
    }
