from django.urls import path

from scraping import views

app_name = "scraping"

urlpatterns = [
    path("sources/", views.sources_page, name="sources"),
    path("sources/new/", views.source_edit, name="source_new"),
    path("sources/<int:pk>/", views.source_edit, name="source"),
    path("campaigns/new/", views.campaign_edit, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_edit, name="campaign"),
    path("campaigns/<int:pk>/run/", views.campaign_run, name="campaign_run"),
    path("campaigns/<int:pk>/pause/", views.campaign_pause_toggle, name="campaign_pause"),
    path("campaigns/file/", views.campaigns_file, name="campaigns_file"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("leads/<int:pk>/origin/", views.lead_origin, name="lead_origin"),
]
