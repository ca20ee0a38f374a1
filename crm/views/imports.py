"""Importing files: upload, map the columns with a live preview, watch the progress, download rejects, undo."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from crm.exporting import Echo
from crm.forms_import import MappingForm, SavedMappingChoiceForm, UploadForm
from crm.importing.drafts import CellProblem, LeadDraft
from crm.importing.jobs import (
    import_job_create,
    import_job_start,
    import_preview,
    mapping_clean,
    mapping_from_saved,
    mapping_save,
)
from crm.importing.undo import import_job_undo
from crm.models import ImportJob, ImportRejection
from crm.resources import formula_neutralise
from crm.selectors import imports_visible_to
from crm.views.uploads import uploaded_path
from leadflow.audit import record
from leadflow.roles import can_reassign, require_write


def _visible_job(request: HttpRequest, pk: int) -> ImportJob:
    try:
        return imports_visible_to(request.user).get(pk=pk)
    except ImportJob.DoesNotExist as exc:
        raise Http404("No such import.") from exc


def import_list(request: HttpRequest) -> HttpResponse:
    """The import history, newest first, with the upload form on top."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        require_write(request.user)
        if form.is_valid():
            try:
                job = _job_from_upload(request, form.cleaned_data["file"])
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                return redirect("crm:import_mapping", pk=job.pk)
    page = Paginator(imports_visible_to(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "crm/imports.html", {"form": form, "page": page})


def _job_from_upload(request: HttpRequest, upload) -> ImportJob:
    with uploaded_path(upload) as path:
        return import_job_create(actor=request.user, path=path, original_name=upload.name)


def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose a field per column; the preview shows the first rows as they will be stored."""
    job = _visible_job(request, pk)
    if job.status != ImportJob.Status.MAPPING:
        return redirect("crm:import", pk=job.pk)
    require_write(request.user)
    saved_form = SavedMappingChoiceForm(request.GET or None)
    suggestion = job.mapping
    if saved_form.is_valid() and saved_form.cleaned_data["saved"]:
        suggestion = mapping_from_saved(job.headers, saved_form.cleaned_data["saved"].columns, job.mapping)
    form = MappingForm(
        request.POST or None, headers=job.headers, mapping=suggestion, can_reassign=can_reassign(request.user)
    )
    error = ""
    if request.method == "POST" and "start" in request.POST and form.is_valid():
        try:
            mapping = mapping_clean(job.headers, form.mapping())
            if form.cleaned_data["save_as"]:
                mapping_save(
                    actor=request.user, name=form.cleaned_data["save_as"], headers=job.headers, mapping=mapping
                )
            import_job_start(
                job=job,
                actor=request.user,
                mapping=mapping,
                on_duplicate=form.cleaned_data["on_duplicate"],
                lead_list=form.cleaned_data["lead_list"],
                owner=form.cleaned_data.get("owner"),
                region=form.cleaned_data["region"],
                enrich_after=form.cleaned_data["enrich_after"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("crm:import", pk=job.pk)
    job.mapping = form.mapping()
    job.region = form.phone_region()
    context = {"job": job, "form": form, "saved_form": saved_form, "error": error, "preview": _preview(job)}
    template = (
        "crm/import_mapping.html#preview" if request.htmx and "start" not in request.POST else "crm/import_mapping.html"
    )
    return render(request, template, context)


# What the mapping page's preview shows of a file, however wide its rows or long its cells: the page is redrawn
# on every change of a select, and a wide file once made it 15 MB. (The cell length is in the template.)
PREVIEW_ROWS = 5
PREVIEW_CUSTOM_FIELDS = 8
PREVIEW_PROBLEMS = 5


@dataclass(frozen=True)
class PreviewRow:
    """One previewed row: its draft, with the custom fields and problems the preview has room for."""

    draft: LeadDraft
    custom: list[tuple[str, str]]
    custom_more: int
    problems: list[CellProblem]
    problems_more: int


def _preview(job: ImportJob) -> list[PreviewRow]:
    """Rows as they would be stored under the mapping being edited (an invalid mapping previews nothing)."""
    try:
        mapping_clean(job.headers, job.mapping)
    except ValidationError:
        return []
    rows = []
    for draft in import_preview(job, count=PREVIEW_ROWS):
        custom = list(draft.custom.items())
        rows.append(
            PreviewRow(
                draft=draft,
                custom=custom[:PREVIEW_CUSTOM_FIELDS],
                custom_more=max(len(custom) - PREVIEW_CUSTOM_FIELDS, 0),
                problems=draft.problems[:PREVIEW_PROBLEMS],
                problems_more=max(len(draft.problems) - PREVIEW_PROBLEMS, 0),
            )
        )
    return rows


# Problems and skipped rows the import page lists (all of them are in the admin and the rejected-rows download).
PROBLEMS_SHOWN = 200


def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    return render(request, "crm/import_detail.html", _detail_context(job))


def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block, polled by htmx while the job runs, with the problems panel swapped in beside it, so the
    list of problems keeps up with the counts."""
    context = _detail_context(_visible_job(request, pk))
    progress = render_to_string("crm/import_detail.html#progress", context, request)
    problems = render_to_string("crm/import_detail.html#problems", {**context, "out_of_band": True}, request)
    return HttpResponse(progress + problems)


def _detail_context(job: ImportJob) -> dict:
    return {"job": job, "problems": job.rejections.select_related("lead")[:PROBLEMS_SHOWN]}


def import_rejected(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The rejected rows as a CSV to fix and import again: the file's columns plus the line and the reason."""
    job = _visible_job(request, pk)
    rows = job.rejections.filter(kind=ImportRejection.Kind.REJECTED).count()
    record("import.rejected_downloaded", request=request, target=job, details={"rows": rows})
    writer = csv.writer(Echo())

    def lines():
        # Header cells come from the file too: "=HYPERLINK(...)" as a column name is as live as in a row.
        yield writer.writerow([formula_neutralise(cell) for cell in ["Line", "Reason", *job.headers]])
        for rejection in job.rejections.filter(kind=ImportRejection.Kind.REJECTED).iterator(chunk_size=2000):
            cells = [rejection.line, rejection.reason, *rejection.values]
            yield writer.writerow([formula_neutralise(cell) for cell in cells])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = Path(job.original_name).stem or "import"
    response["Content-Disposition"] = f'attachment; filename="{name}-rejected.csv"'
    return response


@require_POST
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    try:
        report = import_job_undo(job=job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        kept = f"; {report['kept']} kept because someone worked on them since" if report["kept"] else ""
        restored = f"{report['restored']} restored to their previous values"
        messages.success(request, f"Undone: {report['removed']} lead(s) removed, {restored}{kept}.")
    return redirect("crm:import", pk=job.pk)
