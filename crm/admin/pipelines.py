"""Pipelines, their stages, and the read-only history of stage changes; only admins change pipelines."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from crm.admin.base import AdminsWriteOnly, ReadOnlyAdmin
from crm.models import Pipeline, Stage, StageChange


class StageInline(AdminsWriteOnly, admin.TabularInline):
    model = Stage
    fields = ("name", "position", "kind")
    extra = 0
    ordering = ("position", "id")


@admin.register(Pipeline)
class PipelineAdmin(AdminsWriteOnly, admin.ModelAdmin):
    list_display = ("name", "is_default", "stage_count")
    list_filter = ("is_default",)
    search_fields = ("name",)
    inlines = [StageInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pipeline]:
        return super().get_queryset(request).annotate(stage_count=Count("stages"))

    @admin.display(description="stages", ordering="stage_count")
    def stage_count(self, obj: Pipeline) -> int:
        return obj.stage_count


@admin.register(Stage)
class StageAdmin(AdminsWriteOnly, admin.ModelAdmin):
    list_display = ("name", "pipeline", "position", "kind", "lead_count")
    list_select_related = ("pipeline",)
    list_filter = ("pipeline", "kind")
    search_fields = ("name", "pipeline__name")
    ordering = ("pipeline__name", "position", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Stage]:
        return super().get_queryset(request).annotate(lead_count=Count("leads"))

    @admin.display(description="leads", ordering="lead_count")
    def lead_count(self, obj: Stage) -> int:
        return obj.lead_count


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdmin):
    list_display = ("lead", "from_stage", "to_stage", "actor", "created_at")
    list_select_related = ("lead", "from_stage", "to_stage", "actor")
    list_filter = ("to_stage__pipeline", "to_stage", "actor")
    search_fields = ("lead__first_name", "lead__last_name", "lead__email")
    date_hierarchy = "created_at"
