"""The site settings in the back office: shown, and changed on Settings, General tab (the site_settings service)."""

from __future__ import annotations

from django.contrib import admin

from crm.admin.base import ReadOnlyAdmin
from crm.models import SiteSettings


@admin.register(SiteSettings)
class SiteSettingsAdmin(ReadOnlyAdmin):
    list_display = ("currency", "time_zone", "updated_by", "updated_at")
    list_select_related = ("updated_by",)
