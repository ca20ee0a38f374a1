"""Leads, companies and tags in the back office: import and export, bulk actions, and saves and deletes that go
through the lead services so they land on the timeline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from import_export.admin import ExportActionMixin, ImportExportModelAdmin

from crm.admin.base import ImportWithinLimits, ServiceErrorsAsMessages, adopt, bulk_form_action, counted, tag_text
from crm.lead_fields import LAWFUL_BASIS_FIELDS, LEAD_FACT_GROUPS
from crm.models import Activity, Company, Lead, LeadList, ListMembership, Note, Stage, StageChange, Tag, Task
from crm.normalize import domain_from_url
from crm.resources import EXPORT_FORMATS, IMPORT_FORMATS, CompanyResource, LeadResource, lead_apply_edits
from crm.selectors import active_users, leads_visible_to
from crm.services.leads import (
    EDITABLE_FIELDS,
    lead_create,
    leads_bulk_assign,
    leads_bulk_move_stage,
    leads_delete,
    lost_reason_check,
)
from crm.services.lists import list_add_leads
from crm.services.versions import lead_require_version, lead_version

# Companies and tags --------------------------------------------------------------------------------------------------


class CompanyForm(forms.ModelForm):
    """The admin's company form (its model and fields come from CompanyAdmin)."""

    def clean_domain(self) -> str:
        """The registrable domain, which the company rule (crm.companies) finds companies by."""
        typed = self.cleaned_data["domain"]
        domain = domain_from_url(typed) if typed else ""
        if typed and not domain:
            raise forms.ValidationError("Give the company's domain, such as acme.com.")
        return domain


@admin.register(Company)
class CompanyAdmin(ImportWithinLimits, ExportActionMixin, ImportExportModelAdmin):
    resource_classes = [CompanyResource]
    form = CompanyForm
    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS
    list_display = ("name", "domain", "industry", "size", "location", "lead_count", "created_at")
    list_filter = ("industry", "size")
    search_fields = ("name", "domain", "website")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Company]:
        return super().get_queryset(request).annotate(lead_count=Count("leads"))

    @admin.display(description="leads", ordering="lead_count")
    def lead_count(self, obj: Company) -> int:
        return obj.lead_count

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_valid_export_item_pks(self, request: HttpRequest):
        # The library's default is deprecated and ignores get_queryset.
        return self.get_queryset(request).values_list("pk", flat=True)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "lead_count")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        return super().get_queryset(request).annotate(lead_count=Count("leads"))

    @admin.display(description="leads", ordering="lead_count")
    def lead_count(self, obj: Tag) -> int:
        return obj.lead_count


# Leads ---------------------------------------------------------------------------------------------------------------


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=active_users(), required=False, empty_label="Nobody (unassigned)", label="New owner"
    )


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Stage) -> str:
        return f"{obj.pipeline.name} › {obj.name}"


class StageForm(forms.Form):
    stage = StageChoiceField(
        queryset=Stage.objects.select_related("pipeline").order_by("pipeline__name", "position", "id"),
        label="Move to stage",
    )
    lost_reason = forms.CharField(max_length=300, required=False, help_text="Needed for a move to a lost stage.")


class ListForm(forms.Form):
    lead_list = forms.ModelChoiceField(queryset=LeadList.objects.filter(archived=False), label="Add to list")


class LeadAdminForm(forms.ModelForm):
    """The lead change form, carrying the version of the lead it shows: a save made on an older one is refused. A move
    to a lost stage says why, as everywhere else."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    lost_reason = forms.CharField(
        label="Why was it lost?", required=False, help_text="Needed when the lead moves to a lost stage."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["version"] = lead_version(self.instance)

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk:
            # The instance was read for this request: it holds the lead's current version.
            lead_require_version(self.instance, data.get("version") or "")
        stage = data.get("stage")
        if self.instance.pk and stage and "stage" in self.changed_data:
            try:
                data["lost_reason"] = lost_reason_check(stage, data.get("lost_reason") or "")
            except ValidationError as exc:
                self.add_error("lost_reason", exc)
        return data


# Timeline rows are deleted with their lead, though nobody may delete them one by one.
LEAD_OWNED_MODELS = (Activity, StageChange, ListMembership, Note, Task)


@admin.register(Lead)
class LeadAdmin(ImportWithinLimits, ServiceErrorsAsMessages, ExportActionMixin, ImportExportModelAdmin):
    resource_classes = [LeadResource]
    form = LeadAdminForm
    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS
    list_display = (
        "__str__",
        "email",
        "company",
        "stage",
        "owner",
        "lifecycle",
        "grade",
        "score",
        "tag_names",
        "updated_at",
    )
    list_select_related = ("company", "owner", "stage")
    list_filter = (
        "lifecycle",
        "grade",
        "stage__pipeline",
        "stage",
        "owner",
        "do_not_contact",
        "lawful_basis",
        "source",
        "tags",
        "lists",
    )
    search_fields = ("first_name", "last_name", "email", "phone", "company__name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("company", "tags")
    # The lawful basis is shown, never edited here: the lead page and the API record it (crm.services.consent).
    readonly_fields = ("score", "custom_fields", *LAWFUL_BASIS_FIELDS, "created_at", "updated_at")
    # The facts as crm.lead_fields groups them, with where the lead stands in the pipeline.
    fieldsets = (
        ("Person", {"fields": LEAD_FACT_GROUPS["Person"]}),
        ("Where", {"fields": LEAD_FACT_GROUPS["Where"]}),
        ("Pipeline", {"fields": ("stage", "lost_reason", "owner", "score", *LEAD_FACT_GROUPS["Standing"])}),
        ("Lawful basis", {"fields": LAWFUL_BASIS_FIELDS}),
        ("More", {"fields": ("tags", "custom_fields", "created_at", "updated_at", "version")}),
    )
    actions = ["assign_owner", "move_stage", "add_to_list"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lead]:
        # The one rule for who sees which leads applies here too.
        leads = leads_visible_to(request.user).prefetch_related("tags")
        ordering = self.get_ordering(request)
        return leads.order_by(*ordering) if ordering else leads

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "stage":
            kwargs["queryset"] = Stage.objects.select_related("pipeline").order_by("pipeline__name", "position")
            kwargs["form_class"] = StageChoiceField
        if db_field.name == "owner":
            kwargs["queryset"] = active_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="tags")
    def tag_names(self, obj: Lead) -> str:
        return tag_text(obj.tags.all())

    # Saving and deleting go through the services, which write the timeline.

    def save_model(self, request: HttpRequest, obj: Lead, form, change: bool) -> None:
        tags = tag_text(form.cleaned_data.get("tags")) if "tags" in form.changed_data else None
        if change:
            lead_apply_edits(
                edited=obj,
                actor=request.user,
                tags=tags,
                seen_version=form.cleaned_data["version"],
                lost_reason=form.cleaned_data["lost_reason"],
            )
            return
        fields = {name: getattr(obj, name) for name in EDITABLE_FIELDS}
        lead = lead_create(actor=request.user, stage=obj.stage, owner=obj.owner, tags=tags or "", **fields)
        adopt(obj, lead)

    def save_related(self, request, form, formsets, change):
        # Tags went through lead_update/lead_create in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Lead) -> None:
        leads_delete(leads=[obj], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Lead]) -> None:
        leads_delete(leads=list(queryset.prefetch_related(None)), actor=request.user)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed -= {model._meta.verbose_name for model in LEAD_OWNED_MODELS}
        return deleted, model_count, perms_needed, protected

    # Bulk actions: each applies one service to the selected leads the user may see.

    @admin.action(description="Assign selected leads to an owner…", permissions=["change"])
    def assign_owner(self, request: HttpRequest, queryset: QuerySet[Lead]) -> HttpResponse | None:
        def apply(leads: list[Lead], data: dict) -> str:
            owner = data["owner"]
            changed = leads_bulk_assign(leads=leads, owner=owner, actor=request.user)
            return f"{counted(changed, 'lead', 'leads')} assigned to {owner or 'nobody'}{_unchanged(leads, changed)}."

        return bulk_form_action(
            self,
            request,
            queryset.prefetch_related(None),
            form_class=OwnerForm,
            title="Assign owner",
            submit_label="Assign",
            apply=apply,
        )

    @admin.action(description="Move selected leads to a stage…", permissions=["change"])
    def move_stage(self, request: HttpRequest, queryset: QuerySet[Lead]) -> HttpResponse | None:
        def apply(leads: list[Lead], data: dict) -> str:
            stage = data["stage"]
            changed = leads_bulk_move_stage(
                leads=leads, stage=stage, actor=request.user, lost_reason=data["lost_reason"]
            )
            return f"{counted(changed, 'lead', 'leads')} moved to {stage.name}{_unchanged(leads, changed)}."

        return bulk_form_action(
            self,
            request,
            queryset.select_related("stage").prefetch_related(None),
            form_class=StageForm,
            title="Move to stage",
            submit_label="Move",
            apply=apply,
        )

    @admin.action(description="Add selected leads to a list…", permissions=["change"])
    def add_to_list(self, request: HttpRequest, queryset: QuerySet[Lead]) -> HttpResponse | None:
        def apply(leads: list[Lead], data: dict) -> str:
            lead_list = data["lead_list"]
            changed = list_add_leads(lead_list=lead_list, leads=leads, actor=request.user)
            return f"{counted(changed, 'lead', 'leads')} added to {lead_list.name}{_unchanged(leads, changed)}."

        return bulk_form_action(
            self,
            request,
            queryset.prefetch_related(None),
            form_class=ListForm,
            title="Add to list",
            submit_label="Add",
            apply=apply,
        )

    # Import and export follow the admin's own permissions and the user's visible leads.

    def get_resource_kwargs(self, request: HttpRequest, *args, **kwargs) -> dict[str, Any]:
        return {"actor": request.user}

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def get_valid_export_item_pks(self, request: HttpRequest):
        # The library's default is deprecated and lists every lead, visible or not.
        return self.get_queryset(request).prefetch_related(None).values_list("pk", flat=True)


def _unchanged(leads: list, changed: int) -> str:
    skipped = len(leads) - changed
    if not skipped:
        return ""
    return f" ({counted(skipped, 'was', 'were')} already there or could not be changed)"
