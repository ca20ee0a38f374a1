"""outreach's part of a privacy request (crm.privacy): the person's messages, their events, conversations (with the
raw mail and attachment files), drafts, enrollments, unmatched mail and plain-text suppression entries."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver

from crm.privacy.parts import ExportPart, queryset_part
from crm.privacy.person import Person
from crm.privacy.signals import person_erasing, person_exporting
from outreach.models import (
    Conversation,
    ConversationMessage,
    Draft,
    DraftItem,
    Enrollment,
    Message,
    MessageEvent,
    Suppression,
    UnmatchedEmail,
)


def _unmatched(person: Person):
    query = Q(pk__in=[])
    for address in person.emails:
        query |= Q(sender__iexact=address) | Q(recipient__iexact=address)
    return UnmatchedEmail.objects.filter(query)


@receiver(person_exporting, dispatch_uid="outreach.privacy.export")
def person_export_parts(sender, person: Person, **kwargs) -> list[ExportPart]:
    of_leads = Q(lead_id__in=person.lead_ids)
    return [
        queryset_part("messages", Message.objects.filter(of_leads)),
        queryset_part("message_events", MessageEvent.objects.filter(message__lead_id__in=person.lead_ids)),
        queryset_part("conversations", Conversation.objects.filter(of_leads)),
        queryset_part(
            "conversation_messages", ConversationMessage.objects.filter(conversation__lead_id__in=person.lead_ids)
        ),
        queryset_part("drafts", Draft.objects.filter(of_leads)),
        queryset_part("enrollments", Enrollment.objects.filter(of_leads), extra=("sequence__name",)),
        queryset_part("unmatched_emails", _unmatched(person)),
        queryset_part("email_suppressions", Suppression.objects.filter(email__in=person.emails)),
    ]


def _files(messages) -> list[str]:
    """The stored files of these thread messages: the raw mail and saved attachments."""
    names = []
    for raw, attachments in messages.values_list("raw", "attachments"):
        names += [raw] if raw else []
        names += [item["path"] for item in attachments or [] if isinstance(item, dict) and item.get("path")]
    return names


@receiver(person_erasing, dispatch_uid="outreach.privacy.erase")
def person_erase_part(sender, person: Person, **kwargs) -> dict[str, int]:
    thread = ConversationMessage.objects.filter(conversation__lead_id__in=person.lead_ids)
    unmatched = _unmatched(person)
    files = _files(thread) + [name for name in unmatched.values_list("raw", flat=True) if name]
    counts = {
        "message_events": MessageEvent.objects.filter(message__lead_id__in=person.lead_ids).delete()[0],
        "conversation_messages": thread.delete()[0],
        "unmatched_emails": unmatched.delete()[0],
        "draft_items": DraftItem.objects.filter(lead_id__in=person.lead_ids).delete()[0],
        # The plain address leaves the list: the keyed hash now keeps them from every send (crm.privacy).
        "email_suppressions": Suppression.objects.filter(email__in=person.emails).delete()[0],
        "stored_files": len(files),
    }
    # Files go once the rows are gone for good; a rolled-back erasure keeps them.
    transaction.on_commit(lambda: [default_storage.delete(name) for name in files])
    return counts
