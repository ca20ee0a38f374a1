"""Settings → Do-not-call list: upload numbers (CSV or XLSX), see and remove them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.importing.reading import FileRefused
from crm.models import DoNotCallNumber
from crm.services.do_not_call import do_not_call_remove, do_not_call_upload, require_manage_do_not_call
from crm.views.uploads import uploaded_path


class DoNotCallUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX; the column named Phone (or Number, Mobile) is read, else the first.")
    region = forms.CharField(
        max_length=2, required=False, help_text="Two-letter country for numbers written without +code (e.g. GB)."
    )


def do_not_call_settings(request: HttpRequest) -> HttpResponse:
    require_manage_do_not_call(request.user)
    form = DoNotCallUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with uploaded_path(upload) as path:
                report = do_not_call_upload(
                    actor=request.user,
                    path=path,
                    original_name=upload.name,
                    region=form.cleaned_data["region"].upper(),
                )
        except (FileRefused, ValidationError, ValueError) as exc:
            form.add_error("file", str(exc.messages[0] if isinstance(exc, ValidationError) else exc))
        else:
            messages.success(request, f"Added {report.added} number(s); {report.already_listed} were listed already.")
    search = request.GET.get("q", "").strip()
    numbers = DoNotCallNumber.objects.select_related("added_by")
    if search:
        numbers = numbers.filter(number__contains=search.replace(" ", ""))
    page = Paginator(numbers, 50).get_page(request.GET.get("page"))
    status = 422 if request.method == "POST" and not form.is_valid() else 200
    context = {"form": form, "report": report, "page": page, "search": search}
    return render(request, "crm/settings_do_not_call.html", context, status=status)


@require_POST
def do_not_call_delete(request: HttpRequest) -> HttpResponse:
    removed = do_not_call_remove(actor=request.user, numbers=request.POST.getlist("number"))
    messages.success(request, f"Removed {removed} number(s) from the do-not-call list.")
    return redirect("crm:settings_do_not_call")
