"""`manage.py load_campaigns FILE`: create or update capture campaigns (by name) from a YAML file."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.management.actors import command_actor
from scraping.campaign_files import campaigns_load


class Command(BaseCommand):
    help = "Create or update capture campaigns, by name, from a YAML file (the format Sources → Export writes)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", help="email of the manager or admin loading them (default: the first admin)")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            report = campaigns_load(path.read_text(encoding="utf-8"), actor=command_actor(options["user"]))
        except (ValidationError, UnicodeDecodeError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(f"Created {len(report.created)}, updated {len(report.updated)} campaign(s).")
        for name in report.created:
            self.stdout.write(f"  created: {name}")
        for name in report.updated:
            self.stdout.write(f"  updated: {name}")
