"""Reads the sequence pages share: what a user may see, and each step's funnel in one query."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from crm.models import User
from crm.selectors import leads_visible_to
from leadflow.roles import role_of
from outreach.models import Enrollment, Message, Sequence, SequenceStep

# A funnel column and the Message time that counts it (people's times only: machine opens never set them).
FUNNEL = {
    "sent": "sent_at",
    "delivered": "delivered_at",
    "opened": "opened_at",
    "clicked": "clicked_at",
    "replied": "replied_at",
    "bounced": "bounced_at",
    "unsubscribed": "unsubscribed_at",
}


def sequences_visible_to(user: User) -> QuerySet[Sequence]:
    """Everyone with a role sees the sequences (reps enroll their leads in them); managers change them."""
    if role_of(user) is None:
        return Sequence.objects.none()
    return Sequence.objects.select_related("mailbox", "owner")


def enrollments_visible_to(user: User) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(lead__in=leads_visible_to(user)).select_related("lead", "sequence")


def messages_visible_to(user: User) -> QuerySet[Message]:
    return Message.objects.filter(lead__in=leads_visible_to(user)).select_related(
        "lead", "step", "variant", "enrollment__sequence"
    )


@dataclass
class StepFunnel:
    step: SequenceStep
    counts: dict[str, int]


def sequence_funnel(sequence: Sequence) -> list[StepFunnel]:
    """Per step: sent, delivered, opened by people, clicked, replied, bounced, unsubscribed (one query)."""
    counts = {
        column: Count("messages", filter=Q(**{f"messages__{field}__isnull": False})) for column, field in FUNNEL.items()
    }
    steps = sequence.steps.order_by("position").annotate(**counts)
    return [StepFunnel(step, {column: getattr(step, column) for column in FUNNEL}) for step in steps]


def enrollment_counts(sequence: Sequence) -> dict[str, int]:
    rows = sequence.enrollments.values_list("status").annotate(count=Count("pk")).order_by()
    return dict(rows)
