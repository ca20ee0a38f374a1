"""The site settings in the back office: shown, and changed on Settings, General tab (the site_settings service)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from crm.models import SiteSettings


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    list_display = ("currency", "time_zone", "updated_by", "updated_at")
    list_select_related = ("updated_by",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
