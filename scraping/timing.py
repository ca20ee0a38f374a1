"""Campaign schedules in words: "manual", "hourly", "daily 07:00", "weekly mon 07:00", read in the site's time zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SCHEDULE = re.compile(
    r"^(?:(?P<manual>manual)|(?P<hourly>hourly)|daily\s+(?P<dh>\d{1,2}):(?P<dm>\d{2})"
    r"|weekly\s+(?P<day>mon|tue|wed|thu|fri|sat|sun)\w*\s+(?P<wh>\d{1,2}):(?P<wm>\d{2}))$",
    re.IGNORECASE,
)


def schedule_clean(text: str) -> str:
    """The schedule in its stored form, or a ValidationError saying what is understood."""
    text = " ".join(str(text or "manual").split()).lower()
    match = _SCHEDULE.match(text)
    hour, minute = match and (match["dh"] or match["wh"]), match and (match["dm"] or match["wm"])
    if not match or (hour is not None and (int(hour) > 23 or int(minute) > 59)):
        raise ValidationError(
            f"Unknown schedule {text!r}: use manual, hourly, daily HH:MM or weekly DAY HH:MM (e.g. weekly mon 07:00)."
        )
    if match["manual"] or match["hourly"]:
        return text
    if match["day"]:
        return f"weekly {match['day']} {int(hour):02d}:{minute}"
    return f"daily {int(hour):02d}:{minute}"


def schedule_next(schedule: str, after: datetime, zone: str) -> datetime | None:
    """The first time after `after` the schedule fires (None for manual): one run, however many were missed."""
    match = _SCHEDULE.match(schedule_clean(schedule))
    if match["manual"]:
        return None
    if match["hourly"]:
        return after.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    local = after.astimezone(ZoneInfo(zone))
    hour, minute = int(match["dh"] or match["wh"]), int(match["dm"] or match["wm"])
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if match["day"]:
        candidate += timedelta(days=(DAYS.index(match["day"]) - local.weekday()) % 7)
        step = timedelta(days=7)
    else:
        step = timedelta(days=1)
    while candidate <= local:
        candidate += step
    # Built on the wall clock, then given its zone again, so a daylight-saving change keeps "07:00" at 07:00.
    return candidate.replace(tzinfo=None).replace(tzinfo=ZoneInfo(zone))
