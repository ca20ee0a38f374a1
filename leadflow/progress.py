"""How far a long job is, said the same way on every progress bar."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def progress_percent(done: int, total: int, *, finished: bool) -> int:
    """Whole percent; 100 only once the job has finished, so a bar never sits full while work remains."""
    if finished:
        return 100
    return min(99, int(100 * done / total)) if total else 0


def progress_seconds_left(started_at: datetime | None, done: int, total: int) -> int | None:
    """Time left at the rate so far, once there is a rate to go by."""
    if not started_at or not done:
        return None
    elapsed = (timezone.now() - started_at).total_seconds()
    return int(elapsed * max(total - done, 0) / done)
