from django.contrib import admin

from outreach import mail_admin  # noqa: F401 (mailboxes and templates)
from outreach.models import Draft, DraftItem, DraftJob


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    list_display = ["lead", "channel", "tone", "source", "status", "created_by", "created_at", "decided_by"]
    list_filter = ["channel", "tone", "source", "status"]
    search_fields = ["subject", "body", "lead__first_name", "lead__last_name", "lead__email"]
    raw_id_fields = ["lead", "job"]

    # Drafts change only through the services, which run the checks and keep versions: the admin shows them.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class DraftItemInline(admin.TabularInline):
    model = DraftItem
    raw_id_fields = ["lead", "draft"]
    extra = 0


@admin.register(DraftJob)
class DraftJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "description", "channel", "tone", "status", "progress_done", "progress_total", "created_at"]
    list_filter = ["status", "channel"]
    inlines = [DraftItemInline]
