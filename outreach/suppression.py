"""STAND-IN for the track part's suppression list (dropped at merge)."""

from __future__ import annotations

from outreach.models import Suppression


def suppression_reason(email: str) -> str | None:
    address = email.strip().lower()
    domain = "@" + address.rpartition("@")[2]
    row = Suppression.objects.filter(email__in=[address, domain]).first()
    return row.reason if row else None
