"""Housekeeping: the daily statistics job gives SQLite's planner what PostgreSQL's autovacuum gathers by itself, and
old successful task results are forgotten on a schedule."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import Task

from leadflow.maintenance import database_optimize, task_results_prune
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_it_gathers_planner_statistics():
    LeadFactory.create_batch(3)
    assert database_optimize() == f"analysed the {connection.vendor} database"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'crm_lead'")
        else:
            cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'crm_lead'")
        assert cursor.fetchone()[0] > 0


def _task(name: str, *, minutes_ago: int, success: bool = True) -> Task:
    stopped = timezone.now() - timedelta(minutes=minutes_ago)
    return Task.objects.create(
        id=name,
        name=name,
        func="leadflow.maintenance.database_optimize",
        started=stopped,
        stopped=stopped,
        success=success,
    )


def test_task_results_prune_keeps_the_newest_successes_and_every_failure(settings):
    settings.TASK_RESULTS_KEPT = 3
    for minutes_ago in range(1, 7):
        _task(f"ok-{minutes_ago}", minutes_ago=minutes_ago)
    _task("failed-long-ago", minutes_ago=60, success=False)

    assert task_results_prune() == "forgot 3 successful tasks, kept the newest 3"

    assert sorted(Task.objects.values_list("name", flat=True)) == ["failed-long-ago", "ok-1", "ok-2", "ok-3"]
    assert task_results_prune() == "forgot 0 successful tasks, kept the newest 3"


def test_task_results_prune_leaves_fewer_than_the_limit_alone(settings):
    settings.TASK_RESULTS_KEPT = 5
    _task("ok", minutes_ago=1)
    assert task_results_prune() == "fewer than 5 successful tasks: none forgotten"
    assert Task.objects.count() == 1


def test_django_q2_does_not_prune_on_every_saved_task(settings):
    """Its own pruning reads and locks every kept success per saved task; the schedule prunes instead."""
    from leadflow.schedules import SCHEDULES

    assert settings.Q_CLUSTER["save_limit"] == 0
    assert SCHEDULES["forget old task results"]["func"] == "leadflow.maintenance.task_results_prune"
