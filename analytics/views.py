"""Analytics pages: the index of reports, each report for a scope, and each of its tables as a CSV file."""

from __future__ import annotations

import csv

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from analytics.charts import chart_svg
from analytics.formatting import cell_text, table_csv_rows
from analytics.forms import lead_sources, scope_from_query, scope_query
from analytics.reports import REPORTS, report_page, reports_ordered
from crm.exporting import CSV_BOM, Echo


def analytics_index(request: HttpRequest) -> HttpResponse:
    scope, form = scope_from_query(request.GET, request.user)
    return render(
        request,
        "analytics/index.html",
        {"reports": reports_ordered(), "form": form, "query": urlencode(scope_query(scope))},
    )


def _page_tables(page) -> list[dict]:
    """Each table with its chart drawn and its cells written, ready for the template."""
    return [
        {
            "table": table,
            "chart": chart_svg(table),
            "rows": [
                [(cell_text(row.get(c.key), c.kind), c.kind != "text") for c in table.columns] for row in table.rows
            ],
        }
        for table in page.tables
    ]


def analytics_report(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in REPORTS:
        raise Http404("No such report.")
    scope, form = scope_from_query(request.GET, request.user)
    page = report_page(slug, scope)
    return render(
        request,
        "analytics/report.html",
        {
            "page": page,
            "tables": _page_tables(page),
            "reports": reports_ordered(),
            "form": form,
            "sources": lead_sources(),
            "query": urlencode(scope_query(scope)),
        },
    )


def analytics_table_csv(request: HttpRequest, slug: str, table_slug: str) -> StreamingHttpResponse:
    if slug not in REPORTS:
        raise Http404("No such report.")
    scope, form = scope_from_query(request.GET, request.user)
    if form.errors:
        # A file cannot carry the page's message: refuse rather than answer figures for another range.
        raise BadRequest("; ".join(str(error) for errors in form.errors.values() for error in errors))
    table = next((table for table in report_page(slug, scope).tables if table.slug == table_slug), None)
    if table is None:
        raise Http404("No such table.")
    writer = csv.writer(Echo())
    lines = (CSV_BOM * (index == 0) + writer.writerow(row) for index, row in enumerate(table_csv_rows(table)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"{slug}-{table_slug}-{scope.start.isoformat()}-{scope.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
