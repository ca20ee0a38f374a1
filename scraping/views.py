"""Capture pages: sources and campaigns with their health, runs, and where a lead came from."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from scraping.models import Campaign, Source


def sources_page(request: HttpRequest) -> HttpResponse:
    sources = Source.objects.prefetch_related("campaigns")
    return render(request, "scraping/sources.html", {"sources": sources, "campaigns": Campaign.objects.all()})
