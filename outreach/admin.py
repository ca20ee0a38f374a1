from django import forms
from django.contrib import admin

from outreach import mail_admin  # noqa: F401 (mailboxes and templates)
from outreach.channels.whatsapp import whatsapp_template_check
from outreach.models import Draft, DraftItem, DraftJob, MessageEvent, Suppression, UnmatchedEmail, WhatsAppTemplate


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


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "note", "added_by", "created_at"]
    list_select_related = ["added_by"]
    list_filter = ["reason"]
    search_fields = ["email", "note"]
    raw_id_fields = ["message", "added_by"]

    # Entries are added through outreach.suppression (the list page, unsubscribes, bounces), which checks them.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MessageEvent)
class MessageEventAdmin(admin.ModelAdmin):
    list_display = ["message", "kind", "machine", "machine_reason", "via", "occurred_at"]
    list_select_related = ["message__step__sequence"]
    list_filter = ["kind", "machine", "via"]
    search_fields = ["provider_event_id", "url", "message__to_email"]
    raw_id_fields = ["message"]

    # What happened is a record: it is never added, changed or removed by hand.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class WhatsAppTemplateForm(forms.ModelForm):
    class Meta:
        model = WhatsAppTemplate
        fields = ["name", "content_sid", "variables", "body_preview", "active"]
        help_texts = {
            "variables": 'What fills {{1}}, {{2}}…, in order, with merge fields: ["{{ first_name }}", "{{ company }}"].'
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            whatsapp_template_check(
                WhatsAppTemplate(content_sid=cleaned["content_sid"], variables=cleaned["variables"])
            )
        return cleaned


@admin.register(WhatsAppTemplate)
class WhatsAppTemplateAdmin(admin.ModelAdmin):
    form = WhatsAppTemplateForm
    list_display = ["name", "content_sid", "active", "body_preview"]
    list_filter = ["active"]
    search_fields = ["name", "content_sid", "body_preview"]


@admin.register(UnmatchedEmail)
class UnmatchedEmailAdmin(admin.ModelAdmin):
    """Email from no lead we know, to look at: the sender may be a lead to add, or spam."""

    list_display = ["received_at", "sender", "subject", "kind", "via", "mailbox"]
    list_filter = ["kind", "via"]
    search_fields = ["sender", "subject", "text"]
    readonly_fields = ["mailbox", "via", "kind", "sender", "recipient", "subject", "message_id", "text", "raw",
                       "received_at"]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False
