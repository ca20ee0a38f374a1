"""`manage.py write_drafts --list NAME --channel email|linkedin|whatsapp [--tone TONE] [--length LENGTH]`."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from crm.management.actors import command_actor
from crm.models import Lead, LeadList
from leadflow.params import id_or_none
from outreach.jobs import draft_job_create, draft_job_run
from outreach.models import Channel, DraftJob, Length, Tone


class Command(BaseCommand):
    help = "Write drafts for the leads of a list (each waits for approval); runs the job here and prints its counts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--list", dest="list_name", required=True, help="list name or id")
        parser.add_argument("--channel", required=True, choices=Channel.values)
        parser.add_argument("--tone", default=Tone.FRIENDLY, choices=Tone.values)
        parser.add_argument("--length", default=Length.MEDIUM, choices=Length.values)
        parser.add_argument("--user", help="email of the person the drafts are written as (default: the first admin)")

    def handle(self, *args, **options) -> None:
        actor = command_actor(options["user"])
        lead_list = self._list(options["list_name"])
        job = draft_job_create(
            actor=actor, leads=Lead.objects.filter(memberships__lead_list=lead_list), channel=options["channel"],
            tone=options["tone"], length=options["length"], description=f"List {lead_list.name}",
        )  # fmt: skip
        self.stdout.write(f"Drafts #{job.pk}: {job.progress_total} lead(s) of list {lead_list.name}.")
        while True:
            draft_job_run(job.pk)
            job.refresh_from_db()
            if not job.is_active:
                break
            time.sleep(1)  # a worker holds it: follow its progress
            self.stdout.write(f"  {job.progress_done}/{job.progress_total} done")
        self._report(job)

    def _report(self, job: DraftJob) -> None:
        counts = job.breakdown
        self.stdout.write(f"{job.get_status_display()}: {job.progress_done} of {job.progress_total} lead(s) processed.")
        self.stdout.write(f"  written by the AI: {counts.get('ai', 0)}")
        self.stdout.write(f"  written by the built-in writer: {counts.get('template', 0)}")
        self.stdout.write(f"  flagged by a check: {counts.get('flagged', 0)}")
        self.stdout.write(f"  failed: {counts.get('failed', 0)}")
        for item in job.items.filter(status="failed").order_by("id")[:20]:
            self.stdout.write(f"  lead #{item.lead_id}: {item.outcome}")

    def _list(self, name: str) -> LeadList:
        found = (
            LeadList.objects.filter(pk=id_or_none(name)).first() or LeadList.objects.filter(name__iexact=name).first()
        )
        if found is None:
            raise CommandError(f"There is no list named {name!r}.")
        return found
