"""Taking an import back: the leads it created go unless someone has worked on them since, the values it filled or
overwrote are restored where nobody changed them since, and the notes, tags and list places it added are removed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from crm.models import Activity, ImportChange, ImportJob, Lead, ListMembership, Note, User
from crm.services.stale import leads_mark_stale
from leadflow.audit import record
from leadflow.roles import can_reassign

# How many kept leads an undo names in its report (the count is always complete).
UNDO_REPORT_NAMES = 50


@transaction.atomic
def import_job_undo(*, job: ImportJob, actor: User) -> dict:
    """Take an import back: remove the leads it created unless someone has worked on them since (those are
    reported), and give fields it filled or overwrote their previous values where nobody changed them since."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.created_by_id != actor.pk and not can_reassign(actor):
        raise PermissionDenied("Only the person who imported the file, a manager or an admin can undo it.")
    if job.status != ImportJob.Status.DONE:
        raise ValidationError("Only a finished import can be undone.")
    created = Lead.objects.filter(import_job=job)
    # A timeline line the import did not write (a later row of the file updating a lead an earlier batch
    # created is its own), a task or a stage change means someone has worked on the lead since.
    others_lines = Activity.objects.filter(lead=OuterRef("pk")).exclude(data__has_key="import", data__import=job.pk)
    worked = created.filter(Q(Exists(others_lines)) | Q(tasks__isnull=False) | Q(stage_changes__isnull=False))
    worked = worked.distinct()
    kept = list(worked.values("pk", "first_name", "last_name", "email")[:UNDO_REPORT_NAMES])
    kept_count = worked.count()
    _, removed_by_model = created.exclude(pk__in=worked.values("pk")).delete()
    removed_leads = removed_by_model.get("crm.Lead", 0)
    # Its notes (and their timeline lines) go from the leads that stay, too.
    Activity.objects.filter(kind=Activity.Kind.NOTE, data__import=job.pk).delete()
    Note.objects.filter(import_job=job).delete()
    restored, conflicts = _changes_restore(job, actor)
    report = {
        "removed": removed_leads,
        "kept": kept_count,
        "kept_leads": kept,
        "restored": restored,
        "changed_since": conflicts,
    }
    job.status = ImportJob.Status.UNDONE
    job.undone_at = timezone.now()
    job.undone_by = actor
    job.undo_report = report
    job.save(update_fields=["status", "undone_at", "undone_by", "undo_report"])
    counts = {key: report[key] for key in ("removed", "kept", "restored", "changed_since")}
    record("import.undone", actor=actor, target=job, details=counts)
    return report


def _changes_restore(job: ImportJob, actor: User) -> tuple[int, int]:
    """Put back the values an import filled or overwrote; a field edited since the import is left as it is."""
    restored = conflicts = 0
    changed = []
    for change in job.changes.select_related("lead"):
        lead = change.lead
        fields = []
        for name, before in change.before.items():
            if _field_json(lead, name) == change.after.get(name):
                setattr(lead, name, before)
                fields.append(name)
            else:
                conflicts += 1
        fields += _additions_remove(job, change)
        if fields:
            lead.save(update_fields=[name for name in [*fields, "updated_at"] if name not in {"tags", "list"}])
            Activity.objects.create(
                lead=lead,
                actor=actor,
                kind=Activity.Kind.UPDATED,
                summary=f"Undid import {job.original_name}: restored {', '.join(sorted(fields))}"[:300],
                data={"undo_import": job.pk, "fields": fields},
            )
            restored += 1
            changed.append(lead.pk)
    leads_mark_stale(changed)
    return restored, conflicts


def _additions_remove(job: ImportJob, change: ImportChange) -> list[str]:
    """Take the tags and the list place an import added to a lead off it again; what was taken off."""
    removed = []
    tags = change.added.get("tags", [])
    if tags and change.lead.tags.through.objects.filter(lead=change.lead, tag__name__in=tags).delete()[0]:
        removed.append("tags")
    listed = ListMembership.objects.filter(lead_list_id=job.lead_list_id, lead=change.lead)
    if change.added.get("list") and listed.delete()[0]:
        removed.append("list")
    return removed


def _field_json(lead: Lead, name: str) -> object:
    value = getattr(lead, name)
    return str(value) if value is not None and name == "deal_value" else value
