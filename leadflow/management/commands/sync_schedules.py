from django.core.management.base import BaseCommand
from django.db import transaction
from django_q.models import Schedule

from leadflow.schedules import SCHEDULES


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
            _, created = Schedule.objects.update_or_create(name=name, defaults=fields)
            self.stdout.write(f"{'Created' if created else 'Updated'} schedule: {name}")
        # One-off schedules are the app's own (a capture run's retry): they delete themselves once run.
        stale = Schedule.objects.exclude(name__in=SCHEDULES).exclude(schedule_type=Schedule.ONCE)
        for name in stale.values_list("name", flat=True):
            self.stdout.write(f"Deleted schedule: {name}")
        stale.delete()
