"""Costs: the spend managers enter per source and campaign and month, and ad platforms' spend exports imported."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from analytics.costs import ad_spend_import, require_manage_costs, spend_delete, spend_save
from analytics.forms import AdSpendImportForm, SpendForm, lead_sources
from analytics.models import Spend
from analytics.reports import reports_ordered
from crm.locale import money_format, site_settings

COSTS_PAGE_SIZE = 50


def costs(request: HttpRequest) -> HttpResponse:
    require_manage_costs(request.user)
    form = SpendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            spend = spend_save(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved {money_format(spend.amount)} for {spend.campaign or spend.source}.")
            return redirect("analytics:costs")
    page = Paginator(Spend.objects.select_related("campaign"), COSTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "analytics/costs.html",
        {
            "form": form,
            "import_form": AdSpendImportForm(),
            "page": page,
            "sources": lead_sources(),
            "currency": site_settings().currency,
            "reports": reports_ordered(),
        },
        status=422 if form.errors else 200,
    )


def cost_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_manage_costs(request.user)
    spend = get_object_or_404(Spend, pk=pk, imported=False)
    initial = {
        "month": spend.period_start,
        "source": spend.source,
        "campaign": spend.campaign,
        "amount": spend.amount,
        "note": spend.note,
    }
    form = SpendForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            spend_save(actor=request.user, spend=spend, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Saved the change.")
            return redirect("analytics:costs")
    return render(
        request, "analytics/cost_edit.html", {"form": form, "spend": spend, "sources": lead_sources()},
        status=422 if form.errors else 200,
    )  # fmt: skip


@require_POST
def cost_delete(request: HttpRequest, pk: int) -> HttpResponse:
    spend = get_object_or_404(Spend, pk=pk)
    spend_delete(actor=request.user, spend=spend)
    messages.success(request, f"Deleted {money_format(spend.amount)} for {spend.campaign or spend.source}.")
    return redirect("analytics:costs")


@require_POST
def costs_import(request: HttpRequest) -> HttpResponse:
    require_manage_costs(request.user)
    form = AdSpendImportForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("analytics:costs")
    upload = form.cleaned_data["file"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export"
        with path.open("wb") as file:
            for chunk in upload.chunks():
                file.write(chunk)
        try:
            result = ad_spend_import(
                actor=request.user, path=path, source=form.cleaned_data["source"], file_name=upload.name
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("analytics:costs")
    if result.records_saved:
        messages.success(
            request,
            f"Imported {money_format(result.total)} over {result.records_saved} campaign days "
            f"({result.first_day} to {result.last_day}) for {form.cleaned_data['source']}.",
        )
    else:
        messages.error(request, "Nothing in this file could be imported.")
    for line in result.skipped[:10]:
        messages.warning(request, line)
    if len(result.skipped) > 10:
        messages.warning(request, f"…and {len(result.skipped) - 10} more lines skipped.")
    return redirect("analytics:costs")
