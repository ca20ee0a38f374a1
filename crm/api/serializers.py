"""How CRM records look to programs. `lead_representation` is THE shape of a lead outside Leadflow: the API sends it
and outgoing webhooks send the same."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.lead_fields import LAWFUL_BASIS_FIELDS, LEAD_FACTS
from crm.models import Company, Lead, LeadList, Note, Stage, StageChange, Task, User
from crm.services.versions import lead_version
from leadflow.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDecimalField,
    StrictIntegerField,
    StrictModelSerializer,
)

# Bounds on what a client may send in one value, so nothing unbounded reaches a service or the database.
LIST_VALUES_MAX = 20
CUSTOM_FIELDS_MAX = 100
TAGS_MAX = 50
IDS_MAX = 10_000


class ReadSerializer(serializers.ModelSerializer):
    """A record as the API shows it. Emails and URLs are plain strings (an empty one is no valid email or URI, and
    the schema must describe what is sent), and a choice left blank stays a documented "" value."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.EmailField: serializers.CharField,
        models.URLField: serializers.CharField,
    }

    def include_extra_kwargs(self, kwargs: dict, extra_kwargs: dict) -> dict:
        blank_choice = "choices" in kwargs and kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank_choice:
            kwargs["allow_blank"] = True
        return kwargs


class TagNamesField(serializers.ListField):
    """A record's tags as their names; written as a list of names."""

    def __init__(self, **kwargs) -> None:
        super().__init__(child=StrictCharField(max_length=50, allow_blank=True), max_length=50, **kwargs)

    def get_attribute(self, instance):
        return [tag.name for tag in instance.tags.all()]


def text(max_length: int, **kwargs) -> serializers.CharField:
    return StrictCharField(max_length=max_length, allow_blank=True, trim_whitespace=True, **kwargs)


def ids_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**63 - 1), max_length=IDS_MAX, allow_empty=False, **kwargs
    )


class UserRefSerializer(ReadSerializer):
    name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name"]


class CompanyRefSerializer(ReadSerializer):
    class Meta:
        model = Company
        fields = ["id", "name", "domain"]


class StageRefSerializer(ReadSerializer):
    class Meta:
        model = Stage
        fields = ["id", "name", "kind", "pipeline"]


class LeadSerializer(ReadSerializer):
    """A lead as programs see it (read only): its facts, where it stands, whose it is, its score and version."""

    full_name = serializers.CharField(read_only=True)
    company = CompanyRefSerializer(read_only=True, allow_null=True)
    stage = StageRefSerializer(read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    tags = TagNamesField(read_only=True)
    other_emails = serializers.ListField(child=serializers.CharField(), read_only=True)
    other_phones = serializers.ListField(child=serializers.CharField(), read_only=True)
    custom_fields = serializers.DictField(child=serializers.JSONField(), read_only=True)
    version = serializers.SerializerMethodField(help_text="Send it back as `version` to refuse a stale update.")

    class Meta:
        model = Lead
        fields = [
            "id",
            "full_name",
            *LEAD_FACTS,
            "stage",
            "owner",
            "score",
            "email_verified",
            "phone_verified",
            "tags",
            "custom_fields",
            *LAWFUL_BASIS_FIELDS,
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_version(self, lead: Lead) -> str:
        return lead_version(lead)

    def to_representation(self, lead: Lead) -> dict:
        return lead_representation(lead)


def _moment(value: datetime | None) -> str | None:
    """An ISO 8601 time in UTC ("2026-12-03T10:05:00.123456Z"), whatever zone the request is shown in."""
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def lead_representation(lead: Lead) -> dict:
    """THE outside shape of a lead (API answers, outgoing webhooks), as LeadSerializer documents it. A plain function
    rather than DRF's field machinery: a page of 50 leads took 100 ms to serialise that way, this takes a few. Load
    leads with crm.selectors.lead_table_rows so that it asks no query."""
    company, stage, owner = lead.company, lead.stage, lead.owner
    return {
        "id": lead.pk,
        "full_name": lead.full_name,
        **{name: getattr(lead, name) for name in LEAD_FACTS if name not in {"company", "deal_value"}},
        "company": company and {"id": company.pk, "name": company.name, "domain": company.domain},
        "deal_value": None if lead.deal_value is None else f"{lead.deal_value:.2f}",
        "stage": {"id": stage.pk, "name": stage.name, "kind": stage.kind, "pipeline": stage.pipeline_id},
        "owner": owner and {"id": owner.pk, "email": owner.email, "name": owner.get_full_name()},
        "score": lead.score,
        "email_verified": lead.email_verified,
        "phone_verified": lead.phone_verified,
        "tags": [tag.name for tag in lead.tags.all()],
        "custom_fields": lead.custom_fields,
        "lawful_basis": lead.lawful_basis,
        "lawful_basis_source": lead.lawful_basis_source,
        "lawful_basis_at": _moment(lead.lawful_basis_at),
        "consent_withdrawn_at": _moment(lead.consent_withdrawn_at),
        "created_at": _moment(lead.created_at),
        "updated_at": _moment(lead.updated_at),
        "version": lead_version(lead),
    }


class LeadWriteSerializer(StrictModelSerializer):
    """What a client may send for a lead: its facts, plus the company by name, tags, the owner (managers), the stage
    (creation only) and, for updates, the `version` it read."""

    company_name = text(200, required=False, write_only=True, help_text="Found or created by the company rule.")
    other_emails = serializers.ListField(child=text(254), max_length=LIST_VALUES_MAX, required=False)
    other_phones = serializers.ListField(child=text(40), max_length=LIST_VALUES_MAX, required=False)
    tags = serializers.ListField(child=text(50), max_length=TAGS_MAX, required=False)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all(), required=False)
    deal_value = StrictDecimalField(max_digits=12, decimal_places=2, min_value=0, allow_null=True, required=False)
    custom_fields = serializers.DictField(child=text(1000), required=False)
    version = StrictCharField(max_length=64, required=False, write_only=True)
    # Recorded through crm.services.consent, stamped with the time it arrives ("" clears it: unknown).
    lawful_basis = StrictChoiceField(choices=["", *Lead.LawfulBasis.values], required=False)
    lawful_basis_source = text(
        Lead._meta.get_field("lawful_basis_source").max_length, required=False, help_text='Defaults to "API".'
    )
    consent_withdrawn = StrictBooleanField(
        required=False, write_only=True, help_text="true: the person withdrew consent (an unsubscribe everywhere)."
    )

    class Meta:
        model = Lead
        fields = [
            *(name for name in LEAD_FACTS if name != "company"),
            "company_name",
            "tags",
            "owner",
            "stage",
            "custom_fields",
            "lawful_basis",
            "lawful_basis_source",
            "consent_withdrawn",
            "version",
        ]

    def validate_consent_withdrawn(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("A withdrawal is not taken back: record a new lawful basis instead.")
        return value

    def validate(self, data: dict) -> dict:
        if "lawful_basis_source" in data and "lawful_basis" not in data:
            problem = "Send it with the lawful_basis it is the source of."
            raise serializers.ValidationError({"lawful_basis_source": problem})
        return data

    def validate_custom_fields(self, value: dict) -> dict:
        if len(value) > CUSTOM_FIELDS_MAX:
            raise serializers.ValidationError(f"At most {CUSTOM_FIELDS_MAX} custom fields.")
        if any(len(key) > 100 or "\x00" in key for key in value):
            raise serializers.ValidationError("Custom field names are at most 100 characters, without NUL.")
        return value


class BulkLeadsSerializer(serializers.Serializer):
    leads = LeadWriteSerializer(many=True, max_length=1000, allow_empty=False)
    on_existing = StrictChoiceField(
        choices=["update", "skip"],
        default="update",
        help_text="What to do with a lead you can see that already has the email: update it or leave it.",
    )


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "updated", "skipped"])
    id = serializers.IntegerField()


class BulkAnswerSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    skipped = serializers.IntegerField()
    results = BulkResultSerializer(many=True)


class LeadMoveSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    lost_reason = text(300, required=False, default="")
    version = StrictCharField(max_length=64, required=False)


class StageChangeSerializer(ReadSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = StageChange
        fields = ["id", "lead", "from_stage", "to_stage", "actor", "lost_reason", "created_at"]


class StageSerializer(ReadSerializer):
    pipeline_name = serializers.CharField(source="pipeline.name", read_only=True)

    class Meta:
        model = Stage
        fields = ["id", "name", "kind", "position", "pipeline", "pipeline_name"]


class CompanySerializer(ReadSerializer):
    technologies = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Company
        fields = [
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
            "technologies",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class LeadListSerializer(StrictModelSerializer):
    tags = TagNamesField(required=False)
    member_count = serializers.IntegerField(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = LeadList
        fields = ["id", "name", "description", "folder", "tags", "archived", "member_count", "created_by", "created_at"]
        read_only_fields = ["archived", "member_count", "created_by", "created_at"]


class LeadIdsSerializer(serializers.Serializer):
    lead_ids = ids_field()


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class NoteSerializer(StrictModelSerializer):
    lead = StrictIntegerField(source="lead_id", min_value=1, max_value=2**63 - 1)
    author = UserRefSerializer(read_only=True, allow_null=True)
    tags = TagNamesField(required=False)
    body = StrictCharField(max_length=20_000)

    class Meta:
        model = Note
        fields = ["id", "lead", "body", "tags", "author", "created_at"]
        read_only_fields = ["author", "created_at"]


class TaskSerializer(StrictModelSerializer):
    lead = StrictIntegerField(source="lead_id", min_value=1, max_value=2**63 - 1)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )

    class Meta:
        model = Task
        fields = ["id", "lead", "kind", "title", "due_at", "assignee", "done", "done_at", "created_at"]
        read_only_fields = ["done", "done_at", "created_at"]
