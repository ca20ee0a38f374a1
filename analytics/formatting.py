"""How a figure is written: on a page or in an email (for people), and in a CSV file (for spreadsheets)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma

from analytics.reports import Column, Table
from crm.locale import money_format
from crm.resources import formula_neutralise

NO_FIGURE = "–"
DAY = 86_400


def duration_text(seconds: float) -> str:
    """A span as people say it: "45 min", "5.2 h", "3.4 days"."""
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < DAY:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / DAY:.1f} days"


def cell_text(value: Any, kind: str) -> str:
    """A value as a page or an email shows it."""
    if value is None or value == "":
        return NO_FIGURE if kind != "text" else ""
    if kind == "int":
        return intcomma(int(value))
    if kind == "number":
        return intcomma(round(Decimal(str(value)), 2).normalize() if not isinstance(value, int) else value)
    if kind == "money":
        return money_format(value)
    if kind == "percent":
        return f"{float(value) * 100:.1f}%"
    if kind == "duration":
        return duration_text(float(value))
    return str(value)


def csv_header(column: Column) -> str:
    """The column's label, with the unit its CSV values are in."""
    unit = {"percent": " (%)", "duration": " (days)"}.get(column.kind, "")
    return formula_neutralise(column.label + unit)


def cell_csv(value: Any, kind: str) -> Any:
    """A value for a CSV file: plain numbers (percent as 25.0, durations in days), text neutralised against formulas."""
    if value is None:
        return ""
    if kind == "percent":
        return round(float(value) * 100, 1)
    if kind == "duration":
        return round(float(value) / DAY, 2)
    if kind in ("int", "number", "money"):
        return value
    return formula_neutralise(str(value))


def cell_kind(row: dict[str, Any], column: Column) -> str:
    """The kind of one cell: the column's, unless the row says otherwise (see analytics.reports)."""
    return row.get("_kinds", {}).get(column.key, column.kind)


def table_text_rows(table: Table) -> list[list[tuple[str, bool]]]:
    """The table's cells as people read them, each with whether it is a figure (aligned right)."""
    return [
        [(cell_text(row.get(column.key), cell_kind(row, column)), column.kind != "text") for column in table.columns]
        for row in table.rows
    ]


def table_csv_rows(table: Table) -> list[list[Any]]:
    """The table as CSV rows, header first."""
    rows = [[csv_header(column) for column in table.columns]]
    rows += [[cell_csv(row.get(column.key), cell_kind(row, column)) for column in table.columns] for row in table.rows]
    return rows
