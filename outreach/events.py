"""STAND-IN for the track part's event recording (dropped at merge)."""

from __future__ import annotations

from django.utils import timezone

from outreach.models import Message, MessageEvent

_PERSON_FIELDS = {
    MessageEvent.Kind.DELIVERED: "delivered_at",
    MessageEvent.Kind.OPENED: "opened_at",
    MessageEvent.Kind.CLICKED: "clicked_at",
    MessageEvent.Kind.REPLIED: "replied_at",
    MessageEvent.Kind.BOUNCED: "bounced_at",
    MessageEvent.Kind.UNSUBSCRIBED: "unsubscribed_at",
}


def event_record(message, kind, *, occurred_at=None, machine=False, machine_reason="", url="",
                 provider_event_id="", via="", data=None):  # fmt: skip
    occurred_at = occurred_at or timezone.now()
    event = MessageEvent.objects.create(
        message=message, kind=kind, occurred_at=occurred_at, machine=machine, machine_reason=machine_reason,
        url=url, provider_event_id=provider_event_id, via=via, data=data or {},
    )  # fmt: skip
    field = _PERSON_FIELDS.get(kind)
    if field and not machine:
        Message.objects.filter(pk=message.pk, **{f"{field}__isnull": True}).update(**{field: occurred_at})
    return event
