"""`manage.py privacy export EMAIL [--phone PHONE] [--out FILE]` and `manage.py privacy erase EMAIL [--phone PHONE]
[--suppress]`: a person's privacy request from the command line."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crm.privacy.erase import person_erase
from crm.privacy.export import person_export


class Command(BaseCommand):
    help = (
        "Export everything held on a person (a zip of JSON and CSV files), or erase it, keeping only a keyed hash of "
        "their email and phone so that no import, capture or sequence brings them back."
    )

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="write the person's data to a zip file")
        erase = actions.add_parser("erase", help="erase the person's data everywhere")
        for action in (export, erase):
            action.add_argument("email", nargs="?", default="", help="the person's email address")
            action.add_argument("--phone", default="", help="the person's phone number (also finds them by it)")
        export.add_argument("--out", type=Path, help="zip file to write (default: privacy-export-DATE.zip)")
        erase.add_argument(
            "--suppress", action="store_true", help="add them to the suppression list even if nothing is held on them"
        )

    def handle(self, *args, **options) -> None:
        if not options["email"] and not options["phone"]:
            raise CommandError("Give the person's email address, or --phone.")
        who = " / ".join(value for value in (options["email"], options["phone"]) if value)
        if options["action"] == "export":
            self._export(options, who)
        else:
            self._erase(options, who)

    def _export(self, options: dict, who: str) -> None:
        path: Path = options["out"] or Path(f"privacy-export-{timezone.localdate():%Y-%m-%d}.zip")
        if not path.parent.is_dir():
            raise CommandError(f"No such folder: {path.parent}")
        with path.open("wb") as out:
            person, counts = person_export(email=options["email"], phone=options["phone"], out=out, channel="command")
        if not person.lead_ids and not any(counts.values()):
            self.stdout.write(f"No data held for {who}; wrote an empty export to {path}.")
            return
        held = ", ".join(f"{name} {count}" for name, count in counts.items() if count)
        self.stdout.write(f"Wrote {path}: {held}.")

    def _erase(self, options: dict, who: str) -> None:
        report = person_erase(
            email=options["email"], phone=options["phone"], suppress=options["suppress"], channel="command"
        )
        if not report.found:
            added = " Added to the suppression list." if report.suppressed else ""
            self.stdout.write(f"No data held for {who}; nothing changed.{added}")
            return
        erased = ", ".join(f"{name} {count}" for name, count in report.counts.items())
        self.stdout.write(f"Erased {who}: {erased}.")
        self.stdout.write(f"Kept only {len(report.digests)} keyed hashes on the suppression list.")
        for line in report.not_erased:
            self.stdout.write(f"Not erased: {line}")
