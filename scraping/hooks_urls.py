"""Webhook addresses the platforms post to (no login: each checks its own signature or key)."""

from django.urls import path

from scraping import hooks
from scraping.hooks_indiamart import indiamart_push

app_name = "hooks"

urlpatterns = [
    path("meta/leadgen/", hooks.meta_leadgen, name="meta_leadgen"),
    path("google-ads/leadform/", hooks.google_ads_leadform, name="google_ads_leadform"),
    path("indiamart/<int:source_id>/", indiamart_push, name="indiamart"),
]
