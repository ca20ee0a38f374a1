"""Settings → CRM sync (admins and managers): connections, their mapping, runs and each run's field changes; and the
leads table's export in each CRM's import format (anyone who sees the leads)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.exporting import filters_of, leads_export_record
from crm.filters import leads_matching
from crm.forms_sync import ConnectionForm, MappingForm
from crm.models import CrmConnection, SyncRun
from crm.selectors import leads_visible_to
from crm.sync.base import SyncError
from crm.sync.clients import client_for
from crm.sync.connections import connection_save
from crm.sync.exports import FORMATS, crm_csv_file_name, crm_csv_lines
from crm.sync.jobs import sync_run_start
from leadflow.params import ids
from leadflow.roles import can_reassign
from leadflow.secrets import secret_masked

RUNS_SHOWN = 20
CHANGES_PAGE = 50


def _require_manage(request: HttpRequest) -> None:
    if not can_reassign(request.user):
        raise PermissionDenied("Only admins and managers can manage CRM connections.")


def crm_sync_settings(request: HttpRequest) -> HttpResponse:
    """The connections with their latest run; POST connects a new one (with the default mapping its account has)."""
    _require_manage(request)
    form = ConnectionForm(request.POST or None, initial={"acting_user": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            connection = connection_save(connection=form.save(commit=False), actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Connected {connection}. Check the field mapping, then run a sync.")
            return redirect("crm:crm_connection", pk=connection.pk)
    connections = CrmConnection.objects.select_related("acting_user").prefetch_related("runs")
    status = 422 if request.method == "POST" else 200
    return render(request, "crm/settings_crm.html", {"form": form, "connections": connections}, status=status)


def crm_connection(request: HttpRequest, pk: int) -> HttpResponse:
    """One connection: its settings, the mapping editor (checked against the CRM's fields) and its runs."""
    _require_manage(request)
    connection = get_object_or_404(CrmConnection.objects.select_related("acting_user"), pk=pk)
    saved = CrmConnection.objects.get(pk=pk)
    form = ConnectionForm(request.POST or None, instance=connection, prefix="connection")
    mapping_form = MappingForm(request.POST or None, mapping=saved.mapping, prefix="map")
    if request.method == "POST" and form.is_valid() and mapping_form.is_valid():
        try:
            connection_save(connection=form.save(commit=False), actor=request.user, mapping=mapping_form.mapping())
        except ValidationError as exc:
            mapping_form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {connection.name}.")
            return redirect("crm:crm_connection", pk=pk)
    try:
        crm_fields = sorted(client_for(saved).field_names())
    except SyncError as exc:
        crm_fields, fields_error = [], str(exc)
    else:
        fields_error = ""
    context = {
        "connection": saved,
        "form": form,
        "mapping_form": mapping_form,
        "token_masked": secret_masked(saved.token),
        "secret_masked": secret_masked(saved.client_secret),
        "crm_fields": crm_fields,
        "fields_error": fields_error,
        "runs": saved.runs.select_related("created_by")[:RUNS_SHOWN],
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "crm/settings_crm_connection.html", context, status=status)


@require_POST
def crm_connection_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a sync now (queued for the job cluster once saved)."""
    _require_manage(request)
    connection = get_object_or_404(CrmConnection, pk=pk)
    direction = request.POST.get("direction") or connection.direction
    if direction not in CrmConnection.Direction.values:
        raise BadRequest("Push, pull or both.")
    run = sync_run_start(connection=connection, actor=request.user, direction=direction)
    messages.success(request, f"Sync #{run.pk} is {run.get_status_display().lower()}.")
    return redirect("crm:crm_connection", pk=pk)


def crm_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's counts and every field it changed, a page at a time."""
    _require_manage(request)
    run = get_object_or_404(SyncRun.objects.select_related("connection", "created_by"), pk=pk)
    changes = run.changes.select_related("lead")
    page = Paginator(changes, CHANGES_PAGE).get_page(request.GET.get("page"))
    return render(request, "crm/settings_crm_run.html", {"run": run, "page": page})


def leads_export_crm(request: HttpRequest) -> HttpResponse:
    """The ticked leads, or the leads the table's filters show, as a CSV in a CRM's own import format."""
    crm = request.GET.get("crm", "")
    if crm not in FORMATS:
        raise BadRequest(f"Export for one of: {', '.join(FORMATS)}.")
    leads = leads_visible_to(request.user)
    selected = ids(request.GET.getlist("leads"))
    try:
        leads = leads.filter(pk__in=selected) if selected else leads_matching(leads, request.GET)
    except ValidationError as exc:
        raise BadRequest(" ".join(exc.messages)) from exc
    filters = {**filters_of(request.GET), "ticked": len(selected)} if selected else filters_of(request.GET)
    leads_export_record(leads, export_format=f"{crm} csv", filters=filters)
    response = StreamingHttpResponse(crm_csv_lines(leads, crm), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{crm_csv_file_name(crm)}"'
    return response
