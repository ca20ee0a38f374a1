"""Webhook addresses the platforms post to (no login: each checks its own signature or key)."""

from django.urls import path

from scraping.hooks_indiamart import indiamart_push

app_name = "hooks"

urlpatterns: list = [
    path("indiamart/<int:source_id>/", indiamart_push, name="indiamart"),
]
