"""`manage.py scrape NAME`: run one capture campaign now, here, and print its counts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from crm.management.actors import command_actor
from scraping.models import Campaign, ScrapeRun
from scraping.runs import RunRefused, scrape_run_execute, scrape_run_start


class Command(BaseCommand):
    help = "Run a capture campaign now and print what it fetched, created, updated, skipped and rejected."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="the campaign's name")
        parser.add_argument("--user", help="email of the person starting it (default: the first admin)")

    def handle(self, *args, **options) -> None:
        campaign = Campaign.objects.filter(name=options["name"]).first()
        if campaign is None:
            raise CommandError(f"There is no campaign named {options['name']!r}.")
        try:
            run = scrape_run_start(
                campaign=campaign, actor=command_actor(options["user"]), trigger="command", queue=False
            )
        except RunRefused as exc:
            raise CommandError(exc.messages[0]) from exc
        scrape_run_execute(run.pk)
        run.refresh_from_db()
        self.stdout.write(f"{campaign}: run #{run.pk} {run.get_status_display().lower()}.")
        self.stdout.write(
            f"  fetched {run.rows_fetched}, created {run.leads_created}, updated {run.leads_updated}, "
            f"skipped as duplicates {run.leads_skipped}, rejected {run.leads_rejected}"
        )
        if run.error:
            self.stdout.write(f"  {run.error}")
        if run.status == ScrapeRun.Status.QUEUED and run.retry_at:
            self.stdout.write(f"  tried again at {run.retry_at:%Y-%m-%d %H:%M} UTC by the job cluster")
        for note in run.notes:
            self.stdout.write(f"  note: {note}")
