"""STAND-IN for the send part's time zones (dropped at merge)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings

from crm.locale import zone_or_none


def lead_zone(lead) -> ZoneInfo:
    return zone_or_none(lead.time_zone) or ZoneInfo(settings.TIME_ZONE)
