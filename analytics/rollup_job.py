"""The rollup job: `manage.py analytics_rollup` and the nightly schedule store the grain rows (analytics.rollups)
of whole past days, under a lease so two workers never write them at once.

Every grain is counted over every lead and again per list and per sequence of the leads' (their segments, each in
one pass: analytics.grains.SEGMENT_JOINS), so a report narrowed to one reads stored rows too. Each run replaces the
rows of the days it counts (delete, then insert) and moves RollupState.through in one transaction: a report reads
either the old rows or the new ones, never half of each, and a run repeated gives the same rows. A full run counts
every day since the first lead; a partial one the last `days` days (and any days since the previous run): figures of
older days that follow leads to today (stage reached, score, replies, lists) wait for a full one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from analytics.grains import SEGMENT_JOINS
from analytics.models import RollupState
from analytics.reports import Scope, site_today
from analytics.rollups import FIRST_DAY, ROLLUPS, rollup_basis
from leadflow.leases import lease_claim

# A runner silent this long has died: the next one takes over (a full run at a million leads takes a few minutes).
STALL_SECONDS = 3600
NIGHTLY_DAYS = 3
BATCH = 5000


@dataclass
class RollupResult:
    ran: bool
    start: object = None
    through: object = None
    full: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def __str__(self) -> str:
        if not self.ran:
            return "Another analytics rollup is running: nothing done."
        kind = "full rebuild" if self.full else "refresh"
        counts = ", ".join(f"{name} {count}" for name, count in self.rows.items())
        return f"Analytics rollup ({kind}) of {self.start} to {self.through}: {counts} rows, in {self.seconds:.1f} s."


def analytics_rollup(days: int = NIGHTLY_DAYS, *, full: bool = False) -> RollupResult:
    """Count the last `days` whole days (every day with `full`, or when the stored ones were counted under other
    settings) into the rollup tables, unless another runner holds the lease."""
    RollupState.objects.get_or_create(pk=1)
    runner = lease_claim(RollupState.objects.all(), job_id=1, running="running", stall_seconds=STALL_SECONDS)
    if runner is None:
        return RollupResult(ran=False)
    started = time.perf_counter()
    mine = RollupState.objects.filter(pk=1, lease_owner=runner)
    try:
        state = RollupState.objects.get(pk=1)
        basis, through = rollup_basis(), site_today() - timedelta(days=1)
        full = full or state.through is None or state.basis != basis
        start = FIRST_DAY if full else min(state.through + timedelta(days=1), through - timedelta(days=days - 1))
        scope = Scope(user=None, start=start, end=through)
        result = RollupResult(ran=True, start=None if full else start, through=through, full=full)

        def heartbeat() -> None:
            mine.update(heartbeat_at=timezone.now(), lease_expires_at=timezone.now() + timedelta(seconds=STALL_SECONDS))

        with transaction.atomic():
            for chosen in ROLLUPS.values():
                result.rows[chosen.name] = _replace(chosen, scope, heartbeat)
            mine.update(through=through, basis=basis, finished_at=timezone.now())
        _analyse({chosen.model for chosen in ROLLUPS.values()})
    finally:
        mine.update(status="idle", started_at=None, lease_owner="", lease_expires_at=None)
    result.seconds = time.perf_counter() - started
    return result


def _replace(chosen, scope: Scope, heartbeat: Callable[[], None]) -> int:
    """The rollup's rows of the scope's days, in every segment, written again; how many."""
    chosen.model.objects.filter(day__gte=scope.start, day__lte=scope.end, **chosen.owns).delete()
    fields = ("day", *chosen.dims, *chosen.measures)
    written = 0
    for segment_by in ("", *SEGMENT_JOINS):
        batch = []
        for row in chosen.grain(scope, segment_by):
            batch.append(chosen.model(segment=row.get("segment", ""), **{name: row[name] for name in fields}))
            if len(batch) >= BATCH:
                written += len(chosen.model.objects.bulk_create(batch))
                batch = []
        written += len(chosen.model.objects.bulk_create(batch))
        heartbeat()
    return written


def _analyse(models: set) -> None:
    """Planner statistics of the rewritten tables (PostgreSQL): a freshly filled table read with none is read whole;
    and, outside a transaction, a vacuum, so covering indexes are read without the rows."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in sorted(models, key=lambda model: model._meta.db_table):
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def analytics_rollup_nightly() -> str:
    """The schedule's task: a full run, so figures that follow older leads to today (their stage, score, replies)
    are counted again each night; it takes minutes at a million leads (README, Benchmarks)."""
    return str(analytics_rollup(full=True))
