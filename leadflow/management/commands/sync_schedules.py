from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from leadflow.schedules import SCHEDULES


def next_night(now: datetime) -> datetime:
    """The next NIGHTLY_HOUR o'clock in TIME_ZONE after `now`."""
    local = timezone.localtime(now, timezone.get_default_timezone())
    day = local.date() if local.hour < settings.NIGHTLY_HOUR else local.date() + timedelta(days=1)
    return datetime.combine(day, time(settings.NIGHTLY_HOUR), tzinfo=local.tzinfo)


class Command(BaseCommand):
    help = "Create, update and delete django-q2 schedules so they match leadflow/schedules.py."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for name, spec in SCHEDULES.items():
            fields = {
                "func": spec["func"],
                "args": repr(tuple(spec.get("args", ()))) if spec.get("args") else None,
                "schedule_type": spec["schedule_type"],
                "minutes": spec.get("minutes"),
                "cron": spec.get("cron"),
                "repeats": -1,
            }
            # A new daily schedule starts tonight; an existing one keeps its time (a deploy must not move it).
            first = {"next_run": next_night(timezone.now())} if spec["schedule_type"] == Schedule.DAILY else {}
            _, created = Schedule.objects.update_or_create(name=name, defaults=fields, create_defaults=fields | first)
            self.stdout.write(f"{'Created' if created else 'Updated'} schedule: {name}")
        # One-off schedules are the app's own (a capture run's retry): they delete themselves once run.
        stale = Schedule.objects.exclude(name__in=SCHEDULES).exclude(schedule_type=Schedule.ONCE)
        for name in stale.values_list("name", flat=True):
            self.stdout.write(f"Deleted schedule: {name}")
        stale.delete()
