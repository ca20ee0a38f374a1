from django.contrib import admin
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.http import HttpRequest

from leadflow.audit import AuditEvent, record
from leadflow.models import AiCall
from leadflow.roles import is_admin

# A bulk deletion's event names this many of the records by id (its count is always complete).
DELETED_IDS_KEPT = 1000


@admin.action(permissions=["delete"], description=django_delete_selected.short_description)
def delete_selected(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset):
    """Django's "Delete selected", written to the audit log once done. A ModelAdmin with its own delete_queryset
    deletes through a service, which writes its own event (leads, users, provider keys, mailboxes)."""
    confirmed = bool(request.POST.get("post"))
    own_service = type(modeladmin).delete_queryset is not admin.ModelAdmin.delete_queryset
    ids = sorted(queryset.values_list("pk", flat=True)) if confirmed and not own_service else []
    response = django_delete_selected(modeladmin, request, queryset)
    if response is None and ids:
        details = {"model": modeladmin.model._meta.label_lower, "count": len(ids), "ids": ids[:DELETED_IDS_KEPT]}
        record("records.deleted", details=details)
    return response


admin.site.add_action(delete_selected, "delete_selected")


@admin.register(AiCall)
class AiCallAdmin(admin.ModelAdmin):
    """Every question put to the model, with what it cost; written only by leadflow.ai, so only read here."""

    list_display = [
        "created_at",
        "purpose",
        "subject",
        "model",
        "status",
        "cached",
        "tokens_in",
        "tokens_out",
        "cost_usd",
    ]
    list_filter = ["status", "purpose", "cached", "model"]
    search_fields = ["subject", "failure"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AiCall._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read only, and for admins only: events are written by leadflow.audit.record and never changed."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id", "object_label", "channel", "ip"]
    list_filter = ["action", "channel", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_label", "action", "object_label", "object_id", "ip"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]
    list_select_related = ["actor"]
    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return is_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
