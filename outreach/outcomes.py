"""What became of claimed messages, recorded: sent (the enrollment moves on), worth retrying (queued again with a
growing wait, then failed), refused for good (failed with the server's answer; that one enrollment stops; an address
refused for good is suppressed as a hard bounce), or uncertain (for a person). Also a person's verdict on an
uncertain message, and moving an enrollment on by hand."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.models import Activity, User
from crm.services.timeline import activity_record
from leadflow.roles import require_edit_lead
from outreach import enrollment_steps as moves
from outreach.claims import TickContext
from outreach.delivery import Delivery
from outreach.enrollment_steps import StepBook, TimelineLines, still_running
from outreach.grouped_updates import rows_update
from outreach.models import Enrollment, Message, SequenceStep, Suppression
from outreach.suppression import suppress
from outreach.windows import lead_zone

# Waits between attempts after a temporary failure: 5 minutes, then 10, 20... at most 6 hours.
RETRY_FIRST_WAIT = timedelta(minutes=5)
RETRY_LONGEST_WAIT = timedelta(hours=6)

MESSAGE_OUTCOME_FIELDS = [
    "status", "sent_at", "provider_message_id", "error", "next_attempt_at", "bounced_at", "bounce_kind",
]  # fmt: skip


def retry_wait(attempts: int) -> timedelta:
    return min(RETRY_FIRST_WAIT * 2 ** max(attempts - 1, 0), RETRY_LONGEST_WAIT)


def _where(message: Message) -> str:
    return f"sequence {message.enrollment.sequence.name}, step {message.step.position}"


def _is_email(message: Message) -> bool:
    return message.step.kind == SequenceStep.Kind.EMAIL


class _Outcomes:
    def __init__(self, context: TickContext, enrollments: dict[int, Enrollment]) -> None:
        self.context = context
        self.now = context.now()
        self.enrollments = enrollments
        self.timeline = TimelineLines()
        self.counts: Counter = Counter()
        self.refused: list[Message] = []

    def _enrollment(self, message: Message) -> Enrollment:
        enrollment = self.enrollments[message.enrollment_id]
        enrollment.sequence = message.enrollment.sequence  # already read by the claim: names for the timeline
        return enrollment

    def moved_on(self, message: Message) -> None:
        enrollment = self._enrollment(message)
        if still_running(enrollment):
            zone = lead_zone(message.lead, team=self.context.team_zone)
            moves.move_on(enrollment, self.context.steps, at=self.now, zone=zone)

    def sent(self, message: Message, delivery: Delivery) -> None:
        message.status = Message.Status.SENT
        message.sent_at = self.now
        message.provider_message_id = delivery.provider_message_id
        message.error = ""
        if _is_email(message):
            summary, kind = f"Email sent: “{message.subject}” ({_where(message)})", Activity.Kind.EMAIL_SENT
        else:
            summary, kind = f"{message.step.get_kind_display()} sent ({_where(message)})", Activity.Kind.SEQUENCE
        self.timeline.add(message.lead, kind, summary, {"message": message.pk})
        self.moved_on(message)
        self.counts["sent"] += 1

    def failed(self, message: Message, error: str) -> None:
        message.status = Message.Status.FAILED
        message.error = error
        what = "Email" if _is_email(message) else message.step.get_kind_display()
        summary = f"{what} not sent ({_where(message)}): {error}"
        kind = Activity.Kind.EMAIL_NOT_SENT if _is_email(message) else Activity.Kind.SEQUENCE
        self.timeline.add(message.lead, kind, summary, {"message": message.pk})
        enrollment = self._enrollment(message)
        if still_running(enrollment):
            moves.stop(enrollment, Enrollment.StopReason.FAILED, at=self.now)
            self.timeline.stopped(enrollment, message.lead)
        self.counts["failed"] += 1

    def transient(self, message: Message, delivery: Delivery) -> None:
        if message.attempts >= settings.OUTREACH_SEND_ATTEMPTS:
            self.failed(message, f"gave up after {message.attempts} attempts: {delivery.error}")
            return
        message.status = Message.Status.QUEUED
        message.error = delivery.error
        message.next_attempt_at = self.now + retry_wait(message.attempts)
        enrollment = self._enrollment(message)
        if still_running(enrollment):  # the enrollment comes due again for the retry
            moves.wait_until(enrollment, message.next_attempt_at)
        self.counts["retrying"] += 1

    def permanent(self, message: Message, delivery: Delivery) -> None:
        self.failed(message, delivery.error)
        if delivery.recipient_refused:
            message.bounced_at, message.bounce_kind = self.now, "hard"
            self.refused.append(message)

    def uncertain(self, message: Message, delivery: Delivery) -> None:
        message.status = Message.Status.UNCERTAIN
        message.error = delivery.error
        self.counts["uncertain"] += 1


def outcomes_record(
    context: TickContext, delivered: list[tuple[Message, Delivery]], handed_off: list[Message]
) -> Counter:
    """Record a batch's outcomes in one transaction; counts of sent, retrying, failed, uncertain, handed_off."""
    messages = [message for message, _delivery in delivered]
    if not messages and not handed_off:
        return Counter()
    with transaction.atomic():
        ids = {message.enrollment_id for message in [*messages, *handed_off]}
        # Locked, and read afresh: a reply or a pause that came while the batch was sending stands.
        enrollments = Enrollment.objects.select_for_update().in_bulk(ids)
        outcomes = _Outcomes(context, enrollments)
        for message, delivery in delivered:
            getattr(outcomes, delivery.result)(message, delivery)
        for message in handed_off:
            outcomes.moved_on(message)
        outcomes.counts["handed_off"] += len(handed_off)
        # A hand-off set its message's status itself; one it did not finish is marked as a task all the same.
        Message.objects.filter(pk__in=[m.pk for m in handed_off], status=Message.Status.SENDING).update(
            status=Message.Status.TASK
        )
        rows_update(messages, MESSAGE_OUTCOME_FIELDS)
        moves.enrollments_save(enrollments.values())
        outcomes.timeline.write()
        for message in outcomes.refused:
            suppress(message.to_email, Suppression.Reason.HARD_BOUNCE, message=message, note=message.error[:300])
    return outcomes.counts


@transaction.atomic
def enrollment_advance(enrollment: Enrollment, *, now: datetime | None = None) -> None:
    """Move the enrollment to its next step, due per the step's delay in the lead's zone, or finish it."""
    locked = Enrollment.objects.select_for_update(of=("self",)).select_related("lead__company").get(pk=enrollment.pk)
    if still_running(locked):
        moves.move_on(locked, StepBook(), at=now or timezone.now(), zone=lead_zone(locked.lead))
        moves.enrollments_save([locked])
        locked.refresh_from_db(fields=[*moves.ENROLLMENT_FIELDS, "version"])
    for name in [*moves.ENROLLMENT_FIELDS, "version"]:
        setattr(enrollment, name, getattr(locked, name))


@transaction.atomic
def message_reviewed(message: Message, *, sent: bool, actor: User, now: datetime | None = None) -> None:
    """A person's verdict on an 'uncertain' message: it went (the enrollment moves on), or it did not (queued again,
    once: a message uncertain a second time and judged unsent fails rather than risk a third copy)."""
    locked = Message.objects.select_for_update(of=("self",)).select_related("lead", "step").get(pk=message.pk)
    require_edit_lead(actor, locked.lead)
    if locked.status != Message.Status.UNCERTAIN:
        raise ValidationError("This message is not waiting for a review any more.")
    now = now or timezone.now()
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",)).select_related("sequence").get(pk=locked.enrollment_id)
    )
    where = f"sequence {enrollment.sequence.name}, step {locked.step.position}"
    if sent:
        locked.status, locked.sent_at, locked.reviewed_as = Message.Status.SENT, locked.claimed_at or now, "sent"
        summary = f"Email sent: “{locked.subject}” ({where}), confirmed on review"
        activity_record(lead=locked.lead, actor=actor, kind=Activity.Kind.EMAIL_SENT, summary=summary)
        if still_running(enrollment):
            moves.move_on(enrollment, StepBook(), at=now, zone=lead_zone(locked.lead))
    elif locked.reviewed_as == "not_sent":
        locked.status, locked.error = Message.Status.FAILED, "Uncertain again after being sent once more: not resent."
        summary = f"Email not sent ({where}): {locked.error}"
        activity_record(lead=locked.lead, actor=actor, kind=Activity.Kind.EMAIL_NOT_SENT, summary=summary)
        if still_running(enrollment):
            moves.stop(enrollment, Enrollment.StopReason.FAILED, at=now)
    else:
        locked.status, locked.reviewed_as, locked.next_attempt_at = Message.Status.QUEUED, "not_sent", now
        summary = f"Email to be sent again ({where}): judged not sent on review"
        activity_record(lead=locked.lead, actor=actor, kind=Activity.Kind.SEQUENCE, summary=summary)
        if still_running(enrollment):
            moves.wait_until(enrollment, now)
    locked.save(update_fields=["status", "sent_at", "reviewed_as", "error", "next_attempt_at"])
    moves.enrollments_save([enrollment])
    message.refresh_from_db()
