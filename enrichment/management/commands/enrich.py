"""`manage.py enrich [--list NAME] [--fields ...] [--sources ...] [--overwrite]`: an enrichment job from cron."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from crm.management.actors import command_actor
from crm.models import Lead, LeadList
from enrichment.jobs import enrichment_job_create, enrichment_job_run, leads_missing
from enrichment.models import EnrichmentJob
from enrichment.providers.base import WANTED_FIELDS
from enrichment.sources import SOURCES
from leadflow.params import id_or_none


def _names(text: str, allowed, what: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise CommandError(f"Unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)}).")
    return names


class Command(BaseCommand):
    help = (
        "Enrich the leads of a list, or without --list every lead missing a wanted field, through the waterfall; "
        "runs the job here (or follows it if a worker took it) and prints its breakdown."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--list", dest="list_name", help="list name or id")
        parser.add_argument(
            "--fields", default=",".join(WANTED_FIELDS), help="comma-separated: email,phone,linkedin,company"
        )
        parser.add_argument("--sources", default="", help=f"comma-separated, in the site's order: {','.join(SOURCES)}")
        parser.add_argument("--overwrite", action="store_true", help="replace values people typed")
        parser.add_argument("--user", help="email of the person the job runs as (default: the first admin)")

    def handle(self, *args, **options) -> None:
        fields = _names(options["fields"], WANTED_FIELDS, "field")
        sources = _names(options["sources"], list(SOURCES), "source")
        actor = command_actor(options["user"])
        if options["list_name"]:
            lead_list = self._list(options["list_name"])
            leads, description = Lead.objects.filter(memberships__lead_list=lead_list), f"List {lead_list.name}"
        else:
            leads, description = leads_missing(Lead.objects.all(), fields), "Leads missing " + ", ".join(fields)
        job = enrichment_job_create(
            actor=actor, leads=leads, fields=fields, sources=sources, overwrite=options["overwrite"],
            description=description,
        )  # fmt: skip
        self.stdout.write(f"Enrichment #{job.pk}: {job.progress_total} lead(s), {description}.")
        while True:
            enrichment_job_run(job.pk)
            job.refresh_from_db()
            if not job.is_active:
                break
            time.sleep(1)  # a worker holds it: follow its progress
            self.stdout.write(f"  {job.progress_done}/{job.progress_total} done")
        self._report(job)

    def _report(self, job: EnrichmentJob) -> None:
        self.stdout.write(f"{job.get_status_display()}: {job.progress_done} of {job.progress_total} lead(s) processed.")
        for key, count in sorted(job.breakdown.items()):
            self.stdout.write(f"  {key.replace('_', ' ')}: {count}")
        self.stdout.write(f"  credits used: {job.credits_used}")
        failed = job.items.filter(status="failed").order_by("id")[:20]
        for item in failed:
            self.stdout.write(f"  lead #{item.lead_id}: {item.outcome}")

    def _list(self, name: str) -> LeadList:
        found = (
            LeadList.objects.filter(pk=id_or_none(name)).first() or LeadList.objects.filter(name__iexact=name).first()
        )
        if found is None:
            raise CommandError(f"There is no list named {name!r}.")
        return found
