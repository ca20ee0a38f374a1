"""AI analysis of a lead: its facts, its company's website text and what it sent us, judged by the model (or by the
built-in analysis when no model is configured), kept as a LeadAnalysis with what it cost. The model is asked outside
any transaction; the request that starts an analysis only queues it."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from crm.models import Activity, Lead, User
from crm.services.scores import lead_ai_fit_set
from crm.services.timeline import activity_record
from enrichment.models import LeadAnalysis, ProviderAnswer
from enrichment.providers.ai_research import AnalysisAnswer, AnalysisInputs, builtin_analysis, research_ask
from enrichment.providers.website import ANSWER_KIND, SOURCE, home_url, site_key
from enrichment.waterfall import lead_facts
from leadflow.ai import AiFailed, AiUnavailable, ai_job_stall_seconds
from leadflow.roles import can_edit_lead

logger = logging.getLogger(__name__)

# Custom fields that are contact details or ids, not something the lead told us.
NOT_TOLD = ("email", "phone", "mobile", "id", "time", "pincode", "zip", "country", "gclid", "url")
# Notes read as captured text: the ones an import or a capture brought in (enquiries, ad-form answers).
CAPTURED_NOTES = 3
# A queued analysis still running after this long (or after the slowest AI answer, if longer: ai_job_stall_seconds)
# lost its worker: a redelivered task may take it again.
STALE_SECONDS = 600


def _website_text(lead: Lead) -> str:
    """What enrichment kept of the company's site: the company description and each page's title and descriptions
    (the website source's cached answer), as plain lines."""
    lines = []
    company = lead.company
    if company and company.description:
        lines.append(company.description)
    url = home_url(lead_facts(lead))
    answer = (
        ProviderAnswer.objects.filter(source=SOURCE, kind=ANSWER_KIND, key=site_key(url)[:300]).first() if url else None
    )
    for page in (answer.body.get("pages") or []) if answer and isinstance(answer.body, dict) else []:
        for name in ("title", "description", "og_description"):
            text = str(page.get(name) or "").strip()
            if text and text not in lines:
                lines.append(text)
    return "\n".join(lines)


def _captured(lead: Lead) -> list[tuple[str, str]]:
    """What the lead sent us or said in public: capture's free-text custom fields (an IndiaMART enquiry message, an
    ad form's answers) and the notes an import or capture brought in."""
    told = [
        f"{name}: {value}"
        for name, value in (lead.custom_fields or {}).items()
        if isinstance(value, str) and value.strip() and not any(word in name.lower() for word in NOT_TOLD)
    ]
    captured = [("captured fields", "\n".join(told))] if told else []
    notes = lead.notes.filter(import_job__isnull=False).values_list("body", flat=True)[:CAPTURED_NOTES]
    captured.extend(("captured note", body) for body in notes if body.strip())
    return captured


def lead_analysis_inputs(lead: Lead) -> AnalysisInputs:
    company = lead.company
    facts = {
        "Name": lead.full_name if (lead.first_name or lead.last_name) else "",
        "Job title": lead.title,
        "Company": company.name if company else "",
        "Industry": company.industry if company else "",
        "Employees": company.size if company else "",
        "Company location": company.location if company else "",
        "Location": lead.location,
        "Email": lead.email.rsplit("@", 1)[-1] if lead.email else "",  # the domain says enough, and keeps it private
        "Phone": "known" if lead.phone else "",
        "Source": lead.source,
        "Stage": lead.stage.name if lead.stage_id else "",
    }
    return AnalysisInputs(facts=facts, website=_website_text(lead), captured=_captured(lead))


def _require_edit(actor: User, lead: Lead) -> None:
    if not can_edit_lead(actor, lead):
        raise PermissionDenied("You may not analyse this lead.")


def lead_analysis_queue(*, lead: Lead, actor: User) -> LeadAnalysis:
    """A pending analysis, asked by a queued task once this transaction commits (a page never waits on the model)."""
    _require_edit(actor, lead)
    analysis = LeadAnalysis.objects.create(lead=lead, requested_by=actor)
    transaction.on_commit(lambda: async_task("enrichment.analysis.analysis_task", analysis.pk))
    return analysis


def analysis_task(analysis_id: int) -> str:
    """The task: fill a queued analysis (a redelivered task finds it taken or done, unless its worker died long ago)."""
    stale = timezone.now() - timedelta(seconds=ai_job_stall_seconds(STALE_SECONDS))
    claimable = Q(status=LeadAnalysis.Status.PENDING) | Q(status=LeadAnalysis.Status.RUNNING, created_at__lt=stale)
    if LeadAnalysis.objects.filter(claimable, pk=analysis_id).update(status=LeadAnalysis.Status.RUNNING) != 1:
        return "nothing to do"
    analysis = LeadAnalysis.objects.select_related("lead__company", "lead__stage", "requested_by").get(pk=analysis_id)
    return analysis_fill(analysis).status


def lead_analyze(*, lead: Lead, actor: User | None, job=None) -> LeadAnalysis:
    """Analyse one lead now (commands and jobs); the outcome is kept whether it worked or not. `actor` None is the
    system (a command run without --as)."""
    if actor is not None:
        _require_edit(actor, lead)
    return analysis_fill(LeadAnalysis.objects.create(lead=lead, requested_by=actor, job=job))


def analysis_fill(analysis: LeadAnalysis) -> LeadAnalysis:
    """Ask the model (or use the built-in analysis) and keep the answer on `analysis`; a surprise is kept as its
    failure, so the lead's page stops waiting for it and a job goes on with the next lead."""
    try:
        return _fill(analysis)
    except Exception as exc:
        logger.exception("Analysis %s of lead %s failed", analysis.pk, analysis.lead_id)
        analysis.status, analysis.finished_at = LeadAnalysis.Status.FAILED, timezone.now()
        analysis.failure = f"The analysis stopped on an unexpected error ({exc.__class__.__name__}); try again."
        # An update, not save(): the row may have gone with its lead, and half-kept fields must not be written.
        LeadAnalysis.objects.filter(pk=analysis.pk).update(
            status=analysis.status, failure=analysis.failure, finished_at=analysis.finished_at
        )
        return analysis


def _fill(analysis: LeadAnalysis) -> LeadAnalysis:
    lead = analysis.lead
    inputs = lead_analysis_inputs(lead)
    if inputs.thin:
        # Nothing to ask about: a model would only guess. Say so, for free.
        return _keep(analysis, builtin_analysis(inputs), source=LeadAnalysis.Source.BUILT_IN, thin=True)
    try:
        answer = research_ask(inputs, subject=f"lead:{lead.pk}")
    except AiUnavailable as unavailable:
        analysis.failure = str(unavailable)  # why the built-in analysis stood in (no key, or the budget is spent)
        return _keep(analysis, builtin_analysis(inputs), source=LeadAnalysis.Source.BUILT_IN)
    except AiFailed as failed:
        return _keep_failure(analysis, failed)
    call = answer.call
    analysis.model, analysis.ai_call = call.model, call
    analysis.tokens_in, analysis.tokens_out, analysis.cost_usd, analysis.seconds = (
        call.tokens_in,
        call.tokens_out,
        call.cost_usd,
        call.seconds,
    )
    return _keep(analysis, answer.data, source=LeadAnalysis.Source.AI, thin=not answer.data.enough_facts)


@transaction.atomic
def _keep(analysis: LeadAnalysis, answer: AnalysisAnswer, *, source: str, thin: bool = False) -> LeadAnalysis:
    for name in (
        "pain_points",
        "urgency",
        "urgency_reason",
        "authority",
        "authority_reason",
        "fit_reasoning",
        "summary",
    ):
        setattr(analysis, name, getattr(answer, name))
    analysis.fit = answer.fit if not thin else None
    analysis.status, analysis.source, analysis.thin = LeadAnalysis.Status.OK, source, thin
    analysis.finished_at = timezone.now()
    analysis.save()
    label = "AI" if source == LeadAnalysis.Source.AI else "built-in"
    summary = f"Analysed ({label}): too few facts" if thin else f"Analysed ({label}): fit {answer.fit}/100"
    activity_record(
        lead=analysis.lead,
        actor=analysis.requested_by,
        kind=Activity.Kind.ENRICHED,
        summary=f"{summary}, urgency {answer.urgency}",
        data={"analysis": analysis.pk},
    )
    _fit_publish(analysis)
    return analysis


def _keep_failure(analysis: LeadAnalysis, failed: AiFailed) -> LeadAnalysis:
    call = failed.call
    analysis.status, analysis.failure, analysis.source = LeadAnalysis.Status.FAILED, str(failed), LeadAnalysis.Source.AI
    analysis.model, analysis.ai_call, analysis.tokens_in, analysis.tokens_out = (
        call.model,
        call,
        call.tokens_in,
        call.tokens_out,
    )
    analysis.cost_usd, analysis.seconds, analysis.finished_at = call.cost_usd, call.seconds, timezone.now()
    analysis.save()
    logger.info("Analysis of lead %s failed: %s", analysis.lead_id, failed)
    return analysis


def lead_analysis_latest(lead: Lead) -> LeadAnalysis | None:
    return LeadAnalysis.objects.filter(lead=lead).first()


def _fit_publish(analysis: LeadAnalysis) -> None:
    """Hand an AI analysis's fit opinion to the lead's score, a weighted input shown as such. Only a model's: the
    built-in analysis reads the same facts the fit score does, so counting it again would weigh them twice."""
    if analysis.source == LeadAnalysis.Source.AI and analysis.fit is not None:
        lead_ai_fit_set(lead=analysis.lead, fit=analysis.fit, reason=analysis.fit_reasoning)


def analyses_requeue_stalled() -> int:
    """The periodic reconciler of analyses asked from a lead's page: one still pending or running long after it was
    asked lost its task (its worker died, or the Redis broker lost the queue) and is queued again; the task claims
    it only if it is still waiting or stale. An analysis a job makes is its job's to redo (analysis_jobs)."""
    stale = timezone.now() - timedelta(seconds=ai_job_stall_seconds(STALE_SECONDS))
    waiting = LeadAnalysis.objects.filter(
        status__in=[LeadAnalysis.Status.PENDING, LeadAnalysis.Status.RUNNING], job__isnull=True, created_at__lt=stale
    )
    ids = list(waiting.values_list("pk", flat=True))
    for analysis_id in ids:
        async_task("enrichment.analysis.analysis_task", analysis_id)
    return len(ids)
