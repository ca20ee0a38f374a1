"""`manage.py scrape NAME`: run one capture campaign now, here, and print its counts."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from crm.models import User
from leadflow.roles import Role
from scraping.models import Campaign, ScrapeRun
from scraping.runs import RunRefused, scrape_run_execute, scrape_run_start


def actor_for(email: str | None) -> User:
    """The person a command acts as: the one named, else the first admin."""
    users = User.objects.filter(is_active=True)
    if email:
        user = users.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"There is no active user with the email address {email!r}.")
        return user
    admin = users.filter(Q(is_superuser=True) | Q(groups__name=Role.ADMIN)).order_by("pk").first()
    if admin is None:
        raise CommandError("There is no admin to act as; name one with --user.")
    return admin


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
            run = scrape_run_start(campaign=campaign, actor=actor_for(options["user"]), trigger="command", queue=False)
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
