"""Notes and tasks on a lead."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from crm.models import Activity, Lead, Note, Task, User
from crm.services.timeline import activity_record, tags_from_text
from leadflow.roles import can_edit_lead, can_take_task_on_owned_by, require_edit_lead, require_write


@transaction.atomic
def note_create(*, lead: Lead, actor: User, body: str, tags: str = "") -> Note:
    require_edit_lead(actor, lead)
    body = body.strip()
    if not body:
        raise ValidationError({"body": "A note needs some text."})
    note = Note.objects.create(lead=lead, author=actor, body=body)
    if tags:
        note.tags.set(tags_from_text(tags))
    activity_record(
        lead=lead, actor=actor, kind=Activity.Kind.NOTE, summary=f"Note: {body[:120]}", data={"note": note.pk}
    )
    lead.save(update_fields=["updated_at"])
    return note


@transaction.atomic
def task_create(
    *,
    lead: Lead,
    actor: User,
    title: str,
    kind: str = Task.Kind.FOLLOW_UP,
    due_at: datetime | None = None,
    assignee: User | None = None,
) -> Task:
    require_edit_lead(actor, lead)
    if assignee is not None and not can_take_task_on_owned_by(assignee, lead.owner_id):
        raise ValidationError({"assignee": f"{assignee} cannot see {lead.full_name}; choose someone who can."})
    task = Task(lead=lead, kind=kind, title=title.strip(), due_at=due_at, assignee=assignee or actor, created_by=actor)
    task.full_clean()
    task.save()
    # The summary is kept as text and read by people in other zones: it names the zone it was written in.
    due = f", due {timezone.localtime(due_at):%d %b %H:%M %Z}" if due_at else ""
    activity_record(
        lead=lead, actor=actor, kind=Activity.Kind.TASK, summary=f"Task: {task.title}{due}", data={"task": task.pk}
    )
    return task


@transaction.atomic
def task_complete(*, task: Task, actor: User) -> Task:
    """Mark a task done; its assignee or anyone who may edit the lead can."""
    require_write(actor)
    task = Task.objects.select_for_update().select_related("lead").get(pk=task.pk)
    if task.assignee_id != actor.pk and not can_edit_lead(actor, task.lead):
        raise PermissionDenied("Only the assignee or the lead's owner can complete this task.")
    if task.done:
        return task
    task.done = True
    task.done_at = timezone.now()
    task.save(update_fields=["done", "done_at"])
    activity_record(
        lead=task.lead,
        actor=actor,
        kind=Activity.Kind.TASK_DONE,
        summary=f"Completed task: {task.title}",
        data={"task": task.pk},
    )
    return task
