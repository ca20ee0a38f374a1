"""Outgoing webhooks in the back office, read only (they are managed on Settings → Webhooks, Admins only); the
signing secret is never shown here."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from crm.admin.base import ReadOnlyAdmin
from crm.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from leadflow.roles import is_admin


class AdminsOnly(ReadOnlyAdmin):
    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_admin(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request.user)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AdminsOnly):
    list_display = ("name", "url", "format", "active", "consecutive_failures", "created_by", "created_at")
    list_filter = ("active", "format")
    search_fields = ("name", "url")
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AdminsOnly):
    list_display = ("event", "subscription", "status", "attempts", "last_status_code", "next_attempt_at", "created_at")
    list_select_related = ("event", "subscription")
    list_filter = ("status", "subscription")
    date_hierarchy = "created_at"


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(AdminsOnly):
    list_display = ("delivery", "started_at", "status_code", "duration_ms", "succeeded", "error")
    list_select_related = ("delivery__event", "delivery__subscription")
    list_filter = ("succeeded",)
    date_hierarchy = "started_at"
