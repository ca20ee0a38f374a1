"""Analytics pages: the index of reports, each report for a scope, and each of its tables as a CSV file."""

from __future__ import annotations

import csv
from datetime import timedelta

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode

from analytics.charts import chart_svg
from analytics.formatting import table_csv_rows, table_text_rows
from analytics.forms import lead_sources, scope_from_query, scope_query
from analytics.headline import headline_figures
from analytics.reports import REPORTS, Scope, report_page, reports_ordered, site_today
from analytics.sql import report_queries
from analytics.summary import summary_opt_set, wants_summary
from crm.exporting import CSV_BOM, Echo
from leadflow.audit import record
from leadflow.roles import can_reassign

# The dashboard's figures cover this many days, against as many before.
PANEL_DAYS = 30
# Every visit to the dashboard asks for the panel: its figures are kept this long (per owner seen) between visits.
PANEL_CACHE_SECONDS = 300


def analytics_index(request: HttpRequest) -> HttpResponse:
    scope, form = scope_from_query(request.GET, request.user)
    return render(
        request,
        "analytics/index.html",
        {"reports": reports_ordered(), "form": form, "query": urlencode(scope_query(scope))},
    )


def panel_scope(user) -> Scope:
    today = site_today()
    return Scope.for_user(user, today - timedelta(days=PANEL_DAYS - 1), today)


def panel_cache_key(scope: Scope) -> str:
    return f"analytics:headline:{scope.owner_id or 'all'}:{scope.start}:{scope.end}"


def headline_panel(request: HttpRequest) -> HttpResponse:
    """The dashboard's headline figures, last 30 days against the 30 before (loaded into the dashboard by htmx: crm
    imports nothing of analytics, its template only names this URL)."""
    scope = panel_scope(request.user)
    key = panel_cache_key(scope)
    figures = cache.get(key)
    if figures is None:
        with report_queries():
            figures = headline_figures(scope)
        cache.set(key, figures, PANEL_CACHE_SECONDS)
    return render(
        request,
        "analytics/_headline.html",
        {"figures": figures, "scope": scope, "query": urlencode(scope_query(scope))},
    )


def summary_settings(request: HttpRequest) -> HttpResponse:
    """Whether the signed-in manager or admin gets the weekly summary email."""
    eligible = can_reassign(request.user)
    if request.method == "POST" and eligible:
        wanted = request.POST.get("wanted") == "1"
        summary_opt_set(user=request.user, wanted=wanted)
        messages.success(request, "You will get the weekly summary." if wanted else "No more weekly summaries.")
        return redirect("analytics:summary_settings")
    return render(
        request, "analytics/summary_settings.html", {"eligible": eligible, "wanted": wants_summary(request.user)}
    )


def _page_tables(page) -> list[dict]:
    """Each table with its chart drawn and its cells written, ready for the template."""
    return [
        {
            "table": table,
            "chart": chart_svg(table),
            "rows": table_text_rows(table),
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
    details = {"report": slug, "table": table_slug, "scope": scope_query(scope), "rows": len(table.rows)}
    record("analytics.exported", request=request, details=details)
    writer = csv.writer(Echo())
    lines = (CSV_BOM * (index == 0) + writer.writerow(row) for index, row in enumerate(table_csv_rows(table)))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"{slug}-{table_slug}-{scope.start.isoformat()}-{scope.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
