"""The lead page's Score panel: score, grade, the four components with why, and the history as a small chart."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from crm.rescoring import scoring_settings
from crm.score_chart import score_chart
from crm.scoring import COMPONENTS
from crm.selectors import leads_visible_to

HISTORY = 30  # snapshots drawn


def lead_score(request: HttpRequest, pk: int) -> HttpResponse:
    lead = leads_visible_to(request.user).filter(pk=pk).first()
    if lead is None:
        raise Http404("No such lead.")
    config = scoring_settings()
    snapshots = list(lead.score_snapshots.order_by("-created_at", "-id")[:HISTORY])[::-1]
    parts = [{"name": name, **lead.score_parts[name]} for name in COMPONENTS if name in lead.score_parts]
    context = {
        "lead": lead,
        "parts": parts,
        "chart": score_chart(snapshots, config.mql_threshold, config.sql_threshold),
        "config": config,
        "last": snapshots[-1] if snapshots else None,
    }
    return render(request, "crm/_lead_score.html", context)
