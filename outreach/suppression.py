"""STAND-IN (track part): the suppression list, checked at send time."""

from __future__ import annotations

from outreach.models import Suppression


def suppression_reason(email: str) -> str | None:
    address = email.strip().lower()
    domain = "@" + address.rpartition("@")[2]
    return Suppression.objects.filter(email__in=[address, domain]).values_list("reason", flat=True).first()


def suppress(email: str, reason: str, *, message=None, note: str = "", user=None) -> Suppression:
    suppression, _ = Suppression.objects.get_or_create(
        email=email.strip().lower(), defaults={"reason": reason, "message": message, "note": note, "added_by": user}
    )
    return suppression
