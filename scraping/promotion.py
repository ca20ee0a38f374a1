"""When a captured contact becomes a lead by score: the threshold of the campaign that brought it, else the site's
(CAPTURE_PROMOTE_AT_SCORE; 0: never). Scoring calls this when a score changes; replies and people promote directly
(crm.services.leads.lead_promote)."""

from __future__ import annotations

from django.conf import settings

from crm.models import Lead
from crm.services.leads import lead_promote
from scraping.models import ScrapeRun


def promote_threshold(lead: Lead) -> int:
    run = ScrapeRun.objects.filter(import_jobs=lead.import_job_id).select_related("campaign").first()
    if run is not None and run.campaign.promote_at_score:
        return run.campaign.promote_at_score
    return settings.CAPTURE_PROMOTE_AT_SCORE


def contact_promote_by_score(lead: Lead) -> bool:
    """Make a contact a lead once its score reaches its threshold; True when it did."""
    threshold = promote_threshold(lead) if lead.import_job_id else settings.CAPTURE_PROMOTE_AT_SCORE
    if lead.lifecycle != Lead.Lifecycle.CONTACT or not threshold or lead.score < threshold:
        return False
    return lead_promote(lead=lead, actor=None, reason="score")
