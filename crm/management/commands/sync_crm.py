"""`manage.py sync_crm NAME [--push|--pull]`: sync one CRM connection now, in this process, and print the counts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from crm.models import CrmConnection, SyncRun
from crm.sync.jobs import sync_run_execute, sync_run_start


class Command(BaseCommand):
    help = "Sync a CRM connection now (both ways, or as the connection says), and print what changed."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the connection's name (Settings > CRM sync)")
        direction = parser.add_mutually_exclusive_group()
        direction.add_argument("--push", action="store_true", help="only send Leadflow's changes to the CRM")
        direction.add_argument("--pull", action="store_true", help="only bring the CRM's changes into Leadflow")

    def handle(self, *args, name: str, push: bool, pull: bool, **options):
        connection = CrmConnection.objects.filter(name=name).first()
        if connection is None:
            names = ", ".join(CrmConnection.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No CRM connection is named {name!r} (connections: {names}).")
        direction = "push" if push else "pull" if pull else None
        run = sync_run_start(
            connection=connection, actor=None, direction=direction, trigger=SyncRun.Trigger.COMMAND, enqueue=False
        )
        outcome = sync_run_execute(run.pk)
        run.refresh_from_db()
        counts = ", ".join(f"{count} {label}" for label, count in run.counts.items())
        self.stdout.write(f"{connection} {run.get_direction_display().lower()}: {counts}.")
        if run.status == SyncRun.Status.FAILED:
            raise CommandError(f"Sync #{run.pk} failed: {run.error}")
        if outcome == "nothing to do":
            self.stdout.write(f"Sync #{run.pk} is already being run by another worker.")
