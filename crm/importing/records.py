"""What an import writes beside the leads themselves: the rows it reports (rejected, skipped, cells it could not
use), the tags, notes and list places it adds, the timeline line and undo record of every lead it changes, and the
pairs it kept apart for a person to look at. Each function takes what a batch decided and writes it in bulk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from crm.dedup import SCORE_SAME_EMAIL_TWO_PEOPLE
from crm.importing.candidates import Known, NewLead
from crm.importing.drafts import LeadDraft
from crm.importing.tables import TableRows, ids_new
from crm.models import (
    Activity,
    DuplicateCandidate,
    ImportChange,
    ImportJob,
    ImportRejection,
    Lead,
    ListMembership,
    Note,
    Tag,
)
from crm.services.timeline import changes_text


@dataclass
class Skip:
    """A row that matched a lead and changed nothing: its line, why, and the lead (None when the importer may not
    see it)."""

    draft: LeadDraft
    reason: str
    lead: Known | None = None


@dataclass
class Additions:
    """What the rows of one lead add beside field values."""

    tags: list[str] = field(default_factory=list)
    listed: bool = False


def problem_rows(job: ImportJob, drafts: list[LeadDraft], skips: list[Skip]) -> TableRows:
    """Rejected rows, skipped rows (with the lead they matched) and the cells that could not be used."""
    rows = []
    for draft in drafts:
        if draft.rejected:
            rows.append({"line": draft.line, "reason": draft.rejected[:500], "values": draft.values})
            continue
        rows.extend(
            {
                "line": draft.line,
                "column": problem.column[:255],
                "reason": problem.reason[:500],
                "values": draft.values,
                "kind": ImportRejection.Kind.WARNING,
            }
            for problem in draft.problems
        )
    rows.extend(
        {
            "line": skip.draft.line,
            "reason": skip.reason[:500],
            "values": skip.draft.values,
            "kind": ImportRejection.Kind.SKIPPED,
            "lead_id": skip.lead.lead.pk if skip.lead else None,
        }
        for skip in skips
    )
    return TableRows.of(ImportRejection, rows, {"job_id": job.pk})


def extras_save(job: ImportJob, leads: list[tuple[Known, list[LeadDraft]]]) -> dict[int, Additions]:
    """Tags, notes (each with its timeline line) and list places, for new and matched leads alike; the tags and list
    places they added to leads that were there before the import, by lead, for its undo record (notes carry their
    import themselves)."""
    added: dict[int, Additions] = defaultdict(Additions)
    existing = [known.lead.pk for known, _ in leads if not known.new]
    _tags_save(leads, existing, added)
    _notes_save(job, leads)
    if job.lead_list_id:
        listed_before = set(
            ListMembership.objects.filter(lead_list_id=job.lead_list_id, lead_id__in=existing).values_list(
                "lead_id", flat=True
            )
        )
        ListMembership.objects.bulk_create(
            [
                ListMembership(lead_list_id=job.lead_list_id, lead_id=known.lead.pk, added_by_id=job.created_by_id)
                for known, _ in leads
            ],
            ignore_conflicts=True,
        )
        for pk in set(existing) - listed_before:
            added[pk].listed = True
    before = set(existing)
    return {pk: additions for pk, additions in added.items() if pk in before}


def _tags_save(leads: list[tuple[Known, list[LeadDraft]]], existing: list[int], added: dict[int, Additions]) -> None:
    names = sorted({tag for _, drafts in leads for draft in drafts for tag in draft.tags})
    if not names:
        return
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
    through = Lead.tags.through.objects
    had = set(through.filter(lead_id__in=existing, tag_id__in=tag_ids.values()).values_list("lead_id", "tag_id"))
    links = []
    for known, drafts in leads:
        for tag in sorted({tag for draft in drafts for tag in draft.tags}):
            if (known.lead.pk, tag_ids[tag]) not in had:
                links.append(Lead.tags.through(lead_id=known.lead.pk, tag_id=tag_ids[tag]))
                added[known.lead.pk].tags.append(tag)
    through.bulk_create(links, ignore_conflicts=True)


def _notes_save(job: ImportJob, leads: list[tuple[Known, list[LeadDraft]]]) -> None:
    """A note per row with one, on the lead's timeline like a note someone typed."""
    notes = [(known, draft.note) for known, drafts in leads for draft in drafts if draft.note]
    if not notes:
        return
    now = timezone.now()
    ids = ids_new(Note, len(notes))
    TableRows.of(
        Note,
        [{"pk": pk, "lead_id": known.lead.pk, "body": body} for pk, (known, body) in zip(ids, notes, strict=True)],
        {"author_id": job.created_by_id, "import_job_id": job.pk, "created_at": now},
    ).insert()
    TableRows.of(
        Activity,
        [
            {"lead_id": known.lead.pk, "summary": f"Note: {body[:120]}", "data": {"note": pk, "import": job.pk}}
            for pk, (known, body) in zip(ids, notes, strict=True)
        ],
        {"actor_id": job.created_by_id, "kind": Activity.Kind.NOTE, "created_at": now},
    ).insert()


def changes_save(job: ImportJob, changed: list[Known], added: dict[int, Additions], now: datetime) -> None:
    """A timeline line and an undo record for each lead the batch changed or added tags or a list place to. A lead
    it creates gets no line: its page shows where it came from by its import job (crm.selectors.lead_page), which
    saves a row, its indexes and two foreign-key checks for every new lead, a tenth of a big import's time."""
    by_lead = {known.lead.pk: known.changes for known in changed}
    for pk in added:
        by_lead.setdefault(pk, {})
    lines, records = [], []
    for pk, changes in by_lead.items():
        extra = added.get(pk, Additions())
        undoable = {"tags": extra.tags} if extra.tags else {}
        undoable |= {"list": True} if extra.listed else {}
        what = [changes_text(dict(sorted(changes.items())))] if changes else []
        what += [*(["tags"] if extra.tags else []), *(["list"] if extra.listed else [])]
        data = {"import": job.pk, "changes": changes, **({"added": undoable} if undoable else {})}
        summary = f"Updated from {job.original_name}: {'; '.join(what)}"[:300]
        lines.append({"lead_id": pk, "summary": summary, "data": data})
        records.append(
            {
                "lead_id": pk,
                "before": {name: pair[0] for name, pair in changes.items()},
                "after": {name: pair[1] for name, pair in changes.items()},
                "added": undoable,
            }
        )
    line_fixed = {"actor_id": job.created_by_id, "kind": Activity.Kind.UPDATED, "created_at": now}
    TableRows.of(Activity, lines, line_fixed).insert()
    TableRows.of(ImportChange, records, {"job_id": job.pk, "created_at": now}).insert()


def conflicts_save(conflicts: list[tuple[NewLead, Known, str]]) -> None:
    """Pairs of a new lead and a lead it shares an email with but is someone else, for the Duplicates page."""
    DuplicateCandidate.objects.bulk_create(
        [
            DuplicateCandidate(
                lead_a_id=min(lead.pk, other.lead.pk),
                lead_b_id=max(lead.pk, other.lead.pk),
                score=SCORE_SAME_EMAIL_TWO_PEOPLE,
                reason=reason[:200],
            )
            for lead, other, reason in conflicts
        ],
        ignore_conflicts=True,
    )
