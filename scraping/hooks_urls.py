"""Webhook addresses the platforms post to (no login: each checks its own signature or key)."""

from django.urls import path

from scraping import hooks

app_name = "hooks"

urlpatterns: list = []

# Ad lead forms (scraping/hooks.py).
urlpatterns += [
    path("meta/leadgen/", hooks.meta_leadgen, name="meta_leadgen"),
    path("google-ads/leadform/", hooks.google_ads_leadform, name="google_ads_leadform"),
]
