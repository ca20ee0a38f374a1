"""The suppression list page: search and page through it, add an address or domain by hand, import a CSV file, remove
entries after confirming, export it as CSV. Managers and admins change it; everyone else may look."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from leadflow.audit import record
from leadflow.params import ids
from leadflow.roles import can_reassign, role_of
from outreach.models import Suppression
from outreach.suppression import (
    require_manage_suppression,
    suppression_add,
    suppressions_csv,
    suppressions_import,
    suppressions_remove,
)

PER_PAGE = 50


class SuppressionAddForm(forms.Form):
    email = forms.CharField(max_length=254, label="Address or @domain")
    note = forms.CharField(max_length=300, required=False)


class SuppressionImportForm(forms.Form):
    file = forms.FileField(help_text="CSV: the column headed Email is read, else the first.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(f"This file is over the {settings.IMPORT_MAX_BYTES // 2**20} MB limit.")
        return upload


def _require_role(request: HttpRequest) -> None:
    if role_of(request.user) is None:
        raise PermissionDenied("Your account has no role yet.")


def _entries(request: HttpRequest):
    search = request.GET.get("q", "").strip()
    entries = Suppression.objects.select_related("added_by")
    return (entries.filter(email__icontains=search) if search else entries), search


def _page(request: HttpRequest, *, add_form=None, import_form=None, report=None, status: int = 200) -> HttpResponse:
    entries, search = _entries(request)
    context = {
        "page": Paginator(entries, PER_PAGE).get_page(request.GET.get("page")),
        "search": search,
        "can_change": can_reassign(request.user),
        "add_form": add_form or SuppressionAddForm(),
        "import_form": import_form or SuppressionImportForm(),
        "report": report,
    }
    return render(request, "outreach/suppressions.html", context, status=status)


def suppression_list(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    return _page(request)


@require_POST
def suppression_add_view(request: HttpRequest) -> HttpResponse:
    require_manage_suppression(request.user)
    form = SuppressionAddForm(request.POST)
    if form.is_valid():
        try:
            entry = suppression_add(actor=request.user, **form.cleaned_data)
        except ValidationError:
            form.add_error("email", "Enter an email address or a domain written @example.com.")
        else:
            messages.success(request, f"{entry.email} gets no sequence email now.")
            return redirect("outreach:suppressions")
    return _page(request, add_form=form, status=422)


@require_POST
def suppression_import_view(request: HttpRequest) -> HttpResponse:
    require_manage_suppression(request.user)
    form = SuppressionImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, import_form=form, status=422)
    try:
        upload = form.cleaned_data["file"]
        report = suppressions_import(actor=request.user, file=upload.file, name=upload.name)
    except ValidationError as exc:
        form.add_error("file", exc.messages[0])
        return _page(request, import_form=form, status=422)
    messages.success(request, f"Added {report.added} address(es); {report.already_listed} were listed already.")
    return _page(request, report=report)


@require_POST
def suppression_remove_view(request: HttpRequest) -> HttpResponse:
    """Without "confirm": a page naming the entries ticked, asking to confirm; with it: they are removed."""
    require_manage_suppression(request.user)
    chosen = ids(request.POST.getlist("entry"))
    if request.POST.get("confirm") != "yes":
        entries = Suppression.objects.filter(pk__in=chosen)
        return render(request, "outreach/suppressions_remove.html", {"entries": entries})
    removed = suppressions_remove(actor=request.user, ids=chosen)
    messages.success(request, f"Removed {removed} entr{'y' if removed == 1 else 'ies'}: they may get email again.")
    return redirect("outreach:suppressions")


def suppression_export(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    entries, search = _entries(request)
    record("suppressions.exported", request=request, details={"rows": entries.count(), "search": bool(search)})
    response = StreamingHttpResponse(suppressions_csv(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="suppressions-{timezone.localdate().isoformat()}.csv"'
    return response
