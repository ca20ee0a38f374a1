"""STAND-IN (seq part): a manual step handed to a person."""

from __future__ import annotations

from outreach.models import Message


def task_step_hand_off(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(status=Message.Status.TASK)
