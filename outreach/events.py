"""What happened to a sent message (delivered, opened, clicked, bounced, complained, unsubscribed), from the open
pixel, the click redirects, the unsubscribe page and the email services' webhooks: one place where an event lands on
the message, the lead's timeline, the suppression list and the lead's enrollments.

A machine's open or click (outreach.machines) is kept as an event and does nothing else."""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone

from crm.models import Activity
from crm.services.stale import leads_mark_stale
from crm.services.timeline import activity_record, shown_value
from crm.webhooks.events import EventType
from crm.webhooks.publish import lead_event_publish
from outreach.machines import LINK_BURST, link_burst_clicks
from outreach.models import Enrollment, Message, MessageEvent, Suppression
from outreach.stop_conditions import lead_opt_out

Kind = MessageEvent.Kind
HARD, SOFT = "hard", "soft"
# An RFC 3463 enhanced status code in a server's reply ("550 5.1.1 User unknown"): its class says hard or soft.
ENHANCED_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")


def bounce_kind(*, severity: str = "", code: object = None, text: str = "") -> str:
    """ "hard" or "soft": the provider's severity (Mailgun's permanent or temporary) when given, else the enhanced
    status code in the reply (5.x.x hard, 4.x.x soft), else the SMTP reply code (5xx hard, 4xx soft); a bounce that
    says nothing more is taken as hard."""
    if severity in {"permanent", "temporary"}:
        return HARD if severity == "permanent" else SOFT
    status = ENHANCED_STATUS.search(text or "") or ENHANCED_STATUS.fullmatch(str(code or ""))
    if status:
        return SOFT if status.group(1) == "4" else HARD
    return SOFT if str(code or "").startswith("4") else HARD


def _event_create(message: Message, kind: str, **fields) -> MessageEvent | None:
    """The event row, or None when its provider id was kept already (a replayed webhook)."""
    provider_event_id = fields["provider_event_id"]
    if provider_event_id and MessageEvent.objects.filter(provider_event_id=provider_event_id).exists():
        return None
    try:
        with transaction.atomic():
            return MessageEvent.objects.create(message=message, kind=kind, **fields)
    except IntegrityError:
        return None  # the same webhook delivered twice at once: the other request kept it


def _first(message: Message, field: str, at: datetime.datetime, **also) -> bool:
    """Set the message's `field` to `at` unless it is set (a conditional update: a sender may be saving the row);
    True when this call set it."""
    changed = Message.objects.filter(pk=message.pk, **{f"{field}__isnull": True}).update(**{field: at}, **also) == 1
    if changed:
        setattr(message, field, at)
        for name, value in also.items():
            setattr(message, name, value)
    return changed


def _timeline(message: Message, event: MessageEvent, kind: str, summary: str) -> None:
    data = {"message": message.pk, "event": event.pk}
    activity_record(lead=message.lead, actor=None, kind=kind, summary=summary, data=data)


def _address(message: Message) -> str:
    return message.to_email or message.lead.email


def _opt_out(message: Message, event: MessageEvent, reason: str, stop: str) -> None:
    """The address gets no more sequence email and the lead's sequences stop."""
    lead_opt_out(message.lead, address=_address(message), reason=reason, stop=stop, message=message,
                 at=event.occurred_at)  # fmt: skip


def _subject(message: Message) -> str:
    return f"“{shown_value(message.subject or 'no subject')}”"


def _delivered(message: Message, event: MessageEvent) -> None:
    _first(message, "delivered_at", event.occurred_at)


def _opened(message: Message, event: MessageEvent) -> None:
    _first(message, "opened_at", event.occurred_at)
    _timeline(message, event, Activity.Kind.EMAIL_OPENED, f"Opened {_subject(message)}")


def _clicked(message: Message, event: MessageEvent) -> None:
    # A click is an open too, when the mail program blocked the pixel.
    _first(message, "opened_at", event.occurred_at)
    _first(message, "clicked_at", event.occurred_at)
    _timeline(message, event, Activity.Kind.EMAIL_CLICKED, f"Clicked {shown_value(event.url)} in {_subject(message)}")


def _bounced(message: Message, event: MessageEvent) -> None:
    if _first(message, "bounced_at", event.occurred_at, bounce_kind=HARD):
        detail = event.data.get("reply") or "the address does not take mail"
        _timeline(message, event, Activity.Kind.EMAIL_BOUNCED, f"{_subject(message)} bounced: {detail}")
    _opt_out(message, event, Suppression.Reason.HARD_BOUNCE, Enrollment.StopReason.BOUNCED)


def _soft_bounced(message: Message, event: MessageEvent) -> None:
    """A soft bounce is retried; the address is suppressed only once it soft-bounced on enough different messages."""
    Message.objects.filter(pk=message.pk, bounced_at__isnull=True).update(bounce_kind=SOFT)
    address = _address(message)
    bounced_messages = (
        MessageEvent.objects.filter(kind=Kind.DEFERRED, message__to_email__iexact=address)
        .values("message")
        .distinct()
        .count()
    )
    threshold = settings.OUTREACH_SOFT_BOUNCES_TO_SUPPRESS
    if bounced_messages < threshold:
        return
    if bounced_messages == threshold:
        summary = f"{_subject(message)} soft-bounced; {threshold} soft bounces: the address gets no more email"
        _timeline(message, event, Activity.Kind.EMAIL_BOUNCED, summary)
    _opt_out(message, event, Suppression.Reason.SOFT_BOUNCES, Enrollment.StopReason.BOUNCED)


def _complained(message: Message, event: MessageEvent) -> None:
    if _first(message, "complained_at", event.occurred_at):
        _timeline(message, event, Activity.Kind.UNSUBSCRIBED, f"Marked {_subject(message)} as spam")
    _opt_out(message, event, Suppression.Reason.COMPLAINT, Enrollment.StopReason.COMPLAINED)


def _unsubscribed(message: Message, event: MessageEvent) -> None:
    if _first(message, "unsubscribed_at", event.occurred_at):
        _timeline(message, event, Activity.Kind.UNSUBSCRIBED, f"Unsubscribed from sequence email ({event.via})")
        lead_event_publish(EventType.LEAD_UNSUBSCRIBED, message.lead, channel="email", via=event.via or "")
    _opt_out(message, event, Suppression.Reason.UNSUBSCRIBED, Enrollment.StopReason.UNSUBSCRIBED)


def _replied(message: Message, event: MessageEvent) -> None:
    # The reply service (lead_replied) writes the timeline line and stops the sequences; here only the time.
    _first(message, "replied_at", event.occurred_at)


def _failed(message: Message, event: MessageEvent) -> None:
    detail = event.data.get("reply") or "refused by the email service"
    _timeline(message, event, Activity.Kind.EMAIL_NOT_SENT, f"{_subject(message)} not sent: {detail}")


EFFECTS = {
    Kind.DELIVERED: _delivered,
    Kind.OPENED: _opened,
    Kind.CLICKED: _clicked,
    Kind.BOUNCED: _bounced,
    Kind.DEFERRED: _soft_bounced,
    Kind.COMPLAINED: _complained,
    Kind.UNSUBSCRIBED: _unsubscribed,
    Kind.REPLIED: _replied,
    Kind.FAILED: _failed,
}


def _link_burst_unmark(message: Message, event: MessageEvent) -> None:
    """A burst that clicked every link is a scanner's from its first click on: the clicks before this one were taken
    for a person's, so they become machine clicks, their timeline lines say so, and the message's times are read
    again from what people did."""
    earlier = link_burst_clicks(message, event.occurred_at).filter(machine=False).exclude(pk=event.pk)
    ids = list(earlier.values_list("pk", flat=True))
    if not ids:
        return
    MessageEvent.objects.filter(pk__in=ids).update(machine=True, machine_reason=LINK_BURST)
    lines = Activity.objects.filter(lead_id=message.lead_id, kind=Activity.Kind.EMAIL_CLICKED, data__event__in=ids)
    for activity in lines:
        activity.data = {**activity.data, "machine": True}
        activity.save(update_fields=["data"])
    leads_mark_stale([message.lead_id])
    people = message.events.filter(machine=False)
    times = people.aggregate(
        opened=Min("occurred_at", filter=Q(kind__in=[Kind.OPENED, Kind.CLICKED])),
        clicked=Min("occurred_at", filter=Q(kind=Kind.CLICKED)),
    )
    Message.objects.filter(pk=message.pk).update(opened_at=times["opened"], clicked_at=times["clicked"])
    message.opened_at, message.clicked_at = times["opened"], times["clicked"]


@transaction.atomic
def event_record(
    message: Message,
    kind: str,
    *,
    occurred_at: datetime.datetime | None = None,
    machine: bool = False,
    machine_reason: str = "",
    url: str = "",
    provider_event_id: str = "",
    via: str = "",
    data: dict | None = None,
) -> MessageEvent | None:
    """Keep what happened to `message` and act on it; None when it is a replay of an event already kept.

    A bounce is stored as BOUNCED when hard and DEFERRED when soft: `data` may say which ("bounce": "hard"/"soft"),
    else it is read from data's "severity" (Mailgun's), "reply" (the server's words) and "code" (its reply code).
    """
    data = dict(data or {})
    if kind in {Kind.BOUNCED, Kind.DEFERRED}:
        data["bounce"] = data.get("bounce") or (
            SOFT
            if kind == Kind.DEFERRED
            else bounce_kind(severity=data.get("severity", ""), code=data.get("code"), text=data.get("reply", ""))
        )
        kind = Kind.BOUNCED if data["bounce"] == HARD else Kind.DEFERRED
    event = _event_create(
        message,
        kind,
        occurred_at=occurred_at or timezone.now(),
        machine=machine,
        machine_reason=machine_reason[:120],
        url=url[:2000],
        provider_event_id=provider_event_id[:255],
        via=via[:20],
        data=data,
    )
    if event is None:
        return None
    if machine:
        if machine_reason == LINK_BURST:
            _link_burst_unmark(message, event)
        return event
    EFFECTS[kind](message, event)
    return event
