"""Claiming due work, one batch per transaction, so that no message is ever sent twice.

1. Messages claimed long ago by a worker that never confirmed them become 'uncertain': the worker died mid-send and
   may have sent them, so a person decides; they are never resent automatically.
2. A batch of due active enrollments is locked (PostgreSQL: FOR UPDATE SKIP LOCKED, so two workers take different
   ones; SQLite: the batch is taken by one UPDATE conditional on the versions it was read with, inside a transaction
   that already holds the write lock). For each, at send time: the lead not do-not-contact, holding the lawful basis
   the sequence requires (outreach.lawful_basis), an address, not suppressed, both windows open, every cap left
   (send_counts); a WhatsApp step: a number not on the do-not-call list, the
   sequence's window open, and free text only where the lead's 24-hour window is (else the step's template). What
   may go gets its message row (one per enrollment and step) with our Message-ID, status 'sending', the worker and
   the claim time; everything else is skipped, deferred or stopped. All of it commits before any mail server (or
   Twilio) is called.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from crm.locale import zone_or_none
from crm.models import Activity, Lead
from crm.selectors import numbers_not_to_call
from outreach import enrollment_steps as moves
from outreach.channels.whatsapp import leads_with_window_open, template_variables
from outreach.compose import Content, approved_drafts, content_for, message_id_new, variant_choose
from outreach.enrollment_steps import StepBook, TimelineLines
from outreach.grouped_updates import rows_update
from outreach.lawful_basis import lawful_basis_missing
from outreach.mailboxes import mailbox_cap_on
from outreach.merge import render_for_lead
from outreach.models import ConversationMessage, Enrollment, Mailbox, Message, Sequence, SequenceStep, StepVariant
from outreach.send_counts import CAP_NAMES, CapKey, CapsMoved, Scope, allowance_lock
from outreach.suppression import suppression_entry, suppression_reasons
from outreach.windows import Window, day_after, lead_zone, windows_next_open

# Enrollments claimed per transaction: at most this many messages are in flight when a worker dies.
BATCH_SIZE = 50
# A sequence without a mailbox able to send is looked at again after this long.
NO_MAILBOX_WAIT = timedelta(hours=1)


@dataclass
class TickContext:
    """What one tick knows throughout: its clock, its worker's name, the team's zone and the steps read so far."""

    worker: str
    team_zone: ZoneInfo
    fixed_now: datetime | None = None
    steps: StepBook = field(default_factory=StepBook)

    def now(self) -> datetime:
        return self.fixed_now or timezone.now()


@dataclass
class Claimed:
    """One batch: the messages claimed to send or hand to a person, and what else became of the due enrollments."""

    found: int = 0
    emails: list[Message] = field(default_factory=list)
    whatsapp: list[Message] = field(default_factory=list)
    hand_offs: list[Message] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    deferred: Counter = field(default_factory=Counter)


def stale_claims_mark_uncertain(*, now: datetime) -> int:
    """Messages claimed more than OUTREACH_CLAIM_SECONDS ago and never confirmed: 'uncertain', for review (thread
    lines too); how many messages."""
    before = now - timedelta(seconds=settings.OUTREACH_CLAIM_SECONDS)
    error = "Its worker stopped before confirming: it may or may not have gone."
    # A thread's line (WhatsApp, SMS, an acknowledgement) written as 'sending' whose send never came back.
    ConversationMessage.objects.filter(status=ConversationMessage.Status.SENDING, created_at__lt=before).update(
        status=ConversationMessage.Status.UNCERTAIN, error=error
    )
    stale = Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=before)
    return stale.update(status=Message.Status.UNCERTAIN, error=error)


def _due_locked(now: datetime, size: int) -> list[Enrollment]:
    """Up to `size` due enrollments of active sequences, oldest due first, read through the enrollment_due index."""
    due = (
        Enrollment.objects.filter(status=Enrollment.Status.ACTIVE, due_at__lte=now)
        .filter(sequence__status=Sequence.Status.ACTIVE, sequence__is_template=False)
        .select_related("sequence__mailbox", "lead__company")
        .order_by("due_at", "pk")
    )
    if connection.features.has_select_for_update_skip_locked:
        return list(due.select_for_update(skip_locked=True, of=("self",))[:size])
    # SQLite has no row locks: take them all with one UPDATE conditional on their versions being still those read
    # (the transaction began IMMEDIATE, holding the write lock, so this is a second guard, not the only one).
    taken = list(due[:size])
    versions = Q()
    for enrollment in taken:
        versions |= Q(pk=enrollment.pk, version=enrollment.version)
    if taken and Enrollment.objects.filter(versions).update(version=F("version") + 1) != len(taken):
        raise ClaimRaced
    return taken


class ClaimRaced(Exception):
    """Another worker changed an enrollment of the batch between its read and its claim: the batch is rolled back
    and read again."""


@dataclass
class _Candidate:
    enrollment: Enrollment
    step: SequenceStep
    content: Content
    mailbox: Mailbox
    windows: list[Window]
    caps: list[CapKey]


class _BatchClaim:
    """The decisions of one batch, gathered, then written in one go."""

    def __init__(self, context: TickContext, enrollments: list[Enrollment]) -> None:
        self.context = context
        self.now = context.now()
        self.enrollments = enrollments
        self.claimed = Claimed(found=len(enrollments))
        self.new_messages: list[Message] = []
        self.reclaimed: list[Message] = []
        self.candidates: list[_Candidate] = []
        self.cap_limits: dict[CapKey, int] = {}
        self.timeline = TimelineLines()
        steps = {e.pk: context.steps.at(e.sequence_id, e.next_position) for e in enrollments}
        self.steps = steps
        self.existing = {
            (message.enrollment_id, message.step_id): message
            for message in Message.objects.filter(enrollment__in=enrollments)
        }
        # Read at send time, once per batch.
        self.suppressed = suppression_reasons(e.lead.email for e in enrollments)
        variants_with_drafts = any(
            variant.use_approved_draft for step in steps.values() if step for variant in step.variants.all()
        )
        self.drafts = approved_drafts(e.lead_id for e in enrollments) if variants_with_drafts else {}
        texting = [e.lead for e in enrollments if steps[e.pk] and steps[e.pk].kind == SequenceStep.Kind.WHATSAPP]
        self.not_to_call = numbers_not_to_call(lead.phone for lead in texting) if texting else set()
        self.window_open = leads_with_window_open([lead.pk for lead in texting], now=self.now) if texting else set()

    # -- outcomes of the first pass -------------------------------------------------------------------------------

    def _skip(self, enrollment: Enrollment, step: SequenceStep, reason: str, *, stop_reason: str = "") -> None:
        """The step's message is not sent, for `reason`; the enrollment stops for `stop_reason`, else goes on."""
        lead = enrollment.lead
        message = self.existing.get((enrollment.pk, step.pk))
        if message is None:
            message = self._message_new(enrollment, step, status=Message.Status.SKIPPED, to_email=lead.email)
        else:
            message.status = Message.Status.SKIPPED
            self.reclaimed.append(message)
        message.error = reason
        self.claimed.skipped[reason] += 1
        is_email = step.kind == step.Kind.EMAIL
        summary = f"{'Email' if is_email else 'Step'} not sent (sequence {enrollment.sequence.name}, step "
        summary += f"{step.position}): {reason}"
        kind = Activity.Kind.EMAIL_NOT_SENT if is_email else Activity.Kind.SEQUENCE
        self.timeline.add(lead, kind, summary, {"enrollment": enrollment.pk})
        if stop_reason:
            moves.stop(enrollment, stop_reason, at=self.now)
            self.timeline.stopped(enrollment, lead)
        else:
            moves.move_on(enrollment, self.context.steps, at=self.now, zone=self._zone(lead))

    def _defer(self, enrollment: Enrollment, until: datetime, reason: str) -> None:
        moves.wait_until(enrollment, until)
        self.claimed.deferred[reason] += 1

    def _zone(self, lead: Lead) -> ZoneInfo:
        return lead_zone(lead, team=self.context.team_zone)

    def _message_new(self, enrollment: Enrollment, step: SequenceStep, *, status: str, **fields) -> Message:
        message = Message(
            enrollment=enrollment, step=step, lead=enrollment.lead, status=status, created_at=self.now, **fields
        )
        self.new_messages.append(message)
        return message

    def _claim(self, message: Message) -> None:
        message.status = Message.Status.SENDING
        message.claimed_by = self.context.worker
        message.claimed_at = self.now
        message.next_attempt_at = None

    # -- the first pass: everything but the caps ------------------------------------------------------------------

    def decide(self, enrollment: Enrollment) -> None:
        step = self.steps[enrollment.pk]
        lead = enrollment.lead
        if step is None:  # its step was deleted meanwhile: on to the next one, or finished
            moves.move_on(enrollment, self.context.steps, at=self.now, zone=self._zone(lead))
            return
        existing = self.existing.get((enrollment.pk, step.pk))
        if existing is not None:  # the rows this batch already read, rather than a query each
            existing.enrollment, existing.lead, existing.step = enrollment, lead, step
        if existing is not None and existing.status != Message.Status.QUEUED:
            # Its message already has an outcome, or is in flight or under review: never a second one.
            if existing.status in (Message.Status.SENDING, Message.Status.UNCERTAIN):
                moves.wait_until(enrollment, None)
            else:
                moves.move_on(enrollment, self.context.steps, at=self.now, zone=self._zone(lead))
            return
        if lead.do_not_contact:
            self._skip(
                enrollment, step, "the lead is marked do not contact", stop_reason=Enrollment.StopReason.DO_NOT_CONTACT
            )
        elif reason := lawful_basis_missing(enrollment.sequence.require_lawful_basis, lead):
            # Read at send time, as suppression is: a basis removed after enrolling stops the sequence here.
            self._skip(enrollment, step, reason, stop_reason=Enrollment.StopReason.NO_LAWFUL_BASIS)
        elif step.kind == step.Kind.WHATSAPP:
            self._whatsapp(enrollment, step, existing)
        elif step.kind != step.Kind.EMAIL:
            self._hand_off(enrollment, step, existing)
        elif not lead.email:
            self._skip(enrollment, step, "no email address", stop_reason=Enrollment.StopReason.NO_EMAIL)
        elif reason := self.suppressed.get(suppression_entry(lead.email)):
            self._skip(enrollment, step, f"suppressed ({reason})", stop_reason=Enrollment.StopReason.SUPPRESSED)
        else:
            self._email(enrollment, step, existing)

    def _hand_off(self, enrollment: Enrollment, step: SequenceStep, existing: Message | None) -> None:
        message = existing or self._message_new(enrollment, step, status=Message.Status.SENDING)
        self._claim(message)
        if existing is not None:
            self.reclaimed.append(message)
        moves.wait_until(enrollment, None)
        self.claimed.hand_offs.append(message)

    def _whatsapp(self, enrollment: Enrollment, step: SequenceStep, existing: Message | None) -> None:
        sequence, lead = enrollment.sequence, enrollment.lead
        if not lead.phone:
            self._skip(enrollment, step, "no phone number")
            return
        if lead.phone in self.not_to_call:
            self._skip(enrollment, step, "the number is on the do-not-call list")
            return
        window = Window(self._zone(lead), sequence.window_days, sequence.window_start, sequence.window_end)
        opens = windows_next_open(self.now, [window])
        if opens > self.now:
            self._defer(enrollment, opens, "outside the sending window")
            return
        if existing is not None:  # a retry of what was composed when first claimed
            existing.attempts += 1
            self._claim(existing)
            self.reclaimed.append(existing)
        else:
            variant, body, reason = self._whatsapp_content(step, lead)
            if reason:
                self._skip(enrollment, step, reason)
                return
            existing = self._message_new(
                enrollment, step, status=Message.Status.SENDING, variant=variant, body=body, attempts=1
            )
            self._claim(existing)
        moves.wait_until(enrollment, None)
        self.claimed.whatsapp.append(existing)

    def _whatsapp_content(self, step: SequenceStep, lead: Lead) -> tuple[StepVariant | None, str, str]:
        """What a WhatsApp step sends this lead: (variant, its text, "") where the lead's 24-hour window is open and
        the text fills in; (None, "", "") for the step's template, filled at send time; else why nothing can go."""
        variant = variant_choose(step)
        unresolved: list[str] = []
        if variant is not None and lead.pk in self.window_open:
            rendered = render_for_lead("", variant.body, lead)
            if rendered.text.strip() and not rendered.unresolved:
                return variant, rendered.text.strip(), ""
            unresolved = list(rendered.unresolved)
        if step.whatsapp_template is not None:
            unresolved = template_variables(step.whatsapp_template, lead)[1]
            if not unresolved:
                return None, "", ""
        if unresolved:
            return None, "", "unresolved merge fields: " + ", ".join(unresolved)
        return None, "", "the lead's 24-hour WhatsApp window is closed and the step has no template"

    def _email(self, enrollment: Enrollment, step: SequenceStep, existing: Message | None) -> None:
        sequence, lead = enrollment.sequence, enrollment.lead
        mailbox = sequence.mailbox
        if mailbox is None or not mailbox.active:
            self._defer(enrollment, self.now + NO_MAILBOX_WAIT, "the sequence has no active mailbox")
            return
        windows = [
            Window(self._zone(lead), sequence.window_days, sequence.window_start, sequence.window_end),
            Window(self._mailbox_zone(mailbox), mailbox.window_days, mailbox.window_start, mailbox.window_end),
        ]
        opens = windows_next_open(self.now, windows)
        if opens > self.now:
            self._defer(enrollment, opens, "outside the sending window")
            return
        if existing is not None:  # a retry: counted against the caps when first claimed
            existing.mailbox = mailbox
            existing.attempts += 1
            self._claim(existing)
            self.reclaimed.append(existing)
            moves.wait_until(enrollment, None)
            self.claimed.emails.append(existing)
            return
        content = content_for(step, lead, mailbox=mailbox, drafts=self.drafts, variant=variant_choose(step))
        if content.unresolved:
            self._skip(enrollment, step, "unresolved merge fields: " + ", ".join(content.unresolved))
            return
        caps = self._caps(mailbox, sequence, lead.email)
        self.candidates.append(_Candidate(enrollment, step, content, mailbox, windows, caps))

    def _mailbox_zone(self, mailbox: Mailbox) -> ZoneInfo:
        return zone_or_none(mailbox.time_zone) or self.context.team_zone

    def _caps(self, mailbox: Mailbox, sequence: Sequence, email: str) -> list[CapKey]:
        mailbox_day = self.now.astimezone(self._mailbox_zone(mailbox)).date()
        team_day = self.now.astimezone(self.context.team_zone).date()
        caps = {
            CapKey(Scope.MAILBOX, str(mailbox.pk), mailbox_day): mailbox_cap_on(mailbox, mailbox_day),
            CapKey(Scope.SEQUENCE, str(sequence.pk), team_day): sequence.daily_cap,
            CapKey(Scope.DOMAIN, email.rpartition("@")[2].lower(), team_day): settings.OUTREACH_DOMAIN_DAILY_CAP,
        }
        self.cap_limits.update(caps)
        return list(caps)

    # -- the second pass: the caps, under their row locks ---------------------------------------------------------

    def take_caps(self) -> None:
        allowance = allowance_lock(self.cap_limits)
        for candidate in self.candidates:
            reached = allowance.take(candidate.caps)
            if reached is not None:  # wait for the day the cap counts afresh, in the zone it counts days in
                mailbox_cap = reached.scope == Scope.MAILBOX
                zone = self._mailbox_zone(candidate.mailbox) if mailbox_cap else self.context.team_zone
                until = windows_next_open(day_after(self.now, zone), candidate.windows)
                self._defer(candidate.enrollment, until, CAP_NAMES[reached.scope])
                continue
            content = candidate.content
            message = self._message_new(
                candidate.enrollment,
                candidate.step,
                status=Message.Status.SENDING,
                variant=content.variant,
                mailbox=candidate.mailbox,
                to_email=candidate.enrollment.lead.email,
                subject=content.subject[:300],
                body=content.text,
                message_id=message_id_new(candidate.mailbox),
                attempts=1,
            )
            self._claim(message)
            moves.wait_until(candidate.enrollment, None)
            self.claimed.emails.append(message)
        allowance.save()

    def save(self) -> None:
        Message.objects.bulk_create(self.new_messages)
        fields = ["status", "claimed_by", "claimed_at", "next_attempt_at", "attempts", "mailbox", "error"]
        rows_update(self.reclaimed, fields)
        moves.enrollments_save(self.enrollments)
        self.timeline.write()


def batch_claim(context: TickContext, *, size: int = BATCH_SIZE) -> Claimed:
    """Claim the next batch of due enrollments (see the module's steps); `found` 0 when nothing is due."""
    while True:
        try:
            with transaction.atomic():
                enrollments = _due_locked(context.now(), size)
                if not enrollments:
                    return Claimed()
                batch = _BatchClaim(context, enrollments)
                for enrollment in enrollments:
                    batch.decide(enrollment)
                batch.take_caps()
                batch.save()
        except (ClaimRaced, CapsMoved):
            continue
        return batch.claimed
