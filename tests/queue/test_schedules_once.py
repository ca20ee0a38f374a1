"""Schedules fire once however many clusters run: two real clusters whose schedulers run at the same moment (both
held back by a lock on the schedules until each is waiting on it) turn each due schedule into one task, not two.

django-q2's scheduler reads the due schedules in a transaction with SELECT … FOR UPDATE and moves each one's next
run before it commits. On PostgreSQL the second scheduler waits on the rows and then reads them again, no longer
due; on SQLite our transactions begin IMMEDIATE (settings.py), so the second waits for the write lock and then reads
what the first wrote. Either way each schedule becomes one task."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import Schedule, Task

from tests.queue.own_redis import OwnRedis
from tests.queue.processes import ManagedProcesses
from tests.queue.test_cluster import manage_environment

pytestmark = pytest.mark.django_db(transaction=True)

SCHEDULES = 60
# django-q2's guard runs the scheduler once every 30 s from the moment the cluster is up ("guarding cluster").
SCHEDULER_AFTER_SECONDS = 30


def _guarding_since(processes: ManagedProcesses, names: list[str], seconds: float = 120) -> dict[str, float]:
    """When each cluster began guarding (its scheduler first runs 30 s later), as seen here."""
    seen: dict[str, float] = {}
    deadline = time.monotonic() + seconds
    while len(seen) < len(names):
        processes.check_alive()
        assert time.monotonic() < deadline, f"the clusters did not start:\n{processes.log_tails()}"
        for name in names:
            if name not in seen and "guarding cluster" in (processes.logs / f"{name}.log").read_text():
                seen[name] = time.monotonic()
        time.sleep(0.05)
    return seen


REDIS_ON_SQLITE = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="README supports one cluster on SQLite, with the database broker; Redis is for PostgreSQL",
)


@pytest.mark.parametrize("broker", ["database", pytest.param("redis", marks=REDIS_ON_SQLITE)])
def test_two_clusters_turn_each_due_schedule_into_one_task(tmp_path, broker):
    redis = OwnRedis(tmp_path).start() if broker == "redis" else None
    due = timezone.now() - timedelta(minutes=5)
    Schedule.objects.bulk_create(
        Schedule(name=f"floor {n}", func="math.floor", args=f"({n}.5,)", schedule_type=Schedule.HOURLY, next_run=due)
        for n in range(SCHEDULES)
    )
    (tmp_path / "logs").mkdir()
    env = manage_environment(media_root=tmp_path, broker=broker, redis_url=redis.url if redis else "", Q_WORKERS="1")
    processes = ManagedProcesses(env, tmp_path / "logs")
    try:
        processes.spawn("cluster-a", "qcluster")
        processes.spawn("cluster-b", "qcluster")
        guarding = _guarding_since(processes, ["cluster-a", "cluster-b"])
        first, last = min(guarding.values()), max(guarding.values())
        # Held from before the first scheduler runs until after the second has started waiting: then both are in
        # the scheduler at once. (SQLite gives up on a lock after 20 s: the clusters must start within ~15 s.)
        assert last - first < 15, guarding
        time.sleep(max(0.0, first + SCHEDULER_AFTER_SECONDS - 3 - time.monotonic()))
        with transaction.atomic():
            # A write on SQLite takes its one write lock; FOR UPDATE on PostgreSQL locks every schedule row.
            held = list(Schedule.objects.select_for_update().values_list("pk", flat=True))
            Schedule.objects.filter(pk=held[0]).update(repeats=-1)
            time.sleep(max(0.0, last + SCHEDULER_AFTER_SECONDS + 2 - time.monotonic()))
        deadline = time.monotonic() + 90
        while Task.objects.filter(group__startswith="floor ").count() < SCHEDULES:
            processes.check_alive()
            assert time.monotonic() < deadline, f"the schedules did not run:\n{processes.log_tails()}"
            time.sleep(0.2)
        time.sleep(2)  # any second task of a schedule would be done by now
    finally:
        processes.stop_all()
        if redis is not None:
            redis.kill()
    per_schedule = Counter(Task.objects.filter(group__startswith="floor ").values_list("group", flat=True))
    assert per_schedule == Counter({f"floor {n}": 1 for n in range(SCHEDULES)})
    assert not Schedule.objects.filter(name__startswith="floor ", next_run__lte=timezone.now()).exists()
    created = "\n".join((tmp_path / "logs" / f"{name}.log").read_text() for name in ("cluster-a", "cluster-b"))
    assert created.count("from schedule [floor ") == SCHEDULES
