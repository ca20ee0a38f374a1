"""`manage.py sync_schedules` makes django-q2's schedules match leadflow/schedules.py."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from enrichment.models import EnrichmentJob
from leadflow.schedules import RECONCILERS, SCHEDULES

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


def test_new_daily_jobs_start_tonight_and_a_deploy_does_not_move_them(settings):
    settings.NIGHTLY_HOUR = 3
    call_command("sync_schedules")
    daily = Schedule.objects.filter(schedule_type=Schedule.DAILY)
    assert daily.count() == sum(spec["schedule_type"] == Schedule.DAILY for spec in SCHEDULES.values()) > 5
    for schedule in daily:
        local = timezone.localtime(schedule.next_run)
        assert (local.hour, local.minute) == (3, 0)
        assert timezone.now() < schedule.next_run <= timezone.now() + timedelta(days=1)
    # The minute-by-minute ones are due at once.
    assert not Schedule.objects.filter(schedule_type=Schedule.MINUTES, next_run__gt=timezone.now()).exists()
    # Running the command again (a deploy) leaves each time as it is.
    moved = timezone.now() + timedelta(hours=5)
    daily.update(next_run=moved)
    call_command("sync_schedules")
    assert set(daily.values_list("next_run", flat=True)) == {moved}


def test_it_keeps_the_apps_one_off_schedules():
    # A capture run's retry: it deletes itself once run.
    Schedule.objects.create(name="capture run 7 retry 1", func="math.floor", schedule_type=Schedule.ONCE)
    call_command("sync_schedules")
    assert Schedule.objects.filter(name="capture run 7 retry 1").exists()


def test_every_reconciler_is_scheduled_and_run_by_the_command(capsys, manager_mia):
    call_command("sync_schedules")
    assert {spec["func"] for spec in RECONCILERS.values()} <= set(Schedule.objects.values_list("func", flat=True))
    capsys.readouterr()
    # An enrichment job whose task was lost: queued for longer than a lease, never started.
    job = EnrichmentJob.objects.create(created_by=manager_mia, created_at=timezone.now() - timedelta(hours=1))
    call_command("requeue_stalled_jobs")
    assert "resume stalled enrichment jobs: 1" in capsys.readouterr().out
    job.refresh_from_db()
    assert job.status == "done"  # run at once by the synchronous test cluster
