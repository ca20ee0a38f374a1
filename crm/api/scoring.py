"""/api/v1/scoring/: score a selection of leads and answer how the scores fall (hot, warm, cold)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from crm.api.serializers import ids_field
from crm.models import Lead
from crm.rescoring import leads_rescore, leads_score_preview
from crm.scoring import COMPONENTS
from crm.selectors import leads_visible_to
from leadflow.api.fields import StrictIntegerField
from leadflow.roles import require_write


class WeightsSerializer(serializers.Serializer):
    fit = StrictIntegerField(min_value=0, max_value=100, required=False)
    completeness = StrictIntegerField(min_value=0, max_value=100, required=False)
    engagement = StrictIntegerField(min_value=0, max_value=100, required=False)
    recency = StrictIntegerField(min_value=0, max_value=100, required=False)


class ScoreRequestSerializer(serializers.Serializer):
    lead_ids = ids_field()
    weights = WeightsSerializer(
        required=False,
        help_text="Score with these weights instead of the saved ones, as a preview: nothing is written.",
    )


class DistributionSerializer(serializers.Serializer):
    hot = serializers.IntegerField()
    warm = serializers.IntegerField()
    cold = serializers.IntegerField()


class ScoreAnswerSerializer(serializers.Serializer):
    scored = serializers.IntegerField()
    saved = serializers.BooleanField(help_text="Whether the scores were written to the leads (no `weights` sent).")
    distribution = DistributionSerializer()
    average_score = serializers.FloatField(allow_null=True)


def _answer(grades_and_scores: list[tuple[str, int]], *, saved: bool) -> dict:
    distribution = dict.fromkeys(Lead.Grade.values, 0)
    for grade, _ in grades_and_scores:
        distribution[grade] += 1
    scores = [score for _, score in grades_and_scores]
    return {
        "scored": len(scores),
        "saved": saved,
        "distribution": distribution,
        "average_score": round(sum(scores) / len(scores), 1) if scores else None,
    }


class ScoringViewSet(viewsets.GenericViewSet):
    serializer_class = ScoreAnswerSerializer
    pagination_class = None

    @extend_schema(request=ScoreRequestSerializer, responses={200: ScoreAnswerSerializer})
    def create(self, request: Request) -> Response:
        """Score the leads you may see among `lead_ids`. Without `weights` the scores are saved (as a rescore does);
        with them, the answer previews those weights and nothing changes."""
        body = ScoreRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = list(
            leads_visible_to(request.user).filter(pk__in=body.validated_data["lead_ids"]).values_list("pk", flat=True)
        )
        weights = body.validated_data.get("weights")
        if weights is not None:
            scored = leads_score_preview(ids, {name: weights[name] for name in COMPONENTS if name in weights})
            return Response(_answer([(s.grade, s.score) for s in scored], saved=False))
        require_write(request.user)
        leads_rescore(ids)
        rows = Lead.objects.filter(pk__in=ids, score__isnull=False).values_list("grade", "score")
        return Response(_answer([(grade, score) for grade, score in rows if grade], saved=True))
