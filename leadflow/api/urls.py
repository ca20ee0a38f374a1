"""The one router of the REST API (/api/v1/), the OpenAPI schema (/api/schema/) and its Swagger UI and ReDoc pages
(served from our static files: drf-spectacular-sidecar)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from crm.api.imports import ImportJobViewSet
from crm.api.leads import LeadViewSet
from crm.api.records import CompanyViewSet, LeadListViewSet, NoteViewSet, StageViewSet, TaskViewSet
from crm.api.scoring import ScoringViewSet
from crm.api.sync import SyncRunViewSet
from enrichment.api import EnrichmentJobViewSet
from leadflow.api.token_pages import api_token_new, api_token_revoke_page
from outreach.api import ConversationViewSet, EnrollmentViewSet, MessageViewSet, SequenceViewSet

router = SimpleRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register("companies", CompanyViewSet, basename="company")
router.register("lists", LeadListViewSet, basename="list")
router.register("notes", NoteViewSet, basename="note")
router.register("tasks", TaskViewSet, basename="task")
router.register("stages", StageViewSet, basename="stage")
router.register("imports", ImportJobViewSet, basename="import")
router.register("scoring", ScoringViewSet, basename="scoring")
router.register("enrichment-jobs", EnrichmentJobViewSet, basename="enrichment-job")
router.register("sequences", SequenceViewSet, basename="sequence")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("messages", MessageViewSet, basename="message")
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("sync-runs", SyncRunViewSet, basename="sync-run")


def _open(patterns: list[URLPattern]) -> list[URLPattern]:
    """API views authenticate themselves (a token or the session, answered with 401): the site's
    LoginRequiredMiddleware must not redirect them to the login page."""
    for pattern in patterns:
        login_not_required(pattern.callback)
    return patterns


docs = {"permission_classes": [AllowAny], "authentication_classes": []}
urlpatterns = [
    path("me/api-tokens/", api_token_new, name="api_token_new"),
    path("me/api-tokens/<int:pk>/revoke/", api_token_revoke_page, name="api_token_revoke"),
    path("api/v1/", include((_open(router.urls), "api"))),
    *_open(
        [
            path("api/schema/", SpectacularAPIView.as_view(**docs), name="api_schema"),
            path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema", **docs), name="api_docs"),
            path("api/redoc/", SpectacularRedocView.as_view(url_name="api_schema", **docs), name="api_redoc"),
        ]
    ),
]
