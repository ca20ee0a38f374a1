"""STAND-IN (seq part): when a step falls due after the previous one."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def step_due_after(step, after: datetime, zone: ZoneInfo) -> datetime:
    if not step.delay_days:
        return after
    if not step.business_days:
        return after + timedelta(days=step.delay_days)
    local = after.astimezone(zone)
    left = step.delay_days
    while left:
        local += timedelta(days=1)
        if local.weekday() < 5:
            left -= 1
    return local.astimezone(after.tzinfo)
