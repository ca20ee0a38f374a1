"""Ids and counts read from a request: one place that turns odd input ("²", "abc", a 30-digit number) into "none
given" or a 404, never into a 500 from int() or from the database's integer range."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

# The largest id a BigAutoField holds, and a bound for offsets and counts (SQLite overflows past it).
LARGEST = 2**63 - 1


def id_or_none(value: str | None) -> int | None:
    """A positive whole number written in ASCII digits and within the database's range, else None.
    ("²".isdigit() is true, but int() refuses it.)"""
    if not value or not (value.isascii() and value.isdecimal()):
        return None
    number = int(value)
    return number if 0 < number <= LARGEST else None


def id_or_404(value: str | None) -> int:
    number = id_or_none(value)
    if number is None:
        raise Http404("No such record.")
    return number


def ids(values: Iterable[str]) -> list[int]:
    """The valid ids among these values (the others dropped)."""
    return [number for value in values if (number := id_or_none(value)) is not None]


def count_or(value: str | None, default: int = 0) -> int:
    """A count or offset: zero or more, within range, else `default`."""
    if value == "0":
        return 0
    number = id_or_none(value)
    return default if number is None else number


def moment_or_none(value: str | None) -> datetime | None:
    """A moment a page wrote into a form (ISO 8601; without an offset, in the site's time zone), else None."""
    try:
        moment = parse_datetime(value or "")
    except ValueError:  # well formed but impossible, such as a 31st of February
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
