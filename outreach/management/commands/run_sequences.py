"""STAND-IN for the send part's `manage.py run_sequences --once` (dropped at merge): records due email steps as
sent without sending anything, so the seq part's browser test can run end to end on its own branch."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from outreach.merge import render_for_lead
from outreach.models import Enrollment, Message, Sequence
from outreach.scheduler import enrollment_advance


class Command(BaseCommand):
    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true")

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        due = Enrollment.objects.filter(
            status=Enrollment.Status.ACTIVE, due_at__lte=now, sequence__status=Sequence.Status.ACTIVE
        ).select_related("lead__company", "sequence")
        sent = 0
        for enrollment in due:
            step = enrollment.sequence.steps.get(position=enrollment.next_position)
            variant = step.variants.order_by("?").first()
            rendered = render_for_lead(variant.subject, variant.body, enrollment.lead)
            Message.objects.create(
                enrollment=enrollment, step=step, variant=variant, lead=enrollment.lead, to_email=enrollment.lead.email,
                subject=rendered.subject, body=rendered.text, status=Message.Status.SENT, sent_at=now,
            )  # fmt: skip
            enrollment_advance(enrollment, now=now)
            sent += 1
        self.stdout.write(f"Sent {sent}.")
