"""`manage.py compact_stage_totals`: fold the board's kept per-stage changes into one row per stage and owner."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from crm.stage_totals import stage_totals_compact


class Command(BaseCommand):
    help = (
        "Fold the per-stage changes the database keeps for the board's column totals into one row per stage and "
        "owner (scheduled every 10 minutes; the totals are right either way, this keeps them quick to sum)."
    )

    def handle(self, *args, **options) -> None:
        removed = stage_totals_compact()
        self.stdout.write(f"Folded {removed} stage total row(s).")
