"""The events a subscription may receive, and how a lead looks in them."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.urls import reverse

from crm.api.serializers import lead_representation
from crm.models import Lead


class EventType(StrEnum):
    LEAD_CREATED = "lead.created"
    LEAD_UPDATED = "lead.updated"
    LEAD_STAGE_CHANGED = "lead.stage_changed"
    LEAD_REPLIED = "lead.replied"
    LEAD_QUALIFIED = "lead.qualified"
    LEAD_UNSUBSCRIBED = "lead.unsubscribed"
    IMPORT_FINISHED = "import.finished"
    ENRICHMENT_FINISHED = "enrichment.finished"
    # Sent only by "Send test event", to the one subscription it is asked for.
    TEST = "webhook.test"


EVENT_LABELS = {
    EventType.LEAD_CREATED: "A lead is created (one at a time; imports send import.finished)",
    EventType.LEAD_UPDATED: "A lead's facts are edited",
    EventType.LEAD_STAGE_CHANGED: "A lead moves to another stage",
    EventType.LEAD_REPLIED: "A lead replies",
    EventType.LEAD_QUALIFIED: "A lead's score crosses the SQL threshold (a hot lead)",
    EventType.LEAD_UNSUBSCRIBED: "A lead unsubscribes or opts out",
    EventType.IMPORT_FINISHED: "An import finishes",
    EventType.ENRICHMENT_FINISHED: "An enrichment job finishes",
}
# What a Slack subscription gets unless told otherwise: hot leads and replies.
SLACK_DEFAULT_EVENTS = [EventType.LEAD_QUALIFIED, EventType.LEAD_REPLIED]


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def lead_payload(lead: Lead) -> dict:
    """A lead as webhooks show it: the REST API's shape (crm.api.serializers.lead_representation) and its page."""
    return {**lead_representation(lead), "url": absolute_url(reverse("crm:lead", args=[lead.pk]))}


def import_payload(job) -> dict:
    """An import job (crm.models.ImportJob) as import.finished shows it: counts, not the leads."""
    return {
        "id": job.pk,
        "file_name": job.original_name,
        "status": job.status,
        "error": job.error,
        "rows_read": job.rows_read,
        "rows_imported": job.rows_imported,
        "rows_updated": job.rows_updated,
        "rows_skipped": job.rows_skipped,
        "rows_rejected": job.rows_rejected,
        "dry_run": job.dry_run,
        "started_by": job.created_by.email if job.created_by_id else None,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "url": absolute_url(reverse("crm:import", args=[job.pk])),
    }
