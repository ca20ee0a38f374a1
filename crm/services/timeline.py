"""Writing the activity timeline and tags, shared by every CRM service."""

from __future__ import annotations

from crm.models import Activity, Lead, Tag, User


def activity_record(*, lead: Lead, actor: User | None, kind: str, summary: str, data: dict | None = None) -> Activity:
    return Activity.objects.create(lead=lead, actor=actor, kind=kind, summary=summary[:300], data=data or {})


def activities_record_bulk(*, leads: list[Lead], actor: User | None, kind: str, summary: str, data: dict) -> None:
    Activity.objects.bulk_create(
        Activity(lead=lead, actor=actor, kind=kind, summary=summary[:300], data=data) for lead in leads
    )


def tags_from_text(text: str) -> list[Tag]:
    """Turn "hot, Fintech ,q3" into Tag rows, creating the missing ones; names are lower-cased."""
    names = sorted({part.strip().lower()[:50] for part in text.split(",") if part.strip()})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    return [existing[name] for name in names]
