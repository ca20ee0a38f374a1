"""A lead's privacy requests from its page: export the person's data (admins and managers), erase it (admins)."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.models import Lead
from crm.privacy.erase import person_erase
from crm.privacy.export import person_export
from crm.selectors import lead_for_page
from leadflow.roles import can_reassign, is_admin


def _lead(request: HttpRequest, pk: int, *, allowed) -> Lead:
    try:
        lead = lead_for_page(request.user, pk)
    except Lead.DoesNotExist as exc:
        raise Http404("No such lead.") from exc
    if not allowed(request.user):
        raise PermissionDenied("Privacy requests are for admins (erase) and managers (export).")
    return lead


@require_POST
def lead_privacy_export(request: HttpRequest, pk: int) -> FileResponse:
    lead = _lead(request, pk, allowed=can_reassign)
    # Written to a temporary file (never held in memory), then streamed from it.
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    person_export(email=lead.email, phone=lead.phone, lead_ids=[lead.pk], out=out, request=request)
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"lead-{lead.pk}-data.zip", content_type="application/zip")


def lead_privacy_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what erasing will do, to confirm; POST: erase, and say what could not be reached."""
    lead = _lead(request, pk, allowed=is_admin)
    if request.method != "POST":
        return render(request, "crm/lead_erase.html", {"lead": lead})
    report = person_erase(email=lead.email, phone=lead.phone, lead_ids=[lead.pk], request=request)
    erased = ", ".join(f"{what.replace('_', ' ')} {count}" for what, count in report.counts.items())
    messages.success(request, f"Erased the person of lead {pk}: {erased}. Only a keyed hash is kept.")
    for line in report.not_erased:
        messages.warning(request, f"Not erased: {line}")
    return redirect("crm:leads")
