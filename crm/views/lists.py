"""Lead lists: create, rename, archive, remove members; a list opens as a filtered leads table.

A list's owner (its creator), managers and admins change it; everyone uses it (leadflow.roles.can_manage_list).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm.forms import LeadListForm
from crm.models import LeadList
from crm.selectors import leads_visible_to, lists_with_counts
from crm.services.lists import list_create as list_create_service
from crm.services.lists import list_remove_leads, list_set_archived, list_update
from crm.views.leads import leads_table_after_post
from leadflow.params import ids
from leadflow.roles import can_manage_list, require_manage_list, require_write


def list_index(request: HttpRequest) -> HttpResponse:
    show_archived = request.GET.get("archived") == "1"
    lists = list(lists_with_counts(include_archived=show_archived))
    for lead_list in lists:
        lead_list.user_can_manage = can_manage_list(request.user, lead_list)
    return render(request, "crm/lists.html", {"lists": lists, "show_archived": show_archived})


def _list_form_page(request: HttpRequest, lead_list: LeadList | None) -> HttpResponse:
    require_write(request.user)
    if lead_list is not None:
        require_manage_list(request.user, lead_list)
    form = LeadListForm(request.POST or None, instance=lead_list)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in ("name", "description", "folder", "tags")}
        try:
            if lead_list is None:
                lead_list = list_create_service(actor=request.user, **data)
            else:
                lead_list = list_update(lead_list=lead_list, actor=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved list {lead_list.name}.")
            return redirect("crm:lists")
    return render(request, "crm/list_form.html", {"form": form, "lead_list": lead_list})


def list_create(request: HttpRequest) -> HttpResponse:
    return _list_form_page(request, None)


def list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _list_form_page(request, get_object_or_404(LeadList.objects.select_related("created_by"), pk=pk))


@require_POST
def list_archive(request: HttpRequest, pk: int) -> HttpResponse:
    lead_list = get_object_or_404(LeadList.objects.select_related("created_by"), pk=pk)
    archived = request.POST.get("archived", "1") == "1"
    list_set_archived(lead_list=lead_list, actor=request.user, archived=archived)
    messages.success(request, f"{'Archived' if archived else 'Restored'} list {lead_list.name}.")
    return redirect("crm:lists")


@require_POST
def list_remove_members(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove the selected leads from the list and go back to the list's table."""
    lead_list = get_object_or_404(LeadList, pk=pk)
    leads = list(leads_visible_to(request.user).filter(pk__in=ids(request.POST.getlist("leads"))))
    removed = list_remove_leads(lead_list=lead_list, leads=leads, actor=request.user)
    messages.success(request, f"Removed {removed} lead(s) from {lead_list.name}.")
    return leads_table_after_post(request, redirect(f"{reverse('crm:leads')}?list={lead_list.pk}"))
