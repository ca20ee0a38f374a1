"""Writing the activity timeline and tags, shared by every CRM service."""

from __future__ import annotations

from functools import cache

from crm.models import Activity, Lead, Tag, User
from crm.services.stale import leads_mark_stale
from crm.signals import lead_activity_recorded

# A value longer than this is shortened on the timeline ("Updated notes: Met at the fair and…").
SHOWN_VALUE_LENGTH = 40


# Every change to a lead writes its timeline, so the timeline is where a lead is marked for rescoring: in the same
# transaction as the change, with one deduplicated task queued after the commit (crm.services.scores).


def activity_record(*, lead: Lead, actor: User | None, kind: str, summary: str, data: dict | None = None) -> Activity:
    activity = Activity.objects.create(lead=lead, actor=actor, kind=kind, summary=summary[:300], data=data or {})
    leads_mark_stale([lead.pk])
    lead_activity_recorded.send(sender=Activity, activity=activity)
    return activity


def activities_record_bulk(*, leads: list[Lead], actor: User | None, kind: str, summary: str, data: dict) -> None:
    Activity.objects.bulk_create(
        Activity(lead=lead, actor=actor, kind=kind, summary=summary[:300], data=data) for lead in leads
    )
    leads_mark_stale([lead.pk for lead in leads])


def activities_record_each(
    *, actor: User | None, kind: str, lines: list[tuple[Lead, str, dict]], rescore: bool = True
) -> None:
    """One timeline line per lead, each with its own summary and data: (lead, summary, data); `rescore` False for
    lines that change nothing a score reads (the score's own)."""
    Activity.objects.bulk_create(
        Activity(lead=lead, actor=actor, kind=kind, summary=summary[:300], data=data) for lead, summary, data in lines
    )
    if rescore:
        leads_mark_stale([lead.pk for lead, _summary, _data in lines])


def shown_value(value: object) -> str:
    """A changed value as the timeline shows it: "—" for nothing, a list as its items, a long one shortened."""
    text = ", ".join(str(item) for item in value) if isinstance(value, list) else str(value or "")
    if not text:
        return "—"
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[: SHOWN_VALUE_LENGTH - 1].rstrip() + "…"


@cache
def _lead_field_labels() -> dict[str, str]:
    """What people call each lead field ("job title"), by its name and by its column's ("company_id")."""
    fields = Lead._meta.concrete_fields
    return {**{f.attname: str(f.verbose_name) for f in fields}, **{f.name: str(f.verbose_name) for f in fields}}


def changes_text(changes: dict[str, list]) -> str:
    """ "phone: +14155550100 → +16505550100; location: — → Lisbon" for a lead's {field: [old, new]}. A value that
    is no text (a company's id, the custom fields) is only named."""
    parts = []
    for name, (old, new) in changes.items():
        label = _lead_field_labels().get(name, name)
        shows_values = all(isinstance(value, str | list | None) for value in (old, new))
        parts.append(f"{label}: {shown_value(old)} → {shown_value(new)}" if shows_values else label)
    return "; ".join(parts)


def tags_from_text(text: str) -> list[Tag]:
    """Turn "hot, Fintech ,q3" into Tag rows, creating the missing ones; names are lower-cased."""
    names = sorted({part.strip().lower()[:50] for part in text.split(",") if part.strip()})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    return [existing[name] for name in names]
