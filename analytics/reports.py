"""What every analytics page is made of: a scope (date range, filters, who is asking) and reports of tables.

A report is a function of a Scope that answers Tables; pages, CSV downloads, the dashboard and the weekly email
all render the same Tables, so a figure is computed in one place. Reports register themselves with @report.

Values in a row, by the column's kind: text (str), int, number (int, float or Decimal), money (Decimal in the site
currency), percent (a fraction, 0.25 for 25 %), duration (seconds as a float). None shows as a dash (no figure, such as
a rate over zero). A row may carry "_kinds", {column key: kind}, for cells of another kind than their column's (a
table of mixed figures); keys starting with "_" are never columns. analytics/formatting.py writes them for pages,
emails and CSV files alike.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.conf import settings

from crm.locale import site_settings, zone_or_none
from crm.models import User
from leadflow.roles import sees_all_leads

ColumnKind = Literal["text", "int", "percent", "money", "duration", "number"]
ChartKind = Literal["bar", "line", "funnel"]


def site_zone() -> zoneinfo.ZoneInfo:
    """The site's time zone: days begin and end there for every reader, so figures agree between people."""
    return zone_or_none(site_settings().time_zone) or zoneinfo.ZoneInfo(settings.TIME_ZONE)


def site_today() -> date:
    return datetime.now(tz=site_zone()).date()


@dataclass(frozen=True)
class Scope:
    """The figures asked for: a date range (inclusive, in the site's time zone) and optional filters.

    `owner_id` is forced to the asking user for roles that see only their own leads (reps): that rule is here,
    once, and every report reads it from the scope rather than from the user.
    """

    user: User
    start: date
    end: date
    owner_id: int | None = None
    source: str = ""
    list_id: int | None = None
    campaign_id: int | None = None
    sequence_id: int | None = None

    @classmethod
    def for_user(cls, user: User, start: date, end: date, **filters: Any) -> Scope:
        if not sees_all_leads(user):
            filters["owner_id"] = user.pk
        return cls(user=user, start=start, end=end, **filters)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return site_zone()

    @property
    def since(self) -> datetime:
        """The first moment of the range (aware)."""
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def until(self) -> datetime:
        """The first moment after the range (aware, exclusive): filter with created_at__gte=since, __lt=until."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Scope:
        """The same filters over the period of the same length just before this one (for trends)."""
        return dataclasses.replace(
            self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1)
        )

    @property
    def filtered(self) -> bool:
        """Whether any lead filter (owner, source, list, campaign, sequence) narrows the figures."""
        return any((self.owner_id, self.source, self.list_id, self.campaign_id, self.sequence_id))


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Chart:
    """How a table is drawn: `x` names the column along the axis, `series` the numeric columns drawn."""

    kind: ChartKind
    x: str
    series: tuple[str, ...]


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: Chart | None = None
    note: str = ""

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    build: Callable[[Scope], list[Table]]
    order: int = 100


REPORTS: dict[str, Report] = {}


def report(slug: str, title: str, order: int = 100) -> Callable[[Callable[[Scope], list[Table]]], Callable]:
    """Register a report function under /analytics/<slug>/."""

    def register(build: Callable[[Scope], list[Table]]) -> Callable[[Scope], list[Table]]:
        REPORTS[slug] = Report(slug=slug, title=title, build=build, order=order)
        return build

    return register


@dataclass
class ReportPage:
    report: Report
    scope: Scope
    tables: list[Table] = field(default_factory=list)


def reports_ordered() -> list[Report]:
    """Every registered report, in menu order (then by title)."""
    return sorted(REPORTS.values(), key=lambda chosen: (chosen.order, chosen.title))


def report_page(slug: str, scope: Scope) -> ReportPage:
    """The report's tables for the scope; KeyError for an unknown slug (views answer 404 first)."""
    from analytics.sql import report_queries  # the registry stays free of database details

    chosen = REPORTS[slug]
    with report_queries():
        tables = chosen.build(scope)
    return ReportPage(report=chosen, scope=scope, tables=tables)
