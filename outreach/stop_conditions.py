"""STAND-IN for the seq part's stop conditions (dropped at merge): only what tracking calls."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from outreach.models import Enrollment


def lead_enrollments_stop(lead, reason: str, *, at=None, exclude_sequence=None) -> int:
    """Stop the lead's active and paused enrollments with this reason; returns how many stopped."""
    enrollments = Enrollment.objects.filter(lead=lead, status__in=[Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED])
    if exclude_sequence is not None:
        enrollments = enrollments.exclude(sequence=exclude_sequence)
    return enrollments.update(
        status=Enrollment.Status.STOPPED,
        stop_reason=reason,
        finished_at=at or timezone.now(),
        due_at=None,
        version=F("version") + 1,
    )
