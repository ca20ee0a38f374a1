"""django-import-export resources: leads and companies in and out of CSV and XLSX from the admin."""

from __future__ import annotations

import csv
from io import BytesIO, StringIO
from typing import Any

import tablib
from django.conf import settings
from django.db.models import QuerySet
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.widgets import DateTimeWidget, ForeignKeyWidget, IntegerWidget, ManyToManyWidget, Widget

from crm.companies import company_domain_of, company_find
from crm.importing.reading import FileRefused
from crm.importing.reading.xlsx_rows import TOO_MANY_COLUMNS, TOO_MANY_ROWS, xlsx_check, xlsx_sheet, xlsx_values
from crm.lead_fields import LEAD_FACTS, LIST_FACTS
from crm.models import Company, Lead, Pipeline, Stage, User
from crm.selectors import leads_visible_to
from crm.services.leads import (
    EDITABLE_FIELDS,
    lead_assign_owner,
    lead_create,
    lead_move_stage,
    lead_update,
)
from crm.services.pipelines import pipeline_default

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection), so exports prefix it with '.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_neutralise(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with ', so it shows as text."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def formula_restore(value: Any) -> Any:
    """Undo `formula_neutralise` on import, so an exported file imports back unchanged."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


class GuardedXLSX(base_formats.XLSX):
    """XLSX import that refuses a zip bomb, or a sheet past the back office's limits, before memory grows: the rows
    stream from openpyxl into the dataset, counted as they come."""

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        source = BytesIO(in_stream)
        limits = {"max_rows": settings.ADMIN_IMPORT_MAX_ROWS, "max_columns": settings.IMPORT_MAX_COLUMNS}
        xlsx_check(source, **limits)
        dataset = tablib.Dataset()
        ignore_blanks = getattr(settings, "IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES", False)
        with xlsx_sheet(source) as sheet:
            rows = xlsx_values(sheet, **limits)
            _number, header = next(rows, (0, ()))
            dataset.headers = list(header)
            width = len(header)
            for _number, values in rows:
                # Rows are as wide as their last cell: fit each to the header (cells past it have no column).
                row = list(values[:width]) + [None] * (width - len(values))
                if not (ignore_blanks and all(value is None for value in row)):
                    dataset.append(row)
        return dataset


class GuardedCSV(base_formats.CSV):
    """CSV import that refuses a file past the back office's limits before tablib holds it all in memory."""

    def create_dataset(self, in_stream: str) -> tablib.Dataset:
        max_rows, max_columns = settings.ADMIN_IMPORT_MAX_ROWS, settings.IMPORT_MAX_COLUMNS
        try:
            for number, cells in enumerate(csv.reader(StringIO(in_stream)), start=1):
                if number > max_rows:
                    raise FileRefused(TOO_MANY_ROWS.format(limit=max_rows))
                if len(cells) > max_columns:
                    raise FileRefused(TOO_MANY_COLUMNS.format(limit=max_columns))
        except csv.Error as exc:
            raise FileRefused(f"This CSV file could not be read: {exc}.") from exc
        return super().create_dataset(in_stream)


IMPORT_FORMATS = [GuardedCSV, GuardedXLSX]
EXPORT_FORMATS = [base_formats.CSV, base_formats.XLSX]


class FormulaSafeResource(resources.ModelResource):
    """A resource whose exported cells can't run as spreadsheet formulas."""

    def export_field(self, field, instance, **kwargs):
        return formula_neutralise(super().export_field(field, instance, **kwargs))

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            row[column] = formula_restore(value)


class StageByNameWidget(ForeignKeyWidget):
    """A stage named in a cell, in the row's `pipeline` column when given, else preferring the default pipeline."""

    def __init__(self) -> None:
        super().__init__(Stage, field="name")

    def clean(self, value, row=None, **kwargs) -> Stage | None:
        name = str(value or "").strip()
        if not name:
            return None
        stages = Stage.objects.filter(name__iexact=name).select_related("pipeline")
        pipeline_name = str((row or {}).get("pipeline") or "").strip()
        if pipeline_name:
            stages = stages.filter(pipeline__name__iexact=pipeline_name)
        stage = stages.order_by("-pipeline__is_default", "pipeline__name").first()
        if stage is None:
            where = f" in pipeline {pipeline_name!r}" if pipeline_name else ""
            raise ValueError(f"There is no stage called {name!r}{where}.")
        return stage


class UserByEmailWidget(ForeignKeyWidget):
    """A user named by email address (any case); an unknown address is an error, never a new account."""

    def __init__(self) -> None:
        super().__init__(User, field="email")

    def clean(self, value, row=None, **kwargs) -> User | None:
        email = str(value or "").strip()
        if not email:
            return None
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise ValueError(f"There is no user with the email address {email!r}.")
        return user


class TagNamesWidget(ManyToManyWidget):
    """Tags as one comma-separated cell ("hot, fintech"); saving goes through the lead services."""

    def __init__(self) -> None:
        super().__init__(model=None, separator=",", field="name")

    def clean(self, value, row=None, **kwargs) -> str:
        return "" if value is None else str(value)

    def render(self, value, obj=None, **kwargs) -> str:
        return ", ".join(tag.name for tag in value.all()) if value is not None else ""


class TextListWidget(Widget):
    """A list of values (further emails, further phones) as one cell, "; "-separated; a blank cell is no values."""

    def clean(self, value, row=None, **kwargs) -> list[str]:
        text = "" if value is None else str(value)
        return [part.strip() for part in text.replace("\n", ";").split(";") if part.strip()]

    def render(self, value, obj=None, **kwargs) -> str:
        return "; ".join(str(item) for item in value or [])


# The columns of an export, in order: the lead's facts (crm.lead_fields), then where the lead stands.
LEAD_COLUMNS = (
    "id",
    *LEAD_FACTS,
    "pipeline",
    "stage",
    "owner",
    "score",
    "tags",
    "created_at",
)


class LeadResource(FormulaSafeResource):
    """Leads by the names people use: company by name, owner by email, stage by name, tags comma-separated.

    A row with an `id` of a lead the importer may see updates it; any other row creates a lead. Every
    write goes through the lead services, so imported leads get the same timeline as leads made by hand,
    and their company is found by the same rule as everywhere (crm.companies, with the row's website and email).
    """

    # Exported as the company's name; imported by save_instance, which hands the typed name to the lead services.
    company = Field(
        attribute="company", column_name="company", widget=ForeignKeyWidget(Company, field="name"), readonly=True
    )
    pipeline = Field(attribute="stage__pipeline__name", column_name="pipeline", readonly=True)
    # A blank stage cell keeps the lead where it is (or puts a new lead in the first stage).
    stage = Field(attribute="stage", column_name="stage", widget=StageByNameWidget(), saves_null_values=False)
    owner = Field(attribute="owner", column_name="owner", widget=UserByEmailWidget())
    tags = Field(attribute="tags", column_name="tags", widget=TagNamesWidget())
    score = Field(attribute="score", column_name="score", readonly=True, widget=IntegerWidget())
    created_at = Field(attribute="created_at", column_name="created_at", readonly=True, widget=DateTimeWidget())

    class Meta:
        model = Lead
        fields = LEAD_COLUMNS
        export_order = LEAD_COLUMNS
        # A list, as the library only lets a file without an id column through when this equals ["id"].
        import_id_fields = ["id"]

    def __init__(self, actor: User | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.actor = actor

    @classmethod
    def widget_from_django_field(cls, f, default=Widget):
        return TextListWidget if f.name in LIST_FACTS else super().widget_from_django_field(f, default)

    def get_queryset(self) -> QuerySet[Lead]:
        # Only leads the importer may see can be updated by id; other ids become new leads.
        return leads_visible_to(self.actor) if self.actor is not None else Lead.objects.all()

    def filter_export(self, queryset: QuerySet[Lead], **kwargs) -> QuerySet[Lead]:
        return queryset.select_related("company", "owner", "stage__pipeline").prefetch_related("tags")

    def before_import(self, dataset, **kwargs) -> None:
        if self.actor is None:
            self.actor = kwargs.get("user")

    def import_instance(self, instance: Lead, row, **kwargs) -> None:
        super().import_instance(instance, row, **kwargs)
        if instance.stage_id is None:
            pipeline_name = str(row.get("pipeline") or "").strip()
            pipeline = Pipeline.objects.filter(name__iexact=pipeline_name).first() if pipeline_name else None
            first_stage = (pipeline or pipeline_default()).stages.first()
            if first_stage is None:
                raise ValueError(f"Pipeline {pipeline_name!r} has no stages.")
            instance.stage = first_stage

    def save_instance(self, instance: Lead, is_create: bool, row, **kwargs) -> None:
        # No tags column leaves an existing lead's tags alone; a blank cell clears them. The same for the company.
        tags = str(row["tags"] or "") if "tags" in row else None
        company_name = str(row["company"] or "") if "company" in row else None
        if is_create:
            fields = {name: getattr(instance, name) for name in EDITABLE_FIELDS if name != "company"}
            lead = lead_create(
                actor=self.actor,
                stage=instance.stage,
                owner=instance.owner,
                tags=tags or "",
                company_name=company_name,
                **fields,
            )
            # The row result reports on `instance`, so it takes the saved lead's identity.
            instance.pk = lead.pk
            instance.owner = lead.owner
            instance.created_at = lead.created_at
            instance._state.adding = False
        else:
            # An optional `lost_reason` column says why, for rows that move a lead to a lost stage.
            lost_reason = str(row.get("lost_reason") or "")
            lead = lead_apply_edits(
                edited=instance, actor=self.actor, tags=tags, company_name=company_name, lost_reason=lost_reason
            )
        instance.company = lead.company

    def save_m2m(self, instance: Lead, row, **kwargs) -> None:
        """Tags were saved with the lead by `save_instance`."""


def lead_apply_edits(
    *,
    edited: Lead,
    actor: User,
    tags: str | None = None,
    company_name: str | None = None,
    seen_version: str | None = None,
    lost_reason: str = "",
) -> Lead:
    """Save an edited copy of a lead through the services, so each change lands on the timeline; a copy made from
    another version than `seen_version` is refused (StaleEdit). A company typed as a name (`company_name`) is found
    by the services instead of taken from the copy."""
    lead = Lead.objects.select_related("stage", "owner", "company").get(pk=edited.pk)
    facts = {name: getattr(edited, name) for name in EDITABLE_FIELDS if name != "company" or company_name is None}
    lead = lead_update(lead=lead, actor=actor, tags=tags, company_name=company_name, seen_version=seen_version, **facts)
    if edited.stage_id != lead.stage_id:
        lead_move_stage(lead=lead, stage=edited.stage, actor=actor, lost_reason=lost_reason)
    if edited.owner_id != lead.owner_id:
        lead_assign_owner(lead=lead, owner=edited.owner, actor=actor)
    return lead


class CompanyResource(FormulaSafeResource):
    """Companies, one per row; a row with the `id` of an existing company updates it, and so does a row without one
    that names a company the company rule finds (crm.companies: by domain, then by cleaned name, the oldest)."""

    class Meta:
        model = Company
        fields = (
            "id",
            "name",
            "domain",
            "website",
            "industry",
            "size",
            "location",
            "phone",
            "linkedin_url",
            "description",
        )
        export_order = fields
        # A list, as the library only lets a file without an id column through when this equals ["id"].
        import_id_fields = ["id"]
        clean_model_instances = True

    def before_import_row(self, row, **kwargs) -> None:
        super().before_import_row(row, **kwargs)
        if "domain" in row:
            # Stored as the registrable domain, which the rule compares: "https://www.acme.com/" is acme.com.
            row["domain"] = company_domain_of(website=str(row["domain"] or ""))

    def get_instance(self, instance_loader, row) -> Company | None:
        instance = super().get_instance(instance_loader, row)
        if instance is None:
            domain = str(row.get("domain") or "") or company_domain_of(website=str(row.get("website") or ""))
            instance = company_find(name=str(row.get("name") or ""), domain=domain)
        return instance
