"""Where an enrollment goes after a step: on to the next step (due per the step's delay in the lead's zone), finished,
stopped, or waiting; and the timeline lines a batch writes. Shared by the claim and by the outcomes, which change
many enrollments at once and save them together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import F

from crm.models import Activity, Lead
from crm.services.timeline import activities_record_each
from outreach.grouped_updates import rows_update
from outreach.models import Enrollment, SequenceStep
from outreach.sequences import step_due_after

# The enrollment fields the scheduler writes; each write raises the version too.
ENROLLMENT_FIELDS = ["status", "next_position", "due_at", "stop_reason", "finished_at"]


class StepBook:
    """The steps of each sequence a tick meets, with their variants and templates, read once per tick."""

    def __init__(self) -> None:
        self._steps: dict[int, list[SequenceStep]] = {}

    def steps(self, sequence_id: int) -> list[SequenceStep]:
        if sequence_id not in self._steps:
            steps = SequenceStep.objects.filter(sequence_id=sequence_id).select_related("whatsapp_template")
            steps = steps.prefetch_related("variants__template")
            self._steps[sequence_id] = list(steps.order_by("position"))
        return self._steps[sequence_id]

    def at(self, sequence_id: int, position: int) -> SequenceStep | None:
        return next((step for step in self.steps(sequence_id) if step.position == position), None)

    def after(self, sequence_id: int, position: int) -> SequenceStep | None:
        return next((step for step in self.steps(sequence_id) if step.position > position), None)


def still_running(enrollment: Enrollment) -> bool:
    """Whether the scheduler may still move it: a stop or finish that came meanwhile (a reply) stands."""
    return enrollment.status in (Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED)


def move_on(enrollment: Enrollment, steps: StepBook, *, at: datetime, zone: ZoneInfo) -> None:
    """To the step after the current one, due `step_due_after` it counted from `at`, or finished after the last
    (unsaved). A paused enrollment moves on too and stays paused."""
    following = steps.after(enrollment.sequence_id, enrollment.next_position)
    if following is None:
        enrollment.status = Enrollment.Status.FINISHED
        enrollment.due_at = None
        enrollment.finished_at = at
    else:
        enrollment.next_position = following.position
        enrollment.due_at = step_due_after(following, at, zone)


def stop(enrollment: Enrollment, reason: str, *, at: datetime) -> None:
    """Stopped for `reason` (an Enrollment.StopReason), unsaved."""
    enrollment.status = Enrollment.Status.STOPPED
    enrollment.stop_reason = reason
    enrollment.due_at = None
    enrollment.finished_at = at


def wait_until(enrollment: Enrollment, when: datetime | None) -> None:
    """Due again at `when`; None while its message waits for a worker's answer or a person's review."""
    enrollment.due_at = when


def enrollments_save(enrollments: Iterable[Enrollment]) -> None:
    """Write what the scheduler changed, raising each one's version (rows locked by the caller)."""
    rows_update(enrollments, ENROLLMENT_FIELDS, version=F("version") + 1)


class TimelineLines:
    """Timeline lines gathered over a batch and written together, a bulk insert per kind."""

    def __init__(self) -> None:
        self._lines: dict[str, list[tuple[Lead, str, dict]]] = defaultdict(list)

    def add(self, lead: Lead, kind: str, summary: str, data: dict) -> None:
        self._lines[kind].append((lead, summary, data))

    def stopped(self, enrollment: Enrollment, lead: Lead) -> None:
        label = Enrollment.StopReason(enrollment.stop_reason).label
        summary = f"Stopped in sequence {enrollment.sequence.name}: {label.lower()}"
        self.add(lead, Activity.Kind.SEQUENCE, summary, {"enrollment": enrollment.pk, "stop": enrollment.stop_reason})

    def write(self) -> None:
        # A sent or unsent email changes nothing a score reads (engagement does, through tracking's events).
        for kind, lines in self._lines.items():
            activities_record_each(actor=None, kind=kind, lines=lines, rescore=kind == Activity.Kind.SEQUENCE)
        self._lines.clear()
