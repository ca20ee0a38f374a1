"""`manage.py export_campaigns [--output FILE]`: every capture campaign as YAML (what load_campaigns reads)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from scraping.campaign_files import campaigns_export
from scraping.models import Campaign


class Command(BaseCommand):
    help = "Write every capture campaign as YAML, to a file or the standard output."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", type=Path)

    def handle(self, *args, **options) -> None:
        text = campaigns_export(Campaign.objects.all())
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {Campaign.objects.count()} campaign(s) to {options['output']}.")
        else:
            self.stdout.write(text)
