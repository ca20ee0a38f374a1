from django.conf import settings
from django.core.management.base import BaseCommand

from leadflow.audit import audit_events_expire


class Command(BaseCommand):
    help = "Remove audit events older than AUDIT_RETENTION_DAYS (the daily schedule does the same)."

    def handle(self, *args, **options) -> None:
        removed = audit_events_expire()
        self.stdout.write(f"Removed {removed} audit event(s) older than {settings.AUDIT_RETENTION_DAYS} days.")
