from django.core.management.base import BaseCommand

from analytics.summary import weekly_summaries_send


class Command(BaseCommand):
    help = "Send last week's summary email to every manager and admin who has not had it yet, and say who got it."

    def handle(self, *args, **options) -> None:
        self.stdout.write(str(weekly_summaries_send()))
