"""CRM sync in the back office: connections, links, runs and their field changes, read here and written by the
sync's services (Settings → CRM sync); credentials are never shown."""

from __future__ import annotations

from django.contrib import admin

from crm.admin.base import ReadOnlyAdmin
from crm.models import CrmConnection, CrmLink, SyncChange, SyncRun


@admin.register(CrmConnection)
class CrmConnectionAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "direction", "conflict_rule", "schedule", "acting_user", "last_run_at")
    list_select_related = ("acting_user",)
    list_filter = ("kind", "direction", "schedule")
    search_fields = ("name",)
    exclude = ("token", "client_secret")


@admin.register(CrmLink)
class CrmLinkAdmin(ReadOnlyAdmin):
    list_display = ("connection", "lead", "remote_id", "remote_modified_at", "remote_deleted_at")
    list_select_related = ("connection", "lead")
    list_filter = ("connection",)
    search_fields = ("remote_id", "lead__email")


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id", "connection", "direction", "trigger", "status", "created", "updated", "pulled", "skipped", "conflicts",
        "errors", "created_at",
    )  # fmt: skip
    list_select_related = ("connection",)
    list_filter = ("status", "trigger", "connection")
    date_hierarchy = "created_at"


@admin.register(SyncChange)
class SyncChangeAdmin(ReadOnlyAdmin):
    list_display = ("run", "lead", "remote_id", "field", "old", "new", "direction", "winner", "conflict")
    list_select_related = ("run", "lead")
    list_filter = ("direction", "winner", "conflict")
    search_fields = ("remote_id", "lead__email", "field")
