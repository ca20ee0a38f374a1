"""`manage.py privacy_retention [--dry-run]`: find, and erase, contacts never engaged after PRIVACY_RETENTION_MONTHS."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize

from crm.privacy.retention import retention_run


class Command(BaseCommand):
    help = (
        "Erase contacts never engaged (no reply or message from them, still in the first stage, no staff notes) "
        "PRIVACY_RETENTION_MONTHS after they came in. The first run after the setting is turned on only reports."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report only; erase nothing")

    def handle(self, *args, **options) -> None:
        result = retention_run(dry_run=options["dry_run"])
        report = result.report
        if report is None:
            self.stdout.write("Retention is off (PRIVACY_RETENTION_MONTHS=0): nothing to do.")
            return
        oldest = f", the oldest from {report.oldest:%Y-%m-%d}" if report.oldest else ""
        contacts = f"{report.found} contact{pluralize(report.found)}"
        self.stdout.write(f"{contacts} never engaged after {result.months} months{oldest}.")
        for reason in result.reasons:
            self.stdout.write(reason)
        if report.dry_run:
            self.stdout.write("Nothing erased (report only).")
        else:
            kept = f"; {result.kept} kept (the same person engaged on another lead)" if result.kept else ""
            self.stdout.write(f"Erased {report.erased} lead{pluralize(report.erased)}{kept}.")
