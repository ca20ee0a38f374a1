from django.urls import path

from scraping import views

app_name = "scraping"

urlpatterns = [
    path("sources/", views.sources_page, name="sources"),
]
