"""Enrichment pages: start a job (with its credit estimate), watch it, cancel it, its history, where a lead's values
came from, and the waterfall's settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.models import Lead
from crm.selectors import lead_for_page, leads_visible_to
from enrichment.config import waterfall_settings, waterfall_settings_update
from enrichment.forms import FIELD_CHOICES, EnrichStartForm, WaterfallSettingsForm
from enrichment.jobs import credits_estimate, enrichment_job_cancel, enrichment_job_create, enrichment_jobs_visible_to
from enrichment.models import EnrichmentItem, EnrichmentJob, FieldSource
from enrichment.sources import SOURCES
from enrichment.waterfall import month_credits_spent
from leadflow.roles import can_edit_lead, require_admin, require_write, sees_all_leads

JOBS_PER_PAGE = 50
FAILURES_SHOWN = 200


def _visible_job(request: HttpRequest, pk: int) -> EnrichmentJob:
    job = enrichment_jobs_visible_to(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such enrichment job.")
    return job


def job_list(request: HttpRequest) -> HttpResponse:
    jobs = enrichment_jobs_visible_to(request.user)[:JOBS_PER_PAGE]
    return render(request, "enrichment/jobs.html", {"jobs": jobs, "month_credits": month_credits_spent()})


@require_POST
def job_new(request: HttpRequest) -> HttpResponse:
    """From the leads table, a list or a lead page: first the choices and the estimate, then (confirmed) the job."""
    require_write(request.user)
    form = EnrichStartForm(request.POST, leads=leads_visible_to(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("crm:leads")
    data = form.cleaned_data
    leads: QuerySet[Lead] = data["leads"]
    if data["confirmed"]:
        job = enrichment_job_create(
            actor=request.user,
            leads=leads,
            fields=data["wanted"],
            sources=data["sources"],
            overwrite=data["overwrite"],
            description=_description(data, leads),
        )
        if not job.progress_total:
            messages.error(request, "None of these leads is yours to change: nothing to enrich.")
        return redirect("enrichment:job", pk=job.pk)
    count = leads.count()
    context = {
        "form": form,
        "count": count,
        # Ticked leads travel on as ids; a filter or a list is found again from itself when the job starts.
        "lead_ids": [] if data.get("all_matching") or data.get("lead_list") else [lead.pk for lead in data["leads"]],
        "estimate": credits_estimate(leads, data["wanted"] or None, data["sources"]),
        "month_credits": month_credits_spent(),
        "settings": waterfall_settings(),
        "field_choices": FIELD_CHOICES,
        "chosen_fields": data["wanted"],
        "sources": list(SOURCES.values()),
        "chosen_sources": data["sources"],
    }
    return render(request, "enrichment/job_new.html", context)


def _description(data: dict, leads: QuerySet[Lead]) -> str:
    if data.get("lead_list"):
        return f"List {data['lead_list'].name}"
    if data.get("all_matching"):
        return "Leads matching a filter"
    first = leads.order_by("pk").first()
    count = leads.count()
    return first.full_name if count == 1 and first else f"{count} selected leads"


def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    return render(request, "enrichment/job.html", _job_context(job))


def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block, polled by htmx while the job runs."""
    job = _visible_job(request, pk)
    return render(request, "enrichment/job.html#progress", _job_context(job))


def _job_context(job: EnrichmentJob) -> dict:
    failures = job.items.filter(status=EnrichmentItem.Status.FAILED).select_related("lead").order_by("id")
    return {
        "job": job,
        "failures": failures[:FAILURES_SHOWN],
        "recent": job.items.exclude(status=EnrichmentItem.Status.PENDING).select_related("lead").order_by("-id")[:20],
        "sources": [SOURCES[name].label for name in job.sources if name in SOURCES],
    }


@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    if job.created_by_id != request.user.pk and not sees_all_leads(request.user):
        raise PermissionDenied("Only who started a job, managers and admins may cancel it.")
    if enrichment_job_cancel(job=job, actor=request.user):
        messages.success(request, "Cancelling: the leads in hand finish, the rest are left as they are.")
    else:
        messages.error(request, "This job has already ended.")
    return redirect("enrichment:job", pk=job.pk)


def lead_sources(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a lead's values came from, loaded into its page: every value found, its source, confidence and when."""
    try:
        lead = lead_for_page(request.user, pk)
    except Lead.DoesNotExist:
        raise Http404("No such lead.") from None
    found = list(FieldSource.objects.filter(lead=lead).select_related("job"))
    active = EnrichmentJob.objects.filter(items__lead=lead, status__in=["queued", "running"]).first()
    # A duplicate is linked only for people who may see it: the job may have run as someone who sees more.
    others = {row.detail.get("duplicate_of") for row in found if isinstance(row.detail, dict)} - {None}
    visible = (
        set(leads_visible_to(request.user).filter(pk__in=others).values_list("pk", flat=True)) if others else set()
    )
    context = {
        "lead": lead,
        "found": found,
        "active": active,
        "can_edit": can_edit_lead(request.user, lead),
        "visible_duplicates": visible,
    }
    return render(request, "enrichment/_lead_sources.html", context)


def settings_page(request: HttpRequest) -> HttpResponse:
    require_admin(request.user)
    row = waterfall_settings()
    order = [*row.source_order, *(name for name in SOURCES if name not in row.source_order)]
    initial = {
        "enabled": row.sources_enabled,
        "monthly_credit_cap": row.monthly_credit_cap,
        "cache_days": row.cache_days,
        **{f"position_{name}": order.index(name) + 1 for name in SOURCES},
        **{f"threshold_{name}": value for name, value in row.thresholds.items()},
    }
    form = WaterfallSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        waterfall_settings_update(
            actor=request.user,
            order=form.order(),
            enabled=form.cleaned_data["enabled"],
            thresholds=form.thresholds(),
            monthly_credit_cap=form.cleaned_data["monthly_credit_cap"],
            cache_days=form.cleaned_data["cache_days"],
        )
        messages.success(request, "Saved. New jobs use these settings.")
        return redirect("enrichment:settings")
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "source_rows": [(SOURCES[name], form[f"position_{name}"]) for name in order if name in SOURCES],
        "month_credits": month_credits_spent(),
        "row": row,
    }
    return render(request, "enrichment/settings.html", context, status=status)
