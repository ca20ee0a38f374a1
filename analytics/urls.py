from django.urls import path

from analytics import cost_views, views

app_name = "analytics"

urlpatterns = [
    path("", views.analytics_index, name="index"),
    # Before the reports' <slug>: these are not reports.
    path("headline/", views.headline_panel, name="headline"),
    path("summary-email/", views.summary_settings, name="summary_settings"),
    path("costs/", cost_views.costs, name="costs"),
    path("costs/import/", cost_views.costs_import, name="costs_import"),
    path("costs/<int:pk>/", cost_views.cost_edit, name="cost_edit"),
    path("costs/<int:pk>/delete/", cost_views.cost_delete, name="cost_delete"),
    path("<slug:slug>/", views.analytics_report, name="report"),
    path("<slug:slug>/<slug:table_slug>.csv", views.analytics_table_csv, name="table_csv"),
]
