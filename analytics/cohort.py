"""Small pieces every report of outreach, enrichment and reps uses: the scope's date range as a condition on a
field, and a rate that is no figure (a dash) over nothing."""

from __future__ import annotations

from django.db.models import Q

from analytics.reports import Scope


def in_range(scope: Scope, field: str) -> Q:
    """`field` within the scope's days (in the site's zone): [since, until)."""
    return Q(**{f"{field}__gte": scope.since, f"{field}__lt": scope.until})


def rate(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None (shown as a dash) when there is nothing to divide by."""
    return part / whole if whole else None
