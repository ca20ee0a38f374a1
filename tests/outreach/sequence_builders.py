"""Sequences for tests, built through the same service the builder and the YAML loader use."""

from __future__ import annotations

from outreach.models import Enrollment, Mailbox, Message, Sequence
from outreach.sequences import SequenceSpec, StepSpec, VariantSpec, sequence_save


def email_step(subject: str = "Hello {{ first_name }}", body: str = "Hi {{ first_name }}", **fields) -> StepSpec:
    return StepSpec(variants=[VariantSpec(subject, body)], **fields)


def mailbox_made(address: str = "sales@leadflow.test") -> Mailbox:
    return Mailbox.objects.get_or_create(
        address=address,
        defaults={"name": "Sales", "transport": Mailbox.Transport.CONSOLE, "postal_address": "1 Main St"},
    )[0]


def sequence_made(name: str = "Intro", steps: list[StepSpec] | None = None, **fields) -> Sequence:
    fields.setdefault("mailbox", mailbox_made())
    spec = SequenceSpec(name=name, steps=steps or [email_step(), email_step("Again", "Still there?", delay_days=2)],
                        **fields)  # fmt: skip
    sequence = sequence_save(spec=spec, actor=None)
    Sequence.objects.filter(pk=sequence.pk).update(status=Sequence.Status.ACTIVE)
    sequence.refresh_from_db()
    return sequence


def message_made(enrollment: Enrollment, position: int = 1, **fields) -> Message:
    """A message of the enrollment's step as the sender leaves it (sent, unless fields say otherwise)."""
    step = enrollment.sequence.steps.get(position=position)
    defaults = {"status": Message.Status.SENT, "variant": step.variants.first(), "to_email": enrollment.lead.email}
    return Message.objects.create(enrollment=enrollment, step=step, lead=enrollment.lead, **(defaults | fields))
