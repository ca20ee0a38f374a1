from django.urls import path

from enrichment import views

app_name = "enrichment"

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("new/", views.job_new, name="job_new"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("jobs/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("leads/<int:pk>/sources/", views.lead_sources, name="lead_sources"),
    path("settings/", views.settings_page, name="settings"),
]
