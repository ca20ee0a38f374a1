"""Putting leads into a sequence (in bulk: a handful of queries for ten thousand leads) and pausing, resuming or
removing one enrollment."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from crm.models import Lead, User
from leadflow.roles import can_edit_owned_by, require_edit_lead, require_write
from outreach.lawful_basis import lawful_basis_missing
from outreach.models import Enrollment, Sequence
from outreach.sequences import sequence_has_email_steps, sequence_timeline, step_due_after
from outreach.suppression import suppression_entry, suppression_reasons
from outreach.windows import lead_zone

# Why a lead was not enrolled, as enroll() counts them, in the order pages list them.
SKIP_REASONS = {
    "not_yours": "not yours to change",
    "do_not_contact": "marked do-not-contact",
    "suppressed": "on the suppression list",
    "no_lawful_basis": "without the lawful basis the sequence requires",
    "no_email": "no email address",
    "already_enrolled": "already in this sequence",
}
BATCH = 1_000


@dataclass
class EnrollResult:
    enrolled: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    @property
    def skipped_lines(self) -> list[str]:
        """ "12 marked do-not-contact", in SKIP_REASONS' order."""
        return [f"{self.skipped[key]} {label}" for key, label in SKIP_REASONS.items() if self.skipped.get(key)]


@transaction.atomic
def enroll(sequence: Sequence, leads: QuerySet[Lead] | Iterable[Lead], *, actor: User | None) -> EnrollResult:
    """Enroll the leads the actor may change, skipping (and counting) those marked do-not-contact, suppressed,
    without the lawful basis the sequence requires, without an email when the sequence sends email, or already in
    it; the first step falls due after its delay."""
    if actor is not None:
        require_write(actor)
    # One enroller at a time per sequence, so "already enrolled" is read after the last one committed.
    sequence = Sequence.objects.select_for_update().get(pk=sequence.pk)
    if sequence.is_template:
        raise ValidationError("A ready sequence is not sent: clone it, then enroll leads in the clone.")
    if sequence.status == Sequence.Status.ARCHIVED:
        raise ValidationError("This sequence is archived.")
    first_step = sequence.steps.order_by("position").first()
    if first_step is None:
        raise ValidationError("This sequence has no steps yet.")
    if not isinstance(leads, QuerySet):
        leads = Lead.objects.filter(pk__in=[lead.pk for lead in leads])
    result = EnrollResult()
    candidates = list(leads.order_by().distinct())
    enrolled_ids = set(
        Enrollment.objects.filter(sequence=sequence, lead__in=leads.order_by().values("pk")).values_list(
            "lead_id", flat=True
        )
    )
    needs_email = sequence_has_email_steps(sequence)
    suppressed = suppression_reasons(lead.email for lead in candidates)
    now = timezone.now()
    chosen: list[Lead] = []
    for lead in candidates:
        if actor is not None and not can_edit_owned_by(actor, lead.owner_id):
            result.skip("not_yours")
        elif lead.do_not_contact:
            result.skip("do_not_contact")
        elif lead.email and suppression_entry(lead.email) in suppressed:
            result.skip("suppressed")
        elif lawful_basis_missing(sequence.require_lawful_basis, lead):
            result.skip("no_lawful_basis")
        elif needs_email and not lead.email:
            result.skip("no_email")
        elif lead.pk in enrolled_ids:
            result.skip("already_enrolled")
        else:
            chosen.append(lead)
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                sequence=sequence,
                lead=lead,
                next_position=first_step.position,
                enrolled_by=actor,
                enrolled_at=now,
                # A delay of 0 never needs the zone; the zone is worked out per lead only when it matters.
                due_at=step_due_after(first_step, now, lead_zone(lead)) if first_step.delay_days else now,
            )
            for lead in chosen
        ],
        batch_size=BATCH,
    )
    sequence_timeline(chosen, f"Enrolled in sequence {sequence.name}", sequence, actor)
    result.enrolled = len(chosen)
    return result


def _enrollment_change(enrollment: Enrollment, actor: User, *, allowed: set[str], changes: dict, line: str) -> bool:
    """Apply a person's change to one enrollment if it is in one of the `allowed` statuses; False when it was not."""
    require_edit_lead(actor, enrollment.lead)
    changed = Enrollment.objects.filter(pk=enrollment.pk, status__in=allowed).update(
        **changes, version=F("version") + 1
    )
    if changed:
        sequence_timeline(
            [enrollment.lead], f"{line} in sequence {enrollment.sequence.name}", enrollment.sequence, actor
        )
        enrollment.refresh_from_db()
    return bool(changed)


@transaction.atomic
def enrollment_pause(*, enrollment: Enrollment, actor: User) -> bool:
    return _enrollment_change(
        enrollment, actor, allowed={Enrollment.Status.ACTIVE}, changes={"status": Enrollment.Status.PAUSED},
        line="Paused",
    )  # fmt: skip


@transaction.atomic
def enrollment_resume(*, enrollment: Enrollment, actor: User) -> bool:
    """Send again from where it stood (a step overdue while paused goes out at the next window)."""
    changes = {"status": Enrollment.Status.ACTIVE, "stop_reason": ""}
    return _enrollment_change(enrollment, actor, allowed={Enrollment.Status.PAUSED}, changes=changes, line="Resumed")


@transaction.atomic
def enrollment_remove(*, enrollment: Enrollment, actor: User) -> bool:
    changes = {
        "status": Enrollment.Status.STOPPED, "stop_reason": Enrollment.StopReason.REMOVED, "due_at": None,
        "finished_at": timezone.now(),
    }  # fmt: skip
    allowed = {Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED}
    return _enrollment_change(enrollment, actor, allowed=allowed, changes=changes, line="Removed")


@transaction.atomic
def lead_enrollments_postpone(lead: Lead, *, until: datetime.datetime, why: str) -> int:
    """Hold the next step of the lead's active enrollments until `until` where it was due sooner (an out-of-office
    naming the day its writer is back), raising each one's version so a scheduler's stale write is refused; how
    many moved."""
    moving = list(
        Enrollment.objects.select_for_update()
        .select_related("sequence")
        .filter(lead=lead, status=Enrollment.Status.ACTIVE, due_at__lt=until)
    )
    Enrollment.objects.filter(pk__in=[enrollment.pk for enrollment in moving]).update(
        due_at=until, version=F("version") + 1
    )
    for enrollment in moving:
        line = f"Next step in sequence {enrollment.sequence.name} held until {until:%d %B %Y}: {why}"
        sequence_timeline([lead], line, enrollment.sequence, None)
    return len(moving)
