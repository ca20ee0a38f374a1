"""Steps a person carries out: a manual task ("call") or a LinkedIn note becomes a crm Task on the lead; the task
done (or "mark sent") records the step as sent and moves the enrollment on."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from crm.models import Activity, Task, User
from crm.services.timeline import activity_record
from crm.services.work import task_complete
from crm.signals import lead_activity_recorded
from leadflow.roles import require_edit_lead
from outreach.merge import render_for_lead
from outreach.models import Message, SequenceStep
from outreach.outcomes import enrollment_advance

# A hand-off's Message carries the task it became as its provider id: the task is the "provider" of such a step.
TASK_PREFIX = "task:"


def step_text(message: Message) -> str:
    """The step's text for this lead: as composed on the message, else its variant's (or the task's title) merged."""
    if message.body:
        return message.body
    step = message.step
    variant = message.variant or step.variants.order_by("label").first()
    source = step.task_title if step.kind == SequenceStep.Kind.TASK else (variant.body if variant else "")
    return render_for_lead("", source, message.lead).text.strip()


def task_of(message: Message) -> Task | None:
    if not message.provider_message_id.startswith(TASK_PREFIX):
        return None
    return Task.objects.filter(pk=message.provider_message_id.removeprefix(TASK_PREFIX)).first()


def hand_off_to_task(message: Message, *, title: str, kind: str, note: str = "") -> Task:
    """Create the lead's task for this step (for its owner, else whoever enrolled it) and mark the message TASK."""
    lead = message.lead
    enrollment = message.enrollment
    assignee = lead.owner or enrollment.enrolled_by or enrollment.sequence.owner
    task = Task.objects.create(lead=lead, kind=kind, title=title[:200], due_at=timezone.now(), assignee=assignee)
    activity_record(
        lead=lead, actor=None, kind=Activity.Kind.TASK, summary=f"Task: {task.title}",
        data={"task": task.pk, "message": message.pk, "sequence": enrollment.sequence_id},
    )  # fmt: skip
    message.status = Message.Status.TASK
    message.body = note or message.body
    message.provider_message_id = f"{TASK_PREFIX}{task.pk}"
    message.save(update_fields=["status", "body", "provider_message_id"])
    return task


@transaction.atomic
def task_step_hand_off(message: Message) -> None:
    """The scheduler's hand-off of a manual task step."""
    title = step_text(message)
    hand_off_to_task(message, title=title, kind=message.step.task_kind, note=title)


@transaction.atomic
def hand_off_done(message: Message, *, actor: User | None, summary: str = "") -> bool:
    """A handed-off step was carried out: the message is sent (once) and the enrollment moves on."""
    now = timezone.now()
    done = Message.objects.filter(pk=message.pk, status=Message.Status.TASK).update(
        status=Message.Status.SENT, sent_at=now
    )
    if not done:
        return False
    step = message.step
    activity_record(
        lead=message.lead, actor=actor, kind=Activity.Kind.SEQUENCE,
        summary=summary or f"{step.get_kind_display()} done (step {step.position}, {message.enrollment.sequence})",
        data={"message": message.pk, "sequence": message.enrollment.sequence_id},
    )  # fmt: skip
    enrollment_advance(message.enrollment, now=now)
    return True


@transaction.atomic
def message_mark_sent(*, message: Message, actor: User) -> bool:
    """A person says they carried out the step (sent the LinkedIn note): its task is completed, which advances it."""
    require_edit_lead(actor, message.lead)
    task = task_of(message)
    if task is not None and not task.done:
        task_complete(task=task, actor=actor)  # its TASK_DONE line reaches task_done below
        message.refresh_from_db()
        return message.status == Message.Status.SENT
    return hand_off_done(message, actor=actor)


@receiver(lead_activity_recorded, dispatch_uid="outreach_task_done_advances")
def task_done(sender, *, activity: Activity, **kwargs) -> None:
    if activity.kind != Activity.Kind.TASK_DONE or not activity.data.get("task"):
        return
    message = Message.objects.filter(
        provider_message_id=f"{TASK_PREFIX}{activity.data['task']}", status=Message.Status.TASK
    ).first()
    if message is not None:
        hand_off_done(message, actor=activity.actor)
