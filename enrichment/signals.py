"""Enrichment's part in a merge: where each value came from moves to the surviving lead."""

from __future__ import annotations

from django.dispatch import receiver

from crm.services.merge import lead_merging
from enrichment.models import AnalysisItem, EnrichmentItem, FieldSource, LeadAnalysis


@receiver(lead_merging, dispatch_uid="enrichment.field_sources_to_survivor")
def field_sources_to_survivor(sender, *, survivor, other, **kwargs) -> dict[str, int]:
    """Moves the merged lead's field sources, analyses and job items to the survivor (a job that held both keeps
    one); the merge record counts what moved."""
    moved = FieldSource.objects.filter(lead=other).update(lead=survivor)
    both = EnrichmentItem.objects.filter(lead=survivor).values("job_id")
    EnrichmentItem.objects.filter(lead=other, job_id__in=both).delete()
    items = EnrichmentItem.objects.filter(lead=other).update(lead=survivor)
    # Analyses are history: the survivor keeps the merged lead's too (its latest still shows first).
    analyses = LeadAnalysis.objects.filter(lead=other).update(lead=survivor)
    AnalysisItem.objects.filter(
        lead=other, job_id__in=AnalysisItem.objects.filter(lead=survivor).values("job_id")
    ).delete()
    AnalysisItem.objects.filter(lead=other).update(lead=survivor)
    counts = {"field_sources": moved, "enrichment_items": items, "analyses": analyses}
    return {kind: count for kind, count in counts.items() if count}
