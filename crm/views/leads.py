"""The leads table: search, filters, sort, pagination and bulk actions, updated in place through htmx."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm.exporting import FORMATS, LeadExport, csv_lines, export_file_name, filters_of, leads_export_record, xlsx_write
from crm.filters import UNKNOWN_BASIS, LeadFilter, leads_matching
from crm.forms import BulkActionForm, LeadCreateForm
from crm.models import LeadList
from crm.selectors import lead_table_rows, leads_visible_to, leads_with_email
from crm.services.consent import leads_bulk_lawful_basis_set
from crm.services.leads import lead_create, leads_bulk_assign, leads_bulk_move_stage, leads_delete
from crm.services.lists import list_add_leads
from crm.services.pipelines import pipeline_default
from crm.services.versions import leads_changed_after, leads_changed_message
from crm.table_pages import lead_counts_forget, table_page
from crm.views.links import lead_url_prefix
from leadflow.params import id_or_none, moment_or_none
from leadflow.roles import can_reassign, require_write


def _table_context(request: HttpRequest) -> dict:
    seen_at = timezone.now()  # before the rows are read: a bulk change leaves leads changed after it alone
    lead_filter = LeadFilter(request.GET, queryset=leads_visible_to(request.user), request=request)
    page = table_page(
        lead_table_rows(lead_filter.qs),
        lead_filter.sort_keys(),
        request.GET,
        page_ids=lead_filter.page_ids,
        count_by_index=lead_filter.search_indexed,
    )
    list_id = request.GET.get("list")
    current_list = LeadList.objects.filter(pk=id_or_none(list_id)).first() if id_or_none(list_id) else None
    return {
        "filter": lead_filter,
        "page": page,
        "query": _query(request, **NO_PAGE),
        "next_query": _query(request, **{**NO_PAGE, **page.next_params}) if page.next_params else "",
        "previous_query": _query(request, **{**NO_PAGE, **page.previous_params}) if page.previous_params else "",
        "sort_query": {column: _query(request, **NO_PAGE, sort=key) for column, key in SORT_LINKS.items()},
        "export_query": {export_format: _query(request, **NO_PAGE, format=export_format) for export_format in FORMATS},
        "current_list": current_list,
        "bulk_stages": pipeline_default().stages.all(),
        "bulk_lists": LeadList.objects.filter(archived=False),
        "bulk_bases": BulkActionForm.base_fields["to_basis"].choices,
        "bulk_owners": lead_filter.filters["owner"].queryset,
        "seen_at": seen_at.isoformat(),
        "lead_url_prefix": lead_url_prefix(),
    }


# The parameters that say which page of the table: links that change the filter or the sort start again on page 1.
PAGE_PARAMETERS = ["page", "after", "before"]
NO_PAGE: dict[str, None] = dict.fromkeys(PAGE_PARAMETERS)
# Column header -> the order it links to (crm.filters.LeadFilter's sort keys): names A-Z, figures highest first.
SORT_LINKS = {"name": "name", "company": "company", "score": "-score", "value": "-value", "updated": "-updated"}


def _query(request: HttpRequest, **changes: str | None) -> str:
    """The table's state as the URL holds it, with `changes` (None removes a key): each key once, no blanks, so
    links built from it never pile up repeated or empty parameters."""
    query = request.GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    for key in list(query):
        values = [value for value in query.getlist(key) if value]
        if values:
            query.setlist(key, values[-1:])
        else:
            del query[key]
    return query.urlencode()


def lead_list(request: HttpRequest) -> HttpResponse:
    template = "crm/leads.html#table" if request.htmx and not request.htmx.boosted else "crm/leads.html"
    return render(request, template, _table_context(request))


def leads_export(request: HttpRequest) -> HttpResponse:
    """The leads the table shows (its search, filters, sort and list, every page) as a CSV or XLSX download."""
    export_format = request.GET.get("format", "")
    if export_format not in FORMATS:
        raise BadRequest("Export as csv or xlsx.")
    try:
        leads = leads_matching(leads_visible_to(request.user), request.GET)
    except ValidationError as exc:
        raise BadRequest(" ".join(exc.messages)) from exc
    leads_export_record(leads, export_format=export_format, filters=filters_of(request.GET))
    export = LeadExport(leads)
    name = export_file_name(export_format)
    if export_format == "csv":
        response = StreamingHttpResponse(csv_lines(export), content_type=FORMATS["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # A write-only workbook is assembled in a temporary file, then sent from there; FileResponse closes (removes) it.
    file = tempfile.TemporaryFile()  # noqa: SIM115
    xlsx_write(export, file)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=name, content_type=FORMATS["xlsx"])


@require_POST
def leads_bulk(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected leads, then show the table again with a message."""
    require_write(request.user)
    form = BulkActionForm(request.POST, leads=leads_visible_to(request.user).select_related("stage", "owner"))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    elif form.cleaned_data["action"] == "delete" and not form.cleaned_data["confirmed"] and not request.htmx:
        return render(
            request,
            "crm/leads_confirm_delete.html",
            {"form": form, "leads": list(form.cleaned_data["leads"]), "seen_at": request.POST.get("seen_at")},
        )
    else:
        _bulk_apply(request, form.cleaned_data)
    return leads_table_after_post(request, redirect("crm:leads"))


def leads_table_after_post(request: HttpRequest, otherwise: HttpResponse) -> HttpResponse:
    """After a bulk change posted from the table: the table again, in place, with its filters (they travel in the
    hx-include'd form) and the change's message; `otherwise` without htmx."""
    lead_counts_forget()  # the count its user looks at next is the one the change altered
    if not request.htmx:
        return otherwise
    # Only the table's own parameters: the action's fields (ids, csrf token, selection) stay out of its links.
    request.GET = QueryDict(mutable=True)
    for key in [*LeadFilter.base_filters, *PAGE_PARAMETERS]:
        request.GET.setlist(key, request.POST.getlist(key))
    return render(request, "crm/leads.html#table", _table_context(request))


def _bulk_apply(request: HttpRequest, data: dict) -> None:
    leads = list(data["leads"])
    actor = request.user
    action = data["action"]
    # Adding to a list overwrites nothing; the other actions leave leads changed since the table was shown alone.
    seen_at = moment_or_none(request.POST.get("seen_at")) if action != "add_to_list" else None
    if action == "delete" and not data["confirmed"]:
        messages.error(request, "Confirm the deletion first.")
        return
    try:
        if action == "assign":
            changed = leads_bulk_assign(leads=leads, owner=data["to_owner"], actor=actor, seen_at=seen_at)
            done = f"Assigned {changed} lead(s) to {data['to_owner'] or 'nobody'}."
        elif action == "move":
            changed = leads_bulk_move_stage(
                leads=leads, stage=data["to_stage"], actor=actor, seen_at=seen_at, lost_reason=data["lost_reason"]
            )
            done = f"Moved {changed} lead(s) to {data['to_stage']}."
        elif action == "lawful_basis":
            basis = "" if data["to_basis"] == UNKNOWN_BASIS else data["to_basis"]
            changed = leads_bulk_lawful_basis_set(
                leads=leads, basis=basis, source=data["basis_source"] or "Manual", actor=actor, seen_at=seen_at
            )
            done = f"Recorded the lawful basis of {changed} lead(s)."
        elif action == "add_to_list":
            changed = list_add_leads(lead_list=data["to_list"], leads=leads, actor=actor)
            done = f"Added {changed} lead(s) to {data['to_list']}."
        else:
            changed = leads_delete(leads=leads, actor=actor, seen_at=seen_at)
            done = f"Deleted {changed} lead(s)."
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return
    messages.success(request, done)
    changed_meanwhile = leads_changed_after(leads, seen_at)
    if changed_meanwhile:
        messages.warning(request, leads_changed_message(changed_meanwhile))
    left_alone = len(leads) - len(changed_meanwhile) - changed
    if left_alone:
        messages.info(request, f"{left_alone} lead(s) were left alone (not yours to change, or already there).")


def lead_new(request: HttpRequest) -> HttpResponse:
    require_write(request.user)
    stages = pipeline_default().stages.all()
    reassign = can_reassign(request.user)
    form = LeadCreateForm(request.POST or None, stages=stages, can_reassign=reassign)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # A warning, not a refusal: two people may share an address, so "Create anyway" goes ahead.
        duplicates = [] if "create_anyway" in request.POST else leads_with_email(request.user, data["email"])
    if request.method == "POST" and form.is_valid() and not duplicates:
        fields = {name: data[name] for name in LeadCreateForm.Meta.fields}
        if reassign:
            fields["owner"] = data["owner"] or request.user
        lead = lead_create(
            actor=request.user, stage=data["stage"], tags=data["tags"], company_name=data["company_name"], **fields
        )
        messages.success(request, f"Created {lead.full_name}.")
        return redirect("crm:lead", pk=lead.pk)
    return render(request, "crm/lead_create.html", {"form": form, "duplicates": duplicates})
