"""STAND-IN for the send part's scheduler (dropped at merge): advancing an enrollment and reviewing a message."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from outreach.models import Enrollment, Message
from outreach.sequences import step_due_after
from outreach.windows import lead_zone


def enrollment_advance(enrollment, *, now=None) -> None:
    now = now or timezone.now()
    following = enrollment.sequence.steps.filter(position__gt=enrollment.next_position).order_by("position").first()
    changes = {"version": F("version") + 1}
    if following is None:
        changes |= {"status": Enrollment.Status.FINISHED, "due_at": None, "finished_at": now}
    else:
        due = step_due_after(following, now, lead_zone(enrollment.lead))
        changes |= {"next_position": following.position, "due_at": due}
    Enrollment.objects.filter(pk=enrollment.pk).update(**changes)


def message_reviewed(message, *, sent: bool, actor) -> None:
    if sent:
        Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT, reviewed_as="sent")
        enrollment_advance(message.enrollment)
    else:
        Message.objects.filter(pk=message.pk).update(status=Message.Status.QUEUED, reviewed_as="not_sent")
