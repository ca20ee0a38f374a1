from django.urls import path

from enrichment import analysis_views, views

app_name = "enrichment"

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("new/", views.job_new, name="job_new"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("leads/<int:pk>/sources/", views.lead_sources, name="lead_sources"),
    path("settings/", views.settings_page, name="settings"),
    path("leads/<int:pk>/analysis/", analysis_views.lead_analysis, name="lead_analysis"),
    path("leads/<int:pk>/analysis/run/", analysis_views.lead_analysis_start, name="lead_analyze"),
    path("analysis/", analysis_views.analysis_jobs, name="analysis_jobs"),
    path("analysis/new/", analysis_views.analysis_job_new, name="analysis_job_new"),
    path("analysis/<int:pk>/", analysis_views.analysis_job, name="analysis_job"),
    path("analysis/<int:pk>/progress/", analysis_views.analysis_job_progress, name="analysis_job_progress"),
    path("analysis/<int:pk>/cancel/", analysis_views.analysis_job_stop, name="analysis_job_cancel"),
]
