"""Sending windows: the zone a lead lives in, and the next moment a window (days, from, to, in a zone) is open."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from phonenumbers import timezone as phone_timezones
from phonenumbers.tzdata import TIMEZONE_DATA

from crm.locale import site_settings, zone_or_none
from crm.models import Lead
from crm.normalize import country_region
from outreach.models import WEEKDAYS

# Two zones agree when their offsets match in both halves of the year (London and Jersey do; New York and Chicago
# do not).
_SEASONS = (datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC))


@functools.cache
def _agreed_zone(zones: tuple[str, ...]) -> str:
    """The one zone `zones` amount to, or "" when they differ (a country or number range spanning several)."""
    known = sorted(zone for zone in zones if zone_or_none(zone) is not None)
    if not known:
        return ""
    offsets = {tuple(moment.astimezone(ZoneInfo(zone)).utcoffset() for moment in _SEASONS) for zone in known}
    return known[0] if len(offsets) == 1 else ""


def _region_of(lead: Lead) -> str:
    return country_region(lead.location) or (country_region(lead.company.location) if lead.company else "")


def _phone_zone(phone: str, region: str) -> str:
    try:
        number = phonenumbers.parse(phone, region or None)
    except phonenumbers.NumberParseException:
        return ""
    # A mobile range has no place of its own (Etc/Unknown): its country may still have one zone.
    zone = _agreed_zone(tuple(phone_timezones.time_zones_for_number(number)))
    return zone or _region_zone(phonenumbers.region_code_for_number(number) or "")


def _region_zone(region: str) -> str:
    code = phonenumbers.country_code_for_region(region) if region else 0
    return _agreed_zone(tuple(TIMEZONE_DATA.get(str(code), ()))) if code else ""


def team_zone() -> ZoneInfo:
    """The team's zone: the site settings' (Settings page), else TIME_ZONE."""
    return zone_or_none(site_settings().time_zone) or ZoneInfo(settings.TIME_ZONE)


def lead_zone(lead: Lead, *, team: ZoneInfo | None = None) -> ZoneInfo:
    """The lead's own zone: as recorded, else its phone number's, else its country's when the country has one zone,
    else the team's (`team` saves reading it again when the caller already has it)."""
    zone = zone_or_none(lead.time_zone)
    if zone is None:
        region = _region_of(lead)
        zone = zone_or_none(lead.phone and _phone_zone(lead.phone, region)) or zone_or_none(_region_zone(region))
    if zone is not None:
        return zone
    return team or team_zone()


def _local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    # Through UTC, so that a time the clocks skip (02:30 on the spring change) lands on a real instant.
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def window_next_open(at: datetime, zone: ZoneInfo, days: list[str], start: time, end: time) -> datetime:
    """`at` itself when the window is open then, else the moment it next opens. Days are "mon".."sun" (none listed:
    every day); `end` before `start` is a window over midnight; `end` equal to `start`, the whole day."""
    allowed = set(days) or set(WEEKDAYS)
    if not allowed & set(WEEKDAYS):
        raise ValueError(f"no day of the week in the window's days {days!r}")
    # A window over midnight that opened yesterday may still be open: start looking a day back.
    today = at.astimezone(zone).date()
    for offset in range(-1, 9):
        day = today + timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in allowed:
            continue
        opens = _local(day, start, zone)
        closes = _local(day + timedelta(days=1 if end <= start else 0), end, zone)
        if at.astimezone(UTC) < closes:
            return max(at, opens)
    raise AssertionError("a week always holds an allowed day")  # unreachable: `allowed` names a weekday


@dataclass(frozen=True)
class Window:
    """Sending days and hours in a zone: a sequence's in the lead's zone, a mailbox's in its own."""

    zone: ZoneInfo
    days: list[str]
    start: time
    end: time

    def next_open(self, at: datetime) -> datetime:
        return window_next_open(at, self.zone, self.days, self.start, self.end)


def windows_next_open(at: datetime, windows: list[Window]) -> datetime:
    """The first moment at or after `at` when every window is open; a fortnight of tries finds any overlap two
    weekly windows have (windows that never overlap give the latest moment tried, so the message waits)."""
    for _ in range(14 * len(windows)):
        latest = max(window.next_open(at) for window in windows)
        if latest == at:
            return at
        at = latest
    return at


def day_after(at: datetime, zone: ZoneInfo) -> datetime:
    """Midnight starting the day after `at` in `zone`: when the day's caps there start again."""
    return _local(at.astimezone(zone).date() + timedelta(days=1), time(0), zone)
