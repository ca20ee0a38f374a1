"""Import jobs, their rejected rows and changes, saved mappings, duplicate pairs, merges and the do-not-call list:
read in the back office, written only by their services (the app's Imports, Duplicates and Settings pages)."""

from __future__ import annotations

from django.contrib import admin

from crm.admin.base import ReadOnlyAdmin
from crm.models import (
    DoNotCallNumber,
    DuplicateCandidate,
    ImportChange,
    ImportJob,
    ImportRejection,
    MergeRecord,
    RetentionReport,
    SavedMapping,
    SuppressedPerson,
)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "original_name", "status", "created_by", "created_at", "rows_read", "rows_imported", "rows_updated",
        "rows_skipped", "rows_rejected",
    )  # fmt: skip
    list_select_related = ("created_by",)
    list_filter = ("status", "on_duplicate", "created_by")
    search_fields = ("original_name",)
    date_hierarchy = "created_at"


@admin.register(ImportRejection)
class ImportRejectionAdmin(ReadOnlyAdmin):
    list_display = ("job", "line", "column", "reason", "kind")
    list_select_related = ("job",)
    list_filter = ("kind",)
    search_fields = ("reason", "job__original_name")


@admin.register(ImportChange)
class ImportChangeAdmin(ReadOnlyAdmin):
    list_display = ("job", "lead", "created_at")
    list_select_related = ("job", "lead")
    search_fields = ("job__original_name", "lead__email")


@admin.register(SavedMapping)
class SavedMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "created_at")
    list_select_related = ("created_by",)
    search_fields = ("name",)
    readonly_fields = ("created_by", "created_at")


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(ReadOnlyAdmin):
    list_display = ("lead_a", "lead_b", "score", "reason", "status", "found_at")
    list_select_related = ("lead_a", "lead_b")
    list_filter = ("status",)
    search_fields = ("lead_a__email", "lead_b__email", "reason")


@admin.register(MergeRecord)
class MergeRecordAdmin(ReadOnlyAdmin):
    list_display = ("merged_lead_id", "survivor", "actor", "created_at")
    list_select_related = ("survivor", "actor")
    date_hierarchy = "created_at"


@admin.register(DoNotCallNumber)
class DoNotCallNumberAdmin(ReadOnlyAdmin):
    """Read here; uploaded and removed on Settings → Do-not-call list."""

    list_display = ("number", "origin", "added_by", "added_at")
    list_select_related = ("added_by",)
    search_fields = ("number", "origin")


@admin.register(SuppressedPerson)
class SuppressedPersonAdmin(ReadOnlyAdmin):
    """People erased at their request, as keyed hashes only (crm.privacy); written by erasures alone."""

    list_display = ("kind", "digest", "created_at")
    list_filter = ("kind",)
    search_fields = ("digest",)


@admin.register(RetentionReport)
class RetentionReportAdmin(ReadOnlyAdmin):
    list_display = ("made_at", "months", "dry_run", "found", "erased", "oldest")
    list_filter = ("dry_run",)
    date_hierarchy = "made_at"
