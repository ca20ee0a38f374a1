"""The rows a scope picks: its date range as instants, and its lead filters as a Q on any model that reaches a lead,
so every report filters by owner, source, list, campaign and sequence in the same way."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from analytics.reports import Scope
from crm.models import ImportJob, ListMembership
from outreach.models import Enrollment
from outreach.windows import team_zone


def scope_zone() -> ZoneInfo:
    """The site's zone: the scope's dates are days there."""
    return team_zone()


def scope_bounds(scope: Scope, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """The scope's inclusive days as a half-open range of instants [start, end)."""
    zone = zone or scope_zone()
    start = datetime.combine(scope.start, time.min, tzinfo=zone)
    end = datetime.combine(scope.end + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def in_range(scope: Scope, field: str, zone: ZoneInfo | None = None) -> Q:
    start, end = scope_bounds(scope, zone)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def lead_filter(scope: Scope, lead: str = "lead", *, sequence: bool = True) -> Q:
    """The scope's lead filters on a model whose path to the lead is `lead` ("" for Lead itself).

    Lists, campaigns and sequences are matched through subqueries of lead ids, never joins, so a lead in two
    lists is still one row. `sequence=False` leaves the sequence filter to the caller (messages carry it directly).
    """
    prefix = f"{lead}__" if lead else ""
    lead_ids = f"{lead}__in" if lead else "pk__in"
    q = Q()
    if scope.owner_id is not None:
        q &= Q(**{f"{prefix}owner_id": scope.owner_id})
    if scope.source:
        q &= Q(**{f"{prefix}source": scope.source})
    if scope.list_id is not None:
        q &= Q(**{lead_ids: ListMembership.objects.filter(lead_list_id=scope.list_id).values("lead_id")})
    if scope.campaign_id is not None:
        jobs = ImportJob.objects.filter(scrape_runs__campaign_id=scope.campaign_id).values("pk")
        q &= Q(**{f"{prefix}import_job__in": jobs})
    if sequence and scope.sequence_id is not None:
        q &= Q(**{lead_ids: Enrollment.objects.filter(sequence_id=scope.sequence_id).values("lead_id")})
    return q


def rate(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None (shown as a dash) when there is nothing to divide by."""
    return part / whole if whole else None
