"""The message writer's pages: the drafts panel of a lead page (write, edit, approve, reject), one draft on its own
page, and the bulk jobs that write drafts for a list or a selection."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm.models import Lead
from crm.selectors import lead_for_page, leads_visible_to
from leadflow.params import id_or_none, ids
from leadflow.roles import can_edit_lead, require_write, sees_all_leads
from outreach.drafts import draft_approve, draft_edit, draft_generate, draft_reject, drafts_visible_to
from outreach.forms import DecisionForm, DraftChoicesForm, DraftEditForm, DraftJobForm
from outreach.jobs import draft_job_cancel, draft_job_create
from outreach.models import Draft, DraftItem, DraftJob
from outreach.writer import WriterFailed

DRAFTS_SHOWN = 20
JOBS_PER_PAGE = 50
FAILURES_SHOWN = 200


def _visible_lead(request: HttpRequest, pk: int) -> Lead:
    try:
        return lead_for_page(request.user, pk)
    except Lead.DoesNotExist as exc:
        raise Http404("No such lead.") from exc


def _visible_draft(request: HttpRequest, pk: int) -> Draft:
    draft = drafts_visible_to(request.user).select_related("lead__company").filter(pk=pk).first()
    if draft is None:
        raise Http404("No such draft.")
    return draft


def _panel(request: HttpRequest, lead: Lead, *, editing: DraftEditForm | None = None, error: str = "", **extra):
    drafts = lead.drafts.select_related("created_by", "decided_by")[:DRAFTS_SHOWN]
    context = {
        "lead": lead,
        "drafts": drafts,
        "can_edit": can_edit_lead(request.user, lead),
        "choices": extra.get("choices") or DraftChoicesForm(),
        "editing": editing,
        "editing_pk": extra.get("editing_pk"),
        "error": error,
    }
    return render(request, "outreach/_lead_drafts.html", context)


def _after(request: HttpRequest, draft: Draft, *, error: str = "", done: str = "") -> HttpResponse:
    """htmx: the panel again, with what went wrong; without JavaScript: back to the draft's page with a message."""
    if request.htmx:
        return _panel(request, draft.lead, error=error)
    if error:
        messages.error(request, error)
    elif done:
        messages.success(request, done)
    return redirect("outreach:draft", pk=draft.pk)


def lead_drafts(request: HttpRequest, pk: int) -> HttpResponse:
    """The lead page's drafts panel, loaded into it by htmx."""
    return _panel(request, _visible_lead(request, pk))


@require_POST
def draft_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a draft now (the built-in writer takes milliseconds; an AI answer is bounded by the AI's timeout)."""
    lead = _visible_lead(request, pk)
    if not can_edit_lead(request.user, lead):
        raise PermissionDenied("You can only write to leads you may change.")
    form = DraftChoicesForm(request.POST)
    if not form.is_valid():
        return _panel(request, lead, choices=form, error="Choose a channel, a tone and a length.")
    try:
        draft = draft_generate(lead=lead, actor=request.user, interactive=True, **form.cleaned_data)
    except WriterFailed as exc:
        if not request.htmx:
            messages.error(request, str(exc))
            return redirect("crm:lead", pk=lead.pk)
        return _panel(request, lead, choices=form, error=str(exc))
    return _panel(request, lead, choices=form) if request.htmx else redirect("outreach:draft", pk=draft.pk)


def draft_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One draft on its own page, with its edit form for who may change it (the panel's links without htmx)."""
    draft = _visible_draft(request, pk)
    can_edit = can_edit_lead(request.user, draft.lead)
    form = DraftEditForm(initial={"subject": draft.subject, "body": draft.body, "version": draft.version})
    context = {"draft": draft, "can_edit": can_edit, "editing": form if can_edit else None}
    return render(request, "outreach/draft.html", context)


def draft_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the panel with this draft's edit form; POST: save the edit, if the draft has not changed meanwhile."""
    draft = _visible_draft(request, pk)
    if not can_edit_lead(request.user, draft.lead):
        raise PermissionDenied("You can only change drafts of leads you may change.")
    if request.method != "POST":
        form = DraftEditForm(initial={"subject": draft.subject, "body": draft.body, "version": draft.version})
        if not request.htmx:
            return redirect("outreach:draft", pk=draft.pk)
        return _panel(request, draft.lead, editing=form, editing_pk=draft.pk)
    form = DraftEditForm(request.POST)
    if not form.is_valid():
        if not request.htmx:
            return render(request, "outreach/draft.html", {"draft": draft, "can_edit": True, "editing": form})
        return _panel(request, draft.lead, editing=form, editing_pk=draft.pk)
    try:
        draft_edit(draft=draft, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        return _after(request, draft, error=" ".join(exc.messages))
    return _after(request, draft, done="Saved.")


def _decide(request: HttpRequest, pk: int, decide, done: str) -> HttpResponse:
    draft = _visible_draft(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _after(request, draft, error="Reload the page: this form is out of date.")
    try:
        decide(draft=draft, actor=request.user, version=form.cleaned_data["version"])
    except ValidationError as exc:
        return _after(request, draft, error=" ".join(exc.messages))
    return _after(request, draft, done=done)


@require_POST
def draft_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, draft_approve, "Approved.")


@require_POST
def draft_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, draft_reject, "Rejected.")


def _jobs_visible_to(user) -> QuerySet[DraftJob]:
    """Job history: reps see their own jobs, everyone else all of them."""
    jobs = DraftJob.objects.select_related("created_by")
    return jobs if sees_all_leads(user) else jobs.filter(created_by=user)


def _visible_job(request: HttpRequest, pk: int) -> DraftJob:
    job = _jobs_visible_to(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such draft job.")
    return job


def job_list(request: HttpRequest) -> HttpResponse:
    jobs = _jobs_visible_to(request.user)[:JOBS_PER_PAGE]
    form = DraftJobForm(initial={"lead_list": id_or_none(request.GET.get("list"))})
    return render(request, "outreach/jobs.html", {"jobs": jobs, "form": form})


@require_POST
def job_new(request: HttpRequest) -> HttpResponse:
    """Start a job for a list, or for the leads ticked in the leads table (`leads`: their ids, comma-separated)."""
    require_write(request.user)
    if "channel" not in request.POST:
        # From the leads table's "Write drafts…": the ticked leads travel on as ids while the choices are made.
        chosen = ids(request.POST.getlist("leads"))
        form = DraftJobForm(initial={"leads": ",".join(map(str, chosen))})
        jobs = _jobs_visible_to(request.user)[:JOBS_PER_PAGE]
        return render(request, "outreach/jobs.html", {"jobs": jobs, "form": form, "ticked": len(chosen)})
    form = DraftJobForm(request.POST)
    if not form.is_valid():
        jobs = _jobs_visible_to(request.user)[:JOBS_PER_PAGE]
        return render(request, "outreach/jobs.html", {"jobs": jobs, "form": form}, status=422)
    data = form.cleaned_data
    if data["lead_list"]:
        leads = Lead.objects.filter(memberships__lead_list=data["lead_list"])
        description = f"List {data['lead_list'].name}"
    else:
        chosen = ids(data["leads"].split(","))
        leads, description = leads_visible_to(request.user).filter(pk__in=chosen), f"{len(chosen)} selected leads"
    job = draft_job_create(
        actor=request.user, leads=leads, channel=data["channel"], tone=data["tone"], length=data["length"],
        description=description,
    )  # fmt: skip
    if not job.progress_total:
        messages.error(request, "None of these leads is yours to write to: no drafts to write.")
    return redirect("outreach:job", pk=job.pk)


def _job_context(job: DraftJob) -> dict:
    failures = job.items.filter(status=DraftItem.Status.FAILED).select_related("lead").order_by("id")
    recent = job.items.exclude(status=DraftItem.Status.PENDING).select_related("lead").order_by("-id")[:20]
    return {"job": job, "failures": failures[:FAILURES_SHOWN], "recent": recent}


def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "outreach/job.html", _job_context(_visible_job(request, pk)))


def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block, polled by htmx while the job runs."""
    return render(request, "outreach/job.html#progress", _job_context(_visible_job(request, pk)))


@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_job(request, pk)
    if draft_job_cancel(job=job, actor=request.user):
        messages.success(request, "Cancelling: drafts written so far are kept.")
    else:
        messages.error(request, "This job has already ended.")
    return redirect("outreach:job", pk=job.pk)
