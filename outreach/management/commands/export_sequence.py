"""`manage.py export_sequence NAME` writes the sequence as YAML (load it back with load_sequence)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from outreach.models import Sequence
from outreach.sequence_files import sequence_dump


class Command(BaseCommand):
    help = "Print a sequence as YAML, in the shape load_sequence reads."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the sequence's name")

    def handle(self, *args, **options) -> None:
        sequence = Sequence.objects.filter(name__iexact=options["name"]).first()
        if sequence is None:
            raise CommandError(f"There is no sequence named {options['name']!r}.")
        self.stdout.write(sequence_dump(sequence), ending="")
