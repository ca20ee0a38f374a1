"""Charts drawn on the server as inline SVG (no script, no CDN): bar, line and funnel, from a Table and its Chart.

Every text in the markup is escaped; colours come from classes styled in static/css/analytics.css (the page's
Content-Security-Policy allows no inline style). The table beside the chart carries the same figures in words.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from analytics.formatting import cell_text
from analytics.reports import Table

WIDTH = 640
LABEL_WIDTH = 170
VALUE_WIDTH = 80
BAR_HEIGHT = 16
ROW_GAP = 10
LINE_HEIGHT = 220
LEGEND_HEIGHT = 22
# Beyond this many rows a bar or funnel chart draws the first ones only; the table holds them all.
MOST_BARS = 20


def _number(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return 0.0


def _short(text: str, length: int = 24) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _legend(table: Table, series: tuple[str, ...]) -> str:
    if len(series) < 2:
        return ""
    parts, x = [], 0
    for index, key in enumerate(series):
        label = table.column(key).label
        parts.append(
            format_html(
                '<rect class="s{}" x="{}" y="4" width="12" height="12"/><text x="{}" y="15">{}</text>',
                index,
                x,
                x + 16,
                label,
            )
        )
        x += 24 + 7 * len(label)
    return "".join(parts)


def _svg(table: Table, height: float, body: str) -> SafeString:
    return format_html(
        '<svg class="chart chart-{}" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-labelledby="chart-{}">'
        '<title id="chart-{}">{}</title>{}</svg>',
        table.chart.kind,
        WIDTH,
        round(height),
        WIDTH,
        round(height),
        table.slug,
        table.slug,
        table.title,
        mark_safe(body),  # noqa: S308 - built from format_html pieces above, every text escaped
    )


def bar_chart(table: Table) -> SafeString:
    """Horizontal bars, one group per row, one bar per series, the value written after each bar."""
    chart = table.chart
    rows = table.rows[:MOST_BARS]
    top = LEGEND_HEIGHT if len(chart.series) > 1 else 0
    group = len(chart.series) * BAR_HEIGHT + ROW_GAP
    largest = max((_number(row.get(key)) for row in rows for key in chart.series), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = [_legend(table, chart.series)]
    for row_index, row in enumerate(rows):
        y = top + row_index * group
        label = str(row.get(chart.x) if row.get(chart.x) not in (None, "") else "(none)")
        parts.append(format_html('<text class="label" x="0" y="{}">{}</text>', y + BAR_HEIGHT - 4, _short(label)))
        for series_index, key in enumerate(chart.series):
            value = row.get(key)
            width = max(_number(value), 0) / largest * room
            bar_y = y + series_index * BAR_HEIGHT
            text = cell_text(value, table.column(key).kind)
            parts.append(
                format_html(
                    '<rect class="s{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>'
                    '<text class="value" x="{}" y="{}">{}</text>',
                    series_index,
                    LABEL_WIDTH,
                    bar_y,
                    round(width, 1),
                    BAR_HEIGHT - 2,
                    table.column(key).label,
                    text,
                    round(LABEL_WIDTH + width + 4, 1),
                    bar_y + BAR_HEIGHT - 4,
                    text,
                )
            )
    return _svg(table, top + max(len(rows), 1) * group, "".join(parts))


def funnel_chart(table: Table) -> SafeString:
    """Centred bars narrowing step by step (the first series), each with its label and value."""
    chart = table.chart
    key = chart.series[0]
    rows = table.rows[:MOST_BARS]
    step = BAR_HEIGHT * 2 + ROW_GAP
    largest = max((_number(row.get(key)) for row in rows), default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    centre = LABEL_WIDTH + room / 2
    parts = []
    for index, row in enumerate(rows):
        value = row.get(key)
        width = max(max(_number(value), 0) / largest * room, 2)
        y = index * step
        text = cell_text(value, table.column(key).kind)
        parts.append(
            format_html(
                '<text class="label" x="0" y="{}">{}</text>'
                '<rect class="s0" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>'
                '<text class="value" x="{}" y="{}">{}</text>',
                y + BAR_HEIGHT + 4,
                _short(str(row.get(chart.x, ""))),
                round(centre - width / 2, 1),
                y,
                round(width, 1),
                BAR_HEIGHT * 2,
                row.get(chart.x, ""),
                text,
                WIDTH - VALUE_WIDTH + 6,
                y + BAR_HEIGHT + 4,
                text,
            )
        )
    return _svg(table, max(len(rows), 1) * step, "".join(parts))


def line_chart(table: Table) -> SafeString:
    """One line per series across the rows (in order, e.g. days), with the axis's largest value and end labels."""
    chart = table.chart
    rows = table.rows
    top = LEGEND_HEIGHT + 10
    left, bottom, right = 50, LINE_HEIGHT - 24, WIDTH - 10
    largest = max((_number(row.get(key)) for row in rows for key in chart.series), default=0) or 1
    step = (right - left) / max(len(rows) - 1, 1)
    axis_kind = table.column(chart.series[0]).kind
    parts = [
        _legend(table, chart.series),
        format_html(
            '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/><line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>'
            '<text class="label" x="0" y="{}">{}</text><text class="label" x="0" y="{}">0</text>',
            left,
            top,
            left,
            bottom,
            left,
            bottom,
            right,
            bottom,
            top + 4,
            cell_text(largest, axis_kind),
            bottom,
        ),
    ]
    for index in sorted({0, len(rows) // 2, len(rows) - 1}) if rows else []:
        anchor = "start" if index == 0 else "end" if index == len(rows) - 1 else "middle"
        parts.append(
            format_html(
                '<text class="label" x="{}" y="{}" text-anchor="{}">{}</text>',
                round(left + index * step, 1),
                bottom + 16,
                anchor,
                str(rows[index].get(chart.x, "")),
            )
        )
    for series_index, key in enumerate(chart.series):
        points = []
        for index, row in enumerate(rows):
            x = round(left + index * step, 1)
            y = round(bottom - _number(row.get(key)) / largest * (bottom - top), 1)
            points.append((x, y, row))
        parts.append(
            format_html(
                '<polyline class="line s{}" points="{}"/>', series_index, " ".join(f"{x},{y}" for x, y, _ in points)
            )
        )
        parts.extend(
            format_html(
                '<circle class="s{}" cx="{}" cy="{}" r="2.5"><title>{} {}: {}</title></circle>',
                series_index,
                x,
                y,
                row.get(chart.x, ""),
                table.column(key).label,
                cell_text(row.get(key), table.column(key).kind),
            )
            for x, y, row in points
        )
    return _svg(table, LINE_HEIGHT, "".join(parts))


DRAWERS = {"bar": bar_chart, "line": line_chart, "funnel": funnel_chart}


def chart_svg(table: Table) -> SafeString:
    """The table's chart as inline SVG markup; empty when it has no chart or no rows."""
    if table.chart is None or not table.rows:
        return mark_safe("")
    return DRAWERS[table.chart.kind](table)
