"""/api/v1/enrichment-jobs/: start a job for lead ids and fields (enrichment.jobs.enrichment_job_create, the same
as the leads table's Enrich), follow its progress, breakdown and credits, cancel it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.serializers import ReadSerializer, ids_field
from crm.models import Lead
from enrichment.jobs import enrichment_job_cancel, enrichment_job_create, enrichment_jobs_visible_to
from enrichment.models import EnrichmentJob
from enrichment.providers.base import WANTED_FIELDS
from enrichment.sources import SOURCES
from leadflow.api.fields import StrictBooleanField, StrictChoiceField
from leadflow.api.views import VisibleObjectMixin
from leadflow.roles import sees_all_leads


class EnrichmentStartSerializer(serializers.Serializer):
    lead_ids = ids_field()
    fields = serializers.ListField(
        child=StrictChoiceField(choices=list(WANTED_FIELDS)), required=False, max_length=len(WANTED_FIELDS),
        help_text="What to find; none: all of them.",
    )  # fmt: skip
    sources = serializers.ListField(
        child=StrictChoiceField(choices=list(SOURCES)), required=False, max_length=len(SOURCES),
        help_text="Which sources, in the waterfall's order; none: every source enabled in Enrichment settings.",
    )  # fmt: skip
    overwrite = StrictBooleanField(default=False, help_text="Replace values people typed (managers, admins).")


class EnrichmentProgressSerializer(serializers.Serializer):
    processed = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")
    percentage = serializers.IntegerField(source="percent")
    seconds_left = serializers.IntegerField(allow_null=True)


class EnrichmentJobSerializer(ReadSerializer):
    progress = EnrichmentProgressSerializer(source="*")
    breakdown = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Counts by outcome: emails_found, emails_verified, phones_found, phones_mobile, linkedin_found, "
        "companies_enriched, people_added, failed.",
    )
    credits_used = serializers.DecimalField(max_digits=10, decimal_places=2)
    credits_estimate = serializers.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        model = EnrichmentJob
        fields = [
            "id", "status", "description", "fields", "sources", "overwrite", "progress", "breakdown", "credits_used",
            "credits_estimate", "error", "cancel_requested", "created_at", "started_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class EnrichmentJobViewSet(
    VisibleObjectMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Enrichment jobs: reps see their own, everyone else all of them."""

    queryset = EnrichmentJob.objects.none()  # for the schema; get_queryset says what the caller sees

    serializer_class = EnrichmentJobSerializer
    not_found = "No such enrichment job."

    def get_queryset(self):
        return enrichment_jobs_visible_to(self.request.user)

    @extend_schema(request=EnrichmentStartSerializer, responses={202: EnrichmentJobSerializer})
    def create(self, request: Request) -> Response:
        """Queue a job for the leads among `lead_ids` that you may change (leads another job is enriching are left
        to it); `progress.total` says how many it took."""
        body = EnrichmentStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        job = enrichment_job_create(
            actor=request.user, leads=Lead.objects.filter(pk__in=data["lead_ids"]), fields=data.get("fields"),
            sources=data.get("sources"), overwrite=data["overwrite"], description="Started through the API",
        )  # fmt: skip
        return Response(EnrichmentJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: EnrichmentJobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Stop after the leads in hand (who started it, managers and admins)."""
        job = self.get_object()
        if job.created_by_id != request.user.pk and not sees_all_leads(request.user):
            raise PermissionDenied("Only who started a job, managers and admins may cancel it.")
        enrichment_job_cancel(job=job, actor=request.user)
        job.refresh_from_db()
        return Response(EnrichmentJobSerializer(job).data)
