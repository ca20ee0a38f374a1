"""`manage.py load_sequence FILE [--template]` or `manage.py load_sequence --ready`."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from outreach.sequence_files import SequenceFileError, ready_sequences_install, sequence_load


class Command(BaseCommand):
    help = "Create or update a sequence (by its name) from a YAML file; a mistake is refused with its line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", nargs="?", help="the YAML file")
        parser.add_argument("--template", action="store_true", help="load it as a ready sequence to clone")
        parser.add_argument("--ready", action="store_true", help="install the ready sequences shipped with Leadflow")

    def handle(self, *args, **options) -> None:
        if options["ready"]:
            created = ready_sequences_install()
            names = ", ".join(sequence.name for sequence in created) or "none (all were there)"
            self.stdout.write(f"Ready sequences installed: {names}.")
            return
        if not options["file"]:
            raise CommandError("Name a YAML file, or use --ready.")
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        try:
            sequence, created = sequence_load(text, actor=None, as_template=options["template"])
        except SequenceFileError as exc:
            raise CommandError(f"{path}: {exc} Nothing was loaded.") from None
        steps = sequence.steps.count()
        self.stdout.write(f"{'Created' if created else 'Updated'} sequence {sequence.name} with {steps} step(s).")
