"""Merging two leads that are one person, and dismissing pairs that are not."""

from __future__ import annotations

import json
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal

from crm.lead_fields import LIST_FACTS, lead_facts
from crm.models import (
    Activity,
    DuplicateCandidate,
    ImportChange,
    Lead,
    MergeRecord,
    Note,
    StageChange,
    Task,
    User,
)
from crm.services.timeline import activity_record
from leadflow.audit import record
from leadflow.roles import can_edit_lead, require_write

# The facts a merge takes from one side or the other, in the order the merge page shows them: what people
# edit on the lead page, then where the lead stands. The lists of further emails and phones are not chosen from
# one side: the survivor keeps every address and number of both (_other_contacts_merge).
MERGE_FIELDS = [
    *lead_facts(exclude={"grade", "do_not_contact", *LIST_FACTS}),
    "stage",
    "owner",
    "score",
    "grade",
    "do_not_contact",
]
# chosen[...] may also name custom_fields: whose value wins for a key both leads have.
CHOSEN_KEYS = {*MERGE_FIELDS, "custom_fields"}
Side = Literal["survivor", "other"]

# Sent inside the merge, before `other` is deleted, with survivor= and other=: apps that crm does not import
# (enrichment, outreach) move their rows to the survivor here and return {kind: count} for the record.
lead_merging = Signal()


def lead_snapshot(lead: Lead) -> dict:
    """Every field of a lead as JSON, with its tag and list ids and readable names for its links."""
    data = {field.name: field.value_from_object(lead) for field in Lead._meta.concrete_fields}
    tags = list(lead.tags.order_by("name").values_list("pk", "name"))
    data["tags"] = [pk for pk, _name in tags]
    data["lists"] = sorted(lead.memberships.values_list("lead_list_id", flat=True))
    data["labels"] = {
        "company": str(lead.company) if lead.company_id else "",
        "owner": str(lead.owner) if lead.owner_id else "",
        "stage": str(lead.stage),
        "tags": [name for _pk, name in tags],
    }
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _other_contacts_merge(*, survivor: Lead, other: Lead, before: dict) -> None:
    """Every email and phone of both leads stays on the survivor: the main one chosen, the rest among its others."""
    for listed, main in (("other_emails", "email"), ("other_phones", "phone")):
        values = [before[main], *before[listed], getattr(other, main), *getattr(other, listed)]
        kept = getattr(survivor, main)
        setattr(survivor, listed, list(dict.fromkeys(value for value in values if value and value != kept)))


def _chosen_clean(chosen: dict[str, str]) -> dict[str, Side]:
    unknown = set(chosen) - CHOSEN_KEYS
    if unknown:
        raise ValidationError(f"Cannot choose a value for: {', '.join(sorted(unknown))}")
    wrong = {key for key, side in chosen.items() if side not in ("survivor", "other")}
    if wrong:
        raise ValidationError(f"Choose survivor or other for: {', '.join(sorted(wrong))}")
    return {key: chosen.get(key, "survivor") for key in [*MERGE_FIELDS, "custom_fields"]}


def _require_merge(actor: User, *leads: Lead) -> None:
    require_write(actor)
    if not all(can_edit_lead(actor, lead) for lead in leads):
        raise PermissionDenied("You can only merge or dismiss leads you own.")


@transaction.atomic
def lead_merge(*, survivor: Lead, other: Lead, chosen: dict[str, str], actor: User) -> MergeRecord:
    """Fold `other` into `survivor`: chosen values, custom fields, tags, lists and history; then delete `other`.

    Nothing is lost: every value of `other` stays in the MergeRecord's snapshot.
    """
    if survivor.pk == other.pk:
        raise ValidationError("A lead cannot be merged with itself.")
    chosen = _chosen_clean(chosen)
    # Locked in id order, so two merges of overlapping pairs wait for each other instead of deadlocking.
    pair = Lead.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk]).order_by("pk")
    locked = {lead.pk: lead for lead in pair}
    if len(locked) != 2:
        raise ValidationError("One of these leads was deleted or merged meanwhile.")
    survivor, other = locked[survivor.pk], locked[other.pk]
    _require_merge(actor, survivor, other)
    other_pk, other_name = other.pk, other.full_name
    survivor_before = lead_snapshot(survivor)
    merged_snapshot = lead_snapshot(other)

    old_stage_id = survivor.stage_id
    for name in MERGE_FIELDS:
        if chosen[name] == "other":
            attname = Lead._meta.get_field(name).attname
            setattr(survivor, attname, getattr(other, attname))
    # A verified mark goes with the email or phone it was given for (the survivor's stays for the same value).
    for name in ("email", "phone"):
        if chosen[name] == "other" and getattr(other, name) != survivor_before[name]:
            setattr(survivor, f"{name}_verified", getattr(other, f"{name}_verified"))
    # Safety first: a do-not-contact on either lead stays, whatever was chosen.
    survivor.do_not_contact = survivor.do_not_contact or other.do_not_contact
    if chosen["custom_fields"] == "other":
        survivor.custom_fields = {**survivor.custom_fields, **other.custom_fields}
    else:
        survivor.custom_fields = {**other.custom_fields, **survivor.custom_fields}
    _other_contacts_merge(survivor=survivor, other=other, before=survivor_before)

    moved = _related_move(survivor=survivor, other=other)
    moved["duplicate_candidates"] = _candidates_repoint(survivor=survivor, other=other, actor=actor)
    for _receiver, counts in lead_merging.send(sender=Lead, survivor=survivor, other=other):
        moved.update(counts or {})

    merge = MergeRecord.objects.create(
        survivor=survivor,
        merged_lead_id=other_pk,
        merged_snapshot=merged_snapshot,
        survivor_before=survivor_before,
        chosen=chosen,
        moved=moved,
        actor=actor,
    )
    other.delete()
    survivor.save()
    if survivor.stage_id != old_stage_id:
        StageChange.objects.create(
            lead=survivor, from_stage_id=old_stage_id, to_stage_id=survivor.stage_id, actor=actor
        )
    activity_record(
        lead=survivor,
        actor=actor,
        kind=Activity.Kind.MERGED,
        summary=f"Merged with {other_name} (#{other_pk})",
        data={"merge": merge.pk},
    )
    taken = sorted(name for name, side in chosen.items() if side == "other")
    record(
        "leads.merged",
        actor=actor,
        target=survivor,
        details={"merged_lead": other_pk, "merge": merge.pk, "taken": taken},
    )
    return merge


def _related_move(*, survivor: Lead, other: Lead) -> dict[str, int]:
    """Give `other`'s notes, tasks, history, lists and tags to `survivor`; returns how many of each moved."""
    moved = {
        "notes": Note.objects.filter(lead=other).update(lead=survivor),
        "tasks": Task.objects.filter(lead=other).update(lead=survivor),
        "activities": Activity.objects.filter(lead=other).update(lead=survivor),
        "stage_changes": StageChange.objects.filter(lead=other).update(lead=survivor),
        "import_changes": ImportChange.objects.filter(lead=other).update(lead=survivor),
        # Earlier merges into `other` now belong to the person's surviving record.
        "merges": MergeRecord.objects.filter(survivor=other).update(survivor=survivor),
    }
    # Lists the survivor is already in keep its membership; `other`'s goes with it.
    survivor_lists = list(survivor.memberships.values_list("lead_list_id", flat=True))
    moved["lists"] = other.memberships.exclude(lead_list_id__in=survivor_lists).update(lead=survivor)
    new_tags = list(other.tags.exclude(pk__in=survivor.tags.values("pk")))
    survivor.tags.add(*new_tags)
    moved["tags"] = len(new_tags)
    return moved


def _candidates_repoint(*, survivor: Lead, other: Lead, actor: User) -> int:
    """Mark the pair merged and hand `other`'s open pairs to the survivor; returns how many were re-pointed.

    An open pair that would become a self-pair or repeat a pair the survivor already has is deleted.
    """
    first, second = sorted([survivor.pk, other.pk])
    # The row goes with `other` (its foreign keys cascade); the MergeRecord is the lasting account.
    DuplicateCandidate.objects.filter(lead_a_id=first, lead_b_id=second).update(
        status=DuplicateCandidate.Status.MERGED, resolved_by=actor
    )
    involving_survivor = DuplicateCandidate.objects.filter(Q(lead_a=survivor) | Q(lead_b=survivor))
    taken = set(involving_survivor.values_list("lead_a_id", "lead_b_id"))
    repointed = 0
    open_pairs = DuplicateCandidate.objects.select_for_update().filter(
        Q(lead_a=other) | Q(lead_b=other), status=DuplicateCandidate.Status.OPEN
    )
    for candidate in open_pairs.order_by("pk"):
        third = candidate.lead_b_id if candidate.lead_a_id == other.pk else candidate.lead_a_id
        pair = tuple(sorted([survivor.pk, third]))
        if third == survivor.pk or pair in taken:
            candidate.delete()
            continue
        candidate.lead_a_id, candidate.lead_b_id = pair
        candidate.save(update_fields=["lead_a", "lead_b"])
        taken.add(pair)
        repointed += 1
    return repointed


@transaction.atomic
def duplicate_dismiss(*, candidate: DuplicateCandidate, actor: User) -> DuplicateCandidate:
    """Mark a pair as two different people; later scans leave it alone."""
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    _require_merge(actor, *Lead.objects.filter(pk__in=[candidate.lead_a_id, candidate.lead_b_id]))
    if candidate.status != DuplicateCandidate.Status.OPEN:
        raise ValidationError("This pair was already resolved.")
    candidate.status = DuplicateCandidate.Status.DISMISSED
    candidate.resolved_by = actor
    candidate.save(update_fields=["status", "resolved_by"])
    return candidate
