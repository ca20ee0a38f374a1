"""Creating, editing, moving, assigning and deleting leads."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from crm.companies import company_for_lead
from crm.lead_fields import LEAD_FACTS, LIST_FACTS
from crm.models import Activity, Company, Lead, Stage, StageChange, User
from crm.normalize import (
    NormalizeError,
    company_key,
    email_normalize,
    linkedin_canonical,
    name_capitalize,
    phone_e164,
    time_zone_name,
    website_normalize,
)
from crm.services.timeline import activities_record_each, activity_record, changes_text, tags_from_text
from crm.services.versions import lead_require_version, leads_unchanged_since
from crm.signals import lead_stage_changed
from crm.webhooks.events import EventType
from crm.webhooks.publish import lead_event_publish, leads_event_publish
from leadflow.audit import record
from leadflow.roles import can_edit_lead, can_reassign, require_edit_lead, require_write

# Facts a person may change (on the lead page, in the admin, by an admin import); each change is written to the
# timeline with old and new values. All of crm.lead_fields.LEAD_FACTS.
EDITABLE_FIELDS = list(LEAD_FACTS)


def _each(normalize: Callable[[str], str]) -> Callable[[object], list[str]]:
    """A normaliser for a list of values: each normalised, blanks and repeats dropped."""

    def normalize_list(values: object) -> list[str]:
        if isinstance(values, str):
            values = re.split(r"[;\n]", values)  # not at commas: "+1 555 0100, ext. 2" is one number
        if not isinstance(values, list | tuple):
            raise NormalizeError("not a list")
        normalized = [normalize(str(value)) for value in values if str(value).strip()]
        return list(dict.fromkeys(value for value in normalized if value))

    return normalize_list


# What people type is normalised the way imports normalise files, so every lead matches on the same keys.
NORMALIZERS = {
    "first_name": name_capitalize,
    "last_name": name_capitalize,
    "email": email_normalize,
    "other_emails": _each(email_normalize),
    "phone": phone_e164,
    "other_phones": _each(phone_e164),
    "linkedin_url": linkedin_canonical,
    "website": website_normalize,
    "time_zone": time_zone_name,
}


def lead_fields_normalize(fields: dict) -> dict:
    """The facts in their stored form; a value that cannot be normalised is a ValidationError on its field."""
    normalized = dict(fields)
    for name in LIST_FACTS & set(normalized):
        if normalized[name] is None:
            normalized[name] = []  # a blank cell: no further addresses
    errors = {}
    for name, normalize in NORMALIZERS.items():
        if normalized.get(name):
            try:
                normalized[name] = normalize(normalized[name])
            except NormalizeError as exc:
                errors[name] = str(exc)
    if normalized.get("deal_value") is not None and normalized["deal_value"] < 0:
        errors["deal_value"] = "A deal value cannot be negative."
    if errors:
        raise ValidationError(errors)
    return normalized


def lead_company(*, lead: Lead | None, name: str | None, website: str, email: str) -> Company | None:
    """The company of a lead whose company was typed as `name` (None: not typed), by the one company rule
    (crm.companies): by its website's or work address's domain, else by the name, else new. A lead whose typed name
    still says its current company keeps it, so saving a page or re-importing an export moves nobody."""
    current = lead.company if lead is not None and lead.company_id else None
    if current is not None and name and company_key(name) == current.name_key:
        return current
    return company_for_lead(name=name or "", website=website or "", email=email or "")


def _display(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


@transaction.atomic
def lead_create(*, actor: User | None, stage: Stage, tags: str = "", company_name: str | None = None, **fields) -> Lead:
    """Create a lead in a stage and start its timeline. Without a `company`, its company is the one `company_name`
    and its website or work email mean (lead_company), found or created."""
    if actor is not None:
        require_write(actor)
        # A rep's new lead is theirs; only managers may hand a new lead to someone else.
        if not can_reassign(actor):
            fields["owner"] = actor
    fields = lead_fields_normalize(fields)
    if fields.get("company") is None:
        fields["company"] = lead_company(
            lead=None, name=company_name, website=fields.get("website", ""), email=fields.get("email", "")
        )
    lead = Lead(stage=stage, **fields)
    lead.full_clean(exclude=["stage", "owner", "company"])
    lead.save()
    if tags:
        lead.tags.set(tags_from_text(tags))
    activity_record(lead=lead, actor=actor, kind=Activity.Kind.CREATED, summary=f"Created in {stage.name}")
    StageChange.objects.create(lead=lead, from_stage=None, to_stage=stage, actor=actor)
    lead_event_publish(EventType.LEAD_CREATED, lead)
    return lead


@transaction.atomic
def lead_update(
    *,
    lead: Lead,
    actor: User,
    tags: str | None = None,
    company_name: str | None = None,
    seen_version: str | None = None,
    activity_kind: str = Activity.Kind.UPDATED,
    **changes,
) -> Lead:
    """Change a lead's facts and record each changed field on its timeline (as `activity_kind`: enrichment says
    "Enriched"); refused (StaleEdit) if the lead changed after `seen_version`. The company is `company` when given,
    else the one a typed `company_name` means (lead_company); a lead left without one takes the company its website
    or work email finds."""
    require_edit_lead(actor, lead)
    if seen_version is not None:
        lead_require_version(Lead.objects.select_for_update().get(pk=lead.pk), seen_version)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    changes = lead_fields_normalize(changes)
    company_given = changes.get("company") is not None
    if not company_given and (company_name is not None or "company" in changes or not lead.company_id):
        changes["company"] = lead_company(
            lead=lead,
            name=company_name,
            website=changes.get("website", lead.website),
            email=changes.get("email", lead.email),
        )
    changed = {}
    for field, value in changes.items():
        old = getattr(lead, field)
        if old != value:
            changed[field] = [_display(old), _display(value)]
            setattr(lead, field, value)
    if tags is not None:
        new_tags = tags_from_text(tags)
        old_names = sorted(lead.tags.values_list("name", flat=True))
        new_names = [tag.name for tag in new_tags]
        if old_names != new_names:
            lead.tags.set(new_tags)
            changed["tags"] = [", ".join(old_names), ", ".join(new_names)]
    if not changed:
        return lead
    # A new address or number is not the one that was verified.
    lead.email_verified = lead.email_verified and "email" not in changed
    lead.phone_verified = lead.phone_verified and "phone" not in changed
    lead.full_clean(exclude=["stage", "owner", "company"])
    lead.save()
    summary = f"{Activity.Kind(activity_kind).label} {changes_text(changed)}"
    activity_record(lead=lead, actor=actor, kind=activity_kind, summary=summary, data=changed)
    lead_event_publish(EventType.LEAD_UPDATED, lead, changes=_changes_payload(changed))
    return lead


def _changes_payload(changed: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    return {field: {"from": old, "to": new} for field, (old, new) in changed.items()}


# Why a contact became a lead, as the timeline says it.
PROMOTION_REASONS = {
    "reply": "answered",
    "person": "promoted by hand",
    "score": "its score reached the threshold",
    "ad_form": "came from an ad form",
}


@transaction.atomic
def lead_promote(*, lead: Lead, actor: User | None, reason: str) -> bool:
    """A contact becomes a lead (when they reply, when a person promotes them, when their score crosses their
    campaign's threshold), and the timeline says why; False when it already was one."""
    if actor is not None:
        require_edit_lead(actor, lead)
    promoted = leads_promote(lead_ids=[lead.pk], actor=actor, reason=reason)
    if promoted:
        lead.lifecycle = Lead.Lifecycle.LEAD
    return bool(promoted)


@transaction.atomic
def leads_promote(*, lead_ids: list[int], actor: User | None, reason: str) -> int:
    """The contacts among these leads become leads, each with a timeline line saying why (one UPDATE and one
    INSERT however many: a rescore may promote thousands); how many were contacts. Callers check permissions."""
    if reason not in PROMOTION_REASONS:
        raise ValueError(f"Unknown reason {reason!r}")
    contacts = Lead.objects.select_for_update().filter(pk__in=lead_ids, lifecycle=Lead.Lifecycle.CONTACT)
    ids = list(contacts.values_list("pk", flat=True))
    if not ids:
        return 0
    Lead.objects.filter(pk__in=ids).update(lifecycle=Lead.Lifecycle.LEAD, updated_at=timezone.now())
    summary = f"Became a lead: {PROMOTION_REASONS[reason]}"
    lines = [(Lead(pk=pk), summary, {}) for pk in ids]
    # Being a lead rather than a contact changes nothing a score reads: no rescore.
    activities_record_each(actor=actor, kind=Activity.Kind.PROMOTED, lines=lines, rescore=False)
    return len(ids)


def lost_reason_check(stage: Stage, lost_reason: str) -> str:
    """The reason, cleaned; a move to a lost stage must say why the deal was lost."""
    lost_reason = lost_reason.strip()
    if stage.kind == Stage.Kind.LOST and not lost_reason:
        raise ValidationError(f"Say why the deal was lost before moving it to {stage.name}.")
    limit = StageChange._meta.get_field("lost_reason").max_length
    if len(lost_reason) > limit:
        raise ValidationError(f"Keep the reason under {limit} characters.")
    return lost_reason


def _stage_move_summary(moved: str, stage: Stage, lost_reason: str) -> str:
    return f"{moved} to {stage.name}" + (f": {lost_reason}" if lost_reason else "")


@transaction.atomic
def lead_move_stage(
    *,
    lead: Lead,
    stage: Stage,
    actor: User | None,
    expected_stage_id: int | None = None,
    seen_version: str | None = None,
    lost_reason: str = "",
) -> StageChange | None:
    """Move a lead to another stage of its pipeline and record it; refuse if it moved meanwhile (or, given the
    version a page showed, if it changed at all). No actor: Leadflow itself moves it (a score crossed SQL)."""
    # Only the lead row: locking its stage too would make every move into one stage wait on the others (and
    # deadlock with the foreign-key checks of the stage totals a move writes).
    locked = Lead.objects.select_for_update(of=("self",)).select_related("stage").filter(pk=lead.pk).first()
    if locked is None:
        # Deleted or merged into another lead since the caller read it (a board open while an import merged it).
        raise ValidationError(f"{lead.full_name} was deleted or merged meanwhile; reload to see where it went.")
    lead = locked
    if actor is not None:
        require_edit_lead(actor, lead)
    lead_require_version(lead, seen_version)
    if expected_stage_id is not None and lead.stage_id != expected_stage_id:
        raise ValidationError(f"{lead.full_name} was moved to {lead.stage.name} by someone else meanwhile.")
    if stage.pipeline_id != lead.stage.pipeline_id:
        raise ValidationError("That stage belongs to another pipeline.")
    if stage.pk == lead.stage_id:
        return None
    lost_reason = lost_reason_check(stage, lost_reason)
    old_stage = lead.stage
    lead.stage = stage
    lead.save(update_fields=["stage", "updated_at"])
    change = StageChange.objects.create(
        lead=lead, from_stage=old_stage, to_stage=stage, actor=actor, lost_reason=lost_reason
    )
    activity_record(
        lead=lead,
        actor=actor,
        kind=Activity.Kind.STAGE,
        summary=_stage_move_summary(f"Moved from {old_stage.name}", stage, lost_reason),
        data={"from": old_stage.pk, "to": stage.pk, "lost_reason": lost_reason},
    )
    lead_stage_changed.send(sender=Lead, lead_ids=[lead.pk], stage=stage)
    lead_event_publish(EventType.LEAD_STAGE_CHANGED, lead, **_move_payload(old_stage.name, stage, lost_reason))
    return change


def _move_payload(from_stage: str, stage: Stage, lost_reason: str) -> dict:
    return {"from_stage": from_stage, "to_stage": stage.name, "to_stage_kind": stage.kind, "lost_reason": lost_reason}


@transaction.atomic
def lead_assign_owner(*, lead: Lead, owner: User | None, actor: User, seen_version: str | None = None) -> Lead:
    """Give a lead to another owner (managers and admins only) and record it; refused (StaleEdit) if the lead
    changed after `seen_version`."""
    if not can_reassign(actor):
        raise PermissionDenied("Only managers and admins can reassign leads.")
    if seen_version is not None:
        lead_require_version(Lead.objects.select_for_update().get(pk=lead.pk), seen_version)
    if lead.owner_id == (owner.pk if owner else None):
        return lead
    summary = f"Owner changed from {lead.owner or 'nobody'} to {owner or 'nobody'}"
    return _owner_set(lead=lead, owner=owner, actor=actor, summary=summary)


@transaction.atomic
def lead_claim(*, lead: Lead, actor: User) -> Lead:
    """Take an unassigned lead as one's own (a rep sees unassigned leads but may change only their own)."""
    require_write(actor)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.owner_id is not None:
        raise ValidationError(f"{lead.full_name} already belongs to {lead.owner}.")
    return _owner_set(lead=lead, owner=actor, actor=actor, summary=f"Claimed by {actor}")


def _owner_set(*, lead: Lead, owner: User | None, actor: User, summary: str) -> Lead:
    """Save the new owner and record the change on the timeline, with who it was before."""
    before = lead.owner_id
    lead.owner = owner
    lead.save(update_fields=["owner", "updated_at"])
    data = {"from": before, "to": owner.pk if owner else None}
    activity_record(lead=lead, actor=actor, kind=Activity.Kind.OWNER, summary=summary, data=data)
    return lead


def leads_editable_by(actor: User, leads: Iterable[Lead]) -> list[Lead]:
    return [lead for lead in leads if can_edit_lead(actor, lead)]


@transaction.atomic
def leads_bulk_assign(*, leads: list[Lead], owner: User | None, actor: User, seen_at: datetime | None = None) -> int:
    """Give many leads to one owner, leaving those changed after `seen_at` alone; returns how many changed."""
    if not can_reassign(actor):
        raise PermissionDenied("Only managers and admins can reassign leads.")
    targets = [lead for lead in leads_unchanged_since(leads, seen_at) if lead.owner_id != (owner.pk if owner else None)]
    Lead.objects.filter(pk__in=[lead.pk for lead in targets]).update(owner=owner, updated_at=timezone.now())
    owners = {user.pk: user for user in User.objects.filter(pk__in={lead.owner_id for lead in targets})}
    activities_record_each(
        actor=actor,
        kind=Activity.Kind.OWNER,
        lines=[
            (
                lead,
                f"Owner changed from {owners.get(lead.owner_id) or 'nobody'} to {owner or 'nobody'}",
                {"from": lead.owner_id, "to": owner.pk if owner else None},
            )
            for lead in targets
        ],
    )
    return len(targets)


@transaction.atomic
def leads_bulk_move_stage(
    *, leads: list[Lead], stage: Stage, actor: User, seen_at: datetime | None = None, lost_reason: str = ""
) -> int:
    """Move many leads to one stage, skipping those the actor may not edit, in another pipeline, or changed after
    `seen_at`."""
    require_write(actor)
    lost_reason = lost_reason_check(stage, lost_reason)
    targets = [
        lead
        for lead in leads_unchanged_since(leads_editable_by(actor, leads), seen_at)
        if lead.stage_id != stage.pk and lead.stage.pipeline_id == stage.pipeline_id
    ]
    Lead.objects.filter(pk__in=[lead.pk for lead in targets]).update(stage=stage, updated_at=timezone.now())
    StageChange.objects.bulk_create(
        StageChange(lead=lead, from_stage_id=lead.stage_id, to_stage=stage, actor=actor, lost_reason=lost_reason)
        for lead in targets
    )
    activities_record_each(
        actor=actor,
        kind=Activity.Kind.STAGE,
        lines=[
            (
                lead,
                _stage_move_summary(f"Moved from {lead.stage.name}", stage, lost_reason),
                {"from": lead.stage_id, "to": stage.pk, "lost_reason": lost_reason},
            )
            for lead in targets
        ],
    )
    if targets:
        lead_stage_changed.send(sender=Lead, lead_ids=[lead.pk for lead in targets], stage=stage)
        leads_event_publish(
            EventType.LEAD_STAGE_CHANGED,
            [lead.pk for lead in targets],
            {lead.pk: _move_payload(lead.stage.name, stage, lost_reason) for lead in targets},
        )
    return len(targets)


# A bulk deletion's event names this many of the leads by id (its count is always complete).
AUDIT_IDS_KEPT = 1000


@transaction.atomic
def leads_delete(*, leads: list[Lead], actor: User, seen_at: datetime | None = None) -> int:
    """Delete leads the actor may edit and nobody changed after `seen_at`, with their timeline; returns how many
    went."""
    require_write(actor)
    targets = leads_unchanged_since(leads_editable_by(actor, leads), seen_at)
    ids = sorted(lead.pk for lead in targets)
    Lead.objects.filter(pk__in=ids).delete()
    if ids:
        details = {"count": len(ids), "ids": ids[:AUDIT_IDS_KEPT], "asked": len(leads)}
        record("leads.deleted", actor=actor, details=details)
    return len(targets)
