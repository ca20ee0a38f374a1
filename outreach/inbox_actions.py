"""What a rep does to a conversation in the inbox: mark it read or unread, snooze it, assign it. Answering it is
outreach.inbox_replies."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm.models import User
from leadflow.roles import can_edit_lead, can_reassign, can_take_task_on_owned_by, can_write, require_write
from outreach.models import Conversation


def can_answer(user: User, conversation: Conversation) -> bool:
    """Whoever may change the lead answers its conversations, and so does the rep it is assigned to."""
    return can_write(user) and (can_edit_lead(user, conversation.lead) or conversation.assigned_to_id == user.pk)


def can_assign(user: User, conversation: Conversation) -> bool:
    """As for a lead's owner (leadflow.roles): managers and admins give a conversation to anyone; a rep may take an
    unassigned one."""
    return can_reassign(user) or (can_write(user) and conversation.assigned_to_id is None)


def _changed(conversation: Conversation, **changes) -> None:
    # updated_at moves with every change: open inbox pages see it on their next poll.
    changes["updated_at"] = timezone.now()
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    conversation.refresh_from_db(fields=[*changes])


@transaction.atomic
def conversation_mark_read(*, conversation: Conversation, actor: User) -> bool:
    """Everything in it read; False when it was already (nothing written, so open pages are not redrawn)."""
    require_write(actor)
    if not Conversation.objects.filter(pk=conversation.pk, unread__gt=0).exists():
        return False
    _changed(conversation, unread=0)
    return True


@transaction.atomic
def conversation_mark_unread(*, conversation: Conversation, actor: User) -> None:
    """Back to unread (one message counted, at least), to come back to it later."""
    require_write(actor)
    if conversation.unread == 0:
        _changed(conversation, unread=F("unread") + 1)


@transaction.atomic
def conversation_snooze(*, conversation: Conversation, actor: User, until: datetime.datetime | None) -> None:
    """Hide it from the list until `until` (None: back now). A message from the lead brings it back earlier."""
    require_write(actor)
    if until is not None and until <= timezone.now():
        raise ValidationError("Snooze until a moment in the future.")
    _changed(conversation, snoozed_until=until)


@transaction.atomic
def conversation_assign(*, conversation: Conversation, actor: User, assignee: User | None) -> None:
    """Give the conversation to `assignee` (None: unassigned), who must be able to see and act on the lead. A rep
    taking an unassigned conversation wins only if no one took it meanwhile."""
    if not can_assign(actor, conversation):
        raise PermissionDenied("Only managers and admins reassign conversations; reps may take unassigned ones.")
    if not can_reassign(actor) and (assignee is None or assignee.pk != actor.pk):
        raise PermissionDenied("You may take an unassigned conversation for yourself only.")
    if assignee is not None and not can_take_task_on_owned_by(assignee, conversation.lead.owner_id):
        raise ValidationError(f"{assignee} cannot see {conversation.lead.full_name}; choose someone who can.")
    rows = Conversation.objects.filter(pk=conversation.pk)
    if not can_reassign(actor):
        rows = rows.filter(assigned_to__isnull=True)
    if not rows.update(assigned_to=assignee, updated_at=timezone.now()):
        raise ValidationError("Someone took this conversation meanwhile.")
    conversation.refresh_from_db(fields=["assigned_to", "updated_at"])
