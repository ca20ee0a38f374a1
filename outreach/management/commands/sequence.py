"""`manage.py sequence list`, `manage.py sequence pause|resume|clone NAME`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from outreach.models import Sequence
from outreach.sequences import sequence_clone, sequence_pause, sequence_resume

ACTIONS = {"pause": sequence_pause, "resume": sequence_resume, "clone": sequence_clone}


class Command(BaseCommand):
    help = "List sequences, or pause, resume (start) or clone one by name, as the sequence pages do."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["list", *ACTIONS])
        parser.add_argument("name", nargs="?", help="the sequence's name")

    def handle(self, *args, **options) -> None:
        if options["action"] == "list":
            for sequence in Sequence.objects.order_by("is_template", "name"):
                kind = "ready to clone" if sequence.is_template else sequence.get_status_display().lower()
                self.stdout.write(f"{sequence.name} ({kind}): {sequence.enrollments.count()} enrolled")
            return
        sequence = Sequence.objects.filter(name__iexact=options["name"] or "").first()
        if sequence is None:
            raise CommandError(f"There is no sequence named {options['name']!r}.")
        try:
            changed = ACTIONS[options["action"]](sequence=sequence, actor=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"{changed.name}: {changed.get_status_display().lower()}.")
