"""STAND-IN (seq part): a LinkedIn step handed to a person (or a phantom)."""

from __future__ import annotations

from outreach.models import Message


def linkedin_step_hand_off(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(status=Message.Status.TASK)
