"""`manage.py analyze [--list NAME] [--lead ID] [--user EMAIL]`: AI analysis of leads from cron or a shell."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from crm.management.actors import command_actor
from crm.models import Lead, LeadList
from enrichment.analysis_jobs import analysis_job_create, analysis_job_run
from enrichment.models import AnalysisJob
from leadflow.ai import ai_configured
from leadflow.params import id_or_none

FAILURES_PRINTED = 20


class Command(BaseCommand):
    help = (
        "Analyse leads with the AI model (the built-in analysis when none is configured): one lead, a list's, or "
        "without either every lead never analysed; runs the job here (or follows it if a worker took it) and prints "
        "its counts and failures."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--list", dest="list_name", help="list name or id")
        parser.add_argument("--lead", help="one lead's id")
        parser.add_argument("--user", help="email of the person the job runs as (default: the first admin)")

    def handle(self, *args, **options) -> None:
        actor = command_actor(options["user"])
        if options["lead"]:
            lead_id = id_or_none(options["lead"])
            leads, description = Lead.objects.filter(pk=lead_id), f"Lead #{options['lead']}"
            if lead_id is None or not leads.exists():
                raise CommandError(f"There is no lead #{options['lead']}.")
        elif options["list_name"]:
            lead_list = self._list(options["list_name"])
            leads, description = Lead.objects.filter(memberships__lead_list=lead_list), f"List {lead_list.name}"
        else:
            leads, description = Lead.objects.filter(analyses__isnull=True), "Leads never analysed"
        job = analysis_job_create(actor=actor, leads=leads, description=description)
        model = "the AI model" if ai_configured() else "the built-in analysis (no AI model configured)"
        self.stdout.write(f"Analysis #{job.pk}: {job.progress_total} lead(s), {description}, by {model}.")
        while True:
            analysis_job_run(job.pk)
            job.refresh_from_db()
            if not job.is_active:
                break
            time.sleep(1)  # a worker holds it: follow its progress
            self.stdout.write(f"  {job.progress_done}/{job.progress_total} done")
        self._report(job)

    def _report(self, job: AnalysisJob) -> None:
        self.stdout.write(f"{job.get_status_display()}: {job.progress_done} of {job.progress_total} lead(s) processed.")
        self.stdout.write(f"  analysed: {job.progress_done - job.failed_count}")
        self.stdout.write(f"  built-in: {job.built_in_count}")
        self.stdout.write(f"  failed: {job.failed_count}")
        self.stdout.write(f"  cost: ${job.cost_usd:.4f}")
        for item in job.items.filter(status="failed").order_by("id")[:FAILURES_PRINTED]:
            self.stdout.write(f"  lead #{item.lead_id}: {item.outcome}")

    def _list(self, name: str) -> LeadList:
        found = (
            LeadList.objects.filter(pk=id_or_none(name)).first() or LeadList.objects.filter(name__iexact=name).first()
        )
        if found is None:
            raise CommandError(f"There is no list named {name!r}.")
        return found
