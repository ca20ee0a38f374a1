"""When a lead's sequences stop: a reply, a bounce, an unsubscribe or complaint (through track's events), a deal
won or lost, a meeting booked; and the reply service the inbox calls."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F, QuerySet
from django.dispatch import receiver
from django.utils import timezone

from crm.models import Activity, Lead, Stage, User
from crm.services.leads import lead_promote
from crm.services.timeline import activities_record_each, activity_record, shown_value
from crm.signals import lead_activity_recorded, lead_consent_withdrawn, lead_stage_changed
from crm.webhooks.events import EventType
from crm.webhooks.publish import lead_event_publish
from outreach.models import Enrollment, Message, MessageEvent, Sequence, Suppression
from outreach.suppression import suppress

OPEN_STATUSES = [Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED]
# A stage of these kinds ends the deal, and with it every sequence the lead is in.
STOPPING_STAGE_KINDS = {Stage.Kind.WON: Enrollment.StopReason.WON, Stage.Kind.LOST: Enrollment.StopReason.LOST}


def _enrollments_end(enrollments: QuerySet[Enrollment], *, status: str, reason: str, at: datetime.datetime) -> int:
    """Stop (or pause) these enrollments in one UPDATE, raising their version, with a timeline line for each."""
    chosen = list(enrollments.select_for_update().select_related("sequence", "lead").filter(status__in=OPEN_STATUSES))
    if not chosen:
        return 0
    changes = {"status": status, "stop_reason": reason, "version": F("version") + 1}
    if status == Enrollment.Status.STOPPED:
        changes |= {"due_at": None, "finished_at": at}
    Enrollment.objects.filter(pk__in=[enrollment.pk for enrollment in chosen]).update(**changes)
    verb = "Stopped" if status == Enrollment.Status.STOPPED else "Paused"
    label = Enrollment.StopReason(reason).label.lower()
    lines = [
        (enrollment.lead, f"{verb} sequence {enrollment.sequence.name}: {label}", {"sequence": enrollment.sequence_id})
        for enrollment in chosen
    ]
    activities_record_each(actor=None, kind=Activity.Kind.SEQUENCE, lines=lines, rescore=False)
    return len(chosen)


@transaction.atomic
def lead_enrollments_stop(lead: Lead, reason: str, *, at: datetime.datetime | None = None,
                          exclude_sequence: Sequence | None = None) -> int:  # fmt: skip
    """Stop every open enrollment of the lead for this Enrollment.StopReason; how many stopped."""
    enrollments = Enrollment.objects.filter(lead=lead)
    if exclude_sequence is not None:
        enrollments = enrollments.exclude(sequence=exclude_sequence)
    return _enrollments_end(enrollments, status=Enrollment.Status.STOPPED, reason=reason, at=at or timezone.now())


@transaction.atomic
def lead_opt_out(
    lead: Lead,
    *,
    address: str,
    reason: str,
    stop: str,
    message: Message | None = None,
    note: str = "",
    actor: User | None = None,
    at: datetime.datetime | None = None,
) -> int:
    """What every opt-out does (an unsubscribe, a complaint, a hard bounce, consent withdrawn): the address gets no
    more sequence email (Suppression.Reason `reason`) and the lead's sequences stop (Enrollment.StopReason `stop`).
    How many enrollments stopped."""
    if address:
        suppress(address, reason, message=message, note=note, user=actor)
    return lead_enrollments_stop(lead, stop, at=at)


@transaction.atomic
def lead_unsubscribe(
    lead: Lead,
    *,
    via: str,
    summary: str,
    address: str = "",
    note: str = "",
    actor: User | None = None,
    at: datetime.datetime | None = None,
) -> int:
    """The lead asked for no more email other than by a sequence email's own link (which outreach.events records on
    its message): the address (`address`, else the lead's) is suppressed, every sequence stops, the timeline and the
    webhooks say so. How many enrollments stopped."""
    activity_record(lead=lead, actor=actor, kind=Activity.Kind.UNSUBSCRIBED, summary=summary)
    stopped = lead_opt_out(lead, address=address or lead.email, reason=Suppression.Reason.UNSUBSCRIBED,
                           stop=Enrollment.StopReason.UNSUBSCRIBED, note=note, actor=actor, at=at)  # fmt: skip
    lead_event_publish(EventType.LEAD_UNSUBSCRIBED, lead, channel="email", via=via)
    return stopped


@receiver(lead_consent_withdrawn, dispatch_uid="outreach_unsubscribe_on_consent_withdrawn")
def unsubscribe_on_consent_withdrawn(sender, *, lead: Lead, actor: User | None, via: str, at, **kwargs) -> None:
    # Withdrawing consent is an unsubscribe: one rule for both.
    lead_unsubscribe(lead, via=via, summary=f"Unsubscribed: consent withdrawn ({via})", note="Consent withdrawn",
                     actor=actor, at=at)  # fmt: skip


@transaction.atomic
def lead_replied(lead: Lead, *, message: Message | None = None, at: datetime.datetime | None = None) -> int:
    """A lead answered: the reply lands on the message it answered (or the timeline), the lead's sequences stop,
    colleagues at the same company pause in the sequences that ask for it, and a contact becomes a lead. Returns
    how many enrollments stopped or paused."""
    at = at or timezone.now()
    if message is not None:
        from outreach.events import event_record  # the track part's; it writes the message and the timeline

        event_record(message, MessageEvent.Kind.REPLIED, occurred_at=at)
    # The timeline line, with or without the message answered: the score counts it as engagement.
    answered = f" to “{shown_value(message.subject)}”" if message is not None and message.subject else ""
    data = {"message": message.pk} if message is not None else {}
    activity_record(lead=lead, actor=None, kind=Activity.Kind.REPLIED, summary=f"Replied{answered}", data=data)
    # The sequences the lead was in before stopping them: those may pause the whole company.
    company_pausing = list(
        Sequence.objects.filter(
            enrollments__lead=lead, enrollments__status__in=OPEN_STATUSES, pause_company_on_reply=True
        ).values_list("pk", flat=True)
    )
    changed = lead_enrollments_stop(lead, Enrollment.StopReason.REPLIED, at=at)
    if company_pausing and lead.company_id:
        colleagues = Enrollment.objects.filter(
            sequence__in=company_pausing, lead__company_id=lead.company_id, status=Enrollment.Status.ACTIVE
        ).exclude(lead=lead)
        changed += _enrollments_end(
            colleagues, status=Enrollment.Status.PAUSED, reason=Enrollment.StopReason.COMPANY_REPLIED, at=at
        )
    lead_promote(lead=lead, actor=None, reason="reply")
    return changed


@receiver(lead_stage_changed, dispatch_uid="outreach_stop_on_won_or_lost")
def stop_on_won_or_lost(sender, *, lead_ids: list[int], stage: Stage, **kwargs) -> None:
    reason = STOPPING_STAGE_KINDS.get(stage.kind)
    if reason is None:
        return
    with transaction.atomic():
        _enrollments_end(
            Enrollment.objects.filter(lead_id__in=lead_ids), status=Enrollment.Status.STOPPED, reason=reason,
            at=timezone.now(),
        )  # fmt: skip


@receiver(lead_activity_recorded, dispatch_uid="outreach_stop_on_meeting")
def stop_on_meeting(sender, *, activity: Activity, **kwargs) -> None:
    if activity.kind == Activity.Kind.MEETING_BOOKED:
        lead_enrollments_stop(activity.lead, Enrollment.StopReason.MEETING, at=activity.created_at)
