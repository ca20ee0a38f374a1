"""Capture in the back office: sources, campaigns, runs and deliveries are read here; they are set up on the Sources
pages (secrets typed there, never shown back) and written by the services."""

from __future__ import annotations

from django.contrib import admin

from crm.admin.base import ReadOnlyAdmin
from scraping.models import AdDelivery, Campaign, ScrapeRun, Source


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "paused", "owner", "updated_at")
    list_filter = ("kind", "paused")
    search_fields = ("name",)
    exclude = ("credentials",)


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("name", "source", "schedule", "enter_as", "paused", "next_run_at")
    list_filter = ("source", "paused", "enter_as")
    search_fields = ("name",)


@admin.register(ScrapeRun)
class ScrapeRunAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "status", "trigger", "created_at", "rows_fetched", "leads_created", "leads_rejected")
    list_filter = ("status", "trigger")
    list_select_related = ("campaign",)
    date_hierarchy = "created_at"


@admin.register(AdDelivery)
class AdDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("source", "platform_lead_id", "status", "received_at", "saved_at", "lead")
    list_filter = ("status", "source")
    search_fields = ("platform_lead_id",)
    list_select_related = ("source", "lead")
    raw_id_fields = ("lead",)
