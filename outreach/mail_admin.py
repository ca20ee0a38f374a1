"""The back office for mailboxes (their password and key never shown) and message templates (checked on save)."""

from django.contrib import admin

from outreach.mail_forms import MailboxForm, TemplateForm
from outreach.mailboxes import mailbox_save, mailboxes_delete
from outreach.message_templates import template_save
from outreach.models import Mailbox, Template


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["address", "name", "transport", "daily_cap", "warmup_start", "active", "imap_host",
                    "imap_polled_at", "imap_error", "created_at"]  # fmt: skip
    list_filter = ["transport", "active"]
    search_fields = ["address", "name"]
    readonly_fields = ["imap_polled_at", "imap_last_uid", "imap_uidvalidity", "imap_error", "imap_failures",
                       "imap_retry_at"]  # fmt: skip

    def save_model(self, request, obj, form, change) -> None:
        mailbox_save(mailbox=obj, actor=request.user)

    def delete_model(self, request, obj) -> None:
        mailboxes_delete(mailboxes=[obj], actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        mailboxes_delete(mailboxes=list(queryset), actor=request.user)


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = ["name", "subject", "created_by", "updated_at"]
    search_fields = ["name", "subject", "body"]

    def save_model(self, request, obj, form, change) -> None:
        template_save(template=obj, actor=request.user)
