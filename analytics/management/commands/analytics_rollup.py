from django.core.management.base import BaseCommand

from analytics.rollup_job import NIGHTLY_DAYS, analytics_rollup


class Command(BaseCommand):
    help = "Count the analytics figures of whole past days into the rollup tables the reports read, and say what."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days", type=int, default=NIGHTLY_DAYS, help=f"days to count again (default {NIGHTLY_DAYS})"
        )
        parser.add_argument("--full", action="store_true", help="count every day again")

    def handle(self, *args, **options) -> None:
        self.stdout.write(str(analytics_rollup(max(options["days"], 1), full=options["full"])))
