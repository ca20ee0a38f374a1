"""AI analysis pages: the panel on a lead's page (analyse, then poll until done), and jobs over many leads (start
one for a list or a selection, watch its progress, cancel it)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from crm.models import Lead, LeadList
from crm.selectors import lead_for_page, leads_visible_to
from enrichment.analysis import STALE_SECONDS, lead_analysis_latest, lead_analysis_queue
from enrichment.analysis_jobs import analysis_job_cancel, analysis_job_create
from enrichment.forms import LeadsChosenForm
from enrichment.models import AnalysisItem, AnalysisJob, LeadAnalysis
from leadflow.ai import ai_configured, ai_job_stall_seconds
from leadflow.roles import can_edit_lead, require_write, sees_all_leads

JOBS_PER_PAGE = 50
FAILURES_SHOWN = 200


def _lead(request: HttpRequest, pk: int) -> Lead:
    try:
        return lead_for_page(request.user, pk)
    except Lead.DoesNotExist:
        raise Http404("No such lead.") from None


def _panel(request: HttpRequest, lead: Lead) -> HttpResponse:
    analysis = lead_analysis_latest(lead)
    unfinished = analysis is not None and analysis.status in (LeadAnalysis.Status.PENDING, LeadAnalysis.Status.RUNNING)
    # Unfinished long after any answer could have come: its task was lost or its worker died. Stop polling and
    # offer to analyse again, rather than show "Queued…" for ever.
    stalled = unfinished and analysis.created_at < timezone.now() - timedelta(
        seconds=ai_job_stall_seconds(STALE_SECONDS)
    )
    context = {
        "lead": lead,
        "analysis": analysis,
        "working": unfinished and not stalled,
        "stalled": stalled,
        "can_edit": can_edit_lead(request.user, lead),
        "ai_configured": ai_configured(),
    }
    return render(request, "enrichment/_lead_analysis.html", context)


def lead_analysis(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead page's analysis panel, loaded by htmx, and polled while an analysis is queued or running."""
    return _panel(request, _lead(request, pk))


@require_POST
def lead_analysis_start(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _lead(request, pk)
    lead_analysis_queue(lead=lead, actor=request.user)
    if request.htmx:
        return _panel(request, lead)
    messages.success(request, "Analysis queued: it appears on this page when done.")
    return redirect("crm:lead", pk=lead.pk)


def _jobs_visible_to(user) -> QuerySet[AnalysisJob]:
    """Reps see their own jobs, everyone else all of them."""
    jobs = AnalysisJob.objects.select_related("created_by")
    return jobs if sees_all_leads(user) else jobs.filter(created_by=user)


def _visible_job(request: HttpRequest, pk: int) -> AnalysisJob:
    job = _jobs_visible_to(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such analysis job.")
    return job


def analysis_jobs(request: HttpRequest) -> HttpResponse:
    context = {
        "jobs": _jobs_visible_to(request.user)[:JOBS_PER_PAGE],
        "lists": LeadList.objects.filter(archived=False).order_by("name"),
        "ai_configured": ai_configured(),
    }
    return render(request, "enrichment/analysis_jobs.html", context)


@require_POST
def analysis_job_new(request: HttpRequest) -> HttpResponse:
    """From the jobs page (a list) or the leads table (ticked leads, or all matching its filter)."""
    require_write(request.user)
    form = LeadsChosenForm(request.POST, leads=leads_visible_to(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("enrichment:analysis_jobs")
    data = form.cleaned_data
    lead_list = data.get("lead_list")
    description = f"List {lead_list.name}" if lead_list else f"{data['leads'].count()} selected leads"
    job = analysis_job_create(actor=request.user, leads=data["leads"], description=description)
    if not job.progress_total:
        messages.error(request, "None of these leads is yours to change: nothing to analyse.")
    return redirect("enrichment:analysis_job", pk=job.pk)


def _job_context(job: AnalysisJob) -> dict:
    items = job.items.select_related("lead")
    return {
        "job": job,
        "failures": items.filter(status=AnalysisItem.Status.FAILED).order_by("id")[:FAILURES_SHOWN],
        "recent": items.exclude(status=AnalysisItem.Status.PENDING).order_by("-id")[:20],
    }


def analysis_job(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "enrichment/analysis_job.html", _job_context(_visible_job(request, pk)))


def analysis_job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block, polled by htmx while the job runs."""
    return render(request, "enrichment/analysis_job.html#progress", _job_context(_visible_job(request, pk)))


@require_POST
def analysis_job_stop(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    if job.created_by_id != request.user.pk and not sees_all_leads(request.user):
        raise PermissionDenied("Only who started a job, managers and admins may cancel it.")
    if analysis_job_cancel(job=job, actor=request.user):
        messages.success(request, "Cancelling: the lead in hand finishes, the rest are left as they are.")
    else:
        messages.error(request, "This job has already ended.")
    return redirect("enrichment:analysis_job", pk=job.pk)
