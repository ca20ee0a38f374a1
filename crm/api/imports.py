"""/api/v1/imports/: upload a CSV or XLSX with a column mapping and options (or into a list:
/api/v1/lists/{id}/import/), then follow its progress, counts and problems. The same ImportJob pipeline as the
Imports page (crm.importing.jobs)."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.serializers import ReadSerializer, text
from crm.importing.jobs import import_job_create, import_job_start, mapping_from_saved
from crm.models import ImportJob, LeadList, User
from crm.selectors import imports_visible_to
from crm.views.uploads import uploaded_path
from leadflow.api.views import VisibleObjectMixin

# Problems listed in an import's status (all of them are in the rejected-rows download on its page).
PROBLEMS_SHOWN = 200


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (any delimiter or encoding) or XLSX.")
    mapping = serializers.JSONField(
        required=False,
        binary=True,
        help_text='{"file column": "lead field"} as JSON; columns left out keep the suggested field.',
    )
    on_duplicate = serializers.ChoiceField(choices=ImportJob.OnDuplicate.choices, default=ImportJob.OnDuplicate.SKIP)
    lead_list = serializers.PrimaryKeyRelatedField(
        queryset=LeadList.objects.filter(archived=False), required=False, allow_null=True
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    region = text(2, required=False, default="", help_text="Country of phone numbers written without +code.")
    # A form field (the body is multipart): "true" or "false".
    enrich_after_import = serializers.BooleanField(
        default=False, help_text="Enrich the leads it creates or updates when it is done (an enrichment job)."
    )

    def validate_mapping(self, value: object) -> dict[str, str]:
        if not isinstance(value, dict) or not all(
            isinstance(key, str) and isinstance(target, str) for key, target in value.items()
        ):
            raise serializers.ValidationError('A JSON object of {"column": "field"}.')
        return value


class ImportProgressSerializer(serializers.Serializer):
    processed = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")
    percentage = serializers.IntegerField(source="percent")
    seconds_left = serializers.IntegerField(allow_null=True)


class ImportResultsSerializer(serializers.Serializer):
    read = serializers.IntegerField(source="rows_read")
    imported = serializers.IntegerField(source="rows_imported")
    updated = serializers.IntegerField(source="rows_updated")
    skipped = serializers.IntegerField(source="rows_skipped")
    rejected = serializers.IntegerField(source="rows_rejected")


class ImportProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    reason = serializers.CharField()
    kind = serializers.CharField()
    lead = serializers.IntegerField(source="lead_id", allow_null=True)


class ImportJobSerializer(ReadSerializer):
    progress = ImportProgressSerializer(source="*")
    results = ImportResultsSerializer(source="*")
    problems = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id", "status", "original_name", "file_size", "headers", "mapping", "on_duplicate", "lead_list", "owner",
            "region", "enrich_after", "error", "progress", "results", "problems", "created_at", "started_at",
            "finished_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ImportProblemSerializer(many=True))
    def get_problems(self, job: ImportJob) -> list[dict]:
        """The first rows rejected or skipped, and cells left out, with why."""
        return ImportProblemSerializer(job.rejections.all()[:PROBLEMS_SHOWN], many=True).data


def import_upload(request: Request, lead_list: LeadList | None = None) -> ImportJob:
    """Open a job for the uploaded file and start it with the mapping and options; nothing is kept when they are
    not valid."""
    body = ImportUploadSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    upload = data["file"]
    with transaction.atomic():
        with uploaded_path(upload) as path:
            job = import_job_create(actor=request.user, path=path, original_name=upload.name)
        columns = data.get("mapping") or {}
        unknown = [column for column in columns if column not in job.headers]
        if unknown:
            raise ValidationError({"mapping": [f"The file has no column {name!r}." for name in unknown[:20]]})
        return import_job_start(
            job=job,
            actor=request.user,
            mapping=mapping_from_saved(job.headers, columns, job.mapping),
            on_duplicate=data["on_duplicate"],
            lead_list=lead_list or data.get("lead_list"),
            owner=data.get("owner"),
            region=data["region"],
            enrich_after=data["enrich_after_import"],
        )


class ImportJobViewSet(VisibleObjectMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports: reps see their own, everyone else all of them."""

    queryset = ImportJob.objects.none()  # for the schema; get_queryset says what the caller sees

    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser]
    not_found = "No such import."

    def get_queryset(self):
        return imports_visible_to(self.request.user)

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={202: ImportJobSerializer})
    def create(self, request: Request) -> Response:
        """Upload a file and start importing it; follow it at /api/v1/imports/{id}/."""
        return Response(ImportJobSerializer(import_upload(request)).data, status=status.HTTP_202_ACCEPTED)
