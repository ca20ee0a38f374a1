"""Capture pages: sources and campaigns with their health, run now and pause, runs, campaigns as YAML, and where a
lead came from."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm.models import Lead
from crm.selectors import lead_for_page
from leadflow.roles import can_reassign, sees_all_leads
from scraping.campaign_files import campaigns_export, campaigns_load
from scraping.forms import CampaignForm, CampaignsFileForm, SourceForm
from scraping.hooks_indiamart import push_key
from scraping.models import AdDelivery, Campaign, ScrapeRun, Source
from scraping.runs import RunRefused, scrape_run_start
from scraping.selectors import SPARK_HEIGHT, SPARK_WIDTH, campaigns_health, deliveries_health
from scraping.services import campaign_pause, campaign_save, require_capture_admin, source_save

RUNS_SHOWN = 50
DELIVERIES_SHOWN = 20
WEBHOOK_KINDS = {Source.Kind.META: "hooks:meta_leadgen", Source.Kind.GOOGLE_ADS: "hooks:google_ads_leadform"}


def _require_staff_view(request: HttpRequest) -> None:
    # Sources hold the team's pipelines in: everyone who sees all leads may look; reps see their own leads' origin.
    if not sees_all_leads(request.user):
        raise PermissionDenied("Only managers, admins and viewers see the sources.")


def sources_page(request: HttpRequest) -> HttpResponse:
    _require_staff_view(request)
    sources = list(Source.objects.select_related("owner", "stage", "lead_list"))
    campaigns = Campaign.objects.select_related("source", "lead_list", "owner").order_by("source__name", "name")
    health = campaigns_health(campaigns)
    rows = [(campaign, health[campaign.pk]) for campaign in campaigns]
    deliveries = deliveries_health([source for source in sources if source.kind not in _fetching_kinds()])
    for source in sources:
        source.delivery_counts = deliveries.get(source.pk)
    context = {
        "sources": sources,
        "rows": rows,
        "spark": {"width": SPARK_WIDTH, "height": SPARK_HEIGHT},
        "file_form": CampaignsFileForm(),
        "can_manage": can_reassign(request.user),
    }
    template = "scraping/sources.html#campaigns" if request.htmx else "scraping/sources.html"
    return render(request, template, context)


def _fetching_kinds() -> set[str]:
    from scraping.runs import CLIENTS

    return set(CLIENTS)


def source_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_capture_admin(request.user)
    source = get_object_or_404(Source, pk=pk) if pk else Source()
    form = SourceForm(request.POST or None, instance=source)
    if request.method == "POST" and form.is_valid():
        try:
            source = source_save(actor=request.user, source=form.save(commit=False), secrets=form.secrets())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {source}.")
            return redirect("scraping:source", pk=source.pk)
    webhook = WEBHOOK_KINDS.get(source.kind)
    context = {
        "form": form,
        "source": source,
        "webhook_url": request.build_absolute_uri(reverse(webhook)) if webhook and source.pk else "",
        "push_url": _push_url(request, source),
        "verify_token": source.credential("verify_token") if source.pk and source.kind == Source.Kind.META else "",
        "deliveries": source.deliveries.select_related("lead")[:DELIVERIES_SHOWN] if source.pk else [],
    }
    return render(request, "scraping/source.html", context, status=422 if request.method == "POST" else 200)


def _push_url(request: HttpRequest, source: Source) -> str:
    """IndiaMART's push address, with the key that proves a push comes from whoever was given it."""
    if source.kind != Source.Kind.INDIAMART or not source.pk:
        return ""
    key = push_key(source)
    return request.build_absolute_uri(reverse("hooks:indiamart", args=[source.pk])) + (f"?key={key}" if key else "")


def campaign_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_capture_admin(request.user)
    campaign = get_object_or_404(Campaign, pk=pk) if pk else Campaign()
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_save(
                actor=request.user, campaign=form.save(commit=False), round_robin=list(form.cleaned_data["round_robin"])
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {campaign}.")
            return redirect("scraping:campaign", pk=campaign.pk)
    runs = campaign.runs.all()[:RUNS_SHOWN] if campaign.pk else []
    context = {"form": form, "campaign": campaign, "runs": runs}
    return render(request, "scraping/campaign.html", context, status=422 if request.method == "POST" else 200)


@require_POST
def campaign_run(request: HttpRequest, pk: int) -> HttpResponse:
    require_capture_admin(request.user)
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        run = scrape_run_start(campaign=campaign, actor=request.user)
    except RunRefused as exc:
        messages.error(request, exc.messages[0])
        return redirect("scraping:sources")
    return redirect("scraping:run", pk=run.pk)


@require_POST
def campaign_pause_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    campaign_pause(actor=request.user, campaign=campaign, paused=not campaign.paused)
    messages.success(request, f"{campaign} {'paused' if campaign.paused else 'resumed'}.")
    return redirect("scraping:sources")


def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff_view(request)
    run = get_object_or_404(ScrapeRun.objects.select_related("campaign__source").prefetch_related("import_jobs"), pk=pk)
    template = "scraping/run.html#progress" if request.htmx else "scraping/run.html"
    return render(request, template, {"run": run})


def campaigns_file(request: HttpRequest) -> HttpResponse:
    """GET: every campaign as YAML; POST: load a YAML file (create or update by name)."""
    if request.method == "GET":
        # Managers and admins only: a campaign's target may hold a PhantomBuster session cookie or an actor's login.
        require_capture_admin(request.user)
        response = HttpResponse(
            campaigns_export(Campaign.objects.all()), content_type="application/yaml; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="campaigns.yaml"'
        return response
    require_capture_admin(request.user)
    form = CampaignsFileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a YAML file to load.")
        return redirect("scraping:sources")
    try:
        report = campaigns_load(form.cleaned_data["file"].read().decode("utf-8"), actor=request.user)
    except (ValidationError, UnicodeDecodeError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", ["The file is not UTF-8 text."])))
    else:
        messages.success(request, f"Created {len(report.created)}, updated {len(report.updated)} campaign(s).")
    return redirect("scraping:sources")


def lead_origin(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a lead came from, loaded into its page: the capture run that brought it, or the ad form."""
    try:
        lead = lead_for_page(request.user, pk)
    except Lead.DoesNotExist:
        raise Http404("No such lead.") from None
    runs = (
        ScrapeRun.objects.filter(import_jobs=lead.import_job_id).select_related("campaign")
        if lead.import_job_id
        else []
    )
    deliveries = AdDelivery.objects.filter(lead=lead).select_related("source")
    return render(request, "scraping/_lead_origin.html", {"lead": lead, "runs": runs, "deliveries": deliveries})
