"""Sequences and their steps: saving one with its steps and A/B variants (merge fields checked), cloning a ready
sequence, pausing and resuming a whole sequence, and when a step falls due."""

from __future__ import annotations

import datetime
import string
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F

from crm.models import Activity, Lead, Task, User
from crm.services.timeline import activities_record_each
from leadflow.roles import can_reassign
from outreach.merge import template_check
from outreach.models import WEEKDAYS, Enrollment, Mailbox, Sequence, SequenceStep, StepVariant, WhatsAppTemplate

# LinkedIn refuses a connection request whose note is longer.
CONNECTION_NOTE_LIMIT = 300
LABELS = string.ascii_uppercase
SATURDAY = 5
LINKEDIN_KINDS = {SequenceStep.Kind.LINKEDIN_CONNECT, SequenceStep.Kind.LINKEDIN_MESSAGE}


class SequenceProblem(ValidationError):
    """A sequence that cannot be saved as given, with the line of the file it came from when it came from one."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class VariantSpec:
    subject: str = ""
    body: str = ""
    use_approved_draft: bool = False
    line: int | None = None


@dataclass
class StepSpec:
    kind: str = SequenceStep.Kind.EMAIL
    delay_days: int = 0
    business_days: bool = False
    task_title: str = ""
    task_kind: str = Task.Kind.CALL
    phantom_agent_id: str = ""
    # A WhatsApp step's approved template (by name), sent while the lead's 24-hour window is closed.
    whatsapp_template: str = ""
    variants: list[VariantSpec] = field(default_factory=list)
    # The step row this spec updates (the builder's), else the one at its position is reused.
    pk: int | None = None
    line: int | None = None


@dataclass
class SequenceSpec:
    name: str
    steps: list[StepSpec]
    description: str = ""
    mailbox: Mailbox | None = None
    window_days: list[str] = field(default_factory=lambda: list(WEEKDAYS[:5]))
    window_start: datetime.time = datetime.time(9, 0)
    window_end: datetime.time = datetime.time(17, 0)
    daily_cap: int = 200
    pause_company_on_reply: bool = False
    require_lawful_basis: str = Sequence.RequiredBasis.NONE
    lines: dict[str, int] = field(default_factory=dict)  # a file's line of each top-level key


def can_manage_sequences(user: User) -> bool:
    return can_reassign(user)


def require_manage_sequences(user: User | None) -> None:
    """Managers and admins build, clone, pause and resume sequences; manage.py (no user) may too."""
    if user is not None and not can_manage_sequences(user):
        raise PermissionDenied("Only managers and admins can change sequences.")


def sequence_has_email_steps(sequence: Sequence) -> bool:
    return sequence.steps.filter(kind=SequenceStep.Kind.EMAIL).exists()


def _spec_check(spec: SequenceSpec) -> None:
    """Every problem a spec can have before anything is written, the first one raised with where it is."""
    if not spec.name.strip():
        raise SequenceProblem("A sequence needs a name.", spec.lines.get("name"))
    unknown_days = [day for day in spec.window_days if day not in WEEKDAYS]
    if unknown_days or not spec.window_days:
        got = ", ".join(map(str, unknown_days)) or "none"
        raise SequenceProblem(
            f"The window's days must be some of {', '.join(WEEKDAYS)} (got {got}).", spec.lines.get("window")
        )
    if spec.window_start >= spec.window_end:
        raise SequenceProblem("The window must end after it starts.", spec.lines.get("window"))
    if spec.require_lawful_basis not in Sequence.RequiredBasis.values:
        choices = ", ".join(value or '""' for value in Sequence.RequiredBasis.values)
        raise SequenceProblem(f"require_lawful_basis must be one of {choices}.", spec.lines.get("require_lawful_basis"))
    if not spec.steps:
        raise SequenceProblem("A sequence needs at least one step.", spec.lines.get("steps"))
    for number, step in enumerate(spec.steps, start=1):
        _step_check(number, step)


def _step_check(number: int, step: StepSpec) -> None:
    where = f"Step {number}"
    if step.kind not in SequenceStep.Kind.values:
        raise SequenceProblem(
            f"{where}: unknown kind {step.kind!r} (use {', '.join(SequenceStep.Kind.values)}).", step.line
        )
    if not 0 <= step.delay_days <= 365:
        raise SequenceProblem(f"{where}: the delay must be 0 to 365 days.", step.line)
    if step.kind == SequenceStep.Kind.TASK:
        if not step.task_title.strip():
            raise SequenceProblem(f"{where}: a task step needs a title.", step.line)
        if step.task_kind not in Task.Kind.values:
            raise SequenceProblem(f"{where}: unknown task kind {step.task_kind!r}.", step.line)
        template_check_at(where, "", step.task_title, step.line)
        return
    if step.kind == SequenceStep.Kind.WHATSAPP:
        _whatsapp_step_check(where, step)
        if not step.variants:  # a template alone: nothing to send as free text
            return
    if not step.variants:
        raise SequenceProblem(f"{where}: give its content (a subject and body, or variants).", step.line)
    if len(step.variants) > len(LABELS):
        raise SequenceProblem(f"{where}: at most {len(LABELS)} variants.", step.line)
    for label, variant in zip(LABELS, step.variants, strict=False):
        _variant_check(f"{where}, variant {label}", step.kind, variant, step.line)


def _whatsapp_step_check(where: str, step: StepSpec) -> None:
    name = step.whatsapp_template.strip()
    if not name and not step.variants:
        raise SequenceProblem(f"{where}: a WhatsApp step needs a template, a text, or both.", step.line)
    if not name:
        return
    template = WhatsAppTemplate.objects.filter(name=name).first()
    if template is None:
        raise SequenceProblem(f"{where}: no WhatsApp template named {name!r}.", step.line)
    for text in template.variables:
        template_check_at(f"{where}, template {name!r}", "", str(text), step.line)


def _variant_check(where: str, kind: str, variant: VariantSpec, step_line: int | None) -> None:
    line = variant.line or step_line
    if variant.use_approved_draft:
        return
    if not variant.body.strip():
        raise SequenceProblem(f"{where}: the body is empty.", line)
    if kind == SequenceStep.Kind.EMAIL and not variant.subject.strip():
        raise SequenceProblem(f"{where}: an email needs a subject.", line)
    if kind == SequenceStep.Kind.LINKEDIN_CONNECT and len(variant.body) > CONNECTION_NOTE_LIMIT:
        length = len(variant.body)
        raise SequenceProblem(
            f"{where}: a connection note is at most {CONNECTION_NOTE_LIMIT} characters ({length}).", line
        )
    template_check_at(where, variant.subject, variant.body, line)


def template_check_at(where: str, subject: str, body: str, line: int | None) -> None:
    try:
        template_check(subject, body)
    except ValidationError as exc:
        raise SequenceProblem(f"{where}: {' '.join(exc.messages)}", line) from None


@transaction.atomic
def sequence_save(*, spec: SequenceSpec, actor: User | None, sequence: Sequence | None = None,
                  is_template: bool = False) -> Sequence:  # fmt: skip
    """Create a sequence, or update one, with its steps and variants; steps keep their rows (and their messages)
    where the spec names them or their position, and a step that has messages is never deleted."""
    require_manage_sequences(actor)
    _spec_check(spec)
    name = spec.name.strip()
    clash = Sequence.objects.filter(name__iexact=name).exclude(pk=getattr(sequence, "pk", None))
    if clash.exists():
        raise SequenceProblem(f"A sequence named {name!r} already exists.", spec.lines.get("name"))
    sequence = sequence or Sequence(owner=actor, is_template=is_template)
    sequence.name = name
    sequence.description = spec.description
    sequence.mailbox = spec.mailbox
    sequence.window_days = list(spec.window_days)
    sequence.window_start, sequence.window_end = spec.window_start, spec.window_end
    sequence.daily_cap = spec.daily_cap
    sequence.pause_company_on_reply = spec.pause_company_on_reply
    sequence.require_lawful_basis = spec.require_lawful_basis
    sequence.save()
    _steps_save(sequence, spec.steps)
    return sequence


def _steps_save(sequence: Sequence, specs: list[StepSpec]) -> None:
    existing = {step.pk: step for step in sequence.steps.all()}
    by_position = {step.position: step for step in existing.values()}
    kept: list[tuple[SequenceStep, StepSpec]] = []
    for position, spec in enumerate(specs, start=1):
        step = existing.get(spec.pk) if spec.pk else by_position.get(position)
        if step is None or any(step is other for other, _ in kept):
            step = SequenceStep(sequence=sequence)
        kept.append((step, spec))
    kept_pks = {step.pk for step, _ in kept if step.pk}
    dropped = [step for pk, step in existing.items() if pk not in kept_pks]
    for step in dropped:
        if step.messages.exists():
            raise SequenceProblem(f"Step {step.position} has sent messages: it cannot be removed.")
        step.delete()
    # Positions are unique per sequence: move the kept rows out of the way before numbering them again.
    SequenceStep.objects.filter(pk__in=kept_pks).update(position=F("position") + 1000)
    for position, (step, spec) in enumerate(kept, start=1):
        step.position = position
        step.kind = spec.kind
        step.delay_days = spec.delay_days
        step.business_days = spec.business_days
        step.task_title = spec.task_title.strip() if spec.kind == SequenceStep.Kind.TASK else ""
        step.task_kind = spec.task_kind
        step.phantom_agent_id = spec.phantom_agent_id.strip() if spec.kind in LINKEDIN_KINDS else ""
        name = spec.whatsapp_template.strip() if spec.kind == SequenceStep.Kind.WHATSAPP else ""
        step.whatsapp_template = WhatsAppTemplate.objects.get(name=name) if name else None
        step.save()
        _variants_save(step, [] if spec.kind == SequenceStep.Kind.TASK else spec.variants)


def _variants_save(step: SequenceStep, specs: list[VariantSpec]) -> None:
    labels = LABELS[: len(specs)]
    step.variants.exclude(label__in=list(labels)).delete()
    current = {variant.label: variant for variant in step.variants.all()}
    for label, spec in zip(labels, specs, strict=True):
        variant = current.get(label) or StepVariant(step=step, label=label)
        variant.subject = spec.subject if step.kind == SequenceStep.Kind.EMAIL else ""
        variant.body = spec.body
        variant.use_approved_draft = spec.use_approved_draft
        variant.save()


def sequence_spec_of(sequence: Sequence) -> SequenceSpec:
    """What a sequence holds, as a spec: for a form to edit, a file to write, or a clone."""
    steps = [
        StepSpec(
            kind=step.kind,
            delay_days=step.delay_days,
            business_days=step.business_days,
            task_title=step.task_title,
            task_kind=step.task_kind,
            phantom_agent_id=step.phantom_agent_id,
            whatsapp_template=step.whatsapp_template.name if step.whatsapp_template else "",
            pk=step.pk,
            variants=[VariantSpec(v.subject, v.body, v.use_approved_draft) for v in step.variants.all()],
        )
        for step in sequence.steps.select_related("whatsapp_template").prefetch_related("variants").order_by("position")
    ]
    return SequenceSpec(
        name=sequence.name, description=sequence.description, mailbox=sequence.mailbox, steps=steps,
        window_days=list(sequence.window_days), window_start=sequence.window_start, window_end=sequence.window_end,
        daily_cap=sequence.daily_cap, pause_company_on_reply=sequence.pause_company_on_reply,
        require_lawful_basis=sequence.require_lawful_basis,
    )  # fmt: skip


@transaction.atomic
def sequence_clone(*, sequence: Sequence, actor: User | None, name: str = "") -> Sequence:
    """A copy to work on (a ready sequence is cloned before use): a draft, owned by the actor, never a template."""
    spec = sequence_spec_of(sequence)
    for step in spec.steps:
        step.pk = None
    spec.name = name.strip() or _free_name(f"{sequence.name} (copy)")
    return sequence_save(spec=spec, actor=actor)


def _free_name(wanted: str) -> str:
    name, number = wanted, 2
    while Sequence.objects.filter(name__iexact=name).exists():
        name, number = f"{wanted} {number}", number + 1
    return name


def _require_ready_to_send(sequence: Sequence) -> None:
    if not sequence.steps.exists():
        raise ValidationError("Add a step before starting the sequence.")
    if sequence.mailbox_id is None and sequence_has_email_steps(sequence):
        raise ValidationError("Choose the mailbox it sends from before starting the sequence.")


def _status_set(sequence: Sequence, status: str, actor: User | None) -> Sequence:
    require_manage_sequences(actor)
    sequence = Sequence.objects.select_for_update().get(pk=sequence.pk)
    if sequence.is_template:
        raise ValidationError("A ready sequence never sends: clone it first.")
    if status == Sequence.Status.ACTIVE:
        _require_ready_to_send(sequence)
    if sequence.status == status:
        return sequence
    sequence.status = status
    sequence.save(update_fields=["status", "updated_at"])
    # Raise every open enrollment's version, so a scheduler's write based on the old state is refused.
    open_enrollments = Enrollment.objects.filter(sequence=sequence, status=Enrollment.Status.ACTIVE)
    open_enrollments.update(version=F("version") + 1)
    return sequence


@transaction.atomic
def sequence_pause(*, sequence: Sequence, actor: User | None) -> Sequence:
    """Stop sending for a whole sequence; its enrollments keep their place."""
    return _status_set(sequence, Sequence.Status.PAUSED, actor)


@transaction.atomic
def sequence_resume(*, sequence: Sequence, actor: User | None) -> Sequence:
    """Start (a draft) or resume (a paused sequence) sending."""
    return _status_set(sequence, Sequence.Status.ACTIVE, actor)


def sequence_timeline(leads: list[Lead], summary: str, sequence: Sequence, actor: User | None, **data) -> None:
    """One SEQUENCE line on each lead's timeline (bulk: enrolling thousands is one INSERT)."""
    lines = [(lead, summary, {"sequence": sequence.pk, **data}) for lead in leads]
    # Being in a sequence changes nothing a score reads.
    activities_record_each(actor=actor, kind=Activity.Kind.SEQUENCE, lines=lines, rescore=False)


def step_due_after(step: SequenceStep, after: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    """When the step falls due: its delay after `after`, in calendar days or in business days (Saturdays and
    Sundays skipped), counted on the lead's own calendar at the same wall-clock time."""
    if not step.delay_days:
        return after
    local = after.astimezone(zone)
    day = local.date()
    if step.business_days:
        remaining = step.delay_days
        while remaining:
            day += datetime.timedelta(days=1)
            if day.weekday() < SATURDAY:
                remaining -= 1
    else:
        day += datetime.timedelta(days=step.delay_days)
    # The same wall time on that day (a DST change in between keeps 09:30 at 09:30).
    due = datetime.datetime.combine(day, local.time(), tzinfo=zone)
    return due.astimezone(after.tzinfo or datetime.UTC)
