"""The links in sent mail, at the site's root so they stay short: open pixel, click redirect, unsubscribe."""

from django.urls import path

from outreach.views import tracking as views

app_name = "tracking"

urlpatterns = [
    path("t/o/<str:token>.gif", views.open_pixel, name="open"),
    path("t/c/<str:token>", views.click, name="click"),
    path("u/<str:token>", views.unsubscribe, name="unsubscribe"),
]
