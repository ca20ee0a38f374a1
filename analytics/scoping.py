"""The one place a Scope's lead filters (owner, source, list, campaign, sequence) become a query condition.

Every report narrows its rows with `lead_q(scope, path)`, whatever table it reads: leads themselves (path ""), or a
table with a foreign key to the lead (path "lead__" for activities, messages, stage changes). List, campaign and
sequence are EXISTS subqueries on the lead's id, so a join can never count a row twice.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from analytics.reports import Scope
from crm.models import Lead, ListMembership
from outreach.models import Enrollment
from scraping.models import ScrapeRun


def _lead_ref(path: str, field: str) -> OuterRef:
    """The outer query's lead column: "pk"/"import_job_id" on leads, "lead_id"/"lead__import_job_id" elsewhere."""
    if not path:
        return OuterRef(field)
    if field == "pk":
        return OuterRef(path.removesuffix("__") + "_id")
    return OuterRef(path + field)


def lead_q(scope: Scope, path: str = "") -> Q:
    """The scope's lead filters as a condition on rows whose lead is reached through `path` ("" or "lead__")."""
    condition = Q()
    if scope.owner_id:
        condition &= Q(**{f"{path}owner_id": scope.owner_id})
    if scope.source:
        condition &= Q(**{f"{path}source": scope.source})
    if scope.list_id:
        members = ListMembership.objects.filter(lead_list_id=scope.list_id, lead_id=_lead_ref(path, "pk"))
        condition &= Q(Exists(members))
    if scope.campaign_id:
        # A lead belongs to the capture campaign whose run's import created it.
        runs = ScrapeRun.import_jobs.through.objects.filter(
            scraperun__campaign_id=scope.campaign_id, importjob_id=_lead_ref(path, "import_job_id")
        )
        condition &= Q(Exists(runs))
    if scope.sequence_id:
        enrolled = Enrollment.objects.filter(sequence_id=scope.sequence_id, lead_id=_lead_ref(path, "pk"))
        condition &= Q(Exists(enrolled))
    return condition


def leads_in_scope(scope: Scope) -> QuerySet[Lead]:
    """Every lead the scope's filters keep (any creation date; reports add their own date condition)."""
    return Lead.objects.filter(lead_q(scope))


def leads_added(scope: Scope) -> QuerySet[Lead]:
    """The leads (and contacts) the scope's filters keep that were added in its range: the cohort most reports
    follow."""
    return leads_in_scope(scope).filter(created_at__gte=scope.since, created_at__lt=scope.until)
