"""`manage.py sync_schedules` makes django-q2's schedules match leadflow/schedules.py."""

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from leadflow.schedules import SCHEDULES

pytestmark = pytest.mark.django_db


def test_it_creates_updates_and_deletes_schedules():
    Schedule.objects.create(name="retired job", func="math.floor", schedule_type=Schedule.HOURLY)
    name = next(iter(SCHEDULES))
    Schedule.objects.create(name=name, func="math.ceil", schedule_type=Schedule.HOURLY)
    call_command("sync_schedules")
    assert set(Schedule.objects.values_list("name", flat=True)) == set(SCHEDULES)
    schedule = Schedule.objects.get(name=name)
    assert schedule.func == SCHEDULES[name]["func"]
    assert schedule.schedule_type == SCHEDULES[name]["schedule_type"]
    call_command("sync_schedules")
    assert Schedule.objects.count() == len(SCHEDULES)
