"""Lead lists and their members in the back office; every change goes through the list services."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from crm.admin.base import ServiceErrorsAsMessages, adopt, tag_text
from crm.models import Lead, LeadList, ListMembership
from crm.services.lists import list_add_leads, list_create, list_remove_leads, list_set_archived, list_update


@admin.register(LeadList)
class LeadListAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    list_display = ("name", "folder", "members", "archived", "created_by", "created_at")
    list_select_related = ("created_by",)
    list_filter = ("archived", "folder", "tags")
    search_fields = ("name", "folder", "description")
    date_hierarchy = "created_at"
    autocomplete_fields = ("tags",)
    fields = ("name", "description", "folder", "tags", "archived", "created_by", "created_at")
    readonly_fields = ("created_by", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[LeadList]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="members", ordering="member_count")
    def members(self, obj: LeadList) -> str:
        # Members are browsed on the leads changelist, which pages and filters them.
        url = reverse("admin:crm_lead_changelist") + f"?lists__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.member_count)

    def save_model(self, request: HttpRequest, obj: LeadList, form, change: bool) -> None:
        data = form.cleaned_data
        details = {
            "name": data["name"],
            "description": data.get("description", ""),
            "folder": data.get("folder", ""),
            "tags": tag_text(data.get("tags")),
        }
        if change:
            saved = list_update(lead_list=LeadList.objects.get(pk=obj.pk), actor=request.user, **details)
        else:
            saved = list_create(actor=request.user, **details)
            adopt(obj, saved)
        if saved.archived != data.get("archived", False):
            list_set_archived(lead_list=saved, actor=request.user, archived=data["archived"])

    def save_related(self, request, form, formsets, change):
        # Tags went through list_create/list_update in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(ListMembership)
class ListMembershipAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    """Members of lists; they are added and removed through the list services and never edited in place."""

    list_display = ("lead", "lead_list", "added_by", "added_at")
    list_select_related = ("lead", "lead_list", "added_by")
    list_filter = ("lead_list",)
    search_fields = ("lead__first_name", "lead__last_name", "lead__email", "lead_list__name")
    date_hierarchy = "added_at"
    autocomplete_fields = ("lead", "lead_list")
    fields = ("lead_list", "lead", "added_by", "added_at")
    readonly_fields = ("added_by", "added_at")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ListMembership, form, change: bool) -> None:
        list_add_leads(lead_list=obj.lead_list, leads=[obj.lead], actor=request.user)
        adopt(obj, obj.lead_list.memberships.get(lead=obj.lead))

    def delete_model(self, request: HttpRequest, obj: ListMembership) -> None:
        list_remove_leads(lead_list=obj.lead_list, leads=[obj.lead], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ListMembership]) -> None:
        by_list: dict[LeadList, list[Lead]] = {}
        for membership in queryset.select_related("lead_list", "lead"):
            by_list.setdefault(membership.lead_list, []).append(membership.lead)
        for lead_list, leads in by_list.items():
            list_remove_leads(lead_list=lead_list, leads=leads, actor=request.user)
