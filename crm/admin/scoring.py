"""Scoring in the back office: shown here, changed on Settings, Scoring tab (crm.services.scores)."""

from __future__ import annotations

from django.contrib import admin

from crm.admin.base import ReadOnlyAdmin
from crm.models import IdealCustomerProfile, ScoreSnapshot, ScoringSettings


@admin.register(IdealCustomerProfile)
class IdealCustomerProfileAdmin(ReadOnlyAdmin):
    list_display = ("name", "pipeline", "company_size_min", "company_size_max", "updated_at")
    list_select_related = ("pipeline",)


@admin.register(ScoringSettings)
class ScoringSettingsAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "weight_fit", "weight_completeness", "weight_engagement", "weight_recency", "weight_ai")


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("lead", "score", "grade", "fit", "completeness", "engagement", "recency", "created_at")
    list_select_related = ("lead",)
    list_filter = ("grade",)
    date_hierarchy = "created_at"
    raw_id_fields = ("lead",)
