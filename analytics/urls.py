from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.analytics_index, name="index"),
    path("<slug:slug>/", views.analytics_report, name="report"),
    path("<slug:slug>/<slug:table_slug>.csv", views.analytics_table_csv, name="table_csv"),
]
