"""Enrichment's part in crm's events: in a merge, where each value came from moves to the surviving lead; an import
asked to enrich what it brought starts a job when it is done."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from crm.services.merge import lead_merging
from crm.signals import import_enrichment_requested
from enrichment.jobs import enrichment_job_create
from enrichment.models import AnalysisItem, EnrichmentItem, FieldSource, LeadAnalysis

logger = logging.getLogger(__name__)


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


@receiver(import_enrichment_requested, dispatch_uid="enrichment.imported_leads_enrich")
def imported_leads_enrich(sender, *, job, leads, **kwargs) -> None:
    """A job over the leads the import created or changed, as the person who imported them (every field, the
    sources enabled in Enrichment settings; leads they may not change are left out, as with Enrich on the table)."""
    if job.created_by is None or not job.created_by.is_active or not leads.exists():
        return
    try:
        enrichment_job_create(actor=job.created_by, leads=leads, description=f"After the import of {job.original_name}")
    except PermissionDenied:
        # Their role changed while the file was imported: the import stands, nothing is enriched in their name.
        logger.info("Import %s: %s may no longer enrich leads; none enriched", job.pk, job.created_by_id)
