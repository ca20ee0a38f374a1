"""Stale writes are refused, not applied: an edit carries the version of the lead it started from (the moment the
lead was last changed, `updated_at`), and a lead changed since is left as it is, with who changed it and when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format

from crm.models import Activity, Lead


class StaleEdit(ValidationError):
    """The lead changed after the edit started; the message says who changed it and when."""


def lead_version(lead: Lead) -> str:
    """The version an edit form carries: the moment the lead was last changed, to the microsecond."""
    return lead.updated_at.isoformat()


def lead_changed_by(lead: Lead) -> str:
    """ "Changed by Alice Example at 2 Dec, 10:05": who made the lead's latest change, from its timeline."""
    last = Activity.objects.filter(lead_id=lead.pk).select_related("actor").first()
    who = (last.actor if last else None) or "someone else"
    when = date_format(timezone.localtime(lead.updated_at), "j M, H:i")
    return f"Changed by {who} at {when}."


def lead_require_version(lead: Lead, seen_version: str | None) -> None:
    """Refuse (StaleEdit) an edit that started from another version than `lead`, which the caller read locked
    (`seen_version` None: the caller edits no copy shown on a page)."""
    if seen_version is not None and lead_version(lead) != seen_version:
        raise StaleEdit(lead_changed_by(lead))


def lead_values_at(lead: Lead, seen_version: str) -> dict[str, object]:
    """{fact: the value it had at `seen_version`} for each fact the lead's timeline records as changed since then
    (as the timeline shows values: text; imports name the company's column "company_id")."""
    seen = parse_datetime(seen_version)
    if seen is None:
        return {}
    values: dict[str, object] = {}
    for line in Activity.objects.filter(lead_id=lead.pk, kind=Activity.Kind.UPDATED, created_at__gt=seen).order_by(
        "created_at", "id"
    ):
        changes = line.data.get("changes", line.data) if isinstance(line.data, dict) else {}  # imports nest theirs
        for name, pair in changes.items():
            if isinstance(pair, list) and len(pair) == 2:
                values.setdefault(name, pair[0])
    return values


def leads_changed_after(leads: Iterable[Lead], seen_at: datetime | None) -> list[Lead]:
    """The leads (as loaded) changed after `seen_at`, the moment a page showed them (None: no such moment)."""
    return [lead for lead in leads if seen_at is not None and lead.updated_at > seen_at]


def leads_unchanged_since(leads: list[Lead], seen_at: datetime | None) -> list[Lead]:
    """The leads not changed after `seen_at`, their rows locked so that nobody changes them before the write
    (None: all of them). A bulk writer changes only these."""
    if seen_at is None:
        return leads
    unchanged = set(
        Lead.objects.select_for_update()
        .filter(pk__in=[lead.pk for lead in leads], updated_at__lte=seen_at)
        .values_list("pk", flat=True)
    )
    return [lead for lead in leads if lead.pk in unchanged]


def leads_changed_message(leads: list[Lead], shown: int = 10) -> str:
    """What a bulk change tells of the leads it left alone because someone changed them after the page showed them."""
    names = ", ".join(lead.full_name for lead in leads[:shown])
    more = f" and {len(leads) - shown} more" if len(leads) > shown else ""
    return f"{len(leads)} lead(s) changed by someone else since the table was shown were left alone: {names}{more}."
