"""`manage.py import_leads FILE`: the import pipeline of the upload page, from the command line (cron, big files)."""

import json
from contextlib import nullcontext
from pathlib import Path

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.importing.jobs import import_job_create, import_job_run, import_job_start, mapping_from_saved
from crm.models import ImportJob, LeadList, User
from crm.services.lists import list_create

REPORTED_PROBLEMS = 20


class DryRunDone(Exception):
    """Raised to roll a dry run back once its counts are known."""


class Command(BaseCommand):
    help = "Import leads from a CSV or XLSX file, with the same mapping, checks and duplicate handling as the web."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--list", dest="list_name", help="add every imported or matched lead to this list")
        parser.add_argument("--mapping", type=Path, help='JSON file of {"column header": "lead field"}')
        parser.add_argument("--on-duplicate", choices=[c.value for c in ImportJob.OnDuplicate], default="skip")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen, change nothing")
        parser.add_argument(
            "--enrich", action="store_true", help="enrich the new and updated leads when the import is done"
        )
        parser.add_argument("--user", help="email of the person the import is made as (default: the first admin)")
        parser.add_argument(
            "--region",
            default="",
            help="country (ISO code such as GB) of phone numbers written without +code (default: PHONE_DEFAULT_REGION)",
        )

    def handle(self, *args, **options) -> None:
        actor = self._actor(options["user"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        options["region"] = options["region"].strip().upper()
        if options["region"] and options["region"] not in phonenumbers.SUPPORTED_REGIONS:
            # Checked before the file is read, so that a typo doesn't leave a job behind.
            raise CommandError(f"Unknown phone region {options['region']!r}; use a two-letter country code such as GB.")
        try:
            # Each batch commits on its own; a dry run holds them all in one transaction to roll back.
            with transaction.atomic() if options["dry_run"] else nullcontext():
                job = self._import(path, actor, options)
                # Read the report now: a dry run's rows are rolled back below.
                report = self._report(job, dry_run=options["dry_run"])
                if options["dry_run"]:
                    raise DryRunDone
        except DryRunDone:
            job.file.delete(save=False)
            report.insert(0, "Dry run: nothing was saved.")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write("\n".join(report))

    def _import(self, path: Path, actor: User, options: dict) -> ImportJob:
        job = import_job_create(actor=actor, path=path, original_name=path.name)
        mapping = job.mapping
        if options["mapping"]:
            mapping = mapping_from_saved(job.headers, json.loads(options["mapping"].read_text()), mapping)
        self.stdout.write(
            "Columns: " + ", ".join(f"{h} -> {m or 'custom'}" for h, m in zip(job.headers, mapping, strict=True))
        )
        lead_list = None
        if options["list_name"]:
            lead_list = LeadList.objects.filter(name=options["list_name"]).first() or list_create(
                actor=actor, name=options["list_name"]
            )
        import_job_start(
            job=job,
            actor=actor,
            mapping=mapping,
            on_duplicate=options["on_duplicate"],
            lead_list=lead_list,
            region=options["region"],
            enrich_after=options["enrich"],
            queue=False,
            channel="command",
        )
        # Run here rather than on the cluster: a command's caller waits for the result.
        import_job_run(job.pk, seconds=float("inf"))
        job.refresh_from_db()
        return job

    def _actor(self, email: str | None) -> User:
        users = User.objects.filter(is_active=True)
        actor = users.filter(email__iexact=email).first() if email else users.filter(is_superuser=True).first()
        if actor is None:
            raise CommandError("No such active user; pass --user with a staff member's email.")
        return actor

    def _report(self, job: ImportJob, *, dry_run: bool) -> list[str]:
        lines = [
            f"{job.original_name}: {job.rows_read} rows read, {job.rows_imported} imported, "
            f"{job.rows_updated} updated, {job.rows_skipped} skipped, {job.rows_rejected} rejected."
        ]
        for rejection in job.rejections.all()[:REPORTED_PROBLEMS]:
            column = f" [{rejection.column}]" if rejection.column else ""
            lines.append(f"  line {rejection.line}{column}: {rejection.reason}")
        more = job.rejections.count() - REPORTED_PROBLEMS
        if more > 0:
            lines.append(f"  ...and {more} more problems (see the import's page for all of them)")
        if job.enrichment_requested_at and not dry_run:  # a dry run's job is rolled back with the rest
            lines.append("Enrichment of the new and updated leads was queued (see the Enrichment page).")
        return lines
