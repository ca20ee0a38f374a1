"""What every analytics page is made of: a scope (date range, filters, who is asking) and reports of tables.

A report is a function of a Scope that answers Tables; pages, CSV downloads, the dashboard and the weekly email
all render the same Tables, so a figure is computed in one place. Reports register themselves with @report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from crm.models import User
from leadflow.roles import sees_all_leads

ColumnKind = Literal["text", "int", "percent", "money", "duration", "number"]
ChartKind = Literal["bar", "line", "funnel"]


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


def report_page(slug: str, scope: Scope) -> ReportPage:
    chosen = REPORTS[slug]
    return ReportPage(report=chosen, scope=scope, tables=chosen.build(scope))
