from django.urls import include, path

from outreach.views import drafts as views
from outreach.views import suppression

app_name = "outreach"

# Mounted at the site's root: the pages below live under /outreach/, the inbox at /inbox/.
pages = [
    path("leads/<int:pk>/drafts/", views.lead_drafts, name="lead_drafts"),
    path("leads/<int:pk>/drafts/new/", views.draft_new, name="draft_new"),
    path("drafts/<int:pk>/", views.draft_detail, name="draft"),
    path("drafts/<int:pk>/edit/", views.draft_edit_view, name="draft_edit"),
    path("drafts/<int:pk>/approve/", views.draft_approve_view, name="draft_approve"),
    path("drafts/<int:pk>/reject/", views.draft_reject_view, name="draft_reject"),
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/new/", views.job_new, name="job_new"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("", include("outreach.mail_urls")),
    path("suppressions/", suppression.suppression_list, name="suppressions"),
    path("suppressions/add/", suppression.suppression_add_view, name="suppression_add"),
    path("suppressions/import/", suppression.suppression_import_view, name="suppression_import"),
    path("suppressions/remove/", suppression.suppression_remove_view, name="suppression_remove"),
    path("suppressions/export/", suppression.suppression_export, name="suppression_export"),
    path("", include("outreach.sequence_urls")),
]

urlpatterns = [
    path("outreach/", include(pages)),
    path("", include("outreach.inbox_urls")),
]
