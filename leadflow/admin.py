from django.contrib import admin
from django.http import HttpRequest

from leadflow.audit import AuditEvent
from leadflow.models import AiCall
from leadflow.roles import is_admin


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
